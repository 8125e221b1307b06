"""When the worker runs each job: crontab expressions read from settings, as APScheduler triggers.

Schedules are data: one line per job in ``SCHEDULES``;
``tests/core/worker/test_schedules.py`` asserts their next fire times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from core import config
from core.errors import ConfigError


@dataclass(frozen=True)
class Schedule:
    """One scheduled job.

    Parameters
    ----------
    job : str
        Job name (``dq_runs.job``): sync, dq, bills or overshoot.
    setting : str
        Setting holding its crontab expression (minute hour day month weekday).
    """

    job: str
    setting: str


SCHEDULES: tuple[Schedule, ...] = (
    Schedule("sync", "DQ_SCHEDULE_SYNC"),  # daily, before dq; lands the platform's data
    Schedule("dq", "DQ_SCHEDULE_DQ"),  # daily; scores the latest full day with readings
    Schedule("bills", "DQ_SCHEDULE_BILLS"),  # daily, after dq; run date = the tick's UTC day
    Schedule("overshoot", "DQ_SCHEDULE_OVERSHOOT"),  # monthly; scans the month before the tick
)

_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")  # crontab 0 and 7 = Sunday
_WEEKDAY_PART = re.compile(r"^(\*|\d+)(?:-(\d+))?(?:/(\d+))?$")
_LOOKBACK_LIMIT = timedelta(days=4 * 366)  # covers a 29 February schedule


def timezone() -> ZoneInfo:
    """The ``DQ_SCHEDULE_TIMEZONE`` setting as a time zone.

    Raises
    ------
    ConfigError
        If the name is not an IANA time zone.
    """
    name = config.get("DQ_SCHEDULE_TIMEZONE")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"Setting DQ_SCHEDULE_TIMEZONE={name!r} is not an IANA time zone (e.g. UTC, "
            "Europe/London)"
        ) from exc


def _weekdays(field: str) -> str:
    """Crontab weekday numbers as names: APScheduler 3 counts 0 as Monday, crontab as Sunday."""
    out = []
    for part in field.lower().split(","):
        match = _WEEKDAY_PART.match(part)
        if not match:
            out.append(part)  # names (mon-fri) mean the same to both; bad text fails below
            continue
        first, last, step = match.groups()
        if first == "*" and step is None:
            out.append("*")
            continue
        lo, hi = (0, 6) if first == "*" else (int(first), int(last or first))
        if last is None and step is not None and first != "*":
            hi = 6  # "1/2": from Monday, every second day, as crontab reads it
        if not 0 <= lo <= hi <= 7:
            raise ValueError(f"weekday {part!r} is outside 0-7")
        days = range(lo, hi + 1, int(step or 1))
        out.extend(dict.fromkeys(_WEEKDAYS[d] for d in days))
    return ",".join(dict.fromkeys(out))


def cron_trigger(expr: str, setting: str, tz: ZoneInfo | None = None) -> CronTrigger:
    """A trigger for crontab ``expr``; errors name ``setting``.

    Raises
    ------
    ConfigError
        If ``expr`` is not five valid crontab fields.
    """
    fields = expr.split()
    try:
        if len(fields) != 5:
            raise ValueError(f"got {len(fields)} fields")
        fields[4] = _weekdays(fields[4])
        return CronTrigger.from_crontab(" ".join(fields), timezone=tz or timezone())
    except ValueError as exc:
        raise ConfigError(
            f"Setting {setting}={expr!r} is not a crontab expression (minute hour day month "
            f"weekday, e.g. '30 2 * * *'): {exc}"
        ) from exc


def trigger(schedule: Schedule) -> CronTrigger:
    """The trigger of ``schedule`` from its setting."""
    return cron_trigger(config.get(schedule.setting), schedule.setting)


def next_fire_times(trig: CronTrigger, now: datetime, count: int = 1) -> list[datetime]:
    """The next ``count`` fire times of ``trig`` after ``now`` (aware datetimes)."""
    out: list[datetime] = []
    previous = None
    for _ in range(count):
        fire = trig.get_next_fire_time(previous, previous or now)
        if fire is None:
            break
        out.append(fire)
        previous = fire
    return out


def last_fire_time(trig: CronTrigger, now: datetime) -> datetime | None:
    """The most recent fire time of ``trig`` at or before ``now`` (None if none in 4 years).

    CronTrigger only looks forward, so look back from ``now`` over a window that doubles until
    it holds a fire time, then walk forward to the last one.
    """
    back = timedelta(minutes=1)
    while True:
        fire = trig.get_next_fire_time(None, now - back)
        if fire is not None and fire <= now:
            while (nxt := trig.get_next_fire_time(fire, now)) is not None and nxt <= now:
                fire = nxt
            return fire
        if back >= _LOOKBACK_LIMIT:
            return None
        back = min(back * 2, _LOOKBACK_LIMIT)
