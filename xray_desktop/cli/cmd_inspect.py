"""`xray-desktop inspect FILE... [--json]`: what the loader sees in each file, and whether it looks like an X-ray.

Bad files do not stop the others: each gets one stderr line and the exit code becomes 3.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from xray_desktop.errors import EXIT_INPUT, EXIT_OK, ImageLoadError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "inspect",
        help="show size, bit depth, photometric, DICOM fields and the plausibility verdict of image files",
        description="Load each FILE as the analysis would and report what was found. Exit 3 if any file is unusable.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="PNG, JPEG, TIFF, BMP or DICOM file")
    parser.add_argument("--json", action="store_true", help="print one JSON array with an object per readable file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from xray_desktop.imaging.loader import load_radiograph
    from xray_desktop.imaging.quality import assess_plausibility

    reports: list[dict[str, Any]] = []
    failed = False
    for name in args.files:
        try:
            radiograph = load_radiograph(name)
        except ImageLoadError as exc:
            print(f"xray-desktop: error: {exc}", file=sys.stderr)
            failed = True
            continue
        report = describe(radiograph, assess_plausibility(radiograph).as_dict())
        reports.append(report)
        if not args.json:
            print(format_text(report))
    if args.json:
        print(json.dumps(reports, indent=2, ensure_ascii=False))
    return EXIT_INPUT if failed else EXIT_OK


def describe(radiograph: Any, plausibility: dict[str, Any]) -> dict[str, Any]:
    """The JSON-ready summary of one loaded file (DICOM fields de-identified)."""
    dicom = radiograph.dicom
    return {
        "file": str(radiograph.source),
        "format": radiograph.format,
        "width": radiograph.width,
        "height": radiograph.height,
        "bit_depth": radiograph.bit_depth,
        "photometric": radiograph.photometric,
        "colour": radiograph.colour is not None,
        "modality": radiograph.modality or None,
        "body_part": radiograph.body_part or None,
        "sha256": radiograph.sha256,
        "dicom": dicom.display_fields(deidentified=True) if dicom is not None else None,
        "notes": list(radiograph.notes),
        "plausibility": plausibility,
    }


def format_text(report: dict[str, Any]) -> str:
    verdict = report["plausibility"]
    lines = [
        f"{report['file']}:",
        f"  format: {report['format']}  size: {report['width']}×{report['height']}  "
        f"bit depth: {report['bit_depth']}  photometric: {report['photometric']}",
        f"  modality: {report['modality'] or '-'}  body part: {report['body_part'] or '-'}",
    ]
    lines += [f"  note: {note}" for note in report["notes"]]
    if verdict["plausible"]:
        lines.append("  plausible radiograph: yes")
    else:
        lines.append("  plausible radiograph: NO")
        lines += [f"    - {reason}" for reason in verdict["reasons"]]
    return "\n".join(lines)
