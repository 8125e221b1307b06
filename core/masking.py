"""Screen-share mode: stable pseudonyms for account, building, meter and bill names and ids.

Tables go through :func:`mask_frame`; free text (error and warning messages, a failed run's
error, reasons on the Admin page) through :func:`mask_text`, with the names and ids it holds
found by :func:`known_terms`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable

import pandas as pd

from core.db.base import Database

# Column -> (label, column whose value names the entity). Names are masked by their id when the
# id is in the same frame, so "acc-01" and "Acme Corp" become the same "Account 3F2A91QX7B".
COLUMNS: dict[str, tuple[str, str]] = {
    "account_id": ("Account", "account_id"),
    "account_name": ("Account", "account_id"),
    "building_id": ("Building", "building_id"),
    "building_name": ("Building", "building_id"),
    "meter_id": ("Meter", "meter_id"),
}
# 10 base-32 characters = 50 bits: in a 100,000-meter fleet the chance that any two meters
# share a pseudonym is about n^2 / 2^51 = 4e-6 (6 hex characters, 24 bits, made ~300 pairs).
PSEUDONYM_CHARS = 10
_TERM_CHUNK = 200  # texts per lookup query: keeps each parameter a few hundred kB at most


def pseudonym(label: str, value: object, salt: str) -> str:
    """A stable pseudonym such as ``Meter 7C1E0BQ4XA`` (keyed, so ids cannot be guessed back)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    digest = hmac.new(salt.encode(), f"{label}:{value}".encode(), hashlib.sha256).digest()
    return f"{label} {base64.b32encode(digest).decode()[:PSEUDONYM_CHARS]}"


def mask_frame(df: pd.DataFrame, salt: str) -> pd.DataFrame:
    """A copy of ``df`` with every identifying column replaced by its pseudonym."""
    out = df.copy()
    for column, (label, key) in COLUMNS.items():
        if column not in out.columns:
            continue
        source = df[key] if key in df.columns else df[column]
        out[column] = [pseudonym(label, v, salt) for v in source]
    return out


def known_terms(db: Database, texts: Iterable[object]) -> dict[str, tuple[str, str]]:
    """The account, building, meter and bill names and ids that occur in ``texts``.

    Returns ``{term: (label, id)}``: a name maps to its entity's id, so it gets the same
    pseudonym as the id. Not scoped to a user on purpose: the answer only decides what
    screen-share mode hides, never what it shows. The warehouse finds the terms (``strpos``
    over ``meters`` and ``bills``), so no id list is loaded into the app.
    """
    chunks = [str(t) for t in texts if t is not None and str(t)]
    found: dict[str, tuple[str, str]] = {}
    for i in range(0, len(chunks), _TERM_CHUNK):
        blob = "\n".join(chunks[i : i + _TERM_CHUNK])
        rows = db.fetch_all(
            "SELECT DISTINCT meter_id, building_id, building_name, account_id, account_name "
            "FROM meters WHERE strpos(?, meter_id) > 0 OR strpos(?, building_id) > 0 "
            "OR strpos(?, NULLIF(building_name, '')) > 0 OR strpos(?, account_id) > 0 "
            "OR strpos(?, NULLIF(account_name, '')) > 0",
            [blob] * 5,
        )
        for meter_id, building_id, building_name, account_id, account_name in rows:
            for term, label, key in (
                (account_name, "Account", account_id),
                (account_id, "Account", account_id),
                (building_name, "Building", building_id),
                (building_id, "Building", building_id),
                (meter_id, "Meter", meter_id),
            ):
                if term and term in blob:
                    found.setdefault(term, (label, key))
        for (bill_id,) in db.fetch_all(
            "SELECT DISTINCT bill_id FROM bills WHERE strpos(?, bill_id) > 0", [blob]
        ):
            found.setdefault(bill_id, ("Bill", bill_id))
    return found


def mask_text(text: object, terms: dict[str, tuple[str, str]], salt: str) -> str:
    """``text`` with every term of ``terms`` (see :func:`known_terms`) replaced by its pseudonym.

    A term matches only as a whole token (not inside a longer id: ``m-1`` leaves ``m-10``
    alone); longer terms win, so a name that contains an id is replaced as a whole.
    """
    out = "" if text is None else str(text)
    if not terms or not out:
        return out
    ordered = sorted((t for t in terms if t in out), key=len, reverse=True)
    if not ordered:
        return out
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(t) for t in ordered) + r")(?![\w-])")
    return pattern.sub(lambda m: pseudonym(*terms[m.group(0)], salt), out)
