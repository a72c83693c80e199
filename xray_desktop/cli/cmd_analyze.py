"""`xray-desktop analyze FILE... [--task T|all|auto|chest|knee|limb] [--method M] [--json] [--heatmap-dir DIR] [--report OUT.pdf]`.

`--check-map` scores each map's faithfulness against random maps (`map_faithfulness` in the JSON).

Exit 3 if any file is unusable or an output (heatmap, report) cannot be written; else 4 if a model is
unavailable, a task named with --task has none, or nothing at all was analysed (no task of the request
has a model installed); unusable files and broken models never stop the other files or tasks. Heatmap
file names never collide: a second `1.png` gets `1__task__method-2.png`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from xray_desktop.errors import EXIT_INPUT, EXIT_MODEL, EXIT_OK, InputError
from xray_desktop.explain import METHODS
from xray_desktop.tasks import BODY_PARTS, TASK_NAMES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "analyze",
        help="run the installed models on image files and explain the result",
        description="Analyse each FILE with the active model of each task (research and teaching use only — not "
        "a medical device). Exit 3 if a file is unusable, 4 if a model is unavailable.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path, help="PNG, JPEG, TIFF, BMP or DICOM file")
    parser.add_argument(
        "--task",
        default="auto",
        choices=("auto", "all", *BODY_PARTS, *TASK_NAMES),
        help="auto (default): from the DICOM body part, else all tasks (with a warning); "
        "chest, knee or limb: that body part's tasks; or one task",
    )
    parser.add_argument("--method", default="gradcam", choices=METHODS, help="explanation method (default gradcam)")
    parser.add_argument("--json", action="store_true", help="print a JSON list with one object per file")
    parser.add_argument(
        "--check-map", action="store_true", help="score each map's faithfulness (deletion/insertion vs random maps)"
    )
    parser.add_argument("--heatmap-dir", type=Path, help="write a heatmap overlay PNG per file and task here")
    parser.add_argument("--colormap", default="jet", help="overlay colormap (jet, inferno, viridis, ...)")
    parser.add_argument("--alpha", type=float, default=0.4, help="overlay opacity 0-1 (default 0.4)")
    parser.add_argument("--report", type=Path, metavar="OUT.pdf", help="also write a PDF report of all files")
    parser.add_argument(
        "--patient-fields",
        action="store_true",
        help="with --report: include the DICOM patient fields (name, ID, birth date); doctors and administrators only",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from xray_desktop.models.registry import Registry
    from xray_desktop.services.analyze import analyze_image
    from xray_desktop.services.auth import cli_session
    from xray_desktop.services.providers import default_provider
    from xray_desktop.services.settings import SettingsService

    if args.heatmap_dir is not None:
        from xray_desktop.atomic import check_writable_folder

        try:  # before any work: a read-only folder must not cost the user the analysis
            check_writable_folder(args.heatmap_dir)
        except OSError as exc:
            raise InputError(f"{args.heatmap_dir}: cannot write heatmaps there ({exc.strerror or exc})") from None
    from xray_desktop.storage.unique_names import UniqueNames

    if args.patient_fields and args.report is None:
        from xray_desktop.errors import UsageError

        raise UsageError("--patient-fields belongs to --report OUT.pdf")
    names = UniqueNames()
    output_failed = False
    session = cli_session()
    overrides = SettingsService().get().threshold_overrides
    manager = default_provider(Registry.load())
    explain = args.heatmap_dir is not None or args.report is not None or not args.json or args.check_map
    analyses = []
    for path in args.files:
        analysis = analyze_image(
            session,
            path,
            manager=manager,
            tasks=args.task,
            method=args.method,
            explain=explain,
            threshold_overrides=overrides,
        )
        analyses.append(analysis)
        if args.check_map:
            from xray_desktop.services.map_check import check_all_maps

            check_all_maps(session, analysis, manager=manager)
        if analysis.error:
            print(f"xray-desktop: error: {analysis.error}", file=sys.stderr)
        if args.heatmap_dir is not None and analysis.image is not None:
            try:
                write_overlays(analysis, args.heatmap_dir, args.method, args.colormap, args.alpha, names)
            except OSError as exc:  # the result is still printed below; the exit code says an output is missing
                output_failed = True
                print(
                    f"xray-desktop: error: {exc.filename or args.heatmap_dir}: {exc.strerror or exc}", file=sys.stderr
                )
        if not args.json:
            print(format_text(analysis))
    if args.json:
        print(json.dumps([a.to_json() for a in analyses], indent=2, ensure_ascii=False))
    if args.report is not None:
        from xray_desktop.services.report import export_report

        usable = [a for a in analyses if a.error is None]
        if usable:
            written = export_report(
                session,
                usable,
                args.report,
                colormap=args.colormap,
                alpha=args.alpha,
                include_patient_data=args.patient_fields,
            )
            if not args.json:
                print(f"report written to {written}")
    return exit_code(analyses, args.task, output_failed)


def exit_code(analyses: list[Any], task: str, output_failed: bool = False) -> int:
    """README's codes: 3 unusable input or unwritable output; 4 a model unavailable or nothing analysed."""
    from xray_desktop.results import TaskStatus

    if output_failed or any(a.error for a in analyses):
        return EXIT_INPUT
    named = task in TASK_NAMES  # "auto", "all" and body parts treat "not installed" as normal...
    for analysis in analyses:
        for result in analysis.results:
            if result.status is TaskStatus.UNAVAILABLE or (named and result.status is TaskStatus.NOT_INSTALLED):
                return EXIT_MODEL
    if not any(r.status is TaskStatus.OK for a in analyses for r in a.results):
        return EXIT_MODEL  # ...but only while at least one task ran: "nothing analysed" is never success
    return EXIT_OK


def write_overlays(
    analysis: Any, folder: Path, method: str, colormap: str, alpha: float, names: Any = None
) -> list[Path]:
    """One `<file stem>__<task>__<method>.png` overlay per task that has a map; `names` keeps them unique."""
    from xray_desktop.atomic import atomic_write_bytes
    from xray_desktop.explain.overlay import encode_png, render_overlay
    from xray_desktop.storage.unique_names import UniqueNames

    names = names or UniqueNames()
    written = []
    for result in analysis.results:
        if result.heatmap is None:
            continue
        target = folder / names.claim(f"{Path(analysis.path).stem}__{result.task}__{method}")
        atomic_write_bytes(target, encode_png(render_overlay(analysis.image.pixels, result.heatmap, colormap, alpha)))
        written.append(target)
    return written


def format_text(analysis: Any) -> str:
    from xray_desktop import DISCLAIMER
    from xray_desktop.results import TaskStatus

    lines = [f"{analysis.path}:"]
    if getattr(analysis, "body_part_note", ""):
        lines.append(f"  body part: {analysis.body_part_note}")
    if analysis.error:
        lines.append(f"  unusable: {analysis.error}")
    for result in analysis.results:
        if result.status is TaskStatus.OK:
            decision = "positive" if result.decision else "negative"
            auc = f", {result.auc_split} AUC {result.validation_auc:.3f}" if result.validation_auc is not None else ""
            lines.append(
                f"  {result.task}: P={result.probability:.3f} -> {decision} ({result.label}) at threshold "
                f"{result.threshold:.3f} [model {result.model_id} v{result.model_version}{auc}]"
            )
            lines.extend(_map_lines(result))
            if result.population == "outside":
                lines.append(f"    OUTSIDE this model's training population: {result.population_reason}")
            else:
                lines.append(f"    population: {result.population} ({result.population_reason})")
        else:
            lines.append(f"  {result.task}: {result.status.value.replace('_', ' ')}: {result.message}")
    lines.extend(f"  warning: {w}" for w in analysis.warnings)
    if analysis.results:
        lines.append(f"  ({DISCLAIMER})")
    return "\n".join(lines)


def _map_lines(result: Any) -> list[str]:
    from xray_desktop.explain import faithfulness_text

    lines = []
    if result.map_of and result.heatmap is not None:
        lines.append(f"    map: evidence for {result.map_of} (the model's answer)")
    if result.map_faithfulness is not None:
        lines.append(f"    map: {faithfulness_text(result.map_faithfulness, result.map_random_baseline)}")
    if result.map_warning:
        lines.append(f"    map warning: {result.map_warning}")
    return lines
