"""`xray-desktop settings`: show, export, import, back up and restore the application settings.

Showing, exporting and backing up run as the operating-system account. Import and
restore replace the settings and need administrator credentials, because they can
change thresholds and the idle lock. Services are imported when a command runs, so
building the parser for other commands stays cheap.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from xray_desktop.cli.cmd_feedback import add_admin_arguments, admin_login
from xray_desktop.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("settings", help="show, export, import, back up or restore the settings")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("show", help="print the settings in force as JSON").set_defaults(func=_show)
    export = actions.add_parser("export", help="write the settings to a JSON file")
    export.add_argument("out", type=Path)
    export.set_defaults(func=_export)
    imp = actions.add_parser("import", help="replace the settings with a JSON file (validated first)")
    imp.add_argument("file", type=Path)
    add_admin_arguments(imp)
    imp.set_defaults(func=_import)
    actions.add_parser("backup", help="save an encrypted, time-stamped copy").set_defaults(func=_backup)
    restore = actions.add_parser("restore", help="replace the settings with a backup (default: the newest)")
    restore.add_argument("backup", type=Path, nargs="?")
    add_admin_arguments(restore)
    restore.set_defaults(func=_restore)


def _show(args: argparse.Namespace) -> int:
    from xray_desktop.services.settings import SettingsService

    print(json.dumps(SettingsService().get().to_dict(), indent=2))
    return 0


def _export(args: argparse.Namespace) -> int:
    from xray_desktop.services.auth import cli_session
    from xray_desktop.services.settings import SettingsService

    print(SettingsService().export_json(cli_session(), args.out))
    return 0


def _import(args: argparse.Namespace) -> int:
    from xray_desktop.services.settings import SettingsService

    service = SettingsService()
    service.import_json(admin_login(args), args.file)
    print(f"settings imported from {args.file}")
    return 0


def _backup(args: argparse.Namespace) -> int:
    from xray_desktop.services.auth import cli_session
    from xray_desktop.services.settings import SettingsService

    print(SettingsService().backup(cli_session()))
    return 0


def _restore(args: argparse.Namespace) -> int:
    from xray_desktop.services.settings import SettingsService

    service = SettingsService()
    path = args.backup
    if path is None:
        backups = service.list_backups()
        if not backups:
            raise InputError(f"no settings backup exists yet in {service.backup_folder}")
        path = backups[0]
    service.restore(admin_login(args), path)
    print(f"settings restored from {path}")
    return 0
