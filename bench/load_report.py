"""The load benchmark's numbers: options, percentiles, per-level summaries and the table.

Pure functions over the JSON the sessions and the orchestrator write (``bench.load``), so
they are tested without a browser.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterable, Sequence
from typing import Any

# Interactions timed by every session, in table order (see bench/load_session.py).
KINDS = ("sign_in", "filter", "page", "explorer", "edit", "save")
ENGINES = ("duckdb", "postgres")
ENGINE_NAMES = {"duckdb": "embedded DuckDB", "postgres": "PostgreSQL + app cache"}
MAX_ROW = 14  # rows an edit may use: the editor shows 15 rows without scrolling


def session_counts(text: str) -> list[int]:
    """``--sessions``: a comma-separated list of positive session counts, e.g. ``1,5,10``.

    Returns the counts sorted, without duplicates; raises ``argparse.ArgumentTypeError`` (shown
    as a usage error) for anything else.
    """
    try:
        counts = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of session counts; expected e.g. 1,5,10"
        ) from None
    if not counts or counts[0] < 1:
        raise argparse.ArgumentTypeError(f"session counts must be 1 or more, not {text!r}")
    return counts


def engines(choice: str) -> list[str]:
    """``--engine``: ``duckdb``, ``postgres`` or ``both`` -> the engines to run, in order."""
    return list(ENGINES) if choice == "both" else [choice]


def edit_rows(sessions: int, groups: int, rounds: int) -> list[list[int]]:
    """The editor rows each session edits, one per round, so no two sessions share a row.

    Sessions take turns over ``groups`` account groups (session ``i`` is in group
    ``i % groups``); inside a group the ``k``-th session edits rows ``k, k + s, k + 2s, ...``
    where ``s`` is the number of sessions in the biggest group.

    Raises
    ------
    ValueError
        When a row would be past ``MAX_ROW`` (below the editor's visible rows).
    """
    stride = math.ceil(sessions / groups)
    rows = [[i // groups + stride * r for r in range(rounds)] for i in range(sessions)]
    last = max(max(r) for r in rows)
    if last > MAX_ROW:
        most = (MAX_ROW - (stride - 1)) // stride + 1
        raise ValueError(
            f"{sessions} sessions x {rounds} rounds need editor row {last}; at most "
            f"{MAX_ROW} fits on screen: use --rounds {most} or fewer at this size"
        )
    return rows


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank ``p``-th percentile (the slowest value when ``p`` is 100); None if empty.

    Nearest rank never interpolates: with fewer than 20 values the 95th is the slowest one.
    """
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def summarize(level: dict[str, Any]) -> dict[str, Any]:
    """One row of the table from a level's raw result (see ``bench.load.run_level``).

    Returns
    -------
    dict
        ``engine``, ``sessions``, ``times`` ``{kind: (p50, p95, n)}``, ``errors``, ``saved``,
        ``landed``, ``stale`` (stale-edit refusals), ``refused`` (other refusals),
        ``rss_peak_mb``, ``app_cpu_s`` (CPU seconds the app used during the level),
        ``interactions`` (timed ones, all sessions),
        ``machine_busy`` (share of all CPUs busy meanwhile), ``job_runs``, ``job_failures``.
    """
    times: dict[str, list[float]] = {k: [] for k in KINDS}
    count = 0
    errors = saved = stale = refused = 0
    for s in level["session_results"]:
        for t in s["timings"]:
            times.setdefault(t["kind"], []).append(t["s"])
            count += 1
        errors += len(s["errors"])
        saved += len(s["saved"])
        stale += sum(r["stale"] for r in s["refused"])
        refused += sum(not r["stale"] for r in s["refused"])
    jobs = level["job_runs"]
    return {
        "engine": level["engine"],
        "sessions": level["sessions"],
        "times": {k: (percentile(v, 50), percentile(v, 95), len(v)) for k, v in times.items()},
        "errors": errors + len(level.get("harness_errors", [])),
        "saved": saved,
        "landed": len(level["landed"]),
        "stale": stale,
        "refused": refused,
        "rss_peak_mb": level["rss_peak_mb"],
        "app_cpu_s": level.get("app_cpu_s"),
        "interactions": count,
        "machine_busy": level.get("machine_busy"),
        "job_runs": len(jobs),
        "job_failures": sum(j["rc"] != 0 for j in jobs),
    }


def by_job_overlap(level: dict[str, Any]) -> tuple[list[float], list[float]]:
    """Server times of interactions whose request came while a DQ job ran, and the others."""
    t0 = level.get("t0", 0.0)
    runs = [(t0 + j["start"], t0 + j["start"] + j["seconds"]) for j in level["job_runs"]]
    during: list[float] = []
    outside: list[float] = []
    for s in level["session_results"]:
        for t in s["timings"]:
            busy = "at" in t and any(a <= t["at"] <= b for a, b in runs)
            (during if busy else outside).append(t["s"])
    return during, outside


def _pair(p50: float | None, p95: float | None) -> str:
    return "-" if p50 is None else f"{p50:.2f} / {p95:.2f}"


def _cpu(seconds: float | None, interactions: int) -> str:
    """App CPU seconds, and per timed interaction: flat while the app itself keeps up."""
    if seconds is None:
        return "-"
    return f"{seconds:.0f} s ({seconds / max(interactions, 1):.2f} s each)"


def _share(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"


def table(levels: Iterable[dict[str, Any]]) -> str:
    """A Markdown table, one row per engine and session count, from ``summarize`` rows."""
    head = (
        "| warehouse | N | "
        + " | ".join(k.replace("_", " ") for k in KINDS)
        + " | errors | edits saved / landed | stale refusals | peak app RSS "
        "| app CPU (per interaction) | machine CPU busy | DQ job runs |"
    )
    lines = [head, "|" + "---|" * (len(KINDS) + 9)]
    for row in levels:
        cells = [_pair(*row["times"][k][:2]) for k in KINDS]
        stale = str(row["stale"]) + (f" (+{row['refused']} other)" if row["refused"] else "")
        jobs = str(row["job_runs"]) + (
            f" ({row['job_failures']} failed)" if row["job_failures"] else ""
        )
        lines.append(
            f"| {ENGINE_NAMES[row['engine']]} | {row['sessions']} | "
            + " | ".join(cells)
            + f" | {row['errors']} | {row['saved']} / {row['landed']} | {stale} | "
            f"{row['rss_peak_mb']:,.0f} MB | {_cpu(row['app_cpu_s'], row['interactions'])} | "
            f"{_share(row['machine_busy'])} | {jobs} |"
        )
    return "\n".join(lines)
