"""`xray-desktop gui`: the window (log-in first), or a non-interactive screenshot of one analysed file."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("gui", help="open the window (the default way to use the program)")
    parser.add_argument(
        "--open",
        dest="open_paths",
        metavar="FILE",
        type=Path,
        action="append",
        default=[],
        help="open this image at start (repeatable)",
    )
    parser.add_argument("--teaching", action="store_true", help="start in teaching mode (answers hidden until Reveal)")
    parser.add_argument("--theme", choices=("light", "dark"), help="colour theme (remembered)")
    parser.add_argument(
        "--screenshot",
        metavar="OUT.png",
        type=Path,
        help="open --open FILE, wait for its analysis, save a screenshot of the window and exit "
        "(runs as the operating-system account, works without a display)",
    )
    parser.add_argument("--timings", metavar="OUT.json", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for the analysis (screenshots)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from xray_desktop.errors import ImageLoadError, UsageError

    if args.screenshot is not None and not args.open_paths:
        raise UsageError("--screenshot needs --open FILE")
    for path in args.open_paths:
        if not path.exists():
            raise ImageLoadError(path, "no such file")
    from xray_desktop.ui.app import GuiOptions, run_gui  # Qt is imported only for this command

    options = GuiOptions(
        open_paths=list(args.open_paths),
        teaching=args.teaching,
        theme=args.theme,
        screenshot=args.screenshot,
        timings=args.timings,
        timeout_s=args.timeout,
    )
    return run_gui(options)
