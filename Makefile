# Two commands on a fresh machine: `make demo` and `make test`.  Each builds .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test test-future demo serve lint typecheck unit clean catalogs enterprises

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

# The suite in two processes (pytest-xdist), each test file whole in one of them, in the order
# tests/conftest.py gives (the corpus sweep first: it is the longest).
JOBS ?= 2
unit: $(STAMP)
	$(BIN)/pytest -n $(JOBS) --dist loadfile --no-loadscope-reorder

test: lint typecheck unit

# The suite with the wall clock a year ahead (its PostgreSQL half and the corpus sweep aside): no test may depend on today.
test-future: $(STAMP)
	$(BIN)/python -m auditor.lab.future +365d $(BIN)/pytest -n $(JOBS) --dist loadfile --no-loadscope-reorder -m "not postgres and not sweep" -p no:cacheprovider

# The main job end to end on the embedded default (SQLite), a simulated province on loopback,
# into demo-output/ (see auditor/lab/demo.py for the story it tells).
demo: $(STAMP)
	$(BIN)/python -m auditor.lab.demo $(if $(SERVE),--serve)

# The dashboard over the demo's database, on http://127.0.0.1:8080/ (Ctrl-C stops it).
serve: $(STAMP)
	$(BIN)/auditor serve --db sqlite:///demo-output/inventory.db

# The translations: extract the strings the code marks, update auditor/locale/vi/.../auditor.po
# (translators edit it), check it and compile it to auditor.mo.  The suite checks both are current.
catalogs: $(STAMP)
	$(BIN)/python -m auditor.lab.catalogs

# IANA's enterprise registry (auditor/data/enterprises.tsv.gz): the vendor of a sysObjectID that
# vendors.toml does not name.  Debian's libwireshark-data ships the registry; run when it updates.
enterprises: $(STAMP)
	test -f /usr/share/wireshark/enterprises.tsv || apt-get install -y --no-install-recommends libwireshark-data
	$(BIN)/python -m auditor.lab.enterprises /usr/share/wireshark/enterprises.tsv

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache *.egg-info
