"""A form that moves one item along a status machine, with a note (the Projects page's).

The form shows the moves allowed from the item's status by their labels and a note box; it
returns the move and the note when submitted. Its widgets are keyed by a number ``n`` (see
:func:`core.ui.widgets.generation`): a new number, for another item or after a save, gives a
blank form. Whether the move is allowed (a note required, a change made meanwhile) is for
core to decide when the page applies it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st


def move(
    prefix: str,
    n: int,
    status: str,
    moves: Sequence[str],
    labels: Mapping[str, str],
    max_chars: int,
    placeholder: str,
) -> tuple[str, str] | None:
    """Draw form ``<prefix>_status``; ``(to, note)`` on the run it is submitted, else None."""
    with st.form(f"{prefix}_status"):
        c1, c2 = st.columns([1, 3])
        to = c1.selectbox(
            f"Move from {labels[status]} to",
            moves,
            format_func=labels.get,
            key=f"{prefix}_to_{n}_{status}",
        )  # new moves: a new widget
        note = c2.text_area(
            "Note",
            max_chars=max_chars,
            key=f"{prefix}_note_{n}",
            height=80,
            placeholder=placeholder,
        )
        if st.form_submit_button("Change status", type="primary"):
            return to, note
    return None
