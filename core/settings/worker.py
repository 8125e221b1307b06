"""Settings of when the worker runs each job (crontabs, time zone) and how often it polls."""

from core.settings.setting import Setting

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DQ_SCHEDULE_SYNC",
        "0 2 * * *",
        str,
        "Worker: crontab of the sync job (platform meters, bills and readings into the "
        "warehouse); runs before the DQ job.",
    ),
    Setting(
        "DQ_SCHEDULE_DQ",
        "30 2 * * *",
        str,
        "Worker: crontab (minute hour day month weekday) of the DQ job; scores the latest full "
        "day with readings.",
    ),
    Setting(
        "DQ_SCHEDULE_BILLS",
        "0 3 * * *",
        str,
        "Worker: crontab of the bill checks; run date = the day of the tick.",
    ),
    Setting(
        "DQ_SCHEDULE_OVERSHOOT",
        "0 4 2 * *",
        str,
        "Worker: crontab of the overshoot scan; scans the month before the tick (the 2nd: the "
        "last full month).",
    ),
    Setting(
        "DQ_SCHEDULE_TIMEZONE",
        "UTC",
        str,
        "Worker: IANA time zone the DQ_SCHEDULE_* expressions are read in.",
    ),
    Setting(
        "DQ_WORKER_POLL_SECONDS",
        5.0,
        float,
        "Worker: how often it looks for queued run-now requests (Admin page).",
    ),
)
