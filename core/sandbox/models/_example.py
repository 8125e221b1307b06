"""_example: a copyable sandbox model (flags readings far above the meter's median).

Not registered (the file name starts with ``_``). To add a model, copy this file to
``core/sandbox/models/<your_model>.py``; it appears on the Model sandbox page at
``?model=<your_model>`` with no other change. Then:

1. Say in ``summary`` what the model does, in words a staff member understands, and in
   ``mirrors`` which doc section / code it mirrors (``docs/<file>.md#<section>``).
2. Declare every input: ``kind`` number / choice / toggle (the person moves it) or meter /
   date / building / month / bill_meter (picked from the warehouse, scoped to the user,
   with a synthetic option). ``help`` says what moving it changes.
3. Write ``run(ctx, values) -> Result``: read data only through ``ctx`` (cached, scoped),
   return the frame behind the chart, an Altair chart, the headline count and a
   plain-words explanation. No Streamlit code.
4. Add a direction-of-change test beside the others in ``tests/core/sandbox/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from core.sandbox.base import Context, Input, Metric, Model, Result


def run(ctx: Context, values: Mapping[str, Any]) -> Result:
    """Flag readings above ``factor`` x the meter's median over the 30 days."""
    series = ctx.series(values["meter"], values["day"])  # 30 days ending with the day
    grid = series.platform
    readings = grid.values[0]  # one meter: row 0; NaN = missing
    threshold = values["factor"] * np.nanmedian(readings)
    flagged = readings > threshold  # NaN compares False: missing is never flagged
    frame = pd.DataFrame({"ts": grid.times(), "reading": readings, "flagged": flagged})
    line = (
        alt.Chart(frame)
        .mark_line()
        .encode(x=alt.X("ts:T", title="Time (UTC)"), y=alt.Y("reading:Q", title=f"{series.unit}"))
    )
    dots = (
        alt.Chart(frame[frame["flagged"]])
        .mark_circle(color="#eb5757", size=40)
        .encode(x="ts:T", y="reading:Q")
    )
    rule = alt.Chart(pd.DataFrame({"y": [threshold]})).mark_rule(strokeDash=[4, 3]).encode(y="y:Q")
    return Result(
        frame=frame[frame["flagged"]],
        chart=alt.layer(line, rule, dots),
        count=int(flagged.sum()),
        count_label="flagged readings",
        explanation=f"Readings above {values['factor']:g} x the median "
        f"({threshold:,.2f} {series.unit}, dashed) are flagged: **{int(flagged.sum())}** here.",
        metrics=(Metric("Threshold", f"{threshold:,.2f} {series.unit}", "factor x median"),),
    )


MODEL = Model(
    title="Example: readings far above the median",
    summary="Flags every reading more than a chosen multiple of the meter's median reading. "
    "A teaching example, not a detector the daily job runs.",
    mirrors=("docs/sandbox.md#add-a-sandbox-model",),
    inputs=(
        Input("meter", "meter", "The meter to look at (or the synthetic one).", label="Meter"),
        Input("day", "date", "The last day of the 30 days shown.", label="Day"),
        Input(
            "factor",
            "number",
            "Multiple of the median above which a reading is flagged. Lower flags more readings.",
            default=3.0,
            min=1.0,
            max=10.0,
            step=0.5,
        ),
    ),
    run=run,
    # key defaults to the file name; group defaults to "Models"
)
