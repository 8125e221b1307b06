"""Commands that fill the warehouse: ``migrate``, ``import``, ``sync`` and ``demo``."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta

from core import config
from core.errors import DQHubError


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


def cmd_sync(args: argparse.Namespace) -> int:
    from core.db import open_warehouse
    from core.ingest import sync

    s = sync.run(open_warehouse(), since=args.since, progress=not args.quiet)
    print(f"sync: run {s.run_id} {s.status}: {s.readings_changed} readings new or changed")
    for line in s.lines:
        print(f"  {line}")
    for unit, reason in s.failures[:20]:
        print(f"  failed {unit}: {reason}")
    if len(s.failures) > 20:
        print(f"  ... and {len(s.failures) - 20} more (dq_runs.error has them all)")
    from jobs.commands.run import refresh_app_cache

    refresh_app_cache()
    return 0 if s.status == "ok" else 3


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
    from core import owners

    seeded = owners.seed_demo(db)
    print(f"demo: {seeded.saved} default owner(s): staff owns its two accounts, ds one more")
    if demo_mode.demo_mode(db, url):
        print(
            "demo: demo logins are on (admin, ds, staff, bse; password demo) until the first "
            "real import or `users add`"
        )
    else:
        print("demo: demo logins stay off (a users file exists or DQ_AUTH_MODE is not users)")
    return 0
