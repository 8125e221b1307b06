"""Import speed: ``import_files`` of a Parquet readings file vs a plain DuckDB CTAS of it.

1. A Parquet file of ``meters`` x ``days`` 15-minute readings (``meter_id, ts, value``, sorted
   by meter and time, ``ts`` a TIMESTAMP, ``value`` a DOUBLE) and its meters CSV are generated
   once and cached under bench/out/.
2. Alternating ``repeat`` times, each in a fresh interpreter (as ``python -m jobs import``
   runs: the process's memory is cold), timed inside the child around the one call:
   ``import_files(db, readings=F)`` (what ``python -m jobs import --readings F`` does) into a
   fresh embedded DuckDB warehouse file that already holds the meters, and
   ``CREATE TABLE readings AS SELECT * FROM read_parquet(F)`` into a fresh DuckDB file. The
   ratio of the best of each is the figure (issue 15: <= 3x); the ratio of CPU time (user +
   system, all threads) is printed too, as it moves less when the machine is shared.
3. ``--statements``: one more import with every statement of the private connection and of the
   warehouse write timed (and the Arrow fetches); the ones over 50 ms are printed.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb

from bench import cachefile

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 3.0
FIRST_DAY = "2024-01-01"
VERSION = 1


@dataclass
class ReadingsFile:
    """A generated readings Parquet file and its meters CSV."""

    path: str
    meters_csv: str
    meters: int
    days: int
    rows: int
    mb: float
    seconds: float


def ensure(meters: int, days: int, regenerate: bool = False) -> ReadingsFile:
    """The cached readings file of ``meters`` x ``days``, generated when absent."""
    path = cachefile.OUT / f"import_v{VERSION}_{meters}m_{days}d.parquet"
    if (saved := cachefile.cached(path, regenerate)) is not None:
        return ReadingsFile(**saved)
    cachefile.OUT.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    slots = days * 96
    tmp = path.with_suffix(".tmp.parquet")
    meters_csv = path.with_suffix(".meters.csv")
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        # Row i is meter i // slots, slot i % slots: already in (meter, ts) order, no sort.
        con.execute(
            f"COPY (SELECT printf('m%06d', i // {slots}) AS meter_id, "
            f"TIMESTAMP '{FIRST_DAY}' + to_minutes(CAST(15 * (i % {slots}) AS BIGINT)) AS ts, "
            f"round(random() * 5, 3) AS value FROM range({meters * slots}) t(i)) "
            f"TO '{tmp}' (FORMAT parquet)"
        )
        con.execute(
            f"COPY (SELECT printf('m%06d', i) AS meter_id, printf('b%05d', i // 10) AS "
            f"building_id, printf('a%03d', i // 1000) AS account_id, 'electricity' AS kind, "
            f"'kWh' AS unit FROM range({meters}) t(i)) TO '{meters_csv}' (HEADER)"
        )
    finally:
        con.close()
    return cachefile.finish(
        tmp,
        path,
        ReadingsFile(
            path=str(path),
            meters_csv=str(meters_csv),
            meters=meters,
            days=days,
            rows=meters * slots,
            mb=round(tmp.stat().st_size / 1e6, 1),
            seconds=round(time.perf_counter() - t0, 1),
        ),
    )


def _fresh(path: Path) -> None:
    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    return usage.ru_utime + usage.ru_stime


def time_import(f: ReadingsFile, path: Path, statements: bool = False) -> dict[str, Any]:
    """``import_files`` of the readings into a fresh warehouse file holding the meters."""
    from core.db import open_warehouse
    from core.ingest import import_files

    _fresh(path)
    db = open_warehouse(f"duckdb:///{path}")
    log: list = []
    try:
        import_files(db, meters=f.meters_csv)
        with _statements(log) if statements else nullcontext():
            t0, c0 = time.perf_counter(), _cpu()
            report = import_files(db, readings=f.path)
            seconds, cpu = time.perf_counter() - t0, _cpu() - c0
        stored = db.fetch_value("SELECT count(*) FROM readings")
    finally:
        db.close()
    if stored != f.rows or report.bad_rows.shape[0]:
        raise RuntimeError(f"import stored {stored:,} of {f.rows:,} rows:\n{report.summary()}")
    return {"seconds": seconds, "cpu_s": cpu, "stored": int(stored), "statements": log}


def time_ctas(f: ReadingsFile, path: Path) -> dict[str, Any]:
    """``CREATE TABLE ... AS SELECT * FROM read_parquet(F)`` into a fresh DuckDB file."""
    _fresh(path)
    con = duckdb.connect(str(path))
    try:
        con.execute("SET enable_progress_bar = false")
        t0, c0 = time.perf_counter(), _cpu()
        con.execute(f"CREATE TABLE readings AS SELECT * FROM read_parquet('{f.path}')")
        seconds, cpu = time.perf_counter() - t0, _cpu() - c0
        stored = con.execute("SELECT count(*) FROM readings").fetchone()[0]
    finally:
        con.close()
    return {"seconds": seconds, "cpu_s": cpu, "stored": int(stored)}


def _child(kind: str, f: ReadingsFile, path: Path, statements: bool = False) -> dict[str, Any]:
    """Run :func:`time_import` or :func:`time_ctas` in a fresh interpreter (cold memory)."""
    args = json.dumps({"kind": kind, "file": asdict(f), "path": str(path), "sql": statements})
    proc = subprocess.run(
        [sys.executable, "-m", "bench.import_ratio", args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode:
        raise RuntimeError(f"{kind} run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


class _Timed:
    """A DuckDB connection whose ``execute`` records statements slower than ``limit``."""

    def __init__(self, con: Any, log: list, limit: float) -> None:
        self._con, self._log, self._limit = con, log, limit

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        t0, c0 = time.perf_counter(), _cpu()
        result = self._con.execute(sql, *args, **kwargs)
        if (seconds := time.perf_counter() - t0) >= self._limit:
            self._log.append((seconds, _cpu() - c0, " ".join(sql.split())[:150]))
        return result

    def cursor(self) -> _Timed:
        return _Timed(self._con.cursor(), self._log, self._limit)

    def sql(self, query: str, *args: Any, **kwargs: Any) -> Any:
        return _TimedRelation(self._con.sql(query, *args, **kwargs), query, self)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


class _TimedRelation:
    """A relation whose Arrow fetch is timed like a statement."""

    def __init__(self, rel: Any, query: str, owner: _Timed) -> None:
        self._rel, self._query, self._owner = rel, query, owner

    def to_arrow_table(self) -> Any:
        t0, c0 = time.perf_counter(), _cpu()
        result = self._rel.to_arrow_table()
        if (seconds := time.perf_counter() - t0) >= self._owner._limit:
            sql = "[to Arrow] " + " ".join(self._query.split())[:140]
            self._owner._log.append((seconds, _cpu() - c0, sql))
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rel, name)


@contextmanager
def _statements(log: list, limit: float = 0.05):
    """Time every statement of the import's private connection and of the warehouse write."""
    from core.db import duckdb as duck_backend
    from core.ingest import importer

    real_connect = duckdb.connect
    real_cursor = duck_backend.DuckDBDatabase.cursor

    class _Module:
        def __getattr__(self, name: str) -> Any:
            return getattr(duckdb, name)

        @staticmethod
        def connect(*args: Any, **kwargs: Any) -> _Timed:
            return _Timed(real_connect(*args, **kwargs), log, limit)

    @contextmanager
    def timed_cursor(self):
        with real_cursor(self) as cur:
            yield _Timed(cur, log, limit)

    importer.duckdb = _Module()  # type: ignore[assignment]
    duck_backend.DuckDBDatabase.cursor = timed_cursor  # type: ignore[method-assign]
    try:
        yield
    finally:
        importer.duckdb = duckdb
        duck_backend.DuckDBDatabase.cursor = real_cursor  # type: ignore[method-assign]


def measure(
    meters: int = 10_000,
    days: int = 29,
    repeat: int = 1,
    statements: bool = False,
    regenerate: bool = False,
) -> dict[str, Any]:
    """Run the import-vs-CTAS benchmark and return its results (also saved as JSON)."""
    f = ensure(meters, days, regenerate)
    print(
        f"readings: {f.rows:,} rows ({f.meters:,} meters x {f.days} days), {f.mb:,.0f} MB, {f.path}"
    )
    work = cachefile.OUT / "import_work"
    work.mkdir(parents=True, exist_ok=True)
    imports, ctas = [], []
    for i in range(repeat):
        load = os.getloadavg()[0]
        imports.append(_child("import", f, work / "import.duckdb"))
        ctas.append(_child("ctas", f, work / "ctas.duckdb"))
        a, b = imports[-1], ctas[-1]
        print(
            f"run {i + 1}/{repeat}: import {a['seconds']:.2f} s (CPU {a['cpu_s']:.2f} s), "
            f"CTAS {b['seconds']:.2f} s (CPU {b['cpu_s']:.2f} s), ratio "
            f"{a['seconds'] / b['seconds']:.2f} (load avg before {load:.1f})"
        )
    best_i = min(r["seconds"] for r in imports)
    best_c = min(r["seconds"] for r in ctas)
    res: dict[str, Any] = {
        "rows": f.rows,
        "meters": meters,
        "days": days,
        "import_seconds": best_i,
        "ctas_seconds": best_c,
        "ratio": best_i / best_c,
        "cpu_ratio": min(r["cpu_s"] for r in imports) / min(r["cpu_s"] for r in ctas),
        "import_peak_mb": max(r["peak_mb"] for r in imports),
        "ctas_peak_mb": max(r["peak_mb"] for r in ctas),
        "import_seconds_all": [r["seconds"] for r in imports],
        "ctas_seconds_all": [r["seconds"] for r in ctas],
        "import_cpu_all": [r["cpu_s"] for r in imports],
        "ctas_cpu_all": [r["cpu_s"] for r in ctas],
        "ratios_per_run": [a["seconds"] / b["seconds"] for a, b in zip(imports, ctas, strict=True)],
        "cpus": os.cpu_count(),
    }
    if statements:
        run = _child("import", f, work / "import.duckdb", statements=True)
        res["statements_run_seconds"] = run["seconds"]
        res["statements_run_cpu_s"] = run["cpu_s"]
        res["slow_statements"] = sorted(run["statements"], reverse=True)
    for p in work.iterdir():
        p.unlink()
    (cachefile.OUT / f"import_{meters}.json").write_text(json.dumps(res, indent=2))
    report(res)
    return res


def report(r: dict[str, Any]) -> None:
    """Print the result with PASS/FAIL against the target."""
    ok = "PASS" if r["ratio"] <= TARGET_RATIO else "FAIL"
    print(
        f"\nImport of {r['rows']:,} Parquet readings ({r['cpus']} CPUs, best of "
        f"{len(r['import_seconds_all'])})\n"
        f"  import_files       {r['import_seconds']:.2f} s  "
        f"({r['rows'] / r['import_seconds']:,.0f} rows/s)\n"
        f"  DuckDB CTAS        {r['ctas_seconds']:.2f} s\n"
        f"  import / CTAS      {r['ratio']:.2f}x  target <= {TARGET_RATIO:g}x  {ok}\n"
        f"  CPU time ratio     {r['cpu_ratio']:.2f}x  (user + system, best of each)\n"
        f"  peak memory        import {r['import_peak_mb']:,.0f} MB, "
        f"CTAS {r['ctas_peak_mb']:,.0f} MB (child process)"
    )
    if "slow_statements" in r:
        print(
            f"\nstatements over 50 ms in one more import ({r['statements_run_seconds']:.2f} s, "
            f"CPU {r['statements_run_cpu_s']:.2f} s): wall s, CPU s, statement"
        )
        for seconds, cpu, sql in r["slow_statements"]:
            print(f"  {seconds:6.2f} {cpu:6.2f}  {sql}")


def _main(argv: list[str]) -> int:
    """Child entry point: ``python -m bench.import_ratio '<json>'``; prints one JSON line."""
    args = json.loads(argv[0])
    f = ReadingsFile(**args["file"])
    path = Path(args["path"])
    if args["kind"] == "import":
        out = time_import(f, path, statements=args["sql"])
    else:
        out = time_ctas(f, path)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
