"""Owners page: the user's accounts and buildings with their default owners, as an editable table.

Reads and writes go through :mod:`core.owners`, which scopes every row to the user's accounts
and checks every owner; here: the rows with why a current owner no longer fits (a user removed,
an account taken away from them), the editor's table, and how its edits become owner edits.
Owner names are staff user names, not customer data: screen-share mode leaves them as they are
(account and building names are masked by the page, as everywhere).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from core import owners
from core.auth import User, people

WHOLE_ACCOUNT = "(whole account)"


def rows(db: Any, user: User, directory: dict[str, User]) -> pd.DataFrame:
    """:func:`core.owners.listing` plus ``problem``: why its owner no longer fits, or None."""
    df = owners.listing(db, user)
    df["problem"] = [
        people.problem(directory, o, a) if isinstance(o, str) else None
        for o, a in zip(df["owner"], df["account_id"], strict=True)
    ]
    return df


def choices(directory: dict[str, User], user: User) -> list[str]:
    """Owners ``user`` may pick: people who hold issues in one of their accounts (sorted)."""
    return people.visible_to(directory, user)


def table(view: pd.DataFrame) -> pd.DataFrame:
    """The editor's rows from :func:`rows` (already masked for display).

    Columns: account, building (``WHOLE_ACCOUNT`` on an account's own row), owner (None: no
    owner), set_by, set_at, problem (empty: none). Positions match ``view``'s.
    """
    view = view.reset_index(drop=True)
    whole = view["building_id"].isna() | (view["building_id"] == "")
    building = view["building_name"].fillna(view["building_id"]).fillna("")
    owner = [o if isinstance(o, str) else None for o in view["owner"]]
    return pd.DataFrame(
        {
            "account": view["account_name"].fillna(view["account_id"]),
            "building": building.where(~whole, WHOLE_ACCOUNT),
            "owner": pd.Series(owner, index=view.index, dtype=object),  # None: no owner
            "set_by": view["set_by"].fillna(""),
            "set_at": view["set_at"],
            "problem": view["problem"].fillna(""),
        }
    )


def edits(loaded: pd.DataFrame, edited_rows: dict[Any, dict[str, Any]]) -> list[owners.Edit]:
    """Owner edits from the editor's ``edited_rows`` over the ``loaded`` rows.

    A cleared owner removes the default; an owner set to what it was is left out.
    """
    out = []
    for pos, edit in sorted(edited_rows.items(), key=lambda kv: int(kv[0])):
        if "owner" not in edit or not 0 <= int(pos) < len(loaded):
            continue
        row = loaded.iloc[int(pos)]
        new = edit["owner"] or ""
        if new == (row["owner"] if isinstance(row["owner"], str) else ""):
            continue
        building = row["building_id"] if isinstance(row["building_id"], str) else None
        out.append(owners.Edit(row["account_id"], building, new))
    return out


def messages(report: owners.Report) -> list[tuple[str, str]]:
    """``(level, text)`` lines for the page's flash: what was saved, then each refusal."""
    done = report.saved or report.removed
    head = [("success" if done else "info", report.lines()[0].capitalize() + ".")]
    return head + [("warning", f"Not saved, {where}: {why}") for where, why in report.refused]
