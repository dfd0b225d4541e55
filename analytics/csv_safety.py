"""CSV that a spreadsheet cannot turn into a formula: the one CSV writer of the dashboard and the CLI.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (``=HYPERLINK(...)``, ``@SUM(...)``, ``+cmd|...``): activity
titles, notes and names are user text, so every CSV export prefixes such text cells with ``'``
(OWASP, "CSV Injection").  Pure: frames in, bytes out; the callers write the bytes.
"""
from __future__ import annotations

import pandas as pd

__all__ = ["FORMULA_START", "neutralise_cell", "safe_csv_bytes"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    """``'`` + a text cell a spreadsheet would read as a formula; every other value unchanged.

    Only text is touched: a float or int column (-0.05) is written as a number, a text cell "-0.05"
    (a number stored as text, e.g. by a user) gets the prefix like any text, which keeps the rule simple
    and safe (OWASP CSV injection: prefix cells starting with = + - @ tab CR).
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV bytes of a table (UTF-8, no index, CRLF rows), text cells and headers neutralised."""
    columns = {}
    for i, name in enumerate(frame.columns):
        col = frame.iloc[:, i]
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_datetime64_any_dtype(col)):
            col = col.astype(object).map(neutralise_cell)
        columns[i] = col
    out = pd.DataFrame(columns)
    out.columns = [neutralise_cell(str(c)) for c in frame.columns]
    # CRLF rows (RFC 4180) also make the writer quote a cell holding a bare CR, which would split the row
    return out.to_csv(index=False, lineterminator="\r\n").encode("utf-8")
