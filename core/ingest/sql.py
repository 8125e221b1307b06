"""SQL expression builders for the private parsing connection (DuckDB dialect).

Staged columns keep the type they were read with: all VARCHAR from CSV, whatever the file
or DataFrame holds for Parquet and frames. Each builder takes a column reference and its
DuckDB type and returns one SQL expression that parses it, so the same rules apply to every
input format and typed columns skip string parsing (the fast path for big DataFrames).
Every parser returns NULL for an empty value *and* for an unparseable one; the checks tell
the two apart by looking at the raw value.
"""

from __future__ import annotations

from core.ingest.spec import FALSE_WORDS, TRUE_WORDS

_NUMERIC_PREFIXES = (
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
    "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "REAL",
)  # fmt: skip

# ISO-8601 extended format: date, optional time (T or space), optional Z / +hh:mm offset.
ISO_TS = r"\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?\s*([Zz]|[+-]\d{2}(:?\d{2})?)?"
ISO_DATE = r"\d{4}-\d{2}-\d{2}"


def lit(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def type_class(duck_type: str) -> str:
    """Classify a DuckDB type name.

    Returns
    -------
    str
        ``"number"``, ``"bool"``, ``"timestamptz"``, ``"timestamp"``, ``"date"`` or ``"text"``
        (anything else, parsed from its text form).
    """
    t = duck_type.upper()
    if t.startswith(_NUMERIC_PREFIXES):
        return "number"
    if t == "BOOLEAN":
        return "bool"
    if t.startswith("TIMESTAMP WITH TIME ZONE") or t == "TIMESTAMPTZ":
        return "timestamptz"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    if t == "DATE":
        return "date"
    return "text"


def text(col: str) -> str:
    """Trimmed text of any column; NULL when missing or blank."""
    return f"nullif(trim(CAST({col} AS VARCHAR)), '')"


def shown(col: str) -> str:
    """The raw value quoted for a message, e.g. ``'yesterday'`` (long values shortened)."""
    v = f"CAST({col} AS VARCHAR)"
    return f"('''' || CASE WHEN length({v}) > 60 THEN left({v}, 57) || '...' ELSE {v} END || '''')"


def _finite(expr: str) -> str:
    return f"CASE WHEN isfinite({expr}) THEN {expr} END"


def number(col: str, duck_type: str) -> str:
    """A finite DOUBLE, or NULL (empty, not a number, NaN or infinite)."""
    if type_class(duck_type) == "number":
        return _finite(f"CAST({col} AS DOUBLE)")
    return _finite(f"TRY_CAST({text(col)} AS DOUBLE)")


def tidy_number(col: str, duck_type: str, currency: bool = False) -> str:
    """Text of a number with currency symbols (optional), spaces and thousands separators removed.

    ``"$1,234.50"`` becomes ``"1234.50"`` and an accounting negative ``"(12.00)"`` becomes
    ``"-12.00"``. Commas are accepted only as thousands separators (``1,234,567.8``), so a
    decimal comma such as ``"1.234,50"`` stays unparseable instead of becoming 1.2345.
    """
    if type_class(duck_type) == "number":
        return f"CAST({col} AS VARCHAR)"
    strip = r"[\s$€£]" if currency else r"\s"
    s = f"regexp_replace({text(col)}, '{strip}', '', 'g')"
    s = f"CASE WHEN regexp_full_match({s}, '\\(.*\\)') THEN '-' || {s}[2:-2] ELSE {s} END"
    return (
        f"CASE WHEN NOT contains({s}, ',') THEN {s} "
        f"WHEN regexp_full_match({s}, '[-+]?\\d{{1,3}}(,\\d{{3}})+(\\.\\d*)?') "
        f"THEN replace({s}, ',', '') END"
    )


def loose_number(col: str, duck_type: str, currency: bool = False) -> str:
    """A finite DOUBLE from text that may carry thousands separators (and a currency sign)."""
    if type_class(duck_type) == "number":
        return number(col, duck_type)
    return _finite(f"TRY_CAST({tidy_number(col, duck_type, currency)} AS DOUBLE)")


def boolean(col: str, duck_type: str) -> str:
    """A BOOLEAN from true/false/1/0/yes/no (any case), or NULL."""
    if type_class(duck_type) == "bool":
        return col
    words = f"lower({text(col)})"
    true = ", ".join(lit(w) for w in TRUE_WORDS)
    false = ", ".join(lit(w) for w in FALSE_WORDS)
    return f"CASE WHEN {words} IN ({true}) THEN true WHEN {words} IN ({false}) THEN false END"


def integer(col: str, duck_type: str) -> str:
    """An INTEGER from a whole number (``"15"``, ``15.0``), or NULL."""
    if type_class(duck_type) == "number":
        value = f"CAST({col} AS DOUBLE)"
    else:
        value = f"TRY_CAST({text(col)} AS DOUBLE)"
    whole = f"{value} = round({value}) AND abs({value}) < 1e9"
    return f"CASE WHEN {whole} THEN CAST({value} AS INTEGER) END"


def timestamp_utc(col: str, duck_type: str) -> str:
    """A naive UTC TIMESTAMP: naive input is UTC, an offset (or tz-aware value) is converted.

    Needs the connection's TimeZone set to UTC.
    """
    kind = type_class(duck_type)
    if kind in ("timestamp", "timestamptz", "date"):
        return f"CAST({col} AS TIMESTAMP)"
    t = text(col)
    return (
        f"CAST(CASE WHEN regexp_full_match({t}, '{ISO_TS}') "
        f"THEN TRY_CAST({t} AS TIMESTAMPTZ) END AS TIMESTAMP)"
    )


def date(col: str, duck_type: str) -> str:
    """A DATE from ``YYYY-MM-DD`` text (or a date/timestamp column), or NULL."""
    if type_class(duck_type) in ("timestamp", "timestamptz", "date"):
        return f"CAST({col} AS DATE)"
    t = text(col)
    return f"CASE WHEN regexp_full_match({t}, '{ISO_DATE}') THEN TRY_CAST({t} AS DATE) END"
