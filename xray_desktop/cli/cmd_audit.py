"""`xray-desktop audit`: check the audit log's hash chain, export it as CSV (administrators only)."""

from __future__ import annotations

import argparse
from pathlib import Path

from xray_desktop.cli.admin_credentials import admin_username
from xray_desktop.errors import EXIT_INPUT
from xray_desktop.services.audit import export_audit_csv, open_audit_log, verify_audit
from xray_desktop.services.auth import AuthService, PasswordInput


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="verify or export the audit log")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    verify = actions.add_parser("verify", help="check the hash chain; exit 3 and name the first broken entry")
    verify.set_defaults(func=_verify)

    hashed = actions.add_parser(
        "hash-path", help="print the keyed hash that audit entries carry for PATH (entries keep file names only)"
    )
    hashed.add_argument("path", metavar="PATH")
    hashed.set_defaults(func=_hash_path)

    export = actions.add_parser("export", help="write the audit log to a CSV file (administrator credentials)")
    export.add_argument("--csv", required=True, type=Path, metavar="OUT")
    export.add_argument("--admin", metavar="USER", help="administrator to act as (asked when omitted)")
    export.add_argument(
        "--password-stdin", action="store_true", help="read the administrator's password from standard input"
    )
    export.set_defaults(func=_export)


def _verify(args: argparse.Namespace) -> int:
    log = open_audit_log()
    result = verify_audit(log)
    if result.ok:
        print(f"audit log {log.path}: OK ({result.reason})")
        return 0
    where = f" at entry {result.first_broken_id}" if result.first_broken_id is not None else ""
    missing = f"; missing: entries {result.missing[0]}..{result.missing[1]}" if result.missing else ""
    print(f"audit log {log.path}: BROKEN{where}: {result.reason} ({result.entries} entries verified{missing})")
    return EXIT_INPUT


def _hash_path(args: argparse.Namespace) -> int:
    print(open_audit_log().path_hmac(str(Path(args.path).expanduser().absolute())))
    return 0


def _export(args: argparse.Namespace) -> int:
    username = admin_username(args)
    log = open_audit_log()
    service = AuthService.open(audit=log)
    session = service.login(username, PasswordInput(args.password_stdin).secret(f"Password for {username}"))
    count = export_audit_csv(session, log, args.csv)
    service.logout(session, reason="exit")
    print(f"{count} audit entries written to {args.csv}")
    return 0
