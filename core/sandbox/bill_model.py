"""The factory behind bill-check sandbox models: a meter's bills, one slider per ``Params`` field.

A run normalises the picked meter's bills as the bill job does (``core.sandbox.data.bills``),
runs the real ``check`` with your settings and with the defaults, and draws the meter's
bill history (use per day, or cost per unit) with the bills each setting flags and what the
check expected of every bill.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from core.bills.base import BillContext
from core.sandbox import charts
from core.sandbox.base import Context, Input, Metric, Model, Result
from core.sandbox.params import inputs_from_params, params_from

GROUP = "Bill checks"
_COLOURS = {"your settings": charts.FLAG_COLOURS["your settings"],
            "defaults only": "#f2994a", "not flagged": charts.LINE}  # fmt: skip
FRAME_COLUMNS = ["bill_id", "period_start", "period_end", "days", "usage", "usage_unit", "cost",
                 "value", "expected", "basis", "robust_z", "flagged", "with_defaults", "severity",
                 "findings"]  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Measure:
    """What a check judges in each bill.

    Attributes
    ----------
    label : str
        The figure in words, with ``{unit}`` for the usage unit ("{unit} per day").
    value : callable
        ``value(bills) -> Series``: the figure per bill.
    expected : str
        The ``details`` key holding what the check expected of a flagged bill.
    everything : mapping
        ``Params`` changes that make the check report every bill it can judge, so its
        expectation can be drawn for all of them (the other parameters stay yours).
    zero : bool
        Whether the chart's axis starts at zero (not for prices: a rate change must show).
    """

    label: str
    value: Callable[[pd.DataFrame], pd.Series]
    expected: str
    everything: Mapping[str, float]
    zero: bool = True


def _check(module: Any, bills: pd.DataFrame, params: Any) -> pd.DataFrame:
    ctx = BillContext(dt.date.today(), bills, pd.DataFrame({"meter_id": bills["meter_id"]}),
                      pd.DataFrame(columns=["bill_id", "interval_sum", "coverage"]))  # fmt: skip
    return module.check(ctx, params)


def _details(found: pd.DataFrame, key: str) -> pd.Series:
    return pd.Series([d.get(key) for d in found["details"]], index=found["bill_id"], dtype=object)


@lru_cache(maxsize=16)
def history_template(label: str, zero: bool = True) -> dict:
    """Bill history: expected dashed, bills as dots coloured by who flags them.

    Dataset ``bills``: ``mid, value, expected, who, raised, period, days, usage, cost,
    severity, basis, robust_z, findings``; bills the daily job raised the check on get a ring.
    """
    base = alt.Chart(alt.NamedData("bills"))
    x = alt.X("mid:T", title="Billing period", axis=alt.Axis(format="%b %Y"))
    y = alt.Y("value:Q", title=label, scale=alt.Scale(zero=zero))
    line = base.mark_line(color="#9aa5b1").encode(x=x, y=y)
    expected = base.mark_line(color=charts.EXPECTED, strokeDash=[4, 3], point=False).encode(
        x=x, y=alt.Y("expected:Q")
    )
    dots = base.mark_circle(size=80, opacity=0.95).encode(
        x=x, y=y, color=alt.Color("who:N", title="Bill", scale=alt.Scale(
            domain=list(_COLOURS), range=list(_COLOURS.values()))),
        tooltip=["period:N", "days:Q", alt.Tooltip("usage:Q", format=",.0f"),
                 alt.Tooltip("cost:Q", format="$,.2f"), alt.Tooltip("value:Q", title=label,
                                                                    format=",.4g"),
                 alt.Tooltip("expected:Q", format=",.4g"), "basis:N",
                 alt.Tooltip("robust_z:Q", title="robust z", format=".2f"), "who:N",
                 "severity:N", alt.Tooltip("findings:N", title="raised by the daily job")],
    )  # fmt: skip
    ring = base.transform_filter(alt.datum.raised).mark_point(
        size=260, strokeWidth=2, color="#222222").encode(x=x, y=y)  # fmt: skip
    return alt.layer(line, expected, dots, ring).properties(height=320).to_dict()


def run_check(
    name: str, module: Any, measure: Measure, ctx: Context, values: Mapping[str, Any]
) -> Result:
    """Run bill check ``module`` on the picked meter's bills with the slider values."""
    bills = ctx.bills(values["bill_meter"])
    params = params_from(module.Params, values)
    yours = _check(module, bills, params)
    base = ctx.remember((name, "defaults", values["bill_meter"]),
                        lambda: _check(module, bills, module.Params()))  # fmt: skip
    judged = _check(module, bills, dataclasses.replace(params, **measure.everything))
    ids = bills["bill_id"]
    unit = bills["usage_unit"].dropna().iloc[0] if bills["usage_unit"].notna().any() else "unit"
    flagged, by_default = ids.isin(yours["bill_id"]), ids.isin(base["bill_id"])
    frame = bills.assign(
        value=measure.value(bills),
        expected=_details(judged, measure.expected).reindex(ids).to_numpy(dtype=float),
        basis=_details(judged, "basis").reindex(ids).to_numpy(dtype=object),
        robust_z=_details(judged, "robust_z").reindex(ids).to_numpy(dtype=float),
        flagged=flagged,
        with_defaults=by_default,
        severity=yours.set_index("bill_id")["severity"].reindex(ids).fillna("").to_numpy(),
    )[FRAME_COLUMNS]
    label = measure.label.format(unit=unit)
    plot = frame.assign(
        mid=frame["period_start"] + (frame["period_end"] - frame["period_start"]) / 2,
        who=np.select([flagged, by_default], ["your settings", "defaults only"], "not flagged"),
        period=frame["period_start"].dt.strftime("%Y-%m-%d")
        + " to "
        + frame["period_end"].dt.strftime("%Y-%m-%d"),
    ).drop(columns=["bill_id", "period_start", "period_end"])
    raised = frame["findings"].str.split(", ").apply(lambda checks: name in checks)
    plot["raised"] = raised.to_numpy()
    chart = charts.fill(history_template(label, measure.zero), bills=plot)
    real = frame[raised]
    judgeable = int(frame["expected"].notna().sum())
    explanation = (
        f"With your settings `{name}` flags **{int(flagged.sum())}** of this meter's "
        f"{len(frame)} bills; the defaults flag {int(by_default.sum())}. The dashed line is "
        f"what the check expected of each bill it could judge ({judgeable} of them: a bill "
        "needs enough earlier bills)."
    )
    if len(real):
        explanation += (f" The daily bill job raised `{name}` on {len(real)} of these bills "
                        "(black rings).")  # fmt: skip
    return Result(
        frame, chart, int(flagged.sum()), "flagged bills", explanation,
        metrics=(Metric("Bills", len(frame), "Bills of this meter the check can read."),
                 Metric("Judged", judgeable,
                        "Bills with enough history (or a bill a year earlier) to judge."),
                 Metric("Raised by the daily job", len(real),
                        "Bills with an open or past finding of this check in dq_issues.")),
        default_count=int(by_default.sum()),
        notes=(("Synthetic meter: made-up bills.",) if (ids.str.startswith("synthetic-")).all()
               and len(ids) else ()),
    )  # fmt: skip


_FOLDS = {"min": 1.0}  # a ratio or fold below 1 means the same as its inverse: not offered


def bill_model(
    name: str,
    module: Any,
    measure: Measure,
    title: str,
    plain: str,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Model:
    """A sandbox ``Model`` for bill check ``module`` (registry key ``name``).

    ``overrides``: field name -> ``Input`` fields replacing the derived slider's (folds and
    ratios start at 1 already).
    """
    folds: dict[str, Mapping[str, Any]] = {
        f.name: _FOLDS for f in dataclasses.fields(module.Params)
        if f.name.endswith(("_fold", "_ratio"))
    }  # fmt: skip
    if "min_log_scale" in {f.name for f in dataclasses.fields(module.Params)}:
        folds["min_log_scale"] = {"min": 0.01}  # 0 would divide by a zero spread
    folds.update(overrides or {})

    def run(ctx: Context, values: Mapping[str, Any]) -> Result:
        return run_check(name, module, measure, ctx, values)

    return Model(
        title=title, summary=plain,
        mirrors=(f"docs/bills.md#{name}", f"core/bills/checks/{name}.py"),
        inputs=(Input("bill_meter", "bill_meter", "The meter whose bills the check judges. The "
                      "synthetic meter has 36 made-up monthly bills with two outliers.",
                      prefer=name, label="Meter"),)
        + inputs_from_params(module.Params, folds),
        run=run, key=name, group=GROUP,
    )  # fmt: skip
