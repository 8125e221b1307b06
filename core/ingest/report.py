"""What an import did, per file: counts, bad rows and conflicting duplicates."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from core import csvsafe

BAD_ROW_COLUMNS = ["file", "line", "meter_id", "bill_id", "column", "value", "reason"]
CONFLICT_COLUMNS = [
    "file",
    "meter_id",
    "source",
    "ts",
    "rows",
    "distinct_values",
    "kept_line",
    "kept_value",
]


def empty_bad_rows() -> pd.DataFrame:
    """A bad-rows frame with no rows."""
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in BAD_ROW_COLUMNS})
    return frame.astype({"line": "int64"})


@dataclass
class FileReport:
    """Counts for one imported file or DataFrame.

    Attributes
    ----------
    file : str
        Path as given, or ``<label>[<kind>]`` for a DataFrame.
    kind : str
        ``"meters"``, ``"readings"`` or ``"bills"``.
    rows_read : int
        Data rows in the file (malformed CSV lines included).
    rows_loaded : int
        Rows written to the warehouse (inserted or replacing a stored row).
    bad_rows : int
        Rows skipped because at least one value was invalid (see ``ImportReport.bad_rows``).
    exact_duplicates : int
        Rows dropped because a later row of the same file was identical.
    conflicting_duplicates : int
        Rows dropped because a later row of the same file had the same key (meter, source and
        slot; meter_id; bill_id) but a different value: the last line wins (readings: the
        one closest to the slot boundary, then the last line).
    snapped_timestamps : int
        Readings whose ``ts`` was moved onto its slot boundary (within the snap tolerance,
        ``DQ_SNAP_SECONDS`` or ``DQ_SNAP_FRACTION``).
    off_grid_readings : int
        Readings skipped for being farther off the slot grid than the tolerance (counted in
        ``bad_rows``; reported once per meter).
    normalised_costs : int
        Bills whose ``cost`` lost a currency sign, thousands separators or accounting
        parentheses before parsing.
    superseded : int
        Valid rows replaced by a later file of the same call.
    ignored_columns : list of str
        Columns of the file that are not canonical.
    notes : list of str
        Anything else worth knowing (e.g. line numbers may be approximate).
    """

    file: str
    kind: str
    rows_read: int = 0
    rows_loaded: int = 0
    bad_rows: int = 0
    exact_duplicates: int = 0
    conflicting_duplicates: int = 0
    snapped_timestamps: int = 0
    off_grid_readings: int = 0
    normalised_costs: int = 0
    superseded: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One summary line, e.g. ``readings.csv (readings): 10 read, 8 loaded, 1 bad``."""
        parts = [f"{self.rows_read} read", f"{self.rows_loaded} loaded"]
        optional = [
            (self.bad_rows, "bad"),
            (self.exact_duplicates, "exact duplicates dropped"),
            (self.conflicting_duplicates, "conflicting duplicates (last kept)"),
            (self.snapped_timestamps, "timestamps snapped"),
            (self.off_grid_readings, "off the slot grid (skipped)"),
            (self.normalised_costs, "costs normalised"),
            (self.superseded, "replaced by a later file"),
        ]
        parts += [f"{n} {what}" for n, what in optional if n]
        text = f"{self.file} ({self.kind}): {', '.join(parts)}"
        if self.ignored_columns:
            text += f"; ignored columns: {', '.join(self.ignored_columns)}"
        return text


@dataclass
class ImportReport:
    """The result of one ``import_files`` / ``import_frames`` call.

    Attributes
    ----------
    files : list of FileReport
        One per input, in the order meters, readings, bills.
    bad_rows : pandas.DataFrame
        ``file, line, meter_id, bill_id, column, value, reason``: one row per failed check
        (a row with two bad values appears twice). ``line`` is the CSV line (header = 1) or
        the 1-based row for Parquet and DataFrames; ``reason`` starts with ``line N:`` or
        ``row N:`` and names the column and the value.
    conflicts : pandas.DataFrame
        Readings slots that had different values in one file: ``file, meter_id, source,
        ts, rows, distinct_values, kept_line, kept_value``.
    seconds : float
        Wall time of the call.
    readings_changed : int
        Readings written that were new or had a different value; valid rows equal to a
        stored reading are not written again (a re-import changes nothing).
    """

    files: list[FileReport] = field(default_factory=list)
    bad_rows: pd.DataFrame = field(default_factory=empty_bad_rows)
    conflicts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CONFLICT_COLUMNS))
    seconds: float = 0.0
    readings_changed: int = 0

    @property
    def rows_loaded(self) -> int:
        """Rows written, all files together."""
        return sum(f.rows_loaded for f in self.files)

    @property
    def ok(self) -> bool:
        """True when no row was rejected."""
        return not any(f.bad_rows for f in self.files)

    def file(self, name: str) -> FileReport:
        """The report of the file called ``name`` (as given), or of the only file of a kind.

        Raises
        ------
        KeyError
            If no file (or kind with exactly one file) matches.
        """
        for report in self.files:
            if report.file == name:
                return report
        of_kind = [f for f in self.files if f.kind == name]
        if len(of_kind) == 1:
            return of_kind[0]
        raise KeyError(f"No imported file or single file of kind {name!r}")

    def write_bad_rows(self, path: str | Path) -> int:
        """Write every bad row (``BAD_ROW_COLUMNS``) to the CSV file ``path``; return how many.

        The file is safe to open in a spreadsheet: a value from the imported file that starts
        like a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) is written with a
        leading ``'`` (:mod:`core.csvsafe`).
        """
        csvsafe.to_csv(self.bad_rows.reindex(columns=BAD_ROW_COLUMNS), path)
        return len(self.bad_rows)

    def summary(self, max_bad_rows: int = 20) -> str:
        """Text for the CLI: one line per file, then the first bad rows and conflicts.

        Parameters
        ----------
        max_bad_rows : int
            How many bad-row reasons to list before "... and N more".
        """
        lines = [f"Imported {self.rows_loaded} rows in {self.seconds:.1f}s"]
        lines += [f"  {f.line()}" for f in self.files]
        if any(f.kind == "readings" for f in self.files):
            same = sum(f.rows_loaded for f in self.files if f.kind == "readings")
            same -= self.readings_changed
            lines.append(
                f"  readings: {self.readings_changed} new or changed, {max(same, 0)} already "
                "stored with the same value"
            )
        lines += [f"  {f.file}: note: {n}" for f in self.files for n in f.notes]
        if not self.bad_rows.empty:
            lines.append(f"Bad rows ({len(self.bad_rows)} problems, rows skipped):")
            shown = self.bad_rows.head(max_bad_rows)
            lines += [f"  {r.file} {r.reason}" for r in shown.itertuples(index=False)]
            if len(self.bad_rows) > max_bad_rows:
                lines.append(f"  ... and {len(self.bad_rows) - max_bad_rows} more")
        if not self.conflicts.empty:
            lines.append(
                f"Conflicting readings ({len(self.conflicts)} slots; kept the reading closest "
                "to the slot boundary, the last line on a tie):"
            )
            for r in self.conflicts.head(max_bad_rows).itertuples(index=False):
                lines.append(
                    f"  {r.file} {r.meter_id} {r.source} {r.ts}: {r.distinct_values} values "
                    f"in {r.rows} rows, kept {r.kept_value:g} from line/row {r.kept_line}"
                )
            if len(self.conflicts) > max_bad_rows:
                lines.append(f"  ... and {len(self.conflicts) - max_bad_rows} more")
        return "\n".join(lines)


__all__ = ["BAD_ROW_COLUMNS", "CONFLICT_COLUMNS", "FileReport", "ImportReport"]
