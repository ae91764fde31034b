"""How much room text takes in a spreadsheet cell (pure): the estimate every written sheet uses to
make a row tall enough for its wrapped text, since LibreOffice prints a row at the height the file
gives it and text taller than that runs over the rows below."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from typing import Any

LINE_PT = 13.5  # the height of one line of 11-point text, with its diacritics
ROW_PADDING_PT = 3.0
CHARS_PER_WIDTH = 1.15  # lowercase characters of Times New Roman 11 per unit of column width (measured 1.2)


# A country's workbook measures a million cells, most of them the same few thousand texts (model
# names, units, the words of a reason): each measured once.
@functools.lru_cache(maxsize=1 << 17)
def text_width(text: str) -> float:
    """How many column-width characters `text` takes: capitals and digits are wider than the
    lowercase letters most Vietnamese text is made of."""
    return (len(text) + 0.4 * sum(map(str.isupper, text))) / CHARS_PER_WIDTH


@functools.lru_cache(maxsize=1 << 16)
def lines_of(text: str, width_chars: float) -> int:
    """How many lines `text` takes wrapped at spaces in a column `width_chars` wide (a word longer
    than the column is broken): an estimate that errs on the tall side."""
    room = max(1.0, width_chars * 0.95 - 1)  # the cell's padding, and a margin for the estimate
    space = text_width(" ")
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0.0
        for word in paragraph.split():
            size = text_width(word)
            if used and used + space + size > room:
                lines, used = lines + 1, 0.0
            if size > room:
                lines += math.ceil(size / room) - 1
                used = size % room
            else:
                used += size + (space if used else 0)
    return max(1, lines)


def height_of(values: Sequence[Any], widths: Sequence[float], wrapped: Iterable[int]) -> float:
    """A row tall enough for the longest of its wrapped cells, in points."""
    lines = max((lines_of(str(values[c] or ""), widths[c]) for c in wrapped), default=1)
    return LINE_PT * lines + ROW_PADDING_PT


def header_width(header: str) -> float:
    """Room for a heading wrapped over up to three lines, its longest word whole."""
    return max(max((len(word) for word in header.split()), default=0) + 2, len(header) / 3 + 2)


HIGH = 40  # the widest a column is made for its content; longer text wraps


def fitted_widths(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], low: float = 6, high: float = HIGH, scale: float = 1.0
) -> list[float]:
    """Widths that fit each column's content (capped at `high`; its heading may wrap).  `scale`
    widens the estimate for faces whose digits are as wide as capitals (most sans-serif ones),
    which text_width counts narrow."""
    widths = [max(low, header_width(h)) for h in headers]
    for row in rows:
        for col, value in enumerate(row):
            text = "" if value is None else (f"{value:,}" if isinstance(value, int) else str(value))
            widths[col] = max(widths[col], min(high, text_width(text) * scale + 1))
    return widths
