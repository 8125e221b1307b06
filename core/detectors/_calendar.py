"""The holiday calendar of the daily usage checks (setting ``DQ_HOLIDAYS``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from core.errors import ConfigError

SETTING = "DQ_HOLIDAYS"
_ENTRY = re.compile(r"^(?:(?P<account>[^:\s]+):)?(?P<day>\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Calendar:
    """Local days on which a building is expected to be closed.

    Parameters
    ----------
    everyone : frozenset of date
        Holidays of every account.
    by_account : dict
        ``account_id -> frozenset of date``: holidays of one account only (a school district's
        breaks, a country's public holidays).
    """

    everyone: frozenset[date] = frozenset()
    by_account: dict[str, frozenset[date]] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Calendar:
        """Read ``YYYY-MM-DD`` and ``ACCOUNT:YYYY-MM-DD`` entries (comma or space separated).

        Raises
        ------
        ConfigError
            Naming the setting and the entry that is not a valid date.
        """
        everyone: set[date] = set()
        by_account: dict[str, set[date]] = {}
        for entry in re.split(r"[,\s]+", text.strip()):
            if not entry:
                continue
            match = _ENTRY.match(entry)
            try:
                day = date.fromisoformat(match["day"]) if match else None
            except ValueError:
                day = None
            if day is None:
                raise ConfigError(
                    f"Setting {SETTING}: {entry!r} is not YYYY-MM-DD or ACCOUNT:YYYY-MM-DD"
                )
            if match["account"]:
                by_account.setdefault(match["account"], set()).add(day)
            else:
                everyone.add(day)
        return cls(frozenset(everyone), {k: frozenset(v) for k, v in by_account.items()})

    def __bool__(self) -> bool:
        return bool(self.everyone or self.by_account)

    def mask(self, account_ids: np.ndarray | None, days: np.ndarray) -> np.ndarray:
        """``(n_meters, n_days)`` bool: True where the local day is a holiday of the meter.

        Parameters
        ----------
        account_ids : np.ndarray or None
            ``(n_meters,)`` accounts; None = only the holidays of every account apply.
        days : np.ndarray
            ``(n_days,)`` ``datetime64[D]`` local dates.
        """
        days = np.asarray(days, dtype="datetime64[D]")
        n = 1 if account_ids is None else len(account_ids)
        out = np.zeros((n, len(days)), dtype=bool)
        out |= np.isin(days, np.array(sorted(self.everyone), dtype="datetime64[D]"))[None, :]
        if account_ids is not None and self.by_account:
            accounts = np.asarray(account_ids).astype(str)
            for account, dates in self.by_account.items():  # one pass per listed account
                rows = accounts == account
                if rows.any():
                    hit = np.isin(days, np.array(sorted(dates), dtype="datetime64[D]"))
                    out[rows] |= hit[None, :]
        return out
