"""Cells of CSV exports that a spreadsheet will not run as formulas."""

from __future__ import annotations

__all__ = ["FORMULA_START", "neutralise"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula: a leading apostrophe when it
    starts with = + - @ (or a tab or carriage return).

    >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("ana")
    ('\\'=HYPERLINK("http://x")', 'ana')
    """
    return f"'{cell}" if cell.startswith(FORMULA_START) else cell
