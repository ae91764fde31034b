"""Rendering listings for people (an aligned table) and for scripts (JSON, CSV).  Pure."""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from auditor.formulas import neutralise

FORMATS = ("table", "json", "csv")
MAX_CELL = 40


def plain(value: Any, zone: dt.tzinfo | None = None, human: bool = False) -> Any:
    """A view's value as scripts read it: enums as their keys, dates and times as ISO 8601; a time
    in `zone` (the reader's) to the minute, "2026-12-02 08:00" for people (`human`) and
    "2026-12-02T08:00+07:00" for scripts."""
    if isinstance(value, dt.datetime) and zone is not None:
        moment = value.astimezone(zone)
        return f"{moment:%Y-%m-%d %H:%M}" if human else moment.isoformat(timespec="minutes")
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}  # evidence: stored as it was found (UTC)
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):  # evidence, in a CSV cell: JSON, as scripts read it
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.15g}"  # every digit a double holds: 19873500 b/s, never 1.98735e+07
    return str(value)


WIDE_CELLS = {"subject": 72}  # a finding's subject names the device and where it is: kept whole


def _clip(text: str, limit: int = MAX_CELL) -> str:
    text = " ".join(text.split())  # a device's multi-line sysDescr stays on one table row
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]]) -> str:
    """An aligned text table of `columns` (key, heading); '(none)' when there are no rows."""
    if not rows:
        return "(none)"
    cells = [[_clip(_text(row.get(key)), WIDE_CELLS.get(key, MAX_CELL)) for key, _ in columns] for row in rows]
    headings = [heading for _, heading in columns]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headings)]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(headings, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)


def render_json(rows: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps(list(rows), ensure_ascii=False, indent=2)


def render_csv(rows: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> str:
    """CSV with every field neutralised: a hostname of '=cmd|…' is shown, never evaluated."""
    lines = [_csv_line(keys)]
    for row in rows:
        lines.append(
            _csv_line(
                [
                    neutralise(_text(row.get(key))) if not isinstance(row.get(key), bool) else str(row.get(key)).lower()
                    for key in keys
                ]
            )
        )
    return "\n".join(lines)


def _csv_line(fields: Sequence[str]) -> str:
    """One CSV record ending in nothing.  Written with the CRLF terminator so that a field holding a
    carriage return is quoted: a bare CR would end the row in Excel and start the next with the
    rest of the field, outside the neutralising quote (a device named "x\\r=cmd…" did that)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(fields)
    return buffer.getvalue().removesuffix("\r\n")


def render(rows: Sequence[Mapping[str, Any]], fmt: str, columns: Sequence[tuple[str, str]]) -> str:
    """`rows` in a format: the table shows `columns`; JSON and CSV carry every key."""
    if fmt == "json":
        return render_json(rows)
    if fmt == "csv":
        return render_csv(rows, list(rows[0]) if rows else [key for key, _ in columns])
    return render_table(rows, columns)


def toml_text(tree: Mapping[str, Any], prefix: str = "") -> str:
    """A nested dict as TOML, for `config show`.  None values are shown as comments (TOML has no null)."""
    scalars, tables, arrays = [], [], []
    for key, value in tree.items():
        if isinstance(value, Mapping):
            tables.append((key, value))
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            arrays.append((key, value))
        elif value is None:
            scalars.append(f"# {key} is not set")
        else:
            scalars.append(f"{_toml_key(key)} = {_toml_value(value)}")
    out = ["\n".join(scalars)] if scalars else []
    for key, table in tables:
        name = f"{prefix}{_toml_key(key)}"
        inner = toml_text(table, name + ".")
        out.append(f"[{name}]\n{inner}".rstrip())
    for key, items in arrays:
        for item in items:
            out.append(f"[[{prefix}{_toml_key(key)}]]\n{toml_text(item)}".rstrip())
    return "\n\n".join(part for part in out if part)


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").isalnum() and key.isascii() else json.dumps(key, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value), ensure_ascii=False)
