"""The `xray-desktop` command: the same operations as the window, without Qt.

Each subcommand lives in its own `cmd_<name>.py` module with a
`register(subparsers)` function that adds its parser and sets `func`, a callable
taking the parsed arguments and returning an exit code. Modules are discovered,
so adding a subcommand never touches this file.

Exit codes (every subcommand): 0 ok, 2 usage, 3 an input file could not be used,
4 a model is missing or unusable, 5 not allowed. Errors go to stderr as one line;
never a traceback for bad input. Any file-system error (a read-only folder, a full disk, a path
that is a file) is such a line too, with exit 3. stderr stays silent unless something failed:
TensorFlow's native start-up lines are held back (`xray_desktop.quiet_tf`).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from xray_desktop import __version__, quiet_tf
from xray_desktop.errors import EXIT_INPUT, EXIT_USAGE, XRayError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xray-desktop",
        description="Offline, explainable X-ray analysis (research and teaching use only — not a medical device).",
    )
    parser.add_argument("--version", action="version", version=f"xray-desktop {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    package = sys.modules[__name__]
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"{__name__}.{info.name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    quiet_tf.install()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except XRayError as exc:
        print(f"xray-desktop: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # a file-system error is bad input too: one line naming the file, exit 3
        print(f"xray-desktop: error: {describe_os_error(exc)}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("xray-desktop: interrupted", file=sys.stderr)
        return 130


def describe_os_error(exc: OSError) -> str:
    """`<file>: <reason>` (and the second file of a rename), without errno clutter."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    names = [str(n) for n in (exc.filename, exc.filename2) if n is not None]
    return f"{' -> '.join(names)}: {reason}" if names else reason


def gui_main() -> int:
    """Entry point of the windowed executable (`xray-desktop-gui`)."""
    return main(["gui", *sys.argv[1:]])
