"""The command-line contract: output formats, JSON keys, exit codes, error lines, masked secrets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from auditor.cli import cli
from auditor.config import load_settings
from tests.conftest import REPO, Cli
from tests.register.test_import import full_vietnamese, write_csv

DEVICE_KEYS = [
    "id",
    "unit_code",
    "hostname",
    "ip",
    "mac",
    "category",
    "vendor",
    "model",
    "serial",
    "asset_tag",
    "firmware",
    "os_version",
    "manufactured_on",
    "in_service_on",
    "in_service_precision",
    "age_years",
    "age_source",
    "age_basis",
    "condition",
    "location",
    "registered",
    "status",
    "reachable",
    "rtt_ms",
    "uptime_s",
    "first_seen",
    "last_seen",
    "snmp_version",
    "snmp_port",
    "seen_via",
]


def test_device_json_keys_are_the_documented_ones(auditor: Cli, workdir: Path) -> None:
    auditor.ok("register", "import", str(full_vietnamese(workdir)))
    rows = json.loads(auditor.ok("devices", "list", "--format", "json").stdout)
    assert len(rows) == 3
    assert all(list(row) == DEVICE_KEYS for row in rows)
    units = json.loads(auditor.ok("units", "list", "--format", "json").stdout)
    assert list(units[0]) == [
        "id",
        "code",
        "name",
        "kind",
        "staff_count",
        "poller_group",
        "devices",
        "links",
        "subnets",
    ]
    links = json.loads(auditor.ok("links", "list", "--format", "json").stdout)
    assert list(links[0]) == [
        "id",
        "unit_code",
        "name",
        "provider",
        "circuit_id",
        "capacity_down_mbps",
        "capacity_up_mbps",
        "device",
        "interface",
        "if_index",
        "far_end_ip",
    ]


def test_listings_filter_by_unit_and_empty_ones_say_so(auditor: Cli, workdir: Path) -> None:
    assert auditor.ok("devices", "list").stdout.strip() == "(none)"
    assert json.loads(auditor.ok("devices", "list", "--format", "json").stdout) == []
    auditor.ok("register", "import", str(full_vietnamese(workdir)))
    rows = json.loads(auditor.ok("devices", "list", "--unit", "vp-tu", "--format", "json").stdout)
    assert [r["asset_tag"] for r in rows] == ["TS-100"]
    table = auditor.ok("devices", "list", "--unit", "XA-A").stdout.splitlines()
    assert table[0].split()[:4] == ["ID", "UNIT", "HOSTNAME", "IP"]
    assert len(table) == 4 and all("XA-A" in line for line in table[2:])
    result = auditor("devices", "list", "--unit", "XA-ZZ")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: no unit with code 'XA-ZZ'; `auditor units list` shows the codes\n",
    )


def test_csv_listing_is_neutralised(auditor: Cli, workdir: Path) -> None:
    auditor.ok("register", "import", str(write_csv(workdir / "u.csv", [["unit_code", "unit_name"], ["XA-H", "H"]])))
    auditor.ok(
        "register",
        "import",
        str(write_csv(workdir / "d.csv", [["unit_code", "hostname", "vendor"], ["XA-H", "=cmd|'/c calc'!A1", "+HP"]])),
    )
    lines = auditor.ok("devices", "list", "--format", "csv").stdout.splitlines()
    assert lines[0].split(",")[:4] == ["id", "unit_code", "hostname", "ip"]
    assert "'=cmd|'/c calc'!A1" in lines[1] and ",'+HP," in lines[1]


def test_usage_errors_exit_2(sqlite_url: str) -> None:
    result = Cli(sqlite_url)("devices", "list", "--format", "xml")
    assert result.exit_code == 2
    assert "Invalid value for '--format'" in result.stderr


def test_a_real_process_reports_errors_on_stderr_with_exit_1(workdir: Path) -> None:
    """As cron sees it: a separate process, its exit code, one line on stderr and nothing on stdout."""
    process = subprocess.run(
        [sys.executable, "-m", "auditor", "units", "list", "--db", "sqlite:///nothing.db"],
        capture_output=True,
        text=True,
        cwd=workdir,
        timeout=60,
    )
    assert process.returncode == 1
    assert process.stdout == ""
    assert process.stderr == "Error: no database at nothing.db; run `auditor init` first (or pass --db)\n"


def test_version(workdir: Path) -> None:
    assert Cli("unused").ok("--version", db=False).stdout.startswith("auditor, version ")


CONFIG = """
province = "Tỉnh Phú Thọ"
[database]
url = "postgresql+psycopg://auditor:db-password-123@dbhost/auditor"
[age]
threshold_years = 8
[age.per_category]
printer = 7
[snmp]
communities = ["c0mmunity-one", "c0mmunity-two"]
[[snmp.v3]]
name = "core"
user = "auditor"
auth_protocol = "sha"
auth_key = "auth-key-secret"
priv_protocol = "aes"
priv_key = "priv-key-secret"
[catalog.prices]
desktop = 18000000
"""


def test_config_show_masks_every_secret(workdir: Path) -> None:
    (workdir / "auditor.toml").write_text(CONFIG, encoding="utf-8")
    for fmt in ("toml", "json"):
        out = Cli("unused").ok("config", "show", "--format", fmt, db=False).stdout
        for secret in ("c0mmunity-one", "c0mmunity-two", "auth-key-secret", "priv-key-secret", "db-password-123"):
            assert secret not in out
        assert "Tỉnh Phú Thọ" in out and "auditor:********@dbhost" in out
    shown = json.loads(Cli("unused").ok("config", "show", "--format", "json", db=False).stdout)
    assert shown["age"] == {"threshold_years": 8.0, "per_category": {"printer": 7.0}}
    assert shown["snmp"]["communities"] == ["********", "********"]
    assert shown["snmp"]["v3"][0]["auth_key"] == "********"
    assert shown["catalog"]["prices"]["desktop"]["vnd"] == 18_000_000
    assert shown["catalog"]["prices"]["laptop"]["vnd"] == 25_000_000  # untouched defaults stay
    toml_out = Cli("unused").ok("config", "show", db=False).stdout
    assert f"# age.threshold_years from {workdir / 'auditor.toml'}" in toml_out


def test_settings_precedence_flag_env_file_default(workdir: Path) -> None:
    (workdir / "auditor.toml").write_text(
        '[database]\nurl = "sqlite:///from-file.db"\n[age]\nthreshold_years = 12\n', encoding="utf-8"
    )
    assert load_settings(environ={}, cwd=workdir).db_url == "sqlite:///from-file.db"
    env = {"AUDITOR_DB": "sqlite:///from-env.db", "AUDITOR_AGE_YEARS": "9"}
    from_env = load_settings(environ=env, cwd=workdir)
    assert (from_env.db_url, from_env.age.threshold_years) == ("sqlite:///from-env.db", 9.0)
    assert load_settings(environ=env, cwd=workdir, db_url="sqlite:///from-flag.db").db_url == "sqlite:///from-flag.db"
    (workdir / "auditor.toml").unlink()
    defaults = load_settings(environ={}, cwd=workdir)
    assert (defaults.db_url, defaults.age.threshold_years) == ("sqlite:///inventory.db", 10.0)


def test_communities_from_a_file_or_the_environment(workdir: Path) -> None:
    (workdir / "communities").write_text("# the units' communities\nfile-one\n\nfile-two\n", encoding="utf-8")
    settings = load_settings(
        environ={
            "AUDITOR_SNMP_COMMUNITIES": "env-one, env-two",
            "AUDITOR_SNMP_COMMUNITIES_FILE": str(workdir / "communities"),
        },
        cwd=workdir,
    )
    assert [c.reveal() for c in settings.snmp.communities] == ["env-one", "env-two", "file-one", "file-two"]
    assert "env-one" not in repr(settings)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[age]\ntreshold_years = 8\n", "unknown setting 'age.treshold_years'"),
        ("[age]\nthreshold_years = 'ten'\n", "age.threshold_years is 'ten', expected a number from 0 to 100"),
        ("[age.per_category]\nfridge = 3\n", "'fridge' is not a category"),
        ("[snmp]\nversion = '4'\n", "snmp.version is '4', expected 1, 2c or 3"),
        ("[links]\ntiers_mbps = []\n", "links.tiers_mbps must be a list of positive numbers"),
        ("[catalog.prices]\ndesktop = 'cheap'\n", "catalog.prices.desktop needs vnd = a whole number of đồng"),
        ("[age\n", "Expected ']'"),
        ("[netbios]\nsubnets = ['0.0.0.0/0']\n", "expected a range no wider than /8"),
        ("[netbios]\nsubnets = ['10.38.1.9/24']\n", "expected the range's first address: 10.38.1.0/24"),
    ],
)
def test_bad_config_files_say_what_and_where(workdir: Path, content: str, message: str) -> None:
    (workdir / "auditor.toml").write_text(content, encoding="utf-8")
    result = Cli("unused")("config", "show", db=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert "auditor.toml" in result.stderr


def test_missing_explicit_config_file(workdir: Path) -> None:
    result = Cli("unused")("config", "show", "--config", "nope.toml", db=False)
    assert result.exit_code == 1
    assert result.stderr == "Error: cannot read the configuration file nope.toml: No such file or directory\n"


def _commands(group: click.Group, prefix: str = "auditor") -> list[str]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix} {name}")
        else:
            found.append(f"{prefix} {name}")
    return found


def test_readme_documents_every_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = _commands(cli)
    assert "auditor scan" in commands and "auditor register import" in commands
    for command in commands:
        assert command in readme, f"README.md does not show `{command}`"
