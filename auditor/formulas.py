"""Text a spreadsheet must show as written, never evaluate (CSV injection).  Pure."""

from __future__ import annotations

# A cell starting with one of these is a formula to Excel and LibreOffice (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """CSV text that a spreadsheet shows as written instead of evaluating: a leading quote."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def unneutralise(text: str) -> str:
    """The inverse, for reading back what `neutralise` wrote."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS) else text
