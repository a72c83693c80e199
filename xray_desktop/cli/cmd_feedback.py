"""`xray-desktop feedback export`: write readers' feedback to a CSV for retraining (administrator credentials)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from xray_desktop.cli.admin_credentials import admin_username

if TYPE_CHECKING:
    from xray_desktop.services.session import Session


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("feedback", help="export reader feedback for retraining")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write all feedback to a CSV file (administrator credentials)")
    export.add_argument("--csv", required=True, type=Path, metavar="OUT")
    add_admin_arguments(export)
    export.set_defaults(func=_export)


def add_admin_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--admin", metavar="USER", help="administrator to act as (asked when omitted)")
    parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")


def admin_login(args: argparse.Namespace) -> Session:
    """Log in for this one command; the permission itself is checked by the service."""
    from xray_desktop.services.auth import PasswordInput, cli_login

    username = admin_username(args)
    return cli_login(username, PasswordInput(args.password_stdin).secret(f"Password for {username}"))


def _export(args: argparse.Namespace) -> int:
    from xray_desktop.services.feedback import FeedbackService

    session = admin_login(args)
    count = FeedbackService().export_csv(session, args.csv)
    print(f"{count} feedback rows written to {args.csv}")
    return 0
