"""The load benchmark's pure parts: options, row plan, percentiles, table, websocket tracking."""

import argparse
import time

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench import load_report
from bench.__main__ import build_parser
from bench.load_session import Tracker
from tests.test_docs import README


def test_load_is_a_subcommand_with_documented_options():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "bench")
    assert "load" in sub.choices
    args = parser.parse_args(["load"])
    assert (args.sessions, args.engine, args.rounds, args.out) == ([1, 5, 10], "both", 2, None)
    for action in sub.choices["load"]._actions:
        assert action.help, action.dest
    args = parser.parse_args(
        [
            "load",
            "--sessions",
            "10,1,5,5",
            "--engine",
            "postgres",
            "--rounds",
            "3",
            "--out",
            "x.json",
        ]
    )
    assert (args.sessions, args.engine, args.rounds, str(args.out)) == (
        [1, 5, 10],
        "postgres",
        3,
        "x.json",
    )
    assert "python -m bench load" in README


@pytest.mark.parametrize("text", ["", "a", "1,x", "0,5", "-1"])
def test_bad_session_counts_are_usage_errors(text):
    with pytest.raises(argparse.ArgumentTypeError):
        load_report.session_counts(text)


def test_engines():
    assert load_report.engines("both") == ["duckdb", "postgres"]
    assert load_report.engines("postgres") == ["postgres"]


def test_sessions_of_one_group_never_share_a_row():
    rows = load_report.edit_rows(10, 2, 3)
    for group in (0, 1):
        mine = [r for i, session in enumerate(rows) if i % 2 == group for r in session]
        assert len(mine) == len(set(mine)) == 15
    assert max(max(r) for r in rows) == load_report.MAX_ROW
    assert load_report.edit_rows(1, 2, 4) == [[0, 1, 2, 3]]


def test_too_many_rounds_names_the_largest_that_fits():
    with pytest.raises(ValueError, match="--rounds 3 or fewer"):
        load_report.edit_rows(10, 2, 4)
    load_report.edit_rows(5, 2, 5)  # stride 3: rows up to 14
    with pytest.raises(ValueError, match="--rounds 5 or fewer"):
        load_report.edit_rows(5, 2, 6)


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(20, 0, -1)]
    assert load_report.percentile(values, 50) == 10
    assert load_report.percentile(values, 95) == 19
    assert load_report.percentile([3.0, 1.0, 2.0], 95) == 3  # few values: the slowest
    assert load_report.percentile([3.0, 1.0, 2.0], 50) == 2
    assert load_report.percentile([], 50) is None


def _level():
    session = {
        "timings": [
            {"kind": "save", "s": 0.5},
            {"kind": "save", "s": 1.5},
            {"kind": "sign_in", "s": 2.0},
        ],
        "errors": [{"kind": "page", "message": "boom"}],
        "saved": ["a", "b"],
        "refused": [
            {"token": "c", "reason": "changed at ... after you loaded it", "stale": True},
            {"token": "d", "reason": "cannot go", "stale": False},
        ],
    }
    return {
        "engine": "postgres",
        "sessions": 2,
        "session_results": [session, {**session, "errors": [], "saved": ["e"], "refused": []}],
        "harness_errors": ["session 3 exited 1 without a result"],
        "landed": ["a", "b", "e"],
        "rss_peak_mb": 1234.4,
        "app_cpu_s": 81.6,
        "machine_busy": 0.974,
        "job_runs": [{"rc": 0}, {"rc": 1}, {"rc": 0}],
    }


def test_summary_counts_errors_refusals_edits_and_jobs():
    s = load_report.summarize(_level())
    assert s["times"]["save"] == (0.5, 1.5, 4)
    assert s["times"]["filter"] == (None, None, 0)
    assert (s["errors"], s["saved"], s["landed"], s["stale"], s["refused"]) == (2, 3, 3, 1, 1)
    assert (s["job_runs"], s["job_failures"], s["interactions"]) == (3, 1, 6)


def test_interactions_are_split_by_whether_a_job_was_running():
    level = {
        "t0": 100.0,
        "job_runs": [{"start": 1.0, "seconds": 2.0}, {"start": 10.0, "seconds": 1.0}],
        "session_results": [
            {
                "timings": [
                    {"s": 0.1, "at": 100.5},
                    {"s": 0.2, "at": 101.5},
                    {"s": 0.3, "at": 105.0},
                    {"s": 0.4, "at": 111.0},
                    {"s": 0.5},
                ]
            }
        ],
    }
    assert load_report.by_job_overlap(level) == ([0.2, 0.4], [0.1, 0.3, 0.5])


def test_table_has_one_row_per_level():
    lines = load_report.table([load_report.summarize(_level())]).splitlines()
    assert lines[0].startswith("| warehouse | N | sign in | filter | page | explorer | edit | save")
    assert len(lines) == 3 and lines[1].count("---") == lines[0].count("|") - 1
    row = lines[2]
    assert row.startswith("| PostgreSQL + app cache | 2 | 2.00 / 2.00 | - | ")
    assert (
        "| 0.50 / 1.50 | 2 | 3 / 3 | 1 (+1 other) | 1,234 MB | 82 s (13.60 s each) | 97% | 3 (1 failed) |"
        in row
    )


class FakePage:
    def on(self, event, handler):
        self.handler = handler

    def wait_for_timeout(self, ms):
        time.sleep(ms / 1000)


def _msg(**fields):
    msg = ForwardMsg()
    for name, value in fields.items():
        if name == "script_finished":
            msg.script_finished = value
        elif name == "alert":
            msg.delta.new_element.alert.format, msg.delta.new_element.alert.body = value
        elif name == "exception":
            msg.delta.new_element.exception.type = "KeyError"
            msg.delta.new_element.exception.message = value
        else:
            getattr(msg, name).SetInParent()
    return msg.SerializeToString()


def test_tracker_times_until_the_last_run_of_a_rerun_chain_finished():
    page = FakePage()
    tracker = Tracker(page)
    frame = page.handler  # what Playwright calls for each websocket frame
    ws = type("WS", (), {"on": lambda self, event, cb: setattr(page, event, cb)})()
    frame(ws)
    page.frame = page.framereceived
    t0 = time.monotonic()
    time.sleep(0.02)  # the browser's own work before it asks for a run
    heartbeat, rerun = BackMsg(), BackMsg()
    heartbeat.app_heartbeat = True
    rerun.rerun_script.query_string = ""
    page.framesent(heartbeat.SerializeToString())
    page.framesent(rerun.SerializeToString())
    page.framesent(rerun.SerializeToString())  # a second request: the first one counts
    asked = tracker.asked[0]
    page.frame(_msg(new_session=True))
    page.frame(_msg(script_finished=ForwardMsg.FINISHED_EARLY_FOR_RERUN))  # st.rerun()
    assert tracker.finished < t0 and tracker.running
    time.sleep(0.05)
    page.frame(_msg(new_session=True))
    page.frame(_msg(alert=(4, r"Saved 1 change\(s\).")))
    page.frame(_msg(exception="'x'"))
    page.frame(_msg(script_finished=ForwardMsg.FINISHED_SUCCESSFULLY))
    done = tracker.finished
    server, wall = tracker.wait(page, t0, 0, "save")
    assert server == pytest.approx(done - asked) and wall == pytest.approx(done - t0)
    assert wall - server >= 0.02 and server >= 0.05
    assert time.monotonic() - done >= 0.3  # waited for a quiet spell before calling it done
    problems, alerts = tracker.take()
    assert alerts == [(4, "Saved 1 change(s).")]
    assert problems == ["exception KeyError: 'x'"]
    assert tracker.take() == ([], [])
    page.frame("text frames are ignored")
