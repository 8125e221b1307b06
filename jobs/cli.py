"""The ``python -m jobs`` command line: parse arguments, call core, print results."""

from __future__ import annotations

import argparse
import logging
import re
import sys
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from core import config
from core.errors import DQHubError

if TYPE_CHECKING:
    from core.db import Database

log = logging.getLogger("jobs")


def _day(text: str) -> date | str:
    if text in ("today", "yesterday", "latest"):
        return text
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; expected YYYY-MM-DD, 'today', 'yesterday' or 'latest'"
        ) from exc


def _today() -> date:
    return datetime.now(UTC).date()


def _resolve_day(db: Database, value: date | str) -> date:
    from core.worker import partitions

    return partitions.resolve_day(db, value, _today())


def cmd_migrate(args: argparse.Namespace) -> int:
    from core.db import connect, migrations

    db = connect()
    applied = migrations.apply(db)
    for m in applied:
        print(f"applied {m.version:04d}_{m.name}")
    print(f"schema version {migrations.current_version(db)}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from core.db import open_warehouse
    from core.ingest import import_files

    if not (args.meters or args.readings or args.bills):
        raise DQHubError("import: give at least one of --meters, --readings, --bills")
    report = import_files(
        open_warehouse(), meters=args.meters, readings=args.readings, bills=args.bills
    )
    print(report.summary())
    if args.errors:
        count = report.write_bad_rows(args.errors)
        print(f"{count} bad row(s) written to {args.errors}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from core import demo
    from core.auth import demo as demo_mode
    from core.db import open_warehouse
    from core.ingest import import_frames
    from core.ingest.importer import DEMO_LABEL

    url = config.get("DQ_WAREHOUSE")
    demo_mode.refuse_remote(url)  # before connecting: nothing is created on a remote warehouse
    db = open_warehouse()
    if args.if_empty and db.fetch_value("SELECT count(*) FROM meters"):
        print("demo: the warehouse already has meters; nothing to do")
        return 0
    demo_mode.refuse_used(db)
    end_day = args.end_day or datetime.now(UTC).date() - timedelta(days=1)
    print(f"demo: generating fleet seed={args.seed} ending {end_day} ...", file=sys.stderr)
    fleet = demo.generate(seed=args.seed, end_day=end_day)
    report = import_frames(
        db, meters=fleet.meters, readings=fleet.readings, bills=fleet.bills, label=DEMO_LABEL
    )
    demo_mode.mark_demo(db, args.seed)
    print(report.summary())
    if demo_mode.demo_mode(db, url):
        print(
            "demo: demo logins are on (admin, ds, staff, bse; password demo) until the first "
            "real import or `users add`"
        )
    else:
        print("demo: demo logins stay off (a users file exists or DQ_AUTH_MODE is not users)")
    return 0


def _month(text: str) -> str:
    if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        return text
    raise argparse.ArgumentTypeError(f"{text!r} is not a month; expected YYYY-MM")


def _last_full_month() -> str:
    from core.worker import partitions

    return partitions.last_full_month(_today())


def _run_overshoot(args: argparse.Namespace) -> int:
    from core.db import open_warehouse
    from core.overshoot import job

    if args.date is not None or args.history_days is not None:
        raise DQHubError("run overshoot: use --month YYYY-MM (--date/--history-days are for dq)")
    month = args.month or _last_full_month()
    s = job.run(open_warehouse(), month)
    counts = ", ".join(f"{k} {v}" for k, v in s.projects.items())
    print(
        f"overshoot {month}: run {s.run_id} {s.status}: {s.units_total} buildings, "
        f"{s.faults} faults, {s.units_failed} buildings failed; projects: {counts}"
    )
    for unit, reason in s.failures[:20]:
        print(f"  failed {unit}: {reason}")
    return 0 if s.status == "ok" else 3


def _refresh_app_cache() -> None:
    """After a run on a remote warehouse, refresh the app's local copy (DQ_CACHE_PATH)."""
    from core.db.cache import is_remote, refresh_after_job

    if is_remote(config.get("DQ_WAREHOUSE")):
        from core.db import connect

        if refresh_after_job(connect()):
            print(f"app cache {config.get('DQ_CACHE_PATH')} refreshed")


def cmd_run(args: argparse.Namespace) -> int:
    try:
        return _run_job(args)
    finally:
        _refresh_app_cache()


def _run_job(args: argparse.Namespace) -> int:
    if args.job == "overshoot":
        return _run_overshoot(args)
    if args.month is not None:
        raise DQHubError(f"run {args.job}: --month applies to run overshoot only")
    if args.job == "bills":
        return _run_bills(args)
    from core.db import open_warehouse
    from core.dq import job

    db = open_warehouse()
    day = _resolve_day(db, args.date or "yesterday")
    summary = job.run(db, day, history_days=args.history_days, progress=not args.quiet)
    _print_summary(day, summary)
    return 0 if summary.status == "ok" else 3


def _print_summary(day: date, summary: object) -> None:
    s = summary
    print(
        f"dq {day}: run {s.run_id} {s.status}: {s.units_total} meters, "  # type: ignore[attr-defined]
        f"{s.issues_found} issues, {s.units_failed} meters failed"  # type: ignore[attr-defined]
    )
    for unit, reason in s.failures[:20]:  # type: ignore[attr-defined]
        print(f"  failed {unit}: {reason}")


def _run_bills(args: argparse.Namespace) -> int:
    from core.bills import job
    from core.db import open_warehouse

    if args.history_days is not None:
        raise DQHubError("run bills: --history-days applies to run dq only")
    if args.date == "latest":
        raise DQHubError("run bills: --date latest applies to run dq only; give YYYY-MM-DD")
    db = open_warehouse()
    day = _resolve_day(db, args.date or "today")
    s = job.run(db, day, progress=not args.quiet)
    print(
        f"bills {day}: run {s.run_id} {s.status}: {s.units_total} bills, {s.issues_found} issues, "
        f"{s.skipped} bills skipped, {len({b for b, _ in s.notes})} bills normalised, "
        f"{s.resolved} resolved, "
        f"{s.units_failed} units failed"
    )
    for unit, reason in s.failures[:20]:
        print(f"  failed {unit}: {reason}")
    if len(s.failures) > 20:
        print(f"  ... and {len(s.failures) - 20} more (dq_runs.error has them all)")
    return 0 if s.status == "ok" else 3


def cmd_backfill(args: argparse.Namespace) -> int:
    from core.db import open_warehouse
    from core.dq import job

    if args.to_day < args.from_day:
        raise DQHubError(f"backfill: --to {args.to_day} is before --from {args.from_day}")
    db = open_warehouse()
    worst = 0
    day = args.from_day
    while day <= args.to_day:
        summary = job.run(db, day, history_days=args.history_days, progress=not args.quiet)
        _print_summary(day, summary)
        worst = max(worst, 0 if summary.status == "ok" else 3)
        day += timedelta(days=1)
    _refresh_app_cache()
    return worst


def _results_db(what: str) -> Database:
    """Where ``what`` is stored: faults and projects may live in DQ_PROJECTS_DB_URL."""
    from core.db import open_warehouse
    from core.overshoot.store import projects_db

    db = open_warehouse()
    return projects_db(db) if what in ("overshoot", "projects") else db


def cmd_export(args: argparse.Namespace) -> int:
    from core.export import export

    sys.stdout.write(
        export(_results_db(args.what), args.what, args.format, args.date, month=args.month)
    )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from core.db import open_warehouse
    from core.dq import evaluate

    days = args.days or config.get("DQ_EVALUATE_DAYS")
    day = args.date or _today()
    table = evaluate.precision(open_warehouse(), day, days)
    if args.format == "json":
        sys.stdout.write(table.to_json(orient="records") + "\n")
        return 0
    if args.format == "csv":
        sys.stdout.write(table.to_csv(index=False))
        return 0
    print(f"Precision from people's verdicts, {evaluate.window_text(day, days)} (UTC)")
    if table.empty:
        print("  no meter issue in the window")
        return 0
    print(f"  {'detector':<24}{'judged':>8}{'confirmed':>11}{'not issue':>11}{'precision':>11}"
          f"{'unjudged':>10}")  # fmt: skip
    for r in table.itertuples(index=False):
        prec = "-" if _isna(r.precision) else f"{r.precision:.0%}"
        print(f"  {r.detector:<24}{r.judged:>8}{r.confirmed:>11}{r.not_an_issue:>11}{prec:>11}"
              f"{r.unjudged:>10}")  # fmt: skip
    return 0


def _isna(value: object) -> bool:
    """NaN or None (a detector without verdicts has no precision)."""
    return value is None or value != value


def _end_sessions(username: str, reason: str) -> None:
    """End ``username``'s sessions in the warehouse (every app process checks it per rerun)."""
    from core.auth import sessions
    from core.db import open_warehouse

    n = sessions.end_user(open_warehouse(), username, reason)
    if n:
        print(f"ended {n} session(s) of {username}")


def _new_password(args: argparse.Namespace) -> str:
    import getpass

    password = args.password_stdin and sys.stdin.readline().rstrip("\n")
    if not password:
        password = getpass.getpass(f"Password for {args.name}: ")
        if password != getpass.getpass("Repeat it: "):
            raise DQHubError(f"users {args.action}: the passwords differ; nothing was written")
    return password


def cmd_users(args: argparse.Namespace) -> int:
    from core import auth

    if args.action == "list":
        users = auth.read_users()
        if not users:
            print(f"no users in {config.get('DQ_USERS_FILE')}")
        for name, entry in sorted(users.items()):
            accounts = entry["accounts"]
            shown = accounts if accounts == auth.ALL else ",".join(accounts)
            print(f"{name}\t{entry['role']}\t{shown}")
        return 0
    if not args.name:
        raise DQHubError(f"users {args.action}: give the user name")
    if args.action == "remove":
        print(f"removed {args.name} from {auth.remove_user(args.name)}")
        _end_sessions(args.name, "the user was removed")
        return 0
    if args.action == "signout":
        _end_sessions(args.name, "signed out everywhere by an admin")
        return 0
    if args.action == "passwd":
        path = auth.set_password(args.name, _new_password(args))
        print(f"changed the password of {args.name} in {path}")
        _end_sessions(args.name, "the password was changed")
        return 0
    if not args.role:
        raise DQHubError(f"users add: --role is required ({', '.join(auth.ROLES)})")
    if not args.accounts:
        raise DQHubError("users add: --accounts is required (A,B,... or all)")
    auth.check_username(args.name)
    accounts = (
        auth.ALL
        if args.accounts == auth.ALL
        else [a.strip() for a in args.accounts.split(",") if a.strip()]
    )
    existed = args.name in auth.read_users()
    path = auth.add_user(args.name, _new_password(args), args.role, accounts)
    print(f"saved {args.name} ({args.role}) to {path}")
    from core.db import open_warehouse

    db = open_warehouse()
    if auth.end_demo(db, f"users add {args.name}"):
        print("demo mode ended on this warehouse: demo logins are gone for good")
    if existed:
        _end_sessions(args.name, "the user's role, accounts or password changed")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from core.db import open_warehouse
    from core.worker import service

    if not args.verbose:
        logging.getLogger("core.worker").setLevel(logging.INFO)  # what ran, and how it ended
    return service.main(open_warehouse(), once=args.once)


def cmd_settings(args: argparse.Namespace) -> int:
    from core.redaction import setting_value

    for s in config.SETTINGS:
        shown = setting_value(s.name, config.get(s.name))
        print(f"{s.name}={shown}\n    {s.help} (default {setting_value(s.name, s.default)})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree; every command and option has help text."""
    p = argparse.ArgumentParser(prog="python -m jobs", description="DQ Hub jobs and tools.")
    p.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("migrate", help="apply pending schema migrations to DQ_WAREHOUSE")
    s.set_defaults(func=cmd_migrate)

    s = sub.add_parser("import", help="import meters, readings and bills (CSV or Parquet)")
    s.add_argument("--meters", help="meters file (canonical meter columns)")
    s.add_argument("--readings", help="readings file (meter_id, ts, value[, source])")
    s.add_argument("--bills", help="bills file (canonical bill columns)")
    s.add_argument("--errors", help="write every bad row (file, line, reason) to this CSV")
    s.set_defaults(func=cmd_import)

    s = sub.add_parser("demo", help="seed the warehouse with the synthetic demo fleet")
    s.add_argument("--seed", type=int, default=None, help="random seed (default: DQ_DEMO_SEED)")
    s.add_argument(
        "--end-day", type=date.fromisoformat, help="last day of data (default: yesterday UTC)"
    )
    s.add_argument("--if-empty", action="store_true", help="do nothing when meters already exist")
    s.set_defaults(func=cmd_demo)

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
    s.set_defaults(func=cmd_run)

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
    s.set_defaults(func=cmd_backfill)

    s = sub.add_parser("export", help="print results as CSV or JSON")
    s.add_argument(
        "what",
        choices=["issues", "bills", "overshoot", "projects"],
        help="which results: meter issues, bill issues, overshoot (afdd_faults rows) or projects",
    )
    s.add_argument("--month", type=_month, help="overshoot/projects: only this month, YYYY-MM")
    s.add_argument(
        "--format", choices=["csv", "json"], default="csv", help="output format (default csv)"
    )
    s.add_argument(
        "--date",
        type=date.fromisoformat,
        help="only issues overlapping this UTC day (bills: whose period covers it)",
    )
    s.set_defaults(func=cmd_export)

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
    s.set_defaults(func=cmd_evaluate)

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
    s.set_defaults(func=cmd_users)

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
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser(
        "settings",
        help="list every setting with its current value and help (passwords in URLs and "
        "settings named *KEY*, *SECRET*, *PASSWORD*, *TOKEN* shown as ***)",
    )
    s.set_defaults(func=cmd_settings)
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
