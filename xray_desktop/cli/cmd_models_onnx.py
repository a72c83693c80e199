"""`xray-desktop models export-onnx ID... | --all`: give registered models their ONNX inference graphs.

Idempotent: a model whose graphs are current is left alone (unless --force). Each export is
parity-checked on the sample films; a model that fails is refused with the figures (exit 4).
Needs the full install (TensorFlow, tf2onnx, onnx).
"""

from __future__ import annotations

import argparse
import json

from xray_desktop.errors import EXIT_MODEL, EXIT_OK, ModelUnavailableError, UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Nothing at the top level: `cmd_models` adds `export-onnx` under `models`."""


def add_onnx_actions(actions: argparse._SubParsersAction) -> None:
    export = actions.add_parser(
        "export-onnx", help="export, parity-check and record the ONNX inference graphs of registered models"
    )
    export.add_argument("model_ids", metavar="ID", nargs="*", help="registered model ids (or --all)")
    export.add_argument("--all", action="store_true", help="every registered model")
    export.add_argument("--force", action="store_true", help="export again even when the graphs are current")
    export.add_argument("--json", action="store_true", help="print the recorded onnx fields as JSON")
    export.set_defaults(func=run_export_onnx)


def run_export_onnx(args: argparse.Namespace) -> int:
    from xray_desktop.models.backend import tensorflow_installed
    from xray_desktop.models.onnx_runtime import has_onnx
    from xray_desktop.models.registry import Registry

    registry = Registry.load()
    if args.all == bool(args.model_ids):
        raise UsageError("name the model ids to export, or --all (not both)")
    if not tensorflow_installed():
        raise UsageError("exporting needs the full install (TensorFlow); this is the reading-station install")
    from xray_desktop.training.onnx_register import OnnxExportError, ensure_onnx

    entries = list(registry.models) if args.all else [registry.get(i) for i in args.model_ids]
    failed = False
    report: dict[str, object] = {}
    for entry in entries:
        before = has_onnx(entry)
        try:
            exported = ensure_onnx(registry, entry, force=args.force)
        except OnnxExportError as exc:
            failed = True
            report[entry.id] = {"refused": str(exc), "figures": exc.figures}
            print(f"{entry.id}: REFUSED\n{exc}")
            continue
        except ModelUnavailableError as exc:
            failed = True
            report[entry.id] = {"refused": str(exc)}
            print(f"{entry.id}: FAILED: {exc}")
            continue
        report[entry.id] = exported.onnx
        state = "already current" if before and exported is entry else "exported"
        parity = exported.onnx.get("parity", {})
        figures = ", ".join(
            f"{name} ρ≥{m['min_rank_correlation']:.6f}" for name, m in parity.get("methods", {}).items()
        )
        print(
            f"{entry.id}: {state}: {exported.onnx['file']} (sha256 {exported.onnx['sha256'][:12]}…); "
            f"parity on {parity.get('films', 0)} films: max |Δp| {parity.get('max_probability_delta', 0.0):.1e}, {figures}"
        )
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    return EXIT_MODEL if failed else EXIT_OK
