"""`xray-desktop self-test`: check an installation end to end and print a pass/fail table (exit 0 only if all pass)."""

from __future__ import annotations

import argparse
from pathlib import Path

ROW_WIDTH = 54


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "self-test",
        help="check models, sample cases, reports and the window; prints a pass/fail table",
        description="Verifies every registered model's checksum, loads and runs every active model, analyses "
        "each bundled sample case, writes a PDF report and starts the window offscreen on a sample. "
        "A task with no model installed is reported as 'not installed', not as a failure. "
        "Exit code 0 when nothing failed, 1 otherwise.",
    )
    parser.add_argument("--no-gui", action="store_true", help="skip starting the window (faster)")
    parser.add_argument(
        "--keep", metavar="DIR", type=Path, help="keep the report and screenshot in DIR (default: a temporary folder)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from xray_desktop.services.selftest import Check, data_folder_check, format_row, run_self_test, table_header
    from xray_desktop.services.session import os_session

    def show(check: Check) -> None:
        print(format_row(check, ROW_WIDTH), flush=True)

    print("XRay Desktop self-test (research and teaching use only — not a medical device)")
    print(table_header(ROW_WIDTH), flush=True)
    first, audit = data_folder_check()
    show(first)
    report = run_self_test(os_session(audit), gui=not args.no_gui, work_dir=args.keep, on_check=show, earlier=[first])
    print(report.summary())
    return 0 if report.passed else 1
