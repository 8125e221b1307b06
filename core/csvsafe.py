"""CSV that is safe to open in a spreadsheet: no text cell can run as a formula.

Every CSV DQ Hub writes (page downloads, ``jobs export --format csv``, the import ``--errors``
file) goes through :func:`to_csv`. A spreadsheet runs a cell that starts with ``=``, ``+``,
``-`` or ``@`` (and, in some, after a tab or carriage return) as a formula, so a meter,
building or note named ``=HYPERLINK("https://evil.example", "Sign in")`` would become a link or
worse. Such text cells get a leading ``'`` (the OWASP "CSV injection" rule); numbers are
written as numbers, so a negative magnitude stays a negative number.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pandas.api.types import is_numeric_dtype

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names pass through :func:`cell`."""
    out = df.copy()
    for name in out.columns:
        column = out[name]
        if is_numeric_dtype(column.dtype) or column.dtype == bool:
            continue
        if any(isinstance(v, str) and v.startswith(FORMULA_STARTS) for v in column):
            out[name] = column.astype(object).map(cell)
    out.columns = [cell(c) for c in out.columns]
    return out


def to_csv(df: pd.DataFrame, path: str | Path | None = None) -> str | None:
    """``df`` as neutralised CSV without the index: the text, or written to ``path``.

    Lines end with CRLF (RFC 4180), so a cell holding a line break or a carriage return is
    quoted and stays one cell.
    """
    return neutralise(df).to_csv(path, index=False, lineterminator="\r\n")


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """``df`` as neutralised CSV bytes (UTF-8), for a download button."""
    return to_csv(df).encode()
