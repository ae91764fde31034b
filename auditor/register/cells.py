"""The register's workbooks (openpyxl) written safely: text stays text (never a formula from
someone else's words), a workbook saved whole or not at all.  The printed documents have their
own writer (procurement/paper.py)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
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
