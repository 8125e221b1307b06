"""The ``users`` command: the users file of the ``users`` sign-in mode, and ending sessions."""

from __future__ import annotations

import argparse
import sys

from core import config
from core.errors import DQHubError


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
