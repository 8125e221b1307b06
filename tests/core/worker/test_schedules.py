"""core.worker.schedules: crontab settings, time zones through DST, last and next fire times."""

from datetime import UTC

import pytest

from core.errors import ConfigError
from core.worker import schedules
from core.worker.service import Worker
from tests.core.worker.times import NOW, utc

# ---- schedules ------------------------------------------------------------------------------


def _next(setting, count=2, now=NOW):
    schedule = next(s for s in schedules.SCHEDULES if s.setting == setting)
    return schedules.next_fire_times(schedules.trigger(schedule), now, count)


def test_default_schedules_next_fire_times():
    assert _next("DQ_SCHEDULE_DQ") == [utc(2026, 3, 11, 2, 30), utc(2026, 3, 12, 2, 30)]
    assert _next("DQ_SCHEDULE_BILLS") == [utc(2026, 3, 11, 3, 0), utc(2026, 3, 12, 3, 0)]
    # the 2nd of each month: the overshoot scan of the month before
    assert _next("DQ_SCHEDULE_OVERSHOOT") == [utc(2026, 4, 2, 4, 0), utc(2026, 5, 2, 4, 0)]
    assert _next("DQ_SCHEDULE_OVERSHOOT", 1, utc(2026, 12, 31, 23, 0)) == [utc(2027, 1, 2, 4, 0)]


def test_schedules_follow_their_time_zone_through_dst(monkeypatch):
    monkeypatch.setenv("DQ_SCHEDULE_TIMEZONE", "Europe/London")
    monkeypatch.setenv("DQ_SCHEDULE_BILLS", "0 3 * * *")
    fires = _next("DQ_SCHEDULE_BILLS", 3, utc(2026, 3, 27, 12, 0))  # BST starts 29 March 01:00 UTC
    assert [f.astimezone(UTC) for f in fires] == [
        utc(2026, 3, 28, 3, 0),
        utc(2026, 3, 29, 2, 0),
        utc(2026, 3, 30, 2, 0),
    ]


def test_crontab_weekday_numbers_count_from_sunday(monkeypatch):
    # APScheduler 3 reads 0 as Monday; the settings are crontab, where 0 and 7 are Sunday.
    monkeypatch.setenv("DQ_SCHEDULE_DQ", "0 6 * * 0")
    assert _next("DQ_SCHEDULE_DQ", 1) == [utc(2026, 3, 15, 6, 0)]  # Sunday
    monkeypatch.setenv("DQ_SCHEDULE_DQ", "0 6 * * 7")
    assert _next("DQ_SCHEDULE_DQ", 1) == [utc(2026, 3, 15, 6, 0)]
    monkeypatch.setenv("DQ_SCHEDULE_DQ", "0 6 * * 1-5")
    fires = _next("DQ_SCHEDULE_DQ", 5, utc(2026, 3, 13, 12, 0))  # from Friday noon
    assert [f.strftime("%a %d") for f in fires] == [
        "Mon 16",
        "Tue 17",
        "Wed 18",
        "Thu 19",
        "Fri 20",
    ]
    monkeypatch.setenv("DQ_SCHEDULE_DQ", "0 6 * * */3")  # Sun, Wed, Sat
    fires = _next("DQ_SCHEDULE_DQ", 3, NOW)
    assert [f.strftime("%a") for f in fires] == ["Wed", "Sat", "Sun"]
    monkeypatch.setenv("DQ_SCHEDULE_DQ", "0 6 * * sat,sun")
    assert [f.strftime("%a") for f in _next("DQ_SCHEDULE_DQ", 2)] == ["Sat", "Sun"]


@pytest.mark.parametrize("bad", ["every day", "30 2 * *", "61 2 * * *", "0 3 * * 9", "0 3 32 * *"])
def test_a_bad_crontab_names_its_setting(monkeypatch, fresh_db, bad):
    monkeypatch.setenv("DQ_SCHEDULE_BILLS", bad)
    with pytest.raises(ConfigError, match=r"DQ_SCHEDULE_BILLS=.*crontab"):
        schedules.trigger(next(s for s in schedules.SCHEDULES if s.job == "bills"))
    with pytest.raises(ConfigError, match="DQ_SCHEDULE_BILLS"):
        Worker(fresh_db)  # the worker checks every schedule before it runs anything


def test_a_bad_time_zone_names_its_setting(monkeypatch):
    monkeypatch.setenv("DQ_SCHEDULE_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigError, match="DQ_SCHEDULE_TIMEZONE='Mars/Olympus'"):
        schedules.trigger(schedules.SCHEDULES[0])


def test_last_fire_time():
    trig = schedules.cron_trigger("0 4 2 * *", "X")
    assert schedules.last_fire_time(trig, NOW) == utc(2026, 3, 2, 4, 0)
    assert schedules.last_fire_time(trig, utc(2026, 3, 2, 4, 0)) == utc(2026, 3, 2, 4, 0)
    every_minute = schedules.cron_trigger("* * * * *", "X")
    assert schedules.last_fire_time(every_minute, utc(2026, 3, 10, 12, 0, 30)) == NOW
    assert schedules.last_fire_time(schedules.cron_trigger("0 0 29 2 *", "X"), NOW) == utc(
        2024, 2, 29
    )


# ---- fakes ----------------------------------------------------------------------------------
