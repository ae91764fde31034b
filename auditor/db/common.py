"""What every repository shares: statements over many keys, the unit-code filter, column limits."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from auditor.db.models import Device, Unit

DEFAULT_GROUP = "default"  # the poller group of units nobody put in one, and of devices with no unit
IN_CHUNK = 5000  # SQLite takes at most 32,766 parameters in a statement, PostgreSQL 65,535
K = TypeVar("K")


def exclusive(session: Session, key: int, wait_ms: int, busy_timeout_ms: int) -> None:
    """Hold the lock `key` for this session's transaction, on SQLite and PostgreSQL alike: another
    session asking for it waits (up to `wait_ms` on SQLite) until this one commits or rolls back.
    Must be the session's first statement."""
    bind = session.connection()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(f"SELECT pg_advisory_xact_lock({int(key)})")
    elif bind.dialect.name == "sqlite":
        # SQLite has one writer at a time: take the write lock now, not at the first write (a
        # read snapshot taken before it would be stale).
        bind.exec_driver_sql(f"PRAGMA busy_timeout={int(wait_ms)}")
        bind.exec_driver_sql("BEGIN IMMEDIATE")
        bind.exec_driver_sql(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")


def chunked(keys: Sequence[K], size: int = IN_CHUNK) -> Iterator[Sequence[K]]:
    """`keys` in slices small enough for one IN (…) list."""
    for start in range(0, len(keys), size):
        yield keys[start : start + size]


def in_chunks(session: Session, model: Any, column: Any, keys: Sequence[Any]) -> list[Any]:
    """Rows whose `column` is one of `keys`, however many keys there are."""
    found: list[Any] = []
    for chunk in chunked(keys):
        found.extend(session.scalars(select(model).where(column.in_(chunk))))
    return found


def unit_is(unit_code: str) -> ColumnElement[bool]:
    """The unit whose code is `unit_code`, in any case (codes are compared as people type them)."""
    return func.lower(Unit.code) == unit_code.lower()


def of_unit(statement: Any, unit_column: Any, unit_code: str | None) -> Any:
    """`statement` kept to one unit's rows (joined through `unit_column`), or left whole."""
    if unit_code is None:
        return statement
    return statement.join(Unit, unit_column == Unit.id).where(unit_is(unit_code))


def fit(column: str, value: Any) -> Any:
    """Text a device sent, cut to its column's length: PostgreSQL refuses longer text, and one
    agent's 10 kB serial number must not fail the poll of everyone stored with it."""
    length = getattr(Device.__table__.c[column].type, "length", None)
    return value[: length - 1] + "…" if isinstance(value, str) and length and len(value) > length else value
