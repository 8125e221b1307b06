"""Settings of how the jobs judge data.

The DQ job's history, chunks, snapping, calendar and issue life; the overshoot scan.
"""

from core.settings.setting import Setting

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DQ_OVERSHOOT_MORNING_HOURS",
        "04:00-11:00",
        str,
        "Overshoot: local morning window [start-end) where a startup peak is looked for.",
    ),
    Setting(
        "DQ_OVERSHOOT_PLATEAU_HOURS",
        "11:00-16:00",
        str,
        "Overshoot: local plateau window [start-end) whose median is normal occupied demand.",
    ),
    Setting(
        "DQ_OVERSHOOT_MIN_RATIO",
        0.10,
        float,
        "Overshoot: the morning peak must exceed the plateau median by this fraction (0.10 = 10%).",
    ),
    Setting(
        "DQ_OVERSHOOT_FLOOR_KW",
        5.0,
        float,
        "Overshoot: ... and by at least max(this many kW, DQ_OVERSHOOT_FLOOR_PEAK_FRACTION x the "
        "month's peak).",
        allow_zero=True,
    ),
    Setting(
        "DQ_OVERSHOOT_FLOOR_PEAK_FRACTION",
        0.02,
        float,
        "Overshoot: share of the building's monthly peak used in the absolute floor (0.02 = 2%).",
        allow_zero=True,
    ),
    Setting(
        "DQ_OVERSHOOT_MIN_COMPLETE",
        0.90,
        float,
        "Overshoot: a day counts only if at least this share of its slots is present.",
    ),
    Setting(
        "DQ_OVERSHOOT_MIN_DAYS",
        3,
        int,
        "Overshoot: a building-month with at least this many overshoot days is a fault.",
    ),
    Setting(
        "DQ_OVERSHOOT_TOP_FRACTION",
        0.15,
        float,
        "Overshoot: ... or with one overshoot whose morning peak is in this top share of the "
        "month's daily peaks.",
    ),
    Setting(
        "DQ_OVERSHOOT_CHUNK_METERS",
        500,
        int,
        "Overshoot: meters (of whole buildings) loaded and scanned together; bounds the job's "
        "memory.",
    ),
    Setting(
        "DQ_DEMAND_RATE_PER_KW",
        15.0,
        float,
        "Demand charge in $/kW per month: estimated cost = worst excess kW x this rate.",
    ),
    Setting(
        "DQ_HISTORY_DAYS",
        28,
        int,
        "Days of readings before the scored day that detectors use for baselines.",
    ),
    Setting(
        "DQ_SAME_ISSUE_GAP_HOURS",
        48,
        int,
        "DQ job: a finding of a meter+detector+source that starts within this many hours of the "
        "end of a stored issue of the same three continues that issue (and reopens it if the "
        "system had closed it) instead of opening a new one.",
        allow_zero=True,
    ),
    Setting(
        "DQ_CHUNK_METERS",
        2000,
        int,
        "Meters loaded and scored together; bounds the DQ job's memory.",
    ),
    Setting(
        "DQ_SNAP_SECONDS",
        0,
        int,
        "Import: a timestamp this close to its slot boundary is snapped onto it; 0 = use "
        "DQ_SNAP_FRACTION of the meter's interval.",
        allow_zero=True,
    ),
    Setting(
        "DQ_SNAP_FRACTION",
        0.2,
        float,
        "Import: when DQ_SNAP_SECONDS is 0, the snap tolerance as a share of the meter's "
        "interval (0.2 = 3 min on 15-minute data, 12 min on hourly); at most 0.5.",
    ),
    Setting(
        "DQ_HOLIDAYS",
        "",
        str,
        "Holiday calendar of the daily usage checks: YYYY-MM-DD (every account) or "
        "ACCOUNT:YYYY-MM-DD entries, comma-separated; such local days are not judged.",
    ),
    Setting(
        "DQ_EVALUATE_DAYS",
        30,
        int,
        "Days of people's verdicts behind per-detector precision (jobs evaluate, DQ overview).",
    ),
)
