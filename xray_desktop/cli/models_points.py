"""`xray-desktop models operating-point TASK NAME` and `models report`: added to the `models` command."""

from __future__ import annotations

import argparse
from pathlib import Path

from xray_desktop.tasks import TASK_NAMES


def add_point_actions(actions: argparse._SubParsersAction) -> None:
    from xray_desktop.cli.cmd_models_package import _admin_args

    point = actions.add_parser(
        "operating-point", help="choose the operating point (screening, balanced, confirm) that runs for a task"
    )
    point.add_argument("task", choices=TASK_NAMES)
    point.add_argument("name", help="an operating point of the task's active model (see `models show ID`)")
    _admin_args(point)
    point.set_defaults(func=_set_point)
    report = actions.add_parser("report", help="the shipped-model table (README's, generated from the cards)")
    report.add_argument("--write", type=Path, metavar="README.md", help="replace the table between its markers")
    report.set_defaults(func=_report)


def _set_point(args: argparse.Namespace) -> int:
    from xray_desktop.cli.cmd_models_package import admin_logged_in
    from xray_desktop.services.operating_points import set_operating_point

    with admin_logged_in(args) as session:
        registry = set_operating_point(session, args.task, args.name)
    entry = registry.active_entry(args.task)
    name, threshold = registry.operating_point(entry) if entry else (args.name, None)
    print(f"{args.task}: operating point {name!r} (threshold {threshold:.4f}) is now active")
    return 0


def _report(args: argparse.Namespace) -> int:
    from xray_desktop.atomic import atomic_write_text
    from xray_desktop.models.model_table import model_table, replace_table
    from xray_desktop.models.registry import Registry

    table = model_table(Registry.load())
    if args.write is None:
        print(table)
        return 0
    text = args.write.read_text(encoding="utf-8") if args.write.is_file() else ""
    atomic_write_text(args.write, replace_table(text, table))
    print(f"{args.write}: model table updated")
    return 0
