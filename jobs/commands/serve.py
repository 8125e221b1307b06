"""Commands for running a deployment: ``serve`` (the job worker) and ``settings``."""

from __future__ import annotations

import argparse
import logging

from core import config


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
