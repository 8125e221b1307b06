"""The ``owners`` command: default owners (``dq_owners``) from a CSV, and the list of them."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.errors import DQHubError


def cmd_owners(args: argparse.Namespace) -> int:
    import pandas as pd

    from core import csvsafe, owners
    from core.db import open_warehouse

    db = open_warehouse()
    if args.action == "list":
        print(owners.export_csv(db, owners.SYSTEM).decode(), end="")
        return 0
    if not args.file:
        raise DQHubError("owners import: give the owners CSV (account_id, building_id, owner)")
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DQHubError(f"owners import: cannot read {path}: {exc.strerror}") from exc
    report = owners.import_csv(db, data, path.name)
    for line in report.lines():
        print(line)
    if args.errors:
        bad = pd.DataFrame(report.refused, columns=["line", "reason"])
        csvsafe.to_csv(bad.assign(file=path.name)[["file", "line", "reason"]], args.errors)
        print(f"{len(bad)} bad row(s) written to {args.errors}")
    return 3 if report.refused else 0
