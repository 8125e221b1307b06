"""Time-of-week-and-temperature (TOWT) regression: expected consumption and a prediction band.

The model a building-energy data scientist reaches for first (LBNL's TOWT, as in ASHRAE
Guideline 14 baselines): a reading is explained by its hour of the week (168 bins, local
time) plus, optionally, a piecewise-linear function of the outdoor temperature (a slope,
and a change of slope at each of ``KNOTS`` inside the training range). Fitted by least
squares on the training days only; the prediction band is the training residuals'
quantiles, so "outside the band" means "more unusual than all but ``1 - width`` of the
training period".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

KNOTS = (5.0, 10.0, 15.0, 20.0, 25.0)  # deg C where the temperature slope may change
WEEK_BINS = 168
_RIDGE = 1e-6  # keeps the solve stable when a bin or a temperature segment has no data
_KNOT_SHARE = 0.1  # a bend needs this share of the training temperatures on each side


@dataclass(frozen=True)
class Fit:
    """A fitted baseline over every slot of the series.

    Attributes
    ----------
    expected : np.ndarray
        Expected reading per slot (training and after).
    lower, upper : np.ndarray
        Prediction band per slot: expected + the training residuals' quantiles.
    residual : np.ndarray
        actual - expected (NaN where the reading is missing).
    res_lower, res_upper : float
        The band's residual limits.
    train_points : int
        Readings the fit used.
    """

    expected: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    residual: np.ndarray
    res_lower: float
    res_upper: float
    train_points: int


def knots(temperature: np.ndarray, train: np.ndarray) -> tuple[float, ...]:
    """The ``KNOTS`` with at least ``_KNOT_SHARE`` of the training temperatures either side.

    A bend with hardly any training data beyond it gets a slope from a handful of readings
    that extrapolates wildly into the test period (as LBNL's TOWT, bends stay inside the
    training range).
    """
    t = np.asarray(temperature, dtype=float)[train]
    t = t[np.isfinite(t)]
    if len(t) == 0:
        return ()
    return tuple(k for k in KNOTS if min((t < k).mean(), (t >= k).mean()) >= _KNOT_SHARE)


def design(
    local: pd.DatetimeIndex, temperature: np.ndarray | None, bends: tuple[float, ...] = KNOTS
) -> np.ndarray:
    """Features per slot: 168 hour-of-week indicators, then temperature and its hinges."""
    bins = np.asarray(local.day_of_week) * 24 + np.asarray(local.hour)
    x = np.zeros((len(local), WEEK_BINS))
    x[np.arange(len(local)), bins] = 1.0
    if temperature is None:
        return x
    t = np.asarray(temperature, dtype=float)[:, None]
    hinges = np.maximum(t - np.asarray(bends, dtype=float)[None, :], 0.0)
    return np.hstack([x, t, hinges])


def fit(
    actual: np.ndarray,
    local: pd.DatetimeIndex,
    train: np.ndarray,
    width: float,
    temperature: np.ndarray | None = None,
) -> Fit:
    """Fit on the slots where ``train`` is True and predict every slot.

    Parameters
    ----------
    actual : np.ndarray
        Readings per slot; NaN = missing (never fitted, never judged).
    local : pd.DatetimeIndex
        Local time of every slot (its hour of the week is the main feature).
    train : np.ndarray
        Bool per slot: the training period.
    width : float
        Share of training residuals inside the band, in (0, 1) (0.9: the 5th to 95th
        percentile).
    temperature : np.ndarray, optional
        Outdoor temperature per slot; None fits time of week only.
    """
    bends = () if temperature is None else knots(temperature, train)
    x = design(local, temperature, bends)
    use = train & np.isfinite(actual) & np.isfinite(x).all(axis=1)
    xs, ys = x[use], actual[use]
    if len(ys) == 0:
        nan = np.full(len(actual), np.nan)
        return Fit(nan, nan, nan, nan, np.nan, np.nan, 0)
    # Ridge-stabilised normal equations: tiny penalty, no visible bias on real data.
    gram = xs.T @ xs + _RIDGE * len(ys) * np.eye(x.shape[1])
    coef = np.linalg.solve(gram, xs.T @ ys)
    seen = xs[:, :WEEK_BINS].sum(axis=0) > 0
    if not seen.all():  # an hour of the week never trained: the mean of the trained ones
        coef[:WEEK_BINS][~seen] = coef[:WEEK_BINS][seen].mean()
    expected = x @ coef
    residual = actual - expected
    lo, hi = np.quantile(residual[use], [(1 - width) / 2, (1 + width) / 2])
    return Fit(expected, expected + lo, expected + hi, residual, float(lo), float(hi), len(ys))


def scores(actual: np.ndarray, expected: np.ndarray, where: np.ndarray) -> dict[str, float]:
    """Goodness of fit on ``where``: CV(RMSE) and NMBE (ASHRAE Guideline 14), both in %."""
    ok = where & np.isfinite(actual) & np.isfinite(expected)
    if not ok.any() or actual[ok].mean() == 0:
        return {"cv_rmse": np.nan, "nmbe": np.nan}
    mean = actual[ok].mean()
    err = actual[ok] - expected[ok]
    return {"cv_rmse": 100 * np.sqrt((err**2).mean()) / mean, "nmbe": 100 * err.mean() / mean}
