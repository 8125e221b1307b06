"""Load: N real browser sessions on the Issues page while the worker runs the DQ job.

For each engine (the embedded DuckDB default, PostgreSQL with the app's local cache) one app
server is started and warmed up by one unmeasured session; then, for each N of ``--sessions``,
N processes (``bench/load_session.py``, one headless Chromium each) sign in as N staff users
and run ``--rounds`` rounds at once: filter by severity and clear it, go to page 2 and back,
open the meter explorer at an issue in a new tab, change one issue's status and note in the
editor and save. Meanwhile the worker runs ``python -m jobs run dq --date latest`` again and
again. Measured per level:

- server time per interaction kind (p50 / p95, nearest rank), from the click until the
  script runs it caused have finished (the app's websocket messages, ``bench.load_session``);
- errors: exceptions and timeouts in a session, any exception element, error message,
  "page not found" or "DQ Hub cannot start" / "Cannot open warehouse" the app sent;
- edits the page said were saved vs edits that landed: an ``issue_events`` row with the
  session's unique note, and the issue now holding that status and note; stale-edit refusals
  are counted apart (a legitimate outcome, not an error);
- the app process's peak RSS (``/proc/<pid>/status``, sampled every 0.5 s) and the DQ job
  runs (with their exit codes).

Sessions of one account group never edit the same row (``load_report.edit_rows``).
"""

from __future__ import annotations

import json
import math
import os
import queue
import secrets
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from bench import load_env, load_report

ROOT = load_env.ROOT
DEFAULT_OUT = load_env.OUT / "load.json"
LEVEL_TIMEOUT_S = 1800  # one level, all sessions; a hung browser is killed after this


class SessionProc:
    """One ``python -m bench.load_session`` process and the lines it prints."""

    def __init__(self, cfg: dict[str, Any], log: Path) -> None:
        self._log = open(log, "w")  # noqa: SIM115 - closed in result()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.load_session"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self.proc.stdin.write(json.dumps(cfg) + "\n")
        self.proc.stdin.flush()
        self.lines: queue.Queue[str] = queue.Queue()
        self.session = cfg["session"]
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put("")  # end of output

    def ready(self, timeout: float) -> bool:
        """Whether the session said ``ready`` within ``timeout`` seconds."""
        try:
            return self.lines.get(timeout=timeout) == "ready"
        except queue.Empty:
            return False

    def go(self) -> None:
        """Let the session start."""
        self.proc.stdin.write("go\n")
        self.proc.stdin.close()

    def result(self, deadline: float) -> dict[str, Any] | str:
        """The session's JSON result, or why there is none."""
        try:
            self.proc.wait(max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
        out = []
        while not self.lines.empty():
            out.append(self.lines.get())
        last = next((ln for ln in reversed(out) if ln.startswith("{")), None)
        if last is None:
            return f"session {self.session} exited {self.proc.returncode} without a result"
        return json.loads(last)


def plan(
    url: str, users: list[dict[str, Any]], n: int, rounds: int, tag: str
) -> list[dict[str, Any]]:
    """Each session's login, rows to edit (issue, new status, unique note) and issues to explore.

    Read from the warehouse before the level starts (nothing else runs then): the first page
    of each user's Issues list as the page shows it (default statuses, ``DQ_PAGE_SIZE``).
    """
    from core import config
    from core.auth import User
    from core.db import connect
    from core.views import issues

    db = connect(url)
    size = config.get("DQ_PAGE_SIZE")
    rows = load_report.edit_rows(n, len(load_env.GROUPS), rounds)
    cfgs = []
    for i in range(n):
        u = users[i]
        user = User(u["user"], u["user"], "staff", frozenset(u["accounts"]))
        df, total = issues.list_issues(
            db, user, issues.Filters(statuses=issues.DEFAULT_STATUSES), 1, size
        )
        edits = [
            {
                "row": row,
                "issue_id": df["issue_id"].iloc[row],
                "status": "acknowledged" if df["status"].iloc[row] == "open" else "open",
                "note": f"{tag} s{i} r{r}",
            }
            for r, row in enumerate(rows[i])
        ]
        cfgs.append(
            {
                **u,
                "session": i,
                "edits": edits,
                "pages": math.ceil(total / size),
                "explore": [df["issue_id"].iloc[(row + 20) % len(df)] for row in rows[i]],
            }
        )
    return cfgs


def landed(url: str, tag: str) -> tuple[list[str], list[str]]:
    """Notes of ``tag`` that landed: (events logged, events whose issue now holds them)."""
    from core.db import connect

    rows = connect(url).fetch_all(
        "SELECT e.note, e.to_status, i.status, i.status_note FROM issue_events e "
        "JOIN dq_issues i ON i.issue_id = e.issue_id WHERE e.note LIKE ?",
        (f"{tag} %",),
    )
    return sorted(r[0] for r in rows), sorted(r[0] for r in rows if (r[1], r[0]) == (r[2], r[3]))


def run_level(
    engine: str,
    n: int,
    app: load_env.App,
    env: dict[str, str],
    users: list[dict[str, Any]],
    opts: dict[str, Any],
    workdir: Path,
    tag: str | None = None,
) -> dict[str, Any]:
    """N sessions at once while the worker runs the DQ job; the level's raw result.

    With ``tag`` None this is the warm-up: one session, no edits, no worker, nothing kept.
    """
    warmup = tag is None
    cfgs = plan(env["DQ_WAREHOUSE"], users, n, opts["rounds"], tag or "warm-up")
    procs = []
    for cfg in cfgs:
        shots = workdir / f"session-{engine}-n{n}-{cfg['session']}"
        cfg.update(
            base=app.base,
            think=opts["think"],
            rounds=opts["rounds"],
            shots=str(shots),
            nice=opts["client_nice"],
        )
        if warmup:
            cfg.update(edits=[], rounds=1)
        procs.append(SessionProc(cfg, shots.with_suffix(".log")))
    harness = [
        f"session {p.session} did not start Chromium" for p in procs if not p.ready(timeout=180)
    ]
    load_before = os.getloadavg()[0]
    rss_start, cpu_start, ticks = app.rss_mb(), app.cpu_s(), load_env.cpu_ticks()
    sampler = load_env.RssSampler(app.proc.pid)
    t0 = time.monotonic()
    worker = load_env.Worker(env, opts["job_gap"], t0)
    sampler.start()
    if not warmup:
        worker.start()
    for p in procs:
        p.go()
    deadline = t0 + LEVEL_TIMEOUT_S
    results = [p.result(deadline) for p in procs]
    wall, cpu = time.monotonic() - t0, app.cpu_s() - cpu_start
    busy, total = (b - a for a, b in zip(ticks, load_env.cpu_ticks(), strict=True))
    jobs = worker.stop() if not warmup else []
    peak = sampler.stop()
    harness += [r for r in results if isinstance(r, str)]
    level = {
        "engine": engine,
        "sessions": n,
        "rounds": opts["rounds"],
        "tag": tag,
        "t0": round(t0, 3),
        "wall_s": round(wall, 1),
        "load_avg_before": load_before,
        "rss_start_mb": round(rss_start, 1),
        "rss_peak_mb": round(peak, 1),
        "app_cpu_s": round(cpu, 1),
        "machine_busy": round(busy / max(total, 1), 3),
        "job_runs": jobs,
        "harness_errors": harness,
        "session_results": [r for r in results if not isinstance(r, str)],
    }
    if not warmup:
        level["events"], level["landed"] = landed(env["DQ_WAREHOUSE"], tag)
        level["summary"] = load_report.summarize(level)
    return level


def run_engine(
    engine: str, counts: list[int], opts: dict[str, Any], run_id: str, workdir: Path
) -> list[dict[str, Any]]:
    """Every level of ``counts`` on one engine's warehouse and app server."""
    with load_env.warehouse(engine, workdir, opts["pg_admin_url"], opts["regenerate"]) as env:
        users = load_env.add_users(max(counts), workdir / f"users-{engine}.yaml")
        env = {
            **env,
            "DQ_AUTH_MODE": "users",
            "DQ_USERS_FILE": os.environ["DQ_USERS_FILE"],
            "DQ_COOKIE_KEY": secrets.token_urlsafe(32),
        }
        app = load_env.App(env, workdir)
        try:
            t0 = time.monotonic()
            warm = run_level(engine, 1, app, env, users, opts, workdir)  # not measured
            for e in warm["harness_errors"] + [
                e for s in warm["session_results"] for e in s["errors"]
            ]:
                print(f"{engine} warm-up: {e}", flush=True)
            print(
                f"{engine}: app up and warmed in {time.monotonic() - t0:.0f} s, "
                f"RSS {app.rss_mb():.0f} MB",
                flush=True,
            )
            levels = []
            for n in counts:
                level = run_level(
                    engine, n, app, env, users, opts, workdir, tag=f"load {run_id} {engine} n{n}"
                )
                levels.append(level)
                s = level["summary"]
                print(
                    f"{engine} N={n}: {level['wall_s']:.0f} s, errors {s['errors']}, edits "
                    f"saved {s['saved']} / landed {s['landed']}, stale {s['stale']}, "
                    f"peak RSS {s['rss_peak_mb']:.0f} MB, app CPU {level['app_cpu_s']:.0f} s, "
                    f"machine busy {level['machine_busy']:.0%}, DQ job runs {s['job_runs']}",
                    flush=True,
                )
            return levels
        finally:
            app.stop()


def measure(
    counts: list[int],
    engine: str = "both",
    rounds: int = 2,
    out: Path | None = None,
    think: float = 1.0,
    job_gap: float = 5.0,
    pg_admin_url: str = load_env.PG_ADMIN_URL,
    regenerate: bool = False,
    client_nice: int = 19,
) -> dict[str, Any]:
    """Run the load benchmark, print its table and save everything as JSON (``out``)."""
    for n in counts:  # refuse impossible sizes before starting anything
        load_report.edit_rows(n, len(load_env.GROUPS), rounds)
    run_id = uuid.uuid4().hex[:8]
    workdir = load_env.OUT / f"load-{run_id}"
    workdir.mkdir(parents=True, exist_ok=True)
    opts = {
        "rounds": rounds,
        "think": think,
        "job_gap": job_gap,
        "pg_admin_url": pg_admin_url,
        "regenerate": regenerate,
        "client_nice": client_nice,
    }
    t0 = time.monotonic()
    levels = []
    for eng in load_report.engines(engine):
        levels += run_engine(eng, counts, opts, run_id, workdir)
    res = {
        "run_id": run_id,
        "options": {**opts, "sessions": counts, "engine": engine},
        "cpus": os.cpu_count(),
        "minutes": round((time.monotonic() - t0) / 60, 1),
        "logs": str(workdir),
        "levels": levels,
    }
    out = Path(out or DEFAULT_OUT)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2, default=str))
    report(res)
    print(f"\nsaved {out}; app and session logs in {workdir}")
    return res


def report(res: dict[str, Any]) -> None:
    """Print the table and anything a reader must see (errors, refusals, failed job runs)."""
    o = res["options"]
    print(
        f"\nLoad: {o['rounds']} rounds per session, {o['think']:g} s think time, browsers at "
        f"nice {o['client_nice']}, DQ job every {o['job_gap']:g} s after the last; "
        f"{res['cpus']} CPUs; {res['minutes']} min in all"
    )
    print("server time p50 / p95 in seconds\n")
    print(load_report.table(level["summary"] for level in res["levels"]))
    for level in res["levels"]:
        name = f"{level['engine']} N={level['sessions']}"
        for e in level["harness_errors"]:
            print(f"{name}: {e}")
        for s in level["session_results"]:
            for e in s["errors"]:
                print(f"{name} session {s['session']} ({e['kind']}): {e['message']}")
            for r in s["refused"]:
                print(
                    f"{name} session {s['session']} refused{' (stale)' * r['stale']}: {r['reason']}"
                )
            for w in s["warnings"]:
                print(f"{name} session {s['session']} warning: {w}")
        during, outside = load_report.by_job_overlap(level)
        if during and outside:
            print(
                f"{name}: server time during a DQ job run p50 / p95 "
                f"{load_report.percentile(during, 50):.2f} / "
                f"{load_report.percentile(during, 95):.2f} s ({len(during)} interactions), "
                f"outside {load_report.percentile(outside, 50):.2f} / "
                f"{load_report.percentile(outside, 95):.2f} s ({len(outside)})"
            )
        for j in level["job_runs"]:
            if j["rc"]:
                print(f"{name}: DQ job exited {j['rc']}: {j['line']}")
        saved = {t for s in level["session_results"] for t in s["saved"]}
        for token in sorted(saved - set(level["landed"])):
            print(f"{name}: saved on screen but not in the warehouse: {token!r}")
        for token in sorted(set(level["landed"]) - saved):
            print(f"{name}: in the warehouse but not reported saved: {token!r}")
        if len(level["landed"]) != len(level["events"]):
            print(
                f"{name}: {len(level['events'])} events logged, {len(level['landed'])} issues "
                "still hold their edit"
            )
