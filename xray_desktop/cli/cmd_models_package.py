"""Model packages on the command line: `xray-desktop models export|import|activate|package-info`.

`add_package_actions(actions)` adds these to the `models` command (cmd_models.py calls it). Until that
command exists, `register` offers the same actions under `xray-desktop model-package`, so they are never
unreachable. Export, import and activate need an administrator: `--admin USER`, password asked with
getpass or read from standard input with `--password-stdin` (never on the command line).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from xray_desktop.cli.admin_credentials import admin_username
from xray_desktop.tasks import TASK_NAMES

if TYPE_CHECKING:
    from xray_desktop.services.session import Session

FALLBACK_COMMAND = "model-package"


def register(subparsers: argparse._SubParsersAction) -> None:
    models = subparsers.choices.get("models")
    if models is not None and _has_action(models, "export"):
        return  # cmd_models (registered first: modules load in name order) already added them under `models`
    parser = subparsers.add_parser(FALLBACK_COMMAND, help="export, import, activate and inspect model packages")
    add_package_actions(parser.add_subparsers(dest="action", metavar="ACTION", required=True))


def add_package_actions(actions: argparse._SubParsersAction) -> None:
    """Add export / import / activate / package-info to a subcommand's actions (e.g. `models`)."""
    export = actions.add_parser("export", help="write a registered model as a package (.xrm) for another machine")
    export.add_argument("model_id", metavar="ID")
    export.add_argument("out", metavar="OUT.xrm", type=Path)
    _admin_args(export)
    export.set_defaults(func=_export)

    imp = actions.add_parser("import", help="verify a package (.xrm) completely, then install and register its model")
    imp.add_argument("package", metavar="FILE.xrm", type=Path)
    imp.add_argument("--activate", action="store_true", help="make it the model that runs for its task")
    _admin_args(imp)
    imp.set_defaults(func=_import)

    activate = actions.add_parser("activate", help="choose the model that runs for a task (after a checksum check)")
    activate.add_argument("task", choices=TASK_NAMES)
    activate.add_argument("model_id", metavar="ID", help="a registered model id, or 'none' for no model")
    _admin_args(activate)
    activate.set_defaults(func=_activate)

    info = actions.add_parser("package-info", help="show what a package holds, without installing it")
    info.add_argument("package", metavar="FILE.xrm", type=Path)
    info.set_defaults(func=_info)


def _has_action(parser: argparse.ArgumentParser, name: str) -> bool:
    return any(isinstance(a, argparse._SubParsersAction) and name in a.choices for a in parser._actions)


def _admin_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--admin", metavar="USER", help="administrator to act as (asked when omitted)")
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the administrator's password from standard input"
    )


@contextlib.contextmanager
def admin_logged_in(args: argparse.Namespace) -> Iterator[Session]:
    """The administrator's session for this one command, logged out (audited) when it ends, even on failure.

    The services check Permission.MANAGE_MODELS themselves; this only asks for the password.
    """
    from xray_desktop.services.auth import AuthService, PasswordInput

    username = admin_username(args)
    service = AuthService.open()
    if service.key_warning:
        print(f"xray-desktop: warning: {service.key_warning}", file=sys.stderr)
    session = service.login(username, PasswordInput(args.password_stdin).secret(f"Password for {username}"))
    try:
        yield session
    finally:
        service.logout(session, reason="exit")


def _export(args: argparse.Namespace) -> int:
    from xray_desktop.services.model_package_export import export_package

    with admin_logged_in(args) as session:
        out = export_package(session, args.model_id, args.out)
    print(f"model {args.model_id!r} exported to {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0


def _import(args: argparse.Namespace) -> int:
    from xray_desktop import paths
    from xray_desktop.services.model_package_import import import_package

    with admin_logged_in(args) as session:
        entry = import_package(session, args.package, activate=args.activate)
    state = f"active for {entry.task}" if args.activate else f"not active (use: activate {entry.task} {entry.id})"
    print(f"model {entry.id!r} ({entry.task}, version {entry.version}) installed in {paths.models_dir()}; {state}")
    return 0


def _activate(args: argparse.Namespace) -> int:
    from xray_desktop.services.model_activation import activate_model

    model_id = None if args.model_id.lower() == "none" else args.model_id
    with admin_logged_in(args) as session:
        activate_model(session, args.task, model_id)
    print(f"{args.task}: {'no model' if model_id is None else repr(model_id)} is now active")
    return 0


def _info(args: argparse.Namespace) -> int:
    from xray_desktop.services.model_package_format import inspect_package

    manifest = inspect_package(args.package)
    entry = manifest.entry
    print(f"package   {args.package}")
    print(f"model     {entry.id}: {entry.display_name} (version {entry.version}, {entry.backbone})")
    print(f"task      {entry.task}; input {entry.input_size[0]}x{entry.input_size[1]}x{entry.channels}")
    print(f"threshold {entry.threshold}")
    validation = entry.validation
    if validation.get("auc") is not None:
        print(f"recorded  validation AUC {validation['auc']:.3f} on {validation.get('data')}")
    else:
        print("recorded  no validation metrics in the package")
    print(f"created   {manifest.created_at or 'unknown'} by {manifest.created_by or 'unknown'}")
    for member in manifest.members.values():
        print(f"file      {member.name}  {member.size} bytes  sha256 {member.sha256}")
    return 0
