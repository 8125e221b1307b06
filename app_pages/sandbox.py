"""Model sandbox: pick a model, move its inputs, see what it flags next to the rule it mirrors.

Widgets are drawn from each model's declared inputs (core/sandbox); this page holds no model
code. Data loads are cached per (warehouse, accounts, loader, arguments), so moving a slider
reruns only the model. ``?model=<key>`` opens a model; ``?meter=``, ``?day=``,
``?building=``, ``?month=`` and ``?bill_meter=`` pick its data.
"""

import datetime as dt
import time

import streamlit as st

from core import config, sandbox, ui
from core.errors import DQHubError
from core.sandbox import data, docs
from core.sandbox import inputs as choices
from core.ui import model_inputs

MEMO, MEMO_AT, CACHE_SECONDS = "sbx_memo", "sbx_memo_at", 600
ID_KINDS = ("meter", "bill_meter", "building")

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


def _linked(name: str, valid) -> object:  # noqa: ANN001
    """A query-parameter value the page has not applied yet (a new link), if ``valid``."""
    value, seen = qp.get(name), st.session_state.setdefault("sbx_qp_seen", {})
    if value is None or seen.get(name) == value:
        return None
    seen[name] = value
    try:
        return value if valid(value) else None
    except ValueError:  # e.g. ?day=not-a-date
        return None


if (wanted := _linked("model", models.__contains__)) is not None:
    st.session_state["sbx_model"] = wanted
key = st.selectbox("Model", list(models), key="sbx_model",
                   format_func=lambda k: f"{models[k].group} · {models[k].title}")  # fmt: skip
model = models[key]
st.session_state["sbx_qp_seen"]["model"] = qp["model"] = key
st.markdown(model.summary)

# ---- data inputs: one row of pickers, each from the warehouse (scoped) or synthetic ----------
values: dict = {}
shown: dict = {}  # what each data input shows (pseudonyms in screen-share mode)
picks = [i for i in model.inputs if i.is_data]
for col, inp in zip(st.columns(max(len(picks), 2)), picks, strict=False):
    wkey = f"sbx_{key}_{inp.name}"
    search = ""
    if inp.kind in ("meter", "bill_meter") and st.session_state.get(wkey + "_search"):
        search = st.session_state[wkey + "_search"]
    try:
        opts = choices.options(ctx, inp, values, model.inputs, search)
    except DQHubError as exc:
        ui.message("error", exc, where=col)
        st.stop()
    if inp.kind == "date":
        lo, hi = opts.bounds
        link = _linked(inp.name, lambda v, lo=lo, hi=hi: lo <= dt.date.fromisoformat(v) <= hi)
        was = st.session_state.get(wkey + "_for")
        now = values.get(next(i.name for i in picks if i.kind == "meter"))
        if link or was != now or not lo <= st.session_state.get(wkey, lo) <= hi:
            st.session_state[wkey] = dt.date.fromisoformat(link) if link else opts.default
        st.session_state[wkey + "_for"] = now
        values[inp.name] = col.date_input(inp.title, min_value=lo, max_value=hi, key=wkey,
                                          help=inp.help)  # fmt: skip
        shown[inp.name] = str(values[inp.name])
        continue
    if not opts.values:
        col.info(opts.note or f"Nothing to pick for {inp.title}.")
        st.stop()
    names = ui.mask(opts.names) if len(opts.names) else opts.names
    id_col = "building_id" if inp.kind == "building" else "meter_id"
    labels = {
        **opts.labels,
        **(
            {}
            if names.empty
            else dict(
                zip(
                    opts.names[id_col],
                    [choices.label(r) for r in names.to_dict("records")],
                    strict=True,
                )
            )
        ),
    }
    wkey = ui.mode_key(wkey) if inp.kind in ID_KINDS else wkey
    if (link := _linked(inp.name, opts.values.__contains__)) is not None:
        st.session_state[wkey] = link
    elif st.session_state.get(wkey) not in opts.values:
        st.session_state[wkey] = opts.default
    values[inp.name] = col.selectbox(
        inp.title,
        opts.values,
        key=wkey,
        help=inp.help,
        format_func=lambda v, labels=labels: labels.get(v, str(v)),
    )
    shown[inp.name] = labels.get(values[inp.name], str(values[inp.name]))
    if opts.note or search:
        col.text_input("Search", key=f"sbx_{key}_{inp.name}_search", placeholder="Meter, building "
                       "or account", label_visibility="collapsed")  # fmt: skip
        col.caption(opts.note)
for name in ("meter", "day", "building", "month", "bill_meter"):  # another model's data,
    if (name not in values or ui.masking_on()) and name in qp:  # or ids while screen-sharing
        del qp[name]
if not ui.masking_on():  # a shareable link to this model and data (ids stay out when masked)
    for name in (i.name for i in picks):
        st.session_state["sbx_qp_seen"][name] = qp[name] = str(values[name])

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
