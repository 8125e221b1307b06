"""The "Muted detectors" panel of one meter: its active mutes, ending one, muting a detector.

A muted detector's findings on the meter are kept with status ``muted`` but leave the to-do
list until the day after the mute ends; :mod:`core.dq.mutes` holds every rule (roles, scope,
reasons), this draws it. What a mute or an end did is left in ``<prefix>_flash`` for
:func:`core.ui.widgets.flash`, shown after the rerun.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.auth import User
from core.db import Database
from core.detectors import REGISTRY
from core.dq import mutes
from core.errors import DQHubError


def panel(
    prefix: str, db: Database, user: User, meter_id: str, found: pd.DataFrame, linked: str | None
) -> None:
    """The panel of ``meter_id``; the form offers ``linked``'s detector first, else ``found``'s.

    ``found``: the meter's issues on screen (``issue_id``, ``detector``); ``linked``: the issue
    a link opened. Roles that cannot triage see the mutes only.
    """
    active = mutes.active(db, user, meter_id)
    flash = f"{prefix}_flash"
    with st.expander(f"Muted detectors ({len(active)})", expanded=bool(len(active))):
        st.caption("A muted detector's findings on this meter are kept with status muted but "
                   "leave the to-do list until the day after the mute ends (e.g. a known broken "
                   "meter waiting for a technician).")  # fmt: skip
        for r in active.itertuples():
            c1, c2 = st.columns([5, 1])
            c1.text(f"{r.detector} until {r.until_day} by {r.created_by}: {r.reason}")
            if user.can_triage and c2.button("End", key=f"{prefix}_unmute_{r.Index}"):
                try:
                    n = mutes.end(db, user, r.mute_id)
                    st.session_state[flash] = [("success", f"Mute ended; {n} reopened.")]
                except DQHubError as exc:
                    st.session_state[flash] = [("error", str(exc))]
                st.rerun()
        if user.can_triage:
            _form(prefix, db, user, meter_id, found, linked)


def _form(
    prefix: str, db: Database, user: User, meter_id: str, found: pd.DataFrame, linked: str | None
) -> None:
    flash = f"{prefix}_flash"
    with st.form(f"{prefix}_mute", clear_on_submit=True):
        c1, c2 = st.columns(2)
        names = list(REGISTRY)  # the linked issue's detector first, else the window's
        shown = found.set_index("issue_id")["detector"]
        pick = shown.get(linked, shown.iloc[0] if len(shown) else names[0])
        detector = c1.selectbox(
            "Detector", names, index=names.index(pick), key=f"{prefix}_mute_detector"
        )
        until = c2.date_input("Until (inclusive)", pd.Timestamp.now("UTC").date()
                              + pd.Timedelta(days=7), key=f"{prefix}_mute_until")  # fmt: skip
        reason = st.text_input(
            "Reason",
            key=f"{prefix}_mute_reason",
            placeholder="e.g. CT clamp broken, technician booked",
        )
        if st.form_submit_button("Mute"):
            try:
                mutes.mute(db, user, meter_id, detector, until, reason)
                st.session_state[flash] = [
                    ("success", f"{detector} muted on this meter until {until}.")
                ]
            except DQHubError as exc:
                st.session_state[flash] = [("error", str(exc))]
            st.rerun()
