"""Hardening battery, properties (issue 7): the register's cell parsers and the SNMP value parsers
over whatever hypothesis makes up.  A parser either returns a value within its promise or refuses
in its own way (BadValue, None); it never raises anything else, and what it returns is safe to store.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.errors import BadValue
from auditor.register import values as cells
from auditor.snmp import values
from tests.battery.tally import counted

TODAY = dt.date(2026, 11, 22)
CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.from_regex(r"\s*\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,5}\s*", fullmatch=True),
    st.from_regex(r"\s*\d{1,3}(\.\d{1,3}){3}\s*", fullmatch=True),
    st.dates(),
    st.datetimes(),
)
PARSERS: dict[str, Callable[[Any], Any]] = {
    "whole": cells.parse_whole,
    "service date": lambda v: cells.parse_service_date(v, TODAY),
    "ip": cells.parse_ip,
    "mac": cells.parse_mac,
    "port": cells.parse_port,
    "mbps": cells.parse_mbps,
    "code": cells.parse_code,
    "text": cells.parse_text,
}


@pytest.mark.parametrize("name", PARSERS)
def test_a_register_parser_returns_within_its_promise_or_refuses(name: str) -> None:
    parser = PARSERS[name]
    tried = {"n": 0}

    @settings(max_examples=300, deadline=None)
    @given(CELLS)
    def check(value: Any) -> None:
        tried["n"] += 1
        try:
            found = parser(value)
        except BadValue:
            return
        if name == "whole":
            assert isinstance(found, int) and found >= 0
        elif name == "service date":
            day, precision = found
            assert dt.date(cells.EARLIEST_YEAR, 1, 1) <= day <= TODAY and precision in ("year", "month", "day")
        elif name == "ip":
            ipaddress.ip_address(found)
        elif name == "port":
            assert 1 <= found <= 65535
        elif name == "mbps":
            assert found > 0 and found == found and found != float("inf")
        elif name in ("code", "text", "mac"):
            assert isinstance(found, str) and found == found.strip() and "\x00" not in found

    check()
    counted(refused=True)
    assert tried["n"] >= 100


OCTETS = st.one_of(st.none(), st.binary(max_size=3000), st.text(max_size=200), st.integers(), st.floats())
OIDS = st.one_of(st.none(), st.text(max_size=80), st.from_regex(r"\.?\d{1,12}(\.\d{1,12}){0,140}", fullmatch=True))
NUMBERS = st.one_of(st.none(), st.integers(min_value=-(2**70), max_value=2**70), st.text(max_size=5))


@settings(max_examples=500, deadline=None)
@given(OCTETS)
def _text_is_printable_and_bounded(value: Any) -> None:
    found = values.text(value)
    assert found is None or (len(found) <= values.MAX_TEXT and found == found.strip())
    assert found is None or not any(ord(c) < 32 and c not in "\n\t" for c in found)  # lines and tabs kept


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.none(), st.binary(max_size=40), st.text(max_size=40)))
def _manufacture_date_is_plausible_or_unknown(value: Any) -> None:
    found = values.manufacture_date(value)
    assert found is None or dt.date(1980, 1, 1) <= found <= dt.date(2100, 12, 31)


@settings(max_examples=500, deadline=None)
@given(OIDS)
def _object_id_fits_its_column_and_the_rules(value: Any) -> None:
    found = values.oid(value)
    if found is not None:
        arcs = found.split(".")
        assert len(found) <= 255 and len(arcs) <= 128 and all(int(a) < 2**32 for a in arcs)


@settings(max_examples=500, deadline=None)
@given(NUMBERS, NUMBERS, NUMBERS)
def _uptime_is_never_negative(sys_uptime: Any, hr_uptime: Any, engine: Any) -> None:
    found = values.uptime_seconds(sys_uptime, hr_uptime, engine)
    assert found is None or found >= 0


SNMP_PROPERTIES: dict[str, Callable[[], None]] = {
    "text": _text_is_printable_and_bounded,
    "manufacture date": _manufacture_date_is_plausible_or_unknown,
    "object id": _object_id_fits_its_column_and_the_rules,
    "uptime": _uptime_is_never_negative,
}


@pytest.mark.parametrize("name", SNMP_PROPERTIES)
def test_an_snmp_value_parser_keeps_its_promise(name: str) -> None:
    SNMP_PROPERTIES[name]()  # hypothesis: 500 made-up values; a counter-example fails here
    counted(refused=True)
