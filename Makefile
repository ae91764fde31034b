# Two commands on a fresh machine: `make demo` and `make test`.  Each builds .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR := demo-output
DEMO_DB := sqlite:///$(DEMO_DIR)/inventory.db

.PHONY: test demo lint typecheck unit clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,postgres,lab]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check auditor tests
	$(BIN)/ruff format --check auditor tests

typecheck: $(STAMP)
	$(BIN)/mypy auditor

unit: $(STAMP)
	$(BIN)/pytest

test: lint typecheck unit

# The main job end to end on the embedded default (SQLite), into demo-output/.
demo: $(STAMP)
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	$(BIN)/auditor init --db $(DEMO_DB)
	$(BIN)/auditor register template $(DEMO_DIR)/phieu-khao-sat.xlsx --lang vi
	for sheet in don-vi thiet-bi duong-truyen; do \
	  $(BIN)/auditor register import examples/register/$$sheet.csv --db $(DEMO_DB) || exit 1; \
	done
	$(BIN)/auditor units list --db $(DEMO_DB)
	$(BIN)/auditor devices list --unit XA-HUNGPHUC --db $(DEMO_DB)
	$(BIN)/auditor links list --db $(DEMO_DB)
	$(BIN)/auditor poll --db $(DEMO_DB) --scans-dir $(DEMO_DIR)/scans --timeout 0.5 --retries 0
	$(BIN)/auditor register export $(DEMO_DIR)/so-dang-ky.xlsx --db $(DEMO_DB)
	@echo
	@echo "Demo done: database $(DEMO_DIR)/inventory.db, survey template $(DEMO_DIR)/phieu-khao-sat.xlsx,"
	@echo "register export $(DEMO_DIR)/so-dang-ky.xlsx."

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache *.egg-info
