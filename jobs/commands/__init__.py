"""The CLI's commands, one module per command group; ``jobs/cli.py`` holds the parser.

Each ``cmd_<name>(args) -> int`` takes the parsed arguments and returns the exit code (0 ok,
2 an error DQ Hub raised on purpose, printed by ``jobs.cli.main``, 3 a run that was not ok).
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def today() -> date:
    """Today in UTC: the default day of the commands that take a date."""
    return datetime.now(UTC).date()
