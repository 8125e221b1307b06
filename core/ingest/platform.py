"""Meters (with their eligibility) and bills from the platform database, landed in the warehouse.

The platform's PostgreSQL database (``DQ_PLATFORM_DB_URL``) is the truth for accounts,
buildings, meters, the three eligibility flags (``dq_enabled``, account active, building
archived) and bills. One documented SQL mapping (core/bills/platform_bills.sql) turns its tables
into DQ Hub's canonical columns; this module writes them through the importer (the same checks,
bad rows named by meter or bill id) so the warehouse's ``meters`` and ``bills`` tables, which
every page and job reads, follow the platform from one sync to the next:

- meters are upserted (a meter switched off on the platform is switched off here too); meters of
  kinds DQ Hub does not score (gas) are left out and counted, and bills name them with no meter;
- bills are upserted and bills no longer on the platform (deleted there) are removed;
- platform ids are numbers; they arrive as text (account ``1`` is ``'1'``). A bill whose meter or
  account does not match a synced meter is a bad row naming both ids.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.bills import source
from core.db.base import Database
from core.ingest.importer import import_frames
from core.ingest.report import ImportReport
from core.ingest.spec import METER_UNITS

_STAGE = "dq_sync_bill_ids"


@dataclass(frozen=True)
class Landed:
    """What one landing of the platform's meters and bills did."""

    report: ImportReport
    meters: int
    meters_left_out: int  # kinds DQ Hub does not score (gas, steam, ...)
    bills: int
    bills_removed: int  # gone from the platform since the last sync

    def line(self) -> str:
        """One line for the sync summary."""
        return (
            f"platform: {self.meters} meters ({self.meters_left_out} of other kinds left out), "
            f"{self.bills} bills ({self.bills_removed} removed), "
            f"{len(self.report.bad_rows)} bad rows"
        )


def land(db: Database, url: str) -> Landed:
    """Copy the platform's meters and bills at ``url`` into the warehouse.

    Raises
    ------
    ConfigError
        If ``url`` is not a ``postgresql://`` URL (a bad setting stops the run).
    SourceError
        If the platform database cannot be reached or read (nothing is written then).
    """
    bills, meters = source.loader(url)(db, url)
    scored = meters["kind"].isin(list(METER_UNITS))
    other = set(meters.loc[~scored, "meter_id"])
    bills = bills.assign(meter_id=bills["meter_id"].where(~bills["meter_id"].isin(other), None))
    report = import_frames(
        db, meters=meters[scored], bills=bills, label="platform", origin="platform"
    )
    removed = _remove_deleted_bills(db, bills["bill_id"].astype(str))
    return Landed(report, int(scored.sum()), len(other), len(bills), removed)


def _remove_deleted_bills(db: Database, kept: pd.Series) -> int:
    """Delete the warehouse's bills whose id the platform no longer has; return how many."""
    with db.transaction() as tx:
        tx.execute(f"CREATE TEMP TABLE {_STAGE} (bill_id VARCHAR(256))")
        tx.insert_df(_STAGE, pd.DataFrame({"bill_id": kept}))
        gone = f"NOT EXISTS (SELECT 1 FROM {_STAGE} WHERE {_STAGE}.bill_id = bills.bill_id)"
        n = tx.fetch_all(f"SELECT count(*) FROM bills WHERE {gone}")[0][0]
        if n:
            tx.execute(f"DELETE FROM bills WHERE {gone}")
        tx.execute(f"DROP TABLE {_STAGE}")
    return int(n)
