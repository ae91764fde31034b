"""Pure handling of what agents send: table rows from walked columns."""

from __future__ import annotations

from auditor.snmp import oids, values
from auditor.snmp.interfaces import interfaces


def test_walked_columns_become_rows_by_index() -> None:
    rows = values.table_rows(
        {
            "name": [("1.3.6.1.2.1.31.1.1.1.1.2", b"Gi0/2"), ("1.3.6.1.2.1.31.1.1.1.1.1", b"Gi0/1")],
            "alias": [("1.3.6.1.2.1.31.1.1.1.18.1", b"WAN")],
        }
    )
    assert rows == {2: {"name": b"Gi0/2"}, 1: {"name": b"Gi0/1", "alias": b"WAN"}}


def test_a_row_index_that_is_not_a_number_is_ignored() -> None:
    assert values.table_rows({"name": [("1.3.6.1.2.1.2.2.1.2.x", b"bogus")]}) == {}


def test_interfaces_come_out_in_index_order_with_their_columns_joined() -> None:
    name = oids.IF_TABLE_COLUMNS["name"]
    found = interfaces({"name": [(f"{name}.10", b"Gi0/10"), (f"{name}.2", b"Gi0/2")]})
    assert [(i.if_index, i.name) for i in found] == [(2, "Gi0/2"), (10, "Gi0/10")]
