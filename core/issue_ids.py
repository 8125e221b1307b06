"""The per-warehouse key behind issue ids, so a link's id cannot be guessed from meter and time.

Issue ids appear in links (``explorer?issue=<id>``) and in the URL bar. A plain hash of meter,
detector, source and start would let anyone who knows (or guesses) a meter id and a time
compute the id of another account's issue, and confirm what a link is about. The ids are an
HMAC under a random key created once per warehouse by migration 0005 and kept in ``dq_meta``
(``issue_id_key``): stable for the warehouse's life (reruns find the same ids), unknown to
anyone who cannot read the warehouse itself. The key is not a login secret: someone who can
read ``dq_meta`` can read ``dq_issues`` too.
"""

from __future__ import annotations

import secrets

import pandas as pd

from core.db.base import Database, Transaction
from core.errors import WarehouseError

META_KEY = "issue_id_key"


def read_key(db: Database | Transaction) -> bytes:
    """The warehouse's issue-id key.

    Raises
    ------
    WarehouseError
        If the warehouse has none (its migrations were not applied).
    """
    rows = db.fetch_all("SELECT meta_value FROM dq_meta WHERE meta_key = ?", (META_KEY,))
    if not rows or not rows[0][0]:
        raise WarehouseError(
            "The warehouse has no issue id key (dq_meta issue_id_key): run "
            "`python -m jobs migrate` to apply migration 0005"
        )
    return str(rows[0][0]).encode()


def create_key(tx: Transaction) -> bytes:
    """The warehouse's key, created (256 random bits, hex) when it has none yet."""
    rows = tx.fetch_all("SELECT meta_value FROM dq_meta WHERE meta_key = ?", (META_KEY,))
    if rows and rows[0][0]:
        return str(rows[0][0]).encode()
    key = secrets.token_hex(32)
    tx.insert_df("dq_meta", pd.DataFrame({"meta_key": [META_KEY], "meta_value": [key]}))
    return key.encode()
