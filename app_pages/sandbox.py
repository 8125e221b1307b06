"""Model sandbox: pick a model, move its inputs, see what it flags next to the rule it mirrors.

Widgets are drawn from each model's declared inputs (core/sandbox); this page holds no model
code. Data loads are cached per (warehouse, accounts, loader, arguments), so moving a slider
reruns only the model. ``?model=<key>`` opens a model; ``?meter=``, ``?day=``,
``?building=``, ``?month=`` and ``?bill_meter=`` pick its data.
"""

import time

import streamlit as st

from core import config, sandbox, ui
from core.errors import DQHubError
from core.sandbox import data, docs
from core.ui import model_inputs, widgets

MEMO, MEMO_AT, CACHE_SECONDS = "sbx_memo", "sbx_memo_at", 600
SEEN = "sbx_qp_seen"  # deep links applied (core.ui.widgets.new_link)

user = ui.current_user("sandbox")
db = ui.warehouse()
qp = st.query_params
st.title("Model sandbox")


@st.cache_data(show_spinner="Loading data ...", ttl=CACHE_SECONDS, max_entries=256)
def _load(url: str, accounts: tuple | None, loader: str, args: tuple, _db, _user):  # noqa: ANN001, ANN202
    """One scoped data load; the key is (warehouse, the user's accounts, loader, arguments)."""
    return data.LOADERS[loader](_db, _user, *args)


url = config.get("DQ_WAREHOUSE")
accounts = None if user.accounts is None else tuple(sorted(user.accounts))
if time.time() - st.session_state.get(MEMO_AT, 0) > CACHE_SECONDS:  # follow the data cache
    st.session_state[MEMO], st.session_state[MEMO_AT] = {}, time.time()
ctx = sandbox.Context(fetch=lambda loader, *args: _load(url, accounts, loader, args, db, user),
                      memo=st.session_state[MEMO])  # fmt: skip

found = sandbox.discover()
models = found.models
if found.errors and user.role in ("admin", "ds"):
    failed = "; ".join(f"{ui.md(file)}: {ui.md(why)}" for file, why in found.errors)
    st.warning(f"Model files that failed to load (left out): {failed}")
if not models:
    st.info("No sandbox models yet: add one to core/sandbox/models/ (see docs/sandbox.md).")
    st.stop()

if (wanted := widgets.new_link(SEEN, "model", models.__contains__)) is not None:
    st.session_state["sbx_model"] = wanted
key = st.selectbox("Model", list(models), key="sbx_model",
                   format_func=lambda k: f"{models[k].group} · {models[k].title}")  # fmt: skip
model = models[key]
st.session_state[SEEN]["model"] = qp["model"] = key
st.markdown(model.summary)

# ---- data inputs: one row of pickers, each from the warehouse (scoped) or synthetic ----------
values, shown = model_inputs.data_inputs(f"sbx_{key}", ctx, model.inputs, SEEN)
for name in ("meter", "day", "building", "month", "bill_meter"):  # another model's data,
    if (name not in values or ui.masking_on()) and name in qp:  # or ids while screen-sharing
        del qp[name]
if not ui.masking_on():  # a shareable link to this model and data (ids stay out when masked)
    for name, value in values.items():
        st.session_state[SEEN][name] = qp[name] = str(value)

# ---- parameters (left) and what the model does with them (right) ----------------------------
params = [i for i in model.inputs if not i.is_data]
left, right = st.columns([1, 2.3], gap="large")

with left:
    st.markdown("**Settings**")
    values.update(model_inputs.settings(f"sbx_{key}", params))

with right:
    try:
        result = model.run(ctx, values)
        base = result.default_count
        if base is None:
            same = all(values[i.name] == i.default_value() for i in params)
            base = result.count if same else model.run(ctx, model.with_defaults(values)).count
    except DQHubError as exc:
        ui.message("error", exc)
        st.stop()
    st.markdown(f"#### Flagged with your settings: **{result.count:,}** vs defaults: {base:,}")
    st.caption(f"Counting {result.count_label}.")
    cols = st.columns(max(len(result.metrics), 1))
    for col, metric in zip(cols, result.metrics, strict=False):
        col.metric(metric.label, metric.value, help=metric.help or None)
    for note in result.notes:
        st.info(note, icon=":material/info:")
    st.markdown(result.explanation)
    for chart in (result.chart, *result.extra_charts):
        if isinstance(chart, dict):
            st.vega_lite_chart(spec=chart, width="stretch")
        else:
            st.altair_chart(chart, width="stretch")
    st.caption(
        "Hover for figures; scroll or drag on a time chart to zoom and pan, double-click to reset."
    )
    frame = ui.mask(result.frame)
    if "bill_id" in frame and ui.masking_on():
        frame = frame.assign(bill_id=[ui.label("Bill", b) for b in frame["bill_id"]])
    with st.expander(f"The rows behind the chart ({len(frame):,})"):
        st.dataframe(frame, hide_index=True)

st.subheader("What each input changes")


shown.update({n: v for n, v in values.items() if n not in shown})
st.markdown(model_inputs.changes_table(model.inputs, shown))
st.subheader("What it mirrors")
st.caption(
    "The rule the real job applies, from the repository's docs and code: a finding on "
    "the Issues or Utility bills page was raised by exactly this."
)
for ref in model.mirrors:
    text = docs.excerpt(ref)
    with st.expander(f"`{ref}`", expanded=False):
        if text is None:
            st.caption("Not written yet.")
        elif docs.is_code(ref):
            st.code(text, language=None, wrap_lines=True)
        else:
            st.markdown(text)
