"""Regenerate docs/report-sample.png: a real analysis of a bundled sample, exported and rendered.

    .venv/bin/python docs/make_report_sample.py [IMAGE] [--out docs/report-sample.png]

Uses the installed, active models through the same services as the app, so every number
on the page was measured; with no model installed it stops with the reason (never a
made-up figure). Needs pypdfium2 (a dev dependency) to render the page.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from xray_desktop.errors import XRayError
from xray_desktop.paths import samples_dir
from xray_desktop.results import TaskStatus
from xray_desktop.security.permissions import Role
from xray_desktop.services.session import Session

DEFAULT_IMAGE = "chest/PNEUMONIA__person1179_bacteria_3127.jpeg"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", nargs="?", default=str(samples_dir() / DEFAULT_IMAGE))
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "report-sample.png"))
    parser.add_argument("--scale", type=float, default=1.4)
    args = parser.parse_args(argv)

    from xray_desktop.services.analyze import analyze_image
    from xray_desktop.services.providers import default_provider
    from xray_desktop.services.report import export_report

    session = Session(username="sample.doctor", role=Role.DOCTOR)
    try:
        analysis = analyze_image(session, args.image, manager=default_provider(), tasks="auto")
    except XRayError as exc:
        print(f"make_report_sample: {exc}", file=sys.stderr)
        return exc.exit_code
    if analysis.error:
        print(f"make_report_sample: {analysis.error}", file=sys.stderr)
        return 3
    if not any(r.status is TaskStatus.OK for r in analysis.results):
        print(
            "make_report_sample: no installed model answered for this image; train or import one first", file=sys.stderr
        )
        return 4

    import pypdfium2 as pdfium

    with tempfile.TemporaryDirectory() as tmp:
        pdf_path = export_report(session, [analysis], Path(tmp) / "sample.pdf")
        document = pdfium.PdfDocument(str(pdf_path))
        try:
            document[0].render(scale=args.scale).to_pil().save(args.out)
        finally:
            document.close()
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
