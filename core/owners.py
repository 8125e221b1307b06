"""Default owners (``dq_owners``): which DQ Hub user new issues of an account or building go to.

A building's owner wins over its account's; the DQ and bill jobs read them when they store a new
issue (:func:`default_assignees`, from ``core.dq.store.upsert_rows``), and never touch the
assignee of an issue they already stored. Admins and DS (``user.can("set_owners")``) set owners
on the Owners page or with ``python -m jobs owners import F``. Every owner is checked here, in
core: the setter must see the account, the building must be one of the account's, and the owner
must be a DQ Hub user who may change issues and is granted the account
(:mod:`core.auth.people`). A user reads and sets only the owners of their own accounts.

Owners CSV: columns ``account_id``, ``owner`` and optionally ``building_id`` (empty: the
account's default owner); an empty owner removes the default. Bad rows are reported by line and
skipped; the good rows land together, in one transaction.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from core import csvsafe
from core.auth import User, people
from core.auth.users_file import to_user
from core.db.base import Database, Transaction
from core.errors import DQHubError
from core.runs import utcnow

COLUMNS = ["account_id", "building_id", "owner"]  # the CSV contract; building_id optional
REQUIRED = ("account_id", "owner")
SYSTEM = User("system", "python -m jobs owners", "admin", None)  # the CLI and the demo
MAX_OWNER_CHARS = 256  # the column's width


class OwnersError(DQHubError):
    """An owners file that cannot be read at all (not text, no header, a missing column)."""


@dataclass(frozen=True)
class Edit:
    """Set (or, with ``owner == ""``, remove) the default owner of an account or building."""

    account_id: str
    building_id: str | None
    owner: str


@dataclass
class Report:
    """What a save or an import did: owners set, defaults removed, refusals by line or place."""

    saved: int = 0
    removed: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One line per outcome, for a terminal or a page."""
        out = [f"{self.saved} owner(s) set, {self.removed} removed"]
        return out + [f"{where}: {why}" for where, why in self.refused]


def where_of(edit: Edit) -> str:
    """The place an edit is about, for messages: ``account acc-01`` or ``building b-7``."""
    return f"building {edit.building_id}" if edit.building_id else f"account {edit.account_id}"


def default_assignees(tx: Transaction, found: pd.DataFrame) -> pd.Series:
    """Each row's default owner: its building's, else its account's, else None.

    ``found`` has ``account_id`` and ``building_id``; the result is aligned with its index.
    """
    owners = tx.fetch_df("SELECT account_id, building_id, owner FROM dq_owners")
    if owners.empty or found.empty:
        return pd.Series(None, index=found.index, dtype=object)
    by_place = {(a, b): o for a, b, o in owners.itertuples(index=False) if isinstance(b, str)}
    by_account = {a: o for a, b, o in owners.itertuples(index=False) if not isinstance(b, str)}
    pairs = zip(found["account_id"], found["building_id"], strict=True)
    return pd.Series(
        [by_place.get((a, b), by_account.get(a)) for a, b in pairs], index=found.index, dtype=object
    )


def _places(tx: Transaction | Database, user: User) -> dict[str, set[str]]:
    """The user's accounts and their buildings, from ``meters``."""
    scope, params = user.scope("account_id")
    rows = tx.fetch_all(
        f"SELECT DISTINCT account_id, building_id FROM meters WHERE {scope}", params
    )
    out: dict[str, set[str]] = {}
    for account, building in rows:
        out.setdefault(account, set()).add(building)
    return out


def _problem(edit: Edit, places: dict[str, set[str]], directory: dict[str, User]) -> str | None:
    """Why ``edit`` cannot be saved (None: it can). ``places`` are the setter's own."""
    if not edit.account_id:
        return "no account_id"
    if edit.account_id not in places:  # unknown, or not the setter's: the same answer
        return f"account {edit.account_id} is not one of your accounts"
    if edit.building_id and edit.building_id not in places[edit.account_id]:
        return f"building {edit.building_id} is not a building of account {edit.account_id}"
    if len(edit.owner) > MAX_OWNER_CHARS:
        return f"the owner is longer than {MAX_OWNER_CHARS} characters"
    if edit.owner:
        return people.problem(directory, edit.owner, edit.account_id)
    return None


def _write(tx: Transaction, user: User, edits: list[Edit], report: Report) -> None:
    now = utcnow()
    for edit in edits:
        if edit.building_id:
            where, params = (
                "account_id = ? AND building_id = ?",
                [edit.account_id, edit.building_id],
            )
        else:
            where, params = "account_id = ? AND building_id IS NULL", [edit.account_id]
        tx.execute(f"DELETE FROM dq_owners WHERE {where}", params)
        if not edit.owner:
            report.removed += 1
            continue
        tx.execute(
            "INSERT INTO dq_owners (account_id, building_id, owner, set_by, set_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (edit.account_id, edit.building_id or None, edit.owner, user.username, now),
        )
        report.saved += 1


def save(
    db: Database,
    user: User,
    edits: list[Edit] | list[tuple[str, Edit]],
    directory: dict[str, User] | None = None,
) -> Report:
    """Check and write owner edits as ``user``, the good ones in one transaction.

    ``edits`` may carry a label each (``(label, edit)``, e.g. ``line 7``) that refusals are
    reported under; otherwise a refusal names the account or building.

    Raises
    ------
    OwnersError
        When the user's role may not set owners.
    """
    if not user.can("set_owners"):
        raise OwnersError(f"Your role ({user.role}) cannot set default owners")
    directory = people.directory(db) if directory is None else directory
    labelled = [e if isinstance(e, tuple) else (where_of(e), e) for e in edits]
    report, good = Report(), []
    with db.transaction() as tx:
        tx.lock("dq_owners")
        places = _places(tx, user)
        for label, edit in labelled:
            why = _problem(edit, places, directory)
            if why:
                report.refused.append((label, why))
            else:
                good.append(edit)
        _write(tx, user, good, report)
    return report


def _unquote(value: str | None) -> str:
    """A CSV cell as typed: trimmed, and without the ``'`` our own CSVs put before a formula."""
    text = (value or "").strip()
    if text.startswith("'") and text[1:2] and text[1] in csvsafe.FORMULA_STARTS:
        return text[1:]
    return text


def parse(data: bytes, source: str) -> tuple[list[tuple[str, Edit]], list[tuple[str, str]]]:
    """Owners CSV -> ``(("line N", edit), ...)`` and ``(("line N", reason), ...)``.

    A row repeating an account and building of an earlier row is refused, naming that line.

    Raises
    ------
    OwnersError
        When ``data`` is not UTF-8 text or lacks a required column (named, with ``source``).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OwnersError(f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise OwnersError(
            f"{source}: no {', '.join(missing)} column; expected {', '.join(COLUMNS)} "
            "(building_id may be left out)"
        )
    reader.fieldnames = header
    good, bad, seen = [], [], {}
    for row in reader:
        line = f"line {reader.line_num}"
        if None in row:  # more cells than the header has columns
            bad.append(
                (line, f"{len(header) + len(row[None])} cells; the header has {len(header)}")
            )
            continue
        edit = Edit(
            _unquote(row["account_id"]), _unquote(row.get("building_id")) or None,
            _unquote(row["owner"]),
        )  # fmt: skip
        if not any((edit.account_id, edit.building_id, edit.owner)):
            continue  # a blank line
        key = (edit.account_id, edit.building_id)
        if key in seen:
            bad.append((line, f"{where_of(edit)} is also on {seen[key]}"))
            continue
        seen[key] = line
        good.append((line, edit))
    return good, bad


def import_csv(
    db: Database,
    data: bytes,
    source: str,
    user: User = SYSTEM,
    directory: dict[str, User] | None = None,
) -> Report:
    """Check and write an owners CSV as ``user`` (the CLI: every account, set by ``system``).

    Bad rows (unparseable, repeated, unknown account or building, owner out of scope) are in
    ``Report.refused`` by line; the good rows land in one transaction.
    """
    good, bad = parse(data, source)
    report = save(db, user, good, directory)
    report.refused = sorted(bad + report.refused, key=lambda r: int(r[0].split()[-1]))
    return report


def listing(db: Database, user: User) -> pd.DataFrame:
    """The user's accounts and buildings with their default owners, by account and building.

    One row per account (``building_id`` empty), then one per building of it. Columns:
    ``account_id, account_name, building_id, building_name, owner, set_by, set_at``. Names
    come from ``meters``; only the user's accounts, so no other account's owner shows.
    """
    scope, params = user.scope("account_id")
    df = db.fetch_df(
        "SELECT p.account_id, p.account_name, p.building_id, p.building_name, o.owner, "
        "o.set_by, o.set_at FROM ("
        "SELECT account_id, max(account_name) AS account_name, "
        "CAST(NULL AS VARCHAR(256)) AS building_id, CAST(NULL AS VARCHAR(256)) AS building_name "
        f"FROM meters WHERE {scope} GROUP BY account_id UNION ALL "
        "SELECT account_id, max(account_name), building_id, max(building_name) "
        f"FROM meters WHERE {scope} GROUP BY account_id, building_id) p "
        "LEFT JOIN dq_owners o ON o.account_id = p.account_id AND "
        "(o.building_id = p.building_id OR (o.building_id IS NULL AND p.building_id IS NULL))",
        [*params, *params],
    )
    account = df["account_name"].fillna(df["account_id"]).astype(str)
    building = df["building_name"].fillna(df["building_id"]).fillna("").astype(str)
    order = pd.DataFrame({"a": account, "i": df["account_id"], "n": df["building_id"].notna(),
                          "b": building}).sort_values(["a", "i", "n", "b"]).index  # fmt: skip
    return df.loc[order].reset_index(drop=True)


def export_csv(
    db: Database, user: User, mask: Callable[[pd.DataFrame], pd.DataFrame] = lambda df: df
) -> bytes:
    """The user's default owners as an owners CSV (names after the contract columns)."""
    df = listing(db, user)
    df = df[df["owner"].notna()]
    cols = [*COLUMNS, "account_name", "building_name", "set_by", "set_at"]
    return csvsafe.to_csv_bytes(mask(df[cols].reset_index(drop=True)))


def seed_demo(db: Database) -> Report:
    """Demo owners: the demo staff user owns its two accounts, ds the next one.

    The other accounts get no owner, so their issues wait unassigned in everyone's queue.
    """
    from core.auth import demo

    grants = demo.demo_grants(db)
    staff = list(grants["staff"]["accounts"])
    accounts = [r[0] for r in db.fetch_all("SELECT DISTINCT account_id FROM meters ORDER BY 1")]
    rest = [a for a in accounts if a not in staff]
    edits = [Edit(a, None, "staff") for a in staff] + [Edit(a, None, "ds") for a in rest[:1]]
    directory = {n: to_user(n, e) for n, e in grants.items()}
    return save(db, SYSTEM, edits, directory)
