"""Screen-share mode: stable pseudonyms for account, building and meter names and ids."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd

# Column -> (label, column whose value names the entity). Names are masked by their id when the
# id is in the same frame, so "acc-01" and "Acme Corp" become the same "Account 3F2A91".
COLUMNS: dict[str, tuple[str, str]] = {
    "account_id": ("Account", "account_id"),
    "account_name": ("Account", "account_id"),
    "building_id": ("Building", "building_id"),
    "building_name": ("Building", "building_id"),
    "meter_id": ("Meter", "meter_id"),
}


def pseudonym(label: str, value: object, salt: str) -> str:
    """A stable pseudonym such as ``Meter 7C1E0B`` (keyed, so ids cannot be guessed back)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    digest = hmac.new(salt.encode(), f"{label}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{label} {digest[:6].upper()}"


def mask_frame(df: pd.DataFrame, salt: str) -> pd.DataFrame:
    """A copy of ``df`` with every identifying column replaced by its pseudonym."""
    out = df.copy()
    for column, (label, key) in COLUMNS.items():
        if column not in out.columns:
            continue
        source = df[key] if key in df.columns else df[column]
        out[column] = [pseudonym(label, v, salt) for v in source]
    return out
