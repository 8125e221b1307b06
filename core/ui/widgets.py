"""Page widgets the pages share: filter picks, flash messages, the paged editable table, ...

The Issues and Utility bills pages (and any later list of findings) draw their filters, keep a
page of rows under the person's unsaved edits, save through :func:`core.triage.apply` and report
what was saved and refused the same way. Each takes a ``prefix`` for its session keys so two
lists never share state. Beside them: the account and building filters (:func:`pick_places`), a
select box that always holds a valid option (:func:`choose`), a deep link applied once
(:func:`new_link`), a counter for fresh widget keys (:func:`generation`), a download built
when clicked (:func:`download`, :func:`download_csv`), the sidebar's My queue choice with its
counts (:func:`queue`) and the bulk change of the selected rows (:func:`bulk`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from core import triage
from core.auth import User
from core.db import Database
from core.ui import click_time_user, label, masker, masking_on, message, mode_key


def pick(
    col: Any,
    prefix: str,
    label_: str,
    options: list,
    key: str,
    names: dict | None = None,
    default: tuple | list = (),
    shown_as: Callable[[Any], str] = str,
) -> list:
    """A filter multiselect where empty means all; ``names`` shown as pseudonyms when sharing.

    ``names`` maps option ids to display names (accounts, buildings); without it options show
    through ``shown_as`` (e.g. a status's label). The widget's key is ``<prefix>_<key>`` (per
    screen-share mode with names).
    """

    def fmt(value: object) -> str:
        return label(label_, value) if masking_on() else str(names.get(value, value))

    full = f"{prefix}_{key}"
    return col.multiselect(
        label_,
        options,
        list(default) or None,
        format_func=fmt if names else shown_as,
        key=mode_key(full) if names else full,
        placeholder="All",
    )


def pick_places(
    accounts_col: Any, buildings_col: Any, prefix: str, accounts: dict, buildings: dict
) -> tuple[list, list]:
    """The account and building filters (:func:`pick`); the picked accounts and buildings.

    ``accounts`` maps account ids to names, ``buildings`` building ids to ``(name,
    account_id)``; the building filter offers only the buildings of the picked accounts.
    """
    picked = pick(accounts_col, prefix, "Account", list(accounts), "accounts", accounts)
    places = {b: n for b, (n, a) in buildings.items() if not picked or a in picked}
    return picked, pick(buildings_col, prefix, "Building", list(places), "buildings", places)


def flash(prefix: str) -> None:
    """Show, once, the messages the last save of list ``prefix`` left (see :func:`save`)."""
    for level, text in st.session_state.pop(f"{prefix}_flash", []):
        message(level, text)


def _flash_of(result: triage.BulkResult) -> list[tuple[str, str]]:
    shown = [("success", f"Saved {len(result.saved)} change(s).")] if result.saved else []
    shown += [("warning", f"Not saved: {why}") for _, why in result.refused]
    return shown or [("info", "Nothing to save: no status, note or assignee was changed.")]


@dataclass(frozen=True)
class Page:
    """One page of rows of a list, as the person sees it.

    Attributes
    ----------
    rows : DataFrame
        The rows on screen (the ones the editor's edits refer to).
    total : int
        Rows matching the filters, on every page.
    number, pages : int
        This page (1-based) and the number of pages.
    """

    rows: pd.DataFrame
    total: int
    number: int
    pages: int


def paged(
    prefix: str, filters: object, size: int, fetch: Callable[[int], tuple[pd.DataFrame, int]]
) -> Page:
    """The current page of list ``prefix``: ``fetch(page) -> (rows, total)``, rows by issue_id.

    New filters start on page 1; a page past the end (fewer matches than before) becomes the
    last one. While the table holds unsaved edits, the rows loaded with them are kept, so an
    edit never lands on a row that moved in under it; if the rows on screen changed anyway,
    the person is told their edits were dropped.
    """
    state = st.session_state
    page_key, loaded_key = f"{prefix}_page", f"{prefix}_loaded"
    if state.get(f"{prefix}_filters") != filters:
        state[f"{prefix}_filters"], state[page_key] = filters, 1
    number = state.get(page_key, 1)
    pending = (state.get(f"{prefix}_editor") or {}).get("edited_rows")
    loaded = state.get(loaded_key)
    if pending and loaded and loaded[0] == (filters, number):
        rows, total = loaded[1], loaded[2]
    else:
        rows, total = fetch(number)
        last = max(1, math.ceil(total / size))
        if number > last:
            state[page_key] = number = last
            rows, total = fetch(number)
        if pending and loaded and list(loaded[1]["issue_id"]) != list(rows["issue_id"]):
            st.toast("Unsaved table edits were dropped: the rows on screen changed.")
        state[loaded_key] = ((filters, number), rows, total)
    return Page(rows, total, number, max(1, math.ceil(total / size)))


def edits(prefix: str) -> dict[int, dict[str, Any]]:
    """The table's unsaved edits: row position -> changed columns."""
    return (st.session_state.get(f"{prefix}_editor") or {}).get("edited_rows", {})


def editor_name(prefix: str) -> str:
    """A name for the table's index that changes with every save.

    The editor's identity includes it, so a save (or another page of rows) starts a clean
    editor instead of carrying edits over to other rows.
    """
    return f"{prefix}-{st.session_state.get(f'{prefix}_saves', 0)}"


def save(
    prefix: str, db: Database, user: User, changes: list[triage.Change], clear: tuple[str, ...] = ()
) -> None:
    """Apply ``changes``, leave the outcome for :func:`flash`, reload the rows and rerun."""
    finish(prefix, _flash_of(triage.apply(db, user, changes)), clear)


def finish(prefix: str, shown: list[tuple[str, str]], clear: tuple[str, ...] = ()) -> None:
    """After a save of list ``prefix``: ``shown`` for :func:`flash`, a clean editor, a rerun.

    The rows are loaded afresh and the ``clear`` keys (e.g. a bulk note) dropped.
    """
    state = st.session_state
    state[f"{prefix}_flash"] = shown
    state[f"{prefix}_saves"] = state.get(f"{prefix}_saves", 0) + 1
    for key in (f"{prefix}_editor", f"{prefix}_loaded", *clear):
        state.pop(key, None)
    st.rerun()  # fresh rows for this session; other sessions see them on their next rerun


def choose(
    where: Any,
    label_: str,
    options: list,
    labels: dict,
    key: str,
    default: object,
    link: object = None,
    **kwargs: Any,
) -> Any:
    """A select box over ``options`` that always shows a valid one; the picked option.

    ``link`` (a deep link's value) is picked when given; otherwise a choice that is no longer
    among the options (filtered away, another model's data) becomes ``default``. The choice is
    set in the session, not dropped, so the browser shows it. Options are shown by ``labels``
    (themselves when missing). ``kwargs`` go to ``selectbox`` (e.g. ``help``).
    """
    state = st.session_state
    if link is not None:
        state[key] = link
    elif state.get(key) not in options:
        state[key] = default
    return where.selectbox(
        label_, options, key=key, format_func=lambda v: labels.get(v, str(v)), **kwargs
    )


def new_link(seen: str, name: str, valid: Callable[[str], bool]) -> str | None:
    """Query parameter ``name`` when the page has not applied it yet (a new link) and ``valid``.

    ``seen`` is the session key of the values already applied, by parameter (the page notes a
    value there when it writes it into the URL itself). An invalid value (``valid`` is False or
    raises ``ValueError``) is ignored, once.
    """
    value, applied = st.query_params.get(name), st.session_state.setdefault(seen, {})
    if value is None or applied.get(name) == value:
        return None
    applied[name] = value
    try:
        return value if valid(value) else None
    except ValueError:  # e.g. ?day=not-a-date
        return None


def generation(counter: str, of: str, value: object) -> int:
    """A number that goes up whenever ``value`` differs from the last run's.

    Widget keys built with it give a fresh widget (its default, no label the browser kept) when
    what the widget is about changes: another meter, another project, new options. A number,
    not the value, because element ids reach the browser and must not carry data. ``of`` keeps
    the value, ``counter`` the number (a page may raise it itself, e.g. for a blank form).
    """
    state = st.session_state
    if state.get(of) != value:
        state[of] = value
        state[counter] = state.get(counter, 0) + 1
    return state[counter]


MIMES = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def download(
    label_: str,
    build: Callable[[User, Callable[[pd.DataFrame], pd.DataFrame]], bytes],
    file_name: str,
    **kwargs: Any,
) -> None:
    """A download button whose file ``build(user, mask)`` makes only when it is clicked.

    ``user`` is the signed-in user at the click (a signed-out or demoted user gets nothing
    more, :func:`core.ui.click_time_user`) and ``mask`` this session's screen-share masking as
    the page was drawn (the click runs outside the script run, where the session cannot be
    read). The file type follows ``file_name``'s suffix (``MIMES``). ``kwargs`` go to
    ``download_button`` (``key``, ``icon``, ``help``).
    """
    mask, fresh = masker(), click_time_user()
    suffix = file_name[file_name.rfind(".") :].lower()
    st.download_button(
        label_,
        lambda: build(fresh(), mask),
        on_click="ignore",
        file_name=file_name,
        mime=MIMES.get(suffix, "application/octet-stream"),
        **kwargs,
    )


def download_csv(
    label_: str,
    build: Callable[[User, Callable[[pd.DataFrame], pd.DataFrame]], bytes],
    file_name: str,
    **kwargs: Any,
) -> None:
    """A CSV download built when clicked: :func:`download` of a ``.csv`` file."""
    download(label_, build, file_name, **kwargs)


QUEUE, ALL_ISSUES = "queue", "all"
NOBODY_LABEL = "(unassigned)"


def queue(prefix: str, counts: dict[str, int]) -> bool:
    """The sidebar's view choice, My queue (first) or All issues, under the queue's counts.

    ``counts``: ``mine`` (open work assigned to the user) and ``unassigned`` (in their
    accounts). True when My queue is chosen.
    """
    with st.sidebar:
        st.markdown("**My queue**")
        mine, free = st.columns(2)
        mine.metric("Assigned to me", f"{counts['mine']:,}", help="Open or acknowledged")
        free.metric(
            "Unassigned", f"{counts['unassigned']:,}", help="Open or acknowledged, in your accounts"
        )
        names = {QUEUE: "My queue", ALL_ISSUES: "All issues"}
        view = st.radio(
            "Show", list(names), format_func=names.get, key=f"{prefix}_view", horizontal=True,
            help="My queue: the issues assigned to you, then the unassigned ones",
        )  # fmt: skip
    return view == QUEUE


@dataclass(frozen=True)
class Bulk:
    """The bulk change asked for: ``apply`` clicked; status and assignee None = keep."""

    apply: bool
    status: str | None
    note: str
    assignee: str | None

    def fields(self) -> tuple[str | None, str, str | None]:
        """``(status, note, assignee)`` for a save: status and assignee only when applied."""
        return (self.status, self.note, self.assignee) if self.apply else (None, self.note, None)


def bulk(
    cols: list, prefix: str, statuses: tuple, assignees: list[str] | None, chosen: int
) -> Bulk:
    """Status, note and assignee for the ``chosen`` selected rows, and the button applying them.

    ``cols``: four columns (status, note, assignee, button). An assignee of ``""`` unassigns;
    ``assignees`` None (the role may not assign) draws no assignee choice, as no ``statuses``
    draw no status choice.
    """
    keep = {None: "(keep)", "": NOBODY_LABEL}
    status = None
    if statuses:
        status = cols[0].selectbox(
            "Set selected to", [None, *statuses], format_func=lambda v: keep.get(v, v),
            key=f"{prefix}_bulk_status",
        )  # fmt: skip
    note = cols[1].text_input("Note for selected", key=f"{prefix}_bulk_note") if statuses else ""
    assignee = None
    if assignees is not None:
        assignee = cols[2].selectbox(
            "Assign selected to", [None, "", *assignees], format_func=lambda v: keep.get(v, v),
            key=f"{prefix}_bulk_assignee",
        )  # fmt: skip
    clicked = cols[3].button(
        f"Apply to {chosen} selected", disabled=not chosen, key=f"{prefix}_bulk_apply",
        help="Also saves your other edits",
    )  # fmt: skip
    return Bulk(clicked, status, note, assignee)
