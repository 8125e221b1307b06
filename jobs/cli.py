"""The ``python -m jobs`` command line: the parser and ``main``.

The commands live in ``jobs/commands/``, one module per group: data (migrate, import, demo),
run (run, backfill), export (export, evaluate), users, owners, serve (serve, settings).
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from datetime import date

from core import config
from core.errors import DQHubError
from jobs.commands import data, export, owners, run, serve, users


def _day(text: str) -> date | str:
    if text in ("today", "yesterday", "latest"):
        return text
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; expected YYYY-MM-DD, 'today', 'yesterday' or 'latest'"
        ) from exc


def _month(text: str) -> str:
    if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        return text
    raise argparse.ArgumentTypeError(f"{text!r} is not a month; expected YYYY-MM")


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree; every command and option has help text."""
    p = argparse.ArgumentParser(prog="python -m jobs", description="DQ Hub jobs and tools.")
    p.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("migrate", help="apply pending schema migrations to DQ_WAREHOUSE")
    s.set_defaults(func=data.cmd_migrate)

    s = sub.add_parser("import", help="import meters, readings and bills (CSV or Parquet)")
    s.add_argument("--meters", help="meters file (canonical meter columns)")
    s.add_argument("--readings", help="readings file (meter_id, ts, value[, source])")
    s.add_argument("--bills", help="bills file (canonical bill columns)")
    s.add_argument("--errors", help="write every bad row (file, line, reason) to this CSV")
    s.set_defaults(func=data.cmd_import)

    s = sub.add_parser(
        "sync",
        help="land the platform's meters, bills and readings in the warehouse (incremental)",
        description="Copy new and changed platform data into the warehouse: meters, eligibility "
        "and bills from DQ_PLATFORM_DB_URL, readings from InfluxDB (DQ_PLATFORM_READINGS="
        "influxdb) and new raw packets from S3 (DQ_RAW_READINGS=s3). Re-running it changes "
        "nothing; days already scored whose readings changed are re-scored by the next DQ run. "
        "Exit 3 when a step failed.",
    )
    s.add_argument(
        "--since",
        type=date.fromisoformat,
        help="re-read readings from this UTC day, YYYY-MM-DD (default: from the last sync, "
        "minus DQ_SYNC_LOOKBACK_HOURS)",
    )
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=data.cmd_sync)

    s = sub.add_parser("demo", help="seed the warehouse with the synthetic demo fleet")
    s.add_argument("--seed", type=int, default=None, help="random seed (default: DQ_DEMO_SEED)")
    s.add_argument(
        "--end-day", type=date.fromisoformat, help="last day of data (default: yesterday UTC)"
    )
    s.add_argument("--if-empty", action="store_true", help="do nothing when meters already exist")
    s.set_defaults(func=data.cmd_demo)

    s = sub.add_parser("run", help="run a job once")
    s.add_argument(
        "job",
        choices=["dq", "bills", "overshoot"],
        help="which job: dq (meter data quality), bills (utility-bill checks) or overshoot "
        "(monthly morning-overshoot scan, AFDD faults and project sync)",
    )
    s.add_argument(
        "--month",
        type=_month,
        default=None,
        help="overshoot: local month to scan, YYYY-MM (default: the last full month, UTC)",
    )
    s.add_argument(
        "--date",
        type=_day,
        default=None,
        help="dq: UTC day to score, YYYY-MM-DD, 'yesterday' (default) or 'latest' (the last "
        "day with readings); bills: run date bills are judged against, YYYY-MM-DD or "
        "'today' (default, UTC)",
    )
    s.add_argument(
        "--history-days", type=int, help="history before the day (default: DQ_HISTORY_DAYS)"
    )
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=run.cmd_run)

    s = sub.add_parser("backfill", help="rerun the DQ job for every day of a range")
    s.add_argument(
        "--from", dest="from_day", type=date.fromisoformat, required=True, help="first day"
    )
    s.add_argument(
        "--to", dest="to_day", type=date.fromisoformat, required=True, help="last day (inclusive)"
    )
    s.add_argument(
        "--history-days", type=int, help="history before each day (default: DQ_HISTORY_DAYS)"
    )
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=run.cmd_backfill)

    s = sub.add_parser(
        "export", help="print results as CSV or JSON, or write the bill report workbook (xlsx)"
    )
    s.add_argument(
        "what",
        choices=["issues", "bills", "overshoot", "projects", "audit"],
        help="which results: meter issues, bill issues, overshoot (afdd_faults rows), projects, "
        "or audit (every status change and comment, oldest first)",
    )
    s.add_argument("--month", type=_month, help="overshoot/projects: only this month, YYYY-MM")
    s.add_argument(
        "--format",
        choices=["csv", "json", "xlsx"],
        default="csv",
        help="output format (default csv); xlsx: bills only, the Utility bills page's workbook "
        "(a summary tab and a tab per check), written to --output",
    )
    s.add_argument(
        "--output", metavar="FILE", help="write to FILE instead of printing (required for xlsx)"
    )
    s.add_argument(
        "--date",
        type=date.fromisoformat,
        help="only issues overlapping this UTC day (bills: whose period covers it; audit: "
        "changes and comments made that day)",
    )
    s.set_defaults(func=export.cmd_export)

    s = sub.add_parser(
        "evaluate",
        help="per-detector precision from people's verdicts (confirmed vs not_an_issue)",
    )
    s.add_argument("--days", type=int, help="window length in days (default: DQ_EVALUATE_DAYS)")
    s.add_argument(
        "--date", type=date.fromisoformat, help="last UTC day of the window (default: today)"
    )
    s.add_argument(
        "--format",
        choices=["table", "csv", "json"],
        default="table",
        help="output format (default table)",
    )
    s.set_defaults(func=export.cmd_evaluate)

    s = sub.add_parser(
        "users",
        help="users sign-in mode: add, list, remove users (DQ_USERS_FILE), change a password, "
        "or sign a user out everywhere",
    )
    s.add_argument(
        "action",
        choices=["add", "list", "remove", "passwd", "signout"],
        help="add (or replace) a user, list users, remove one, passwd (new password), signout "
        "(end every session of the user); all but list and add of a new user end the user's "
        "sessions",
    )
    s.add_argument("name", nargs="?", help="user name (for every action but list)")
    s.add_argument("--role", choices=["admin", "ds", "staff", "bse"], help="role (for add)")
    s.add_argument("--accounts", help="granted account ids, comma-separated, or 'all' (for add)")
    s.add_argument(
        "--password-stdin",
        action="store_true",
        help="add and passwd: read the password from the first line of standard input instead "
        "of prompting",
    )
    s.set_defaults(func=users.cmd_users)

    s = sub.add_parser(
        "owners",
        help="default owners new issues are assigned to: import them from a CSV or list them",
        description="import: set (or, with an empty owner, remove) the default owner of each "
        "account or building in a CSV with columns account_id, building_id (empty: the "
        "account's own owner) and owner (a DQ Hub user name). Bad rows are listed by line and "
        "skipped; the good rows land in one transaction; exit 3 when a row was bad. list: print "
        "the owners in the same CSV format.",
    )
    s.add_argument("action", choices=["import", "list"], help="import a CSV, or list owners")
    s.add_argument("file", nargs="?", help="import: the owners CSV")
    s.add_argument("--errors", help="import: write every bad row (file, line, reason) to this CSV")
    s.set_defaults(func=owners.cmd_owners)

    s = sub.add_parser(
        "serve",
        help="run the job worker: dq, bills and overshoot on their DQ_SCHEDULE_* crontabs and "
        "run-now requests from the Admin page, one run at a time, one worker per warehouse; "
        "SIGTERM or Ctrl-C stops it after the running job",
    )
    s.add_argument(
        "--once",
        action="store_true",
        help="run what is due now (schedule ticks missed since the last worker ran, queued "
        "run-now requests), then exit: 0 when every run was ok, 3 otherwise",
    )
    s.set_defaults(func=serve.cmd_serve)

    s = sub.add_parser(
        "settings",
        help="list every setting with its current value and help (passwords in URLs and "
        "settings named *KEY*, *SECRET*, *PASSWORD*, *TOKEN* shown as ***)",
    )
    s.set_defaults(func=serve.cmd_settings)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; errors DQ Hub raises on purpose print as one line and exit 2."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if getattr(args, "seed", 0) is None:
        args.seed = config.get("DQ_DEMO_SEED")
    try:
        return args.func(args)
    except DQHubError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
