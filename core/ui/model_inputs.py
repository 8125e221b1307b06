"""A sandbox model's inputs drawn as widgets, and the table of what each input changes.

The Model sandbox page draws every model from its declared inputs (``core.sandbox.Input``).
Data inputs (:func:`data_inputs`) are one row of pickers over the warehouse (scoped to the
user) or synthetic data, each offering what the inputs before it allow, and following deep
links (``?meter=``, ``?day=``, ...). Settings (:func:`settings`): numbers with bounds as
sliders, others as number boxes, choices as select boxes, toggles as toggles, each defaulting
to the model's default and with a "Reset to defaults" button.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from core.errors import DQHubError
from core.markup import md
from core.sandbox import inputs as choices
from core.sandbox.base import Context, Input
from core.ui import mask, message, mode_key
from core.ui.widgets import choose, new_link

ID_KINDS = ("meter", "bill_meter", "building")  # id pickers: one widget per screen-share mode


def data_inputs(
    prefix: str, ctx: Context, inputs: Sequence[Input], seen: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """Draw the data inputs of ``inputs`` in one row, keys ``<prefix>_<name>``; (values, shown).

    Each picker's options come from :func:`core.sandbox.inputs.options` through ``ctx`` (scoped
    and cached by the page), given the values picked before it. ``shown`` holds what each
    shows (pseudonyms in screen-share mode). ``seen``: the session key of the deep links
    already applied (:func:`core.ui.widgets.new_link`). Options that cannot be read, or none
    to pick, stop the page with a message.
    """
    values: dict[str, Any] = {}
    shown: dict[str, str] = {}
    picks = [i for i in inputs if i.is_data]
    for col, inp in zip(st.columns(max(len(picks), 2)), picks, strict=False):
        wkey = f"{prefix}_{inp.name}"
        search = ""
        if inp.kind in ("meter", "bill_meter") and st.session_state.get(wkey + "_search"):
            search = st.session_state[wkey + "_search"]
        try:
            opts = choices.options(ctx, inp, values, inputs, search)
        except DQHubError as exc:
            message("error", exc, where=col)
            st.stop()
        if inp.kind == "date":
            meter = values.get(next(i.name for i in picks if i.kind == "meter"))
            values[inp.name] = _day(col, wkey, inp, opts, meter, seen)
            shown[inp.name] = str(values[inp.name])
            continue
        if not opts.values:
            col.info(opts.note or f"Nothing to pick for {inp.title}.")
            st.stop()
        labels = choices.labels(opts, mask(opts.names) if len(opts.names) else opts.names, inp.kind)
        key = mode_key(wkey) if inp.kind in ID_KINDS else wkey
        link = new_link(seen, inp.name, opts.values.__contains__)
        values[inp.name] = choose(
            col, inp.title, opts.values, labels, key, opts.default, link, help=inp.help
        )
        shown[inp.name] = labels.get(values[inp.name], str(values[inp.name]))
        if opts.note or search:
            col.text_input("Search", key=wkey + "_search", placeholder="Meter, building or "
                           "account", label_visibility="collapsed")  # fmt: skip
            col.caption(opts.note)
    return values, shown


def _day(col: Any, key: str, inp: Input, opts: choices.Options, meter: object, seen: str) -> Any:
    """A day picker within ``opts.bounds``; back to its default for another meter."""
    lo, hi = opts.bounds
    link = new_link(seen, inp.name, lambda v: lo <= dt.date.fromisoformat(v) <= hi)
    was = st.session_state.get(key + "_for")
    if link or was != meter or not lo <= st.session_state.get(key, lo) <= hi:
        st.session_state[key] = dt.date.fromisoformat(link) if link else opts.default
    st.session_state[key + "_for"] = meter
    return col.date_input(inp.title, min_value=lo, max_value=hi, key=key, help=inp.help)


def settings(prefix: str, params: Sequence[Input]) -> dict[str, Any]:
    """Draw ``params`` (the non-data inputs) under session keys ``<prefix>_<name>``; the values."""

    def reset() -> None:
        for inp in params:
            st.session_state[f"{prefix}_{inp.name}"] = inp.default_value()

    if params:
        st.button("Reset to defaults", on_click=reset, key=f"{prefix}_reset",
                  icon=":material/restart_alt:")  # fmt: skip
    values: dict[str, Any] = {}
    for inp in params:
        key, default = f"{prefix}_{inp.name}", inp.default_value()
        st.session_state.setdefault(key, default)
        tip = f"{inp.help}\n\nDefault: `{default}`."
        if inp.kind == "toggle":
            values[inp.name] = st.toggle(inp.title, key=key, help=tip)
        elif inp.kind == "choice":
            values[inp.name] = st.selectbox(inp.title, list(inp.options), key=key, help=tip)
        elif inp.min is not None and inp.max is not None:
            cast = int if inp.is_int else float
            values[inp.name] = st.slider(inp.title, cast(inp.min), cast(inp.max),
                                         step=cast(inp.step or 1), key=key, help=tip)  # fmt: skip
        else:
            values[inp.name] = st.number_input(inp.title, step=inp.step, key=key, help=tip)
    return values


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def changes_table(inputs: Sequence[Input], shown: Mapping[str, object]) -> str:
    """A Markdown table: each input, its default, the value in use and what moving it changes.

    ``shown`` holds what each input shows now; a picked meter's or building's name comes from
    data, so it is written as text, never as Markdown.
    """
    rows = ["| input | default | yours | what moving it changes |", "|---|---|---|---|"]
    for inp in inputs:
        default = "" if inp.is_data else _cell(inp.default_value())
        yours = md(str(shown.get(inp.name, "")).replace("\n", " "))
        rows.append(f"| **{_cell(inp.title)}** | {default} | {yours} | {_cell(inp.help)} |")
    return "\n".join(rows)
