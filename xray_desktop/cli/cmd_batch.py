"""`xray-desktop batch DIR --task TASK --csv OUT.csv [--heatmap-dir DIR] [--jobs N]`, with a progress bar on stderr.

The CSV is written row by row: Ctrl-C leaves a valid CSV of the files done. Exit 3 if any file was unusable
(its row carries the reason) or the folder holds no file, 4 if the task's model is unavailable.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from xray_desktop.errors import EXIT_INPUT, EXIT_OK, UsageError
from xray_desktop.explain import METHODS
from xray_desktop.progress import Progress, ProgressEvent
from xray_desktop.tasks import TASK_NAMES

BAR_WIDTH = 30


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "batch",
        help="run one task's model over a folder and write a CSV",
        description="Analyse every image under DIR with TASK's active model; one CSV row per file "
        "(path,task,probability,decision,threshold,model_id,error,warnings). Research and teaching use only.",
    )
    parser.add_argument("folder", metavar="DIR", type=Path)
    parser.add_argument("--task", required=True, choices=TASK_NAMES)
    parser.add_argument("--csv", required=True, type=Path, metavar="OUT.csv")
    parser.add_argument("--heatmap-dir", type=Path, help="also write an overlay PNG per file here")
    parser.add_argument("--method", default="gradcam", choices=METHODS, help="map method with --heatmap-dir")
    parser.add_argument("--jobs", type=int, default=1, help="image-loading threads (default 1)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from xray_desktop.models.registry import Registry
    from xray_desktop.services.auth import cli_session
    from xray_desktop.services.batch import run_batch
    from xray_desktop.services.providers import default_provider
    from xray_desktop.services.settings import SettingsService

    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    bar = TextBar(interactive=sys.stderr.isatty())
    summary = run_batch(
        cli_session(),
        args.folder,
        manager=default_provider(Registry.load()),
        task=args.task,
        csv_path=args.csv,
        heatmap_dir=args.heatmap_dir,
        jobs=args.jobs,
        progress=Progress(on_update=bar.draw),
        method=args.method,
        threshold=SettingsService().get().threshold_overrides.get(args.task),
    )
    bar.finish()
    print(
        f"{summary.processed} files, {summary.positives} positive, {summary.failed} unusable, "
        f"{summary.seconds:.1f}s ({summary.files_per_second:.1f} files/s) -> {summary.csv_path}",
        file=sys.stderr,
    )
    if summary.total == 0:  # nothing analysed is never success
        print(f"xray-desktop: error: {args.folder}: no files to analyse there", file=sys.stderr)
        return EXIT_INPUT
    return EXIT_INPUT if summary.failed else EXIT_OK


class TextBar:
    """`[#####-----] 12/40 files` on stderr; redrawn in place on a terminal, one line per batch otherwise."""

    def __init__(self, interactive: bool) -> None:
        self.interactive = interactive
        self.drawn = False

    def draw(self, event: ProgressEvent) -> None:
        total = event.total or 0
        filled = int(BAR_WIDTH * event.done / total) if total else 0
        line = f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {event.done}/{total} files"
        if self.interactive:
            sys.stderr.write("\r" + line)
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.interactive and self.drawn:
            sys.stderr.write("\n")
