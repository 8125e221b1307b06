"""An issue's comment thread and the box to add one (the Issues page detail, the Meter explorer).

:mod:`core.comments` holds every rule (who may comment, scope, length); this draws it. Bodies are
shown as plain text (``ui.md``), never Markdown, and in screen-share mode the account, building,
meter and bill names DQ Hub knows are replaced in them (``ui.mask_texts``); author and time
always show. What posting did is shown after the rerun, inside the panel.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import comments
from core.auth import User
from core.db import Database
from core.errors import DQHubError
from core.ui import mask_texts, md, message, mode_key
from core.ui.widgets import choose, generation


def panel(
    prefix: str, db: Database, user: User, issues: pd.DataFrame, default: str | None = None
) -> None:
    """A picker over ``issues`` (``default`` first picked), then the picked issue's thread.

    ``issues``: the issues on screen, as shown (masked): ``issue_id, severity, detector,
    start_ts`` and ``meter_id`` when they span meters (:func:`core.comments.labels`).
    """
    if issues.empty:
        return
    ids = list(issues["issue_id"])
    try:
        labels = comments.labels(issues, comments.counts(db, user, ids))
    except DQHubError as exc:
        message("error", exc)
        return
    first = default if default in labels else ids[0]
    st.subheader("Comments")
    n = generation(f"{prefix}_comment_link_n", f"{prefix}_comment_link", [default])  # new link
    picked = choose(st, "Issue", ids, labels, mode_key(f"{prefix}_comment_issue_{n}"), first)
    thread(prefix, db, user, picked)


def thread(prefix: str, db: Database, user: User, issue_id: str) -> None:
    """The issue's comments, newest last, and (for roles that may comment) a box to add one."""
    for level, text in st.session_state.pop(f"{prefix}_comment_flash", []):
        message(level, text)
    try:
        rows = comments.thread(db, user, issue_id)
    except DQHubError as exc:
        message("error", exc)
        return
    if rows.empty:
        st.caption("No comments yet.")
    for r, body in zip(rows.itertuples(), mask_texts(rows["body"]), strict=True):
        with st.container(border=True):
            st.caption(f"{md(r.author)} · {r.created_at:%Y-%m-%d %H:%M} UTC")
            st.markdown(md(body))
    if not user.can("comment"):
        return
    # A fresh box per issue (text typed for one never lands on another), and after each post.
    n = generation(f"{prefix}_comment_n", f"{prefix}_comment_for", issue_id)
    key = f"{prefix}_comment_body_{n}"
    text = st.text_area(
        "Add a comment",
        key=key,
        max_chars=comments.MAX_CHARS,
        placeholder="What you found or did; shown to everyone who can see this issue",
    )
    if st.button("Post comment", key=f"{prefix}_comment_post"):
        try:
            comments.add(db, user, issue_id, text)
        except DQHubError as exc:  # the text stays in the box to fix
            st.session_state[f"{prefix}_comment_flash"] = [("error", str(exc))]
        else:
            st.session_state[f"{prefix}_comment_flash"] = [("success", "Comment posted.")]
            st.session_state[f"{prefix}_comment_n"] = n + 1  # a blank box
        st.rerun()
