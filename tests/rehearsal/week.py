"""A simulated week in production shape: the platform's data arrives, the real worker runs.

The platform systems (``Platform``: its PostgreSQL database, an InfluxDB database, an S3 bucket
of raw packets) receive the fleet of tests/rehearsal/fleet.py day by day; the worker
(core.worker.service.Worker with the real tasks) runs every job at its ``DQ_SCHEDULE_*`` fire
times on a simulated clock. Two things happen mid-week, as they do in production:

- the raw packets of two meters for ``LATE_DAY`` arrive only on ``LATE_ARRIVAL``, after that
  day was scored (the DQ job must score it again);
- the platform switches DQ off for ``SWITCHED_OFF`` at ``SWITCH_OFF_AT`` (its open issues must
  be resolved and it must get no new ones).

The week starts on the first start of the worker at ``START`` and ends on 2 April, so the
monthly overshoot tick (the 2nd) scans March. Used by tests/rehearsal/test_rehearsal.py and
scripts/screenshots_production.py.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pandas as pd

from core import runs
from core.db.base import Database
from core.worker.service import Worker
from tests.core.sources.feeds import write_influx, write_packets
from tests.rehearsal import fleet

log = logging.getLogger(__name__)

START = datetime(2026, 3, 27, 0, 0, tzinfo=UTC)  # the worker's first start
DAYS = 7  # worker days: 27 March .. 2 April; each night scores the day before
LATE_DAY = date(2026, 3, 28)
LATE_METERS = ("m-101-main", "m-101-hvac")
LATE_ARRIVAL = datetime(2026, 3, 30, 0, 30, tzinfo=UTC)
SWITCHED_OFF = "m-102-pump"
SWITCH_OFF_AT = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)
ARRIVAL = timedelta(minutes=30)  # a day's readings are on the platform 30 min after it ends


@dataclass
class Platform:
    """The platform's systems, as the sync job reads them.

    Parameters
    ----------
    db_url : str
        Its PostgreSQL database (accounts, buildings, meters, utility_bills).
    influx : influxdb.InfluxDBClient
        A client of its InfluxDB database; ``influx_url`` is that database's URL.
    s3 : botocore client
        An S3 client of the endpoint ``s3_endpoint``, holding ``bucket``.
    """

    db_url: str
    influx: object
    influx_url: str
    s3: object
    s3_endpoint: str
    bucket: str
    prefix: str = "raw"

    def settings(self) -> dict[str, str]:
        """The DQ Hub settings that point the sync job at these systems."""
        return {
            "DQ_PLATFORM_DB_URL": self.db_url,
            "DQ_PLATFORM_READINGS": "influxdb",
            "DQ_INFLUX_URL": self.influx_url,
            "DQ_RAW_READINGS": "s3",
            "DQ_S3_RAW_URL": f"s3://{self.bucket}/{self.prefix}",
            "DQ_S3_ENDPOINT_URL": self.s3_endpoint,
        }

    def deliver(
        self, week: pd.DataFrame, day: date, raw_held: tuple[str, ...] = (), days: int = 1
    ) -> None:
        """``days`` UTC days from ``day`` arrive: points in InfluxDB, packets in S3 (one per
        meter and day; not those of meters ``raw_held``)."""
        write_influx(self.influx, fleet.days_of(week, day, "platform", days=days))
        raw = fleet.days_of(week, day, "raw", days=days)
        write_packets(self.s3, self.bucket, self.prefix, raw[~raw["meter_id"].isin(raw_held)])

    def deliver_raw(self, week: pd.DataFrame, day: date, uids: tuple[str, ...]) -> None:
        """Late raw packets: ``day``'s packets of meters ``uids`` arrive now."""
        write_packets(self.s3, self.bucket, self.prefix, fleet.days_of(week, day, "raw", uids))


class Clock:
    """The simulated time (aware UTC); the worker and ``simulated_time`` read it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def simulated_time(clock: Clock) -> Iterator[None]:
    """``core.runs.utcnow`` (every job's and the sync's clock) follows ``clock``.

    The worker takes its clock as a parameter, but the jobs it runs read ``core.runs.utcnow``
    (the sync's window end and high water mark, run and change times); all of them must agree
    with the worker's simulated time.
    """

    class SimulatedDatetime(datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001, ANN206 - datetime.now's signature
            moment = clock()
            return moment.astimezone(tz) if tz else moment.astimezone(UTC).replace(tzinfo=None)

    with mock.patch.object(runs, "datetime", SimulatedDatetime):
        yield


@dataclass
class Rehearsal:
    """What the week did, for assertions and reports."""

    worker: Worker
    open_at_switch_off: list[str] = field(default_factory=list)  # the meter's open issue ids
    runs_at_switch_off: set[str] = field(default_factory=set)  # dq_runs before the switch-off


def _fire_times(worker: Worker, day: date) -> list[tuple[datetime, str]]:
    """Each job's fire times within UTC ``day``, in order (as APScheduler would fire them)."""
    lo = datetime.combine(day, datetime.min.time(), UTC)
    hi = lo + timedelta(days=1)
    out = []
    for job, trig in worker.triggers.items():
        fire = trig.get_next_fire_time(None, lo)
        while fire is not None and fire < hi:
            out.append((fire.astimezone(UTC), job))
            fire = trig.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return out


def rehearse(db: Database, platform: Platform, week: pd.DataFrame) -> Rehearsal:
    """Run the week (module docstring) on warehouse ``db``; the settings must point at it."""
    platform.deliver(week, fleet.HISTORY_START, days=fleet.HISTORY_DAYS)  # the platform's past
    clock = Clock(START)
    with simulated_time(clock):
        worker = Worker(db, clock=clock)
        worker.start_up()  # first start: earlier ticks are recorded as skipped
        result = Rehearsal(worker)

        def switch_off() -> None:
            fleet.switch_off(platform.db_url, SWITCHED_OFF)
            result.open_at_switch_off = [
                r[0]
                for r in db.fetch_all(
                    "SELECT issue_id FROM dq_issues WHERE meter_id = ? AND status = 'open'",
                    (SWITCHED_OFF,),
                )
            ]
            result.runs_at_switch_off = {r[0] for r in db.fetch_all("SELECT run_id FROM dq_runs")}

        events: list[tuple[datetime, str, Callable[[], None]]] = []
        for i in range(DAYS):
            day = START.date() + timedelta(days=i)
            came = day - timedelta(days=1)  # yesterday's readings land on the platform
            held = LATE_METERS if came == LATE_DAY else ()
            at = datetime.combine(day, datetime.min.time(), UTC) + ARRIVAL
            events.append((at, f"readings of {came}", lambda c=came, h=held: platform.deliver(
                week, c, h)))  # fmt: skip
            events += [
                (t, job, lambda j=job: worker.tick(j)) for t, job in _fire_times(worker, day)
            ]
        events.append((LATE_ARRIVAL, f"late raw packets of {LATE_DAY}",
                       lambda: platform.deliver_raw(week, LATE_DAY, LATE_METERS)))  # fmt: skip
        events.append((SWITCH_OFF_AT, f"DQ switched off for {SWITCHED_OFF}", switch_off))
        for at, what, do in sorted(events, key=lambda e: e[0]):
            clock.now = at
            started = time.monotonic()
            do()
            log.info("%s UTC %s: %.1f s", at.strftime("%Y-%m-%d %H:%M"), what,
                     time.monotonic() - started)  # fmt: skip
    return result
