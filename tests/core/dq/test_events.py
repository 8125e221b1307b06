import numpy as np
import pandas as pd

from core.detectors.base import Detection, Grid, grade
from core.dq import events
from core.dq import events as events_module


class _Module:
    @staticmethod
    def severity(hours, magnitude, params):
        return grade(hours, 1, 2)


def _grid(values, score_from=0):
    values = np.asarray(values, dtype=float)
    return Grid(
        meter_ids=np.array([f"m{i}" for i in range(len(values))]),
        kinds=np.array(["electricity"] * len(values)),
        values=values,
        start=pd.Timestamp("2026-01-01"),
        slot_minutes=15,
        timezone="UTC",
        score_from=score_from,
    )


def test_extract_sums_magnitude_and_keeps_only_runs_reaching_scored_window():
    grid = _grid(np.ones((2, 8)), score_from=4)
    mask = np.zeros((2, 8), dtype=bool)
    mask[0, 0:2] = True  # history only: dropped
    mask[0, 3:6] = True  # crosses into the scored window: kept whole
    mask[1, 7] = True  # last slot
    magnitude = np.arange(16, dtype=float).reshape(2, 8)
    out = events.extract(grid, Detection(mask, magnitude), "x", "platform", _Module, None)
    assert list(out.meter_id) == ["m0", "m1"]
    assert list(out.magnitude) == [3 + 4 + 5, 15]
    assert list(out.start_ts) == [
        pd.Timestamp("2026-01-01 00:45"),
        pd.Timestamp("2026-01-01 01:45"),
    ]
    assert list(out.end_ts) == [pd.Timestamp("2026-01-01 01:30"), pd.Timestamp("2026-01-01 02:00")]
    assert list(out.hours) == [0.75, 0.25]
    assert list(out.clipped_start) == [False, False]


def test_extract_marks_runs_clipped_at_window_start():
    grid = _grid(np.ones((1, 4)))
    mask = np.array([[True, True, False, False]])
    out = events.extract(grid, Detection(mask, np.ones((1, 4))), "x", "raw", _Module, None)
    assert out.clipped_start.tolist() == [True]


def test_scored_day_counts():
    values = np.array([[1, 1, 1, np.nan, 1, 1], [np.nan] * 6])
    grid = _grid(values, score_from=2)
    flagged = np.zeros_like(values, dtype=bool)
    flagged[0, 4] = True
    out = events.scored_day_counts(grid, flagged)
    assert out.expected_points.tolist() == [4, 4]
    assert out.present_points.tolist() == [3, 0]
    assert out.flagged_points.tolist() == [1, 0]
    assert out.score.tolist() == [0.5, 0.0]


def test_paint_marks_event_slots_and_ignores_other_meters():
    grid = _grid(np.ones((2, 8)))
    frame = pd.DataFrame(
        {
            "meter_id": ["m1", "m0", "elsewhere"],
            "start_ts": [
                pd.Timestamp("2026-01-01 00:30"),
                pd.Timestamp("2025-12-31 23:00"),
                pd.Timestamp("2026-01-01"),
            ],
            "end_ts": [
                pd.Timestamp("2026-01-01 01:00"),
                pd.Timestamp("2026-01-01 00:15"),
                pd.Timestamp("2026-01-01 02:00"),
            ],
        }
    )
    mask = events_module.paint(grid, frame)
    assert mask.tolist() == [
        [True, False, False, False, False, False, False, False],  # clipped at the grid start
        [False, False, True, True, False, False, False, False],
    ]
    assert events_module.paint(grid, frame.iloc[:0]).sum() == 0
