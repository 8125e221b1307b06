"""Baseline: expected consumption from the time of week (and temperature), with a band.

Trains ``core.sandbox.towt`` on the days before the last week of the meter's 30-day
window, then predicts that last week out of sample: the readings outside the prediction
band are what a baseline-driven alert would raise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from core.sandbox import charts, towt
from core.sandbox.base import Context, Input, Metric, Model, Result, SandboxError
from core.sandbox.data import WINDOW_DAYS
from core.sandbox.detector_model import data_inputs

TEST_DAYS = 7  # the last week of the window is predicted, never fitted
FRAME_COLUMNS = ["ts", "period", "actual", "expected", "lower", "upper", "residual", "outside"]


def _split(n_slots: int, per_day: int, training_days: int) -> tuple[np.ndarray, np.ndarray]:
    slot = np.arange(n_slots)
    test_from = n_slots - TEST_DAYS * per_day
    return (slot >= test_from - training_days * per_day) & (slot < test_from), slot >= test_from


def fit(
    ctx: Context, values: Mapping[str, Any]
) -> tuple[Any, Any, towt.Fit, np.ndarray, np.ndarray]:
    """``(series, temperature or None, fit, train mask, test mask)`` for these settings."""
    s = ctx.series(values["meter"], values["day"])
    grid = s.platform
    temp = ctx.temperature(values["meter"], values["day"]) if values["temperature"] else None
    per_day = 1440 // grid.slot_minutes
    train, test = _split(grid.n_slots, per_day, int(values["training_days"]))
    local = grid.local_times()
    temps = None if temp is None else temp.values[:: grid.slot_minutes // 15]  # hourly: 1 in 4
    result = towt.fit(grid.values[0], local, train, values["band"] / 100, temps)
    return s, temp, result, train, test


def _outside(actual: np.ndarray, f: towt.Fit, test: np.ndarray) -> np.ndarray:
    """Test-week readings outside the prediction band."""
    return test & np.isfinite(actual) & ((actual < f.lower) | (actual > f.upper))


def _count(ctx: Context, values: Mapping[str, Any]) -> int:
    s, _, f, _, test = fit(ctx, values)
    return int(_outside(s.platform.values[0], f, test).sum())


def run(ctx: Context, values: Mapping[str, Any]) -> Result:
    """Fit the baseline with the slider settings and judge the last week against its band."""
    s, temp, f, train, test = fit(ctx, values)
    grid = s.platform
    actual = grid.values[0]
    judged = int((test & np.isfinite(actual)).sum())
    if f.train_points == 0 or judged == 0:
        raise SandboxError(
            "This meter has no readings in the training days or in the test "
            "week of this window: pick another day or meter."
        )
    outside = _outside(actual, f, test)
    shown = train | test
    frame = pd.DataFrame({
        "ts": grid.times(), "period": np.where(test, "test", np.where(train, "training", "")),
        "actual": actual, "expected": f.expected, "lower": f.lower, "upper": f.upper,
        "residual": f.residual, "outside": outside,
    })[shown].reset_index(drop=True)  # fmt: skip
    frame["res_lower"], frame["res_upper"] = f.res_lower, f.res_upper
    test_from = frame.loc[frame["period"] == "test", "ts"].iloc[0]
    test_to = frame["ts"].iloc[-1] + pd.Timedelta(minutes=grid.slot_minutes)
    week = charts.windows((test_from, test_to, "test week: predicted, not fitted"))
    fit_cols = ["ts", "actual", "expected", "lower", "upper", "period"]
    chart = charts.fill(charts.band_template(s.unit), fit=frame[fit_cols],
                        outside=frame.loc[frame["outside"], fit_cols], windows=week)  # fmt: skip
    residual = charts.fill(
        charts.residual_template(s.unit),
        windows=week,
        fit=frame[["ts", "residual", "res_lower", "res_upper", "period"]],
    )
    on_test = towt.scores(actual, f.expected, test)
    on_train = towt.scores(actual, f.expected, train)
    inside = 100 * (1 - outside.sum() / judged)
    n0 = ctx.remember(("baseline", values["meter"], values["day"]),
                      lambda: _count(ctx, MODEL.with_defaults(values)))  # fmt: skip
    explanation = (
        f"Trained on {int(values['training_days'])} days ({f.train_points:,} readings), the "
        f"baseline predicts the last {TEST_DAYS} days with a CV(RMSE) of "
        f"**{on_test['cv_rmse']:.1f} %** (training: {on_train['cv_rmse']:.1f} %; ASHRAE "
        f"Guideline 14 asks for under 30 % on hourly data) and a bias (NMBE) of "
        f"{on_test['nmbe']:+.1f} %. **{int(outside.sum())}** of {judged} readings of the test "
        f"week fall outside the {values['band']:g} % band ({inside:.0f} % inside; a well-"
        "calibrated band holds about its width). Red dots are those readings: what an alert "
        "on this baseline would raise."
    )
    notes = []
    if temp is not None and temp.synthetic and not s.synthetic:
        notes.append(
            "No temperature series for this building in the warehouse: the model uses "
            "a made-up temperature series, which cannot explain this meter's use, so "
            "expect no gain (or a small loss) from switching temperature on."
        )
    if s.synthetic:
        notes.append(
            "Synthetic meter: made-up readings that follow the made-up temperature, "
            "so switching temperature on should lower the error."
        )
    return Result(
        frame[FRAME_COLUMNS], chart, int(outside.sum()), "readings outside the band",
        explanation, default_count=n0, notes=tuple(notes), extra_charts=(residual,),
        metrics=(Metric("CV(RMSE), test week", f"{on_test['cv_rmse']:.1f} %",
                        "Root-mean-square error / mean reading, out of sample. Lower is better."),
                 Metric("NMBE, test week", f"{on_test['nmbe']:+.1f} %",
                        "Mean error / mean reading: + means the meter used more than expected."),
                 Metric("Inside the band", f"{inside:.0f} %",
                        "Share of the test week's readings inside the prediction band.")),
    )  # fmt: skip


MODEL = Model(
    title="Baseline: time of week and temperature",
    summary=(
        "Predicts what the meter should read from the hour of the week (a typical Monday 9:00, "
        "Saturday 3:00 ...) and, if you switch it on, the outdoor temperature (heating and "
        "cooling: a slope that may bend every 5 C). It learns from the training days and "
        "then predicts the last week, which it never saw. The grey band holds the chosen share "
        "of the training errors: a reading outside it is more unusual than the baseline "
        "expects. This is the time-of-week-and-temperature (TOWT) model used for "
        "measurement-and-verification baselines; the detectors' *expected* profile is its "
        "simplest cousin (the median per weekday/weekend slot)."
    ),
    mirrors=(
        "docs/detectors.md#meter-detectors",
        "core/detectors/_baseline.py",
        "core/sandbox/towt.py",
    ),  # fmt: skip
    inputs=data_inputs()
    + (
        Input(
            "training_days",
            "number",
            "Days before the test week the model learns from. "
            "More days average out more noise but also older behaviour.",
            default=21,
            min=7,
            max=WINDOW_DAYS - TEST_DAYS,
            step=1,
            label="Training days",
        ),
        Input(
            "band",
            "number",
            "Share of the training errors the band holds. A wider band "
            "flags fewer readings (never more).",
            default=90,
            min=50,
            max=99,
            step=1,
            label="Band width (%)",
        ),
        Input(
            "temperature",
            "toggle",
            "Add outdoor temperature to the time of week. Helps on "
            "meters that heat or cool; does nothing useful without a real temperature "
            "series.",
            default=True,
            label="Use temperature",
        ),
    ),  # fmt: skip
    run=run,
    group="Baselines",
)
