"""A sandbox model's settings drawn as widgets, and the table of what each input changes.

The Model sandbox page draws every model from its declared inputs (``core.sandbox.Input``):
numbers with bounds as sliders, others as number boxes, choices as select boxes, toggles as
toggles, each defaulting to the model's default and with a "Reset to defaults" button.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from core.markup import md
from core.sandbox.base import Input


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
