"""Spreadsheet cells written safely, shared by the register's workbooks and the procurement workbook:
text stays text (never a formula from someone else's words), named styles resolved once, a workbook
saved whole or not at all."""

from __future__ import annotations

import io
from collections.abc import Sequence
from copy import copy
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet.worksheet import Worksheet

from auditor.files import atomic_output


def save_workbook(book: Workbook, path: Path) -> None:
    """Save `book` to `path`, whole or not at all.  Built in memory first (a country's workbook is a
    few MB): a full disk is then one clear error from our own write, not openpyxl's half-closed
    archive failing again, noisily, when it is collected."""
    buffer = io.BytesIO()
    book.save(buffer)
    with atomic_output(path) as temporary:
        temporary.write_bytes(buffer.getbuffer())


def put(sheet: Worksheet, row: int, col: int, value: Any) -> None:
    """Write a cell; text stays text (a leading '=' never becomes a formula) and loses control bytes."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = sheet.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith("="):
            cell.quotePrefix = True  # and stays text if someone edits it in Excel


def text_cell(sheet: Any, value: Any, style: str | None = None) -> Cell:
    """A cell for a write-only sheet, with `put`'s rule: text stays text, without control bytes."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(sheet, value)
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith("="):
            cell.quotePrefix = True
    if style is not None:
        styled_as(cell, style)
    return cell


# A named style, resolved once per workbook: openpyxl looks it up by name (a linear search) for
# every cell, which was a third of the time of a country's proposal sheet.
_STYLE_ARRAYS: WeakKeyDictionary[Workbook, dict[str, Any]] = WeakKeyDictionary()


def styled_as(cell: Any, style: str) -> None:
    """Give `cell` the workbook's named style `style` (as `cell.style = style` does, faster)."""
    arrays = _STYLE_ARRAYS.setdefault(cell.parent.parent, {})
    resolved = arrays.get(style)
    if resolved is None:
        cell.style = style
        arrays[style] = copy(cell._style)
    else:
        cell._style = copy(resolved)  # openpyxl's own per-cell style array, as `style = ` would set it


def safe_row(sheet: Any, values: Sequence[Any]) -> list[Any]:
    """A row to append to a write-only sheet: plain values as they are (fast), text that would
    start a formula or carries control bytes as a text cell."""
    return [
        text_cell(sheet, v) if isinstance(v, str) and (v.startswith("=") or ILLEGAL_CHARACTERS_RE.search(v)) else v
        for v in values
    ]
