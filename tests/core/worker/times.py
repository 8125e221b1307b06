"""Times the worker tests share."""

from datetime import UTC, datetime

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # a Tuesday


def utc(*args):
    return datetime(*args, tzinfo=UTC)
