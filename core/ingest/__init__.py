"""Import canonical meters, readings and bills (CSV, Parquet or DataFrames) into the warehouse.

>>> from core.db import open_warehouse
>>> from core.ingest import import_files
>>> report = import_files(open_warehouse(), meters="meters.csv", readings="readings.csv")
>>> print(report.summary())

Rows are parsed and checked in a private in-memory DuckDB connection with set-based SQL;
bad rows are skipped and reported by file and line; everything valid is written in one
warehouse transaction. The file format and every rule are in docs/import.md.
"""

from core.ingest.importer import import_files, import_frames
from core.ingest.report import FileReport, ImportReport

__all__ = ["FileReport", "ImportReport", "import_files", "import_frames"]
