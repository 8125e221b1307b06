"""``python -m bench [dq|import|issues|lead|nab|overshoot|sandbox|sync|cache|load|all]``.

Method and results: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench import load_report
from bench.load_env import PG_ADMIN_URL


def build_parser() -> argparse.ArgumentParser:
    """Subcommands dq, import, issues, lead, nab, overshoot, sandbox, sync, cache, load, all."""
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="DQ Hub benchmarks: DQ job speed (dq), importing a Parquet readings file "
        "vs a plain DuckDB CTAS of it (import), detection quality on LEAD (lead) and "
        "NAB (nab), "
        "the Issues page at scale (issues), the overshoot job (overshoot), slider moves in the "
        "model sandbox (sandbox), the app cache's refresh from PostgreSQL (cache), real browser "
        "sessions at once while the DQ job runs (load). "
        "Results are printed and saved under bench/out/.",
    )
    sub = p.add_subparsers(dest="bench", metavar="BENCH")
    dq = sub.add_parser("dq", help="DQ job speed vs the scan floor and a naive pandas baseline")
    dq.add_argument("--meters", type=int, default=10_000, help="fleet size (default 10000)")
    dq.add_argument(
        "--days", type=int, default=29, help="days of readings; history = days - 1 (default 29)"
    )
    dq.add_argument(
        "--repeat", type=int, default=1, help="job runs; the fastest is reported (default 1)"
    )
    dq.add_argument(
        "--sample", type=int, default=500, help="meters the naive baseline runs on (default 500)"
    )
    dq.add_argument(
        "--chunk-meters", type=int, help="DQ_CHUNK_METERS for the job (default: setting)"
    )
    dq.add_argument("--no-naive", action="store_true", help="skip the naive baseline")
    dq.add_argument(
        "--profile", action="store_true", help="also run the job under cProfile, print hot spots"
    )
    dq.add_argument("--regenerate", action="store_true", help="rebuild the cached fleet file")
    imp = sub.add_parser(
        "import", help="import_files of 28M Parquet readings vs a DuckDB CREATE TABLE AS"
    )
    imp.add_argument("--meters", type=int, default=10_000, help="meters (default 10000)")
    imp.add_argument("--days", type=int, default=29, help="days of 15-minute readings (default 29)")
    imp.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="import and CTAS runs, alternating; the best of each is compared (default 1)",
    )
    imp.add_argument(
        "--statements",
        action="store_true",
        help="one more import with its statements timed; print those over 50 ms",
    )
    imp.add_argument("--regenerate", action="store_true", help="rebuild the cached Parquet file")
    lead = sub.add_parser("lead", help="recall/precision on the LEAD 10-building labeled subset")
    lead.add_argument(
        "--csv",
        help="LEAD subset CSV (default: $DQ_LEAD_CSV or "
        "<repo>/../shared/evaldata/lead/lead_subset_10bldg.csv)",
    )
    lead.add_argument("--history-days", type=int, default=28, help="job history (default 28)")
    nab = sub.add_parser("nab", help="precision/recall on NAB's labelled anomaly windows")
    nab.add_argument(
        "--dir",
        help="NAB folder with data/ and labels/ (default: $DQ_NAB_DIR or "
        "<repo>/../shared/evaldata/nab)",
    )
    nab.add_argument("--history-days", type=int, default=28, help="job history (default 28)")
    issues = sub.add_parser("issues", help="Issues page render time on 1M issues, 50k meters")
    issues.add_argument("--meters", type=int, default=50_000, help="meters (default 50000)")
    issues.add_argument("--issues", type=int, default=1_000_000, help="issues (default 1000000)")
    issues.add_argument("--regenerate", action="store_true", help="rebuild the cached warehouse")
    sandbox = sub.add_parser("sandbox", help="Model sandbox: slider-move server time per model")
    sandbox.add_argument("--moves", type=int, default=9, help="slider moves per model (default 9)")
    sandbox.add_argument("--regenerate", action="store_true", help="rebuild the cached warehouse")
    overshoot = sub.add_parser(
        "overshoot", help="overshoot job end to end: 5,000 buildings x one month, by stage"
    )
    overshoot.add_argument("--buildings", type=int, default=5000, help="buildings (default 5000)")
    overshoot.add_argument(
        "--month", default="2024-03", help="local month, YYYY-MM (default 2024-03: US and EU DST)"
    )
    overshoot.add_argument(
        "--chunk-meters", type=int, help="meters loaded at once by the job (default: its own)"
    )
    overshoot.add_argument(
        "--profile", action="store_true", help="also run the job under cProfile, print hot spots"
    )
    overshoot.add_argument("--regenerate", action="store_true", help="rebuild the cached warehouse")
    cache = sub.add_parser(
        "cache",
        help="app cache refresh from PostgreSQL: full, incremental after a day's sync, "
        "unchanged; time and peak memory (not part of all)",
    )
    cache.add_argument("--meters", type=int, default=10_000, help="meters (default 10000)")
    cache.add_argument(
        "--days", type=int, default=35, help="days of 15-minute readings (default 35)"
    )
    cache.add_argument(
        "--baseline-ref",
        help="also time the refresh of core/db/cache.py at this git ref (the code before the "
        "incremental refresh) on the same data, e.g. the commit before it",
    )
    cache.add_argument(
        "--baseline-days",
        type=int,
        default=3,
        help="readings window of the baseline comparison: the old refresh holds it all in "
        "memory, about 0.55 KB a reading (default 3)",
    )
    cache.add_argument(
        "--batch-rows", type=int, help="DQ_CACHE_BATCH_ROWS for the refreshes (default: setting)"
    )
    cache.add_argument(
        "--pg-admin-url",
        default=PG_ADMIN_URL,
        help="PostgreSQL server where a throwaway database dqhub_bench_cache_<random> is "
        f"created and dropped (default {PG_ADMIN_URL})",
    )
    syncp = sub.add_parser(
        "sync",
        help="the sync job: readings landed per second from InfluxDB and from S3 packets, and "
        "its reruns (not part of all)",
    )
    syncp.add_argument("--meters", type=int, default=10_000, help="meters (default 10000)")
    load = sub.add_parser(
        "load",
        help="N Chromium sessions at once on the Issues page while the DQ job runs "
        "(not part of all)",
    )
    load.add_argument(
        "--sessions",
        type=load_report.session_counts,
        default=[1, 5, 10],
        metavar="N,N,...",
        help="concurrent browser sessions, one level per count (default 1,5,10)",
    )
    load.add_argument(
        "--engine",
        choices=("duckdb", "postgres", "both"),
        default="both",
        help="warehouse: the embedded DuckDB default, PostgreSQL with the app cache, or both "
        "(default both)",
    )
    load.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="rounds per session: filter, page, explorer, one edit saved (default 2)",
    )
    load.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="seconds a session pauses between two interactions (default 1)",
    )
    load.add_argument(
        "--job-gap",
        type=float,
        default=5.0,
        help="seconds between the end of one DQ job run and the next (default 5)",
    )
    load.add_argument(
        "--client-nice",
        type=int,
        default=19,
        choices=range(20),
        metavar="0-19",
        help="CPU priority (nice) of the browser sessions: they stand in for people on other "
        "machines, so by default they yield the CPU to the app and the worker (default 19)",
    )
    load.add_argument(
        "--pg-admin-url",
        default=PG_ADMIN_URL,
        help="PostgreSQL server where a throwaway database dqhub_bench_<random> is created and "
        f"dropped (default {PG_ADMIN_URL})",
    )
    load.add_argument(
        "--out", type=Path, help="JSON file for the results (default bench/out/load.json)"
    )
    load.add_argument("--regenerate", action="store_true", help="rebuild the cached demo warehouse")
    sub.add_parser(
        "all",
        help="dq, import, issues, lead, nab, overshoot and sandbox with their defaults "
        "(the default)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmark(s); ``all`` when none is given."""
    args = build_parser().parse_args(argv)
    which = args.bench or "all"
    if which in ("dq", "all"):
        from bench import dq_speed

        if which == "all":
            dq_speed.measure(10_000)
        else:
            dq_speed.measure(
                args.meters,
                args.days,
                repeat=args.repeat,
                sample=args.sample,
                chunk=args.chunk_meters,
                naive_baseline=not args.no_naive,
                profile=args.profile,
                regenerate=args.regenerate,
            )
    if which in ("import", "all"):
        from bench import import_ratio

        if which == "all":
            import_ratio.measure()
        else:
            import_ratio.measure(
                args.meters,
                args.days,
                repeat=args.repeat,
                statements=args.statements,
                regenerate=args.regenerate,
            )
    if which == "sync":
        from bench import sync_speed

        sync_speed.measure(args.meters)
    if which in ("issues", "all"):
        from bench import issues_page

        if which == "all":
            issues_page.measure()
        else:
            issues_page.measure(args.meters, args.issues, regenerate=args.regenerate)
    if which in ("lead", "all"):
        from bench import lead

        if which == "all":
            lead.measure()
        else:
            lead.measure(csv=args.csv, history_days=args.history_days)
    if which in ("nab", "all"):
        from bench import nab

        if which == "all":
            nab.measure()
        else:
            nab.measure(directory=args.dir, history_days=args.history_days)
    if which in ("overshoot", "all"):
        from bench import overshoot_speed

        if which == "all":
            overshoot_speed.measure()
        else:
            overshoot_speed.measure(
                args.buildings,
                args.month,
                chunk=args.chunk_meters,
                profile=args.profile,
                regenerate=args.regenerate,
            )
    if which in ("sandbox", "all"):
        from bench import sandbox_speed

        if which == "all":
            sandbox_speed.measure()
        else:
            sandbox_speed.measure(args.moves, regenerate=args.regenerate)
    if which == "cache":
        from bench import cache_refresh

        cache_refresh.measure(
            args.meters,
            args.days,
            baseline_ref=args.baseline_ref,
            baseline_days=args.baseline_days,
            batch_rows=args.batch_rows,
            pg_admin_url=args.pg_admin_url,
        )
    if which == "load":
        from bench import load as load_bench

        load_bench.measure(
            args.sessions,
            args.engine,
            args.rounds,
            out=args.out,
            think=args.think,
            job_gap=args.job_gap,
            pg_admin_url=args.pg_admin_url,
            regenerate=args.regenerate,
            client_nice=args.client_nice,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
