"""`xray-desktop models list|show ID|verify` (+ export/import/activate/package-info from cmd_models_package)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from xray_desktop.errors import EXIT_MODEL, EXIT_OK, ModelUnavailableError
from xray_desktop.tasks import TASK_NAMES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("models", help="list, show and verify the registered models")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="every task, its active model and the other registered models")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=run_list)
    show = actions.add_parser("show", help="everything the registry records about one model")
    show.add_argument("model_id", metavar="ID")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=run_show)
    verify = actions.add_parser("verify", help="checksum and load every registered model (exit 4 on any failure)")
    verify.set_defaults(func=run_verify)
    from xray_desktop.cli.cmd_models_package import add_package_actions
    from xray_desktop.cli.models_points import add_point_actions

    add_package_actions(actions)
    add_point_actions(actions)
    from xray_desktop.cli.cmd_models_onnx import add_onnx_actions

    add_onnx_actions(actions)
    from xray_desktop.cli.models_population import add_population_actions

    add_population_actions(actions)


def run_list(args: argparse.Namespace) -> int:
    from xray_desktop.models.registry import Registry

    registry = Registry.load()
    if args.json:
        print(json.dumps(registry.to_dict(), indent=2, ensure_ascii=False))
        return EXIT_OK
    rows = [("task", "active", "id", "name", "version", "backbone", "input", "threshold", "validation AUC")]
    for task in TASK_NAMES:
        entries = registry.entries_for(task)
        if not entries:
            rows.append((task, "", "-", "no model installed", "", "", "", "", ""))
        for entry in entries:
            active = "*" if registry.active_models.get(task) == entry.id else ""
            auc = entry.validation.get("auc")
            h, w = entry.input_size
            rows.append(
                (
                    task,
                    active,
                    entry.id,
                    entry.display_name,
                    entry.version,
                    entry.backbone,
                    f"{h}x{w}x{entry.channels}",
                    f"{entry.threshold:.3f}",
                    "not recorded" if auc is None else f"{auc:.3f} ({entry.validation.get('data')})",
                )
            )
    print(format_table(rows))
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    from xray_desktop.models.registry import Registry

    registry = Registry.load()
    entry = registry.get(args.model_id)
    data = entry.to_dict()
    data["active"] = registry.active_models.get(entry.task) == entry.id
    data["path"] = str(registry.model_path(entry))
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return EXIT_OK
    for key, value in data.items():
        text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
        print(f"{key:>14}: {text}")
    card = registry.card_path(entry)
    if card is not None and card.is_file():
        print(f"\n{card.read_text(encoding='utf-8')}")
    return EXIT_OK


def run_verify(args: argparse.Namespace) -> int:
    from xray_desktop.models.registry import Registry
    from xray_desktop.services.providers import default_provider

    registry = Registry.load()
    manager = default_provider(registry)  # the runtime analysis uses (ONNX Runtime where installed)
    rows = [("id", "task", "status", "detail")]
    failed = False
    for entry in registry.models:
        try:
            loaded = manager.verify(entry)
        except ModelUnavailableError as exc:
            failed = True
            rows.append((entry.id, entry.task, "FAILED", str(exc)))
        else:
            rows.append(
                (entry.id, entry.task, "ok", f"sha256 {entry.sha256[:12]}…, loaded in {loaded.load_seconds:.1f}s")
            )
    if len(rows) == 1:
        print(f"no models registered in {registry.path}")
        return EXIT_OK
    print(format_table(rows))
    return EXIT_MODEL if failed else EXIT_OK


def format_table(rows: list[tuple[Any, ...]]) -> str:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows)
