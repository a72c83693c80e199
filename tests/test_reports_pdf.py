"""PDF reports: the figures, the model, the disclaimer on every page, privacy and permissions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader
from reports_support import RecordingAudit, analysis, pdf_page_texts, render_pdf_page, session

from xray_desktop import DISCLAIMER
from xray_desktop.errors import InputError, NotAllowedError, UsageError
from xray_desktop.imaging.loader import load_radiograph
from xray_desktop.results import AnalysisResult
from xray_desktop.security.permissions import Role
from xray_desktop.services.report import export_report


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_single_report_shows_figures_model_and_disclaimer(tmp_path: Path) -> None:
    audit = RecordingAudit()
    case = analysis(tmp_path)
    out = export_report(session(Role.DOCTOR, "dr.smith", audit), [case], tmp_path / "report.pdf")

    pages = pdf_page_texts(out)
    text = _flat(" ".join(pages))
    for expected in (
        "0.873",  # pneumonia probability
        "0.412",  # its threshold
        "0.201",  # cardiomegaly probability
        "0.503",
        "pneumonia-densenet121-v1",
        "sha256 3f5a9c0e1d2b",
        "0.941",
        "validation split",
        "Grad-CAM",
        "heatmap: Grad-CAM++ (not shown)",  # cardiomegaly's map was not kept
        "p ≥ threshold",
        "No model installed",
        "dr.smith",
        case.image_sha256,
        "chest_case.png",
    ):
        assert expected in text, expected
    assert all(DISCLAIMER in _flat(page) for page in pages)
    assert audit.names() == ["report_export"]
    assert audit.events[0][2]["images"] == [case.image_sha256]


def test_page_size_a4_and_letter(tmp_path: Path) -> None:
    a4 = export_report(session(), [analysis(tmp_path)], tmp_path / "a4.pdf", page_size="A4")
    letter = export_report(session(), [analysis(tmp_path)], tmp_path / "letter.pdf", page_size="Letter")
    a4_box = PdfReader(str(a4)).pages[0].mediabox
    letter_box = PdfReader(str(letter)).pages[0].mediabox
    assert (round(float(a4_box.width)), round(float(a4_box.height))) == (595, 842)
    assert (round(float(letter_box.width)), round(float(letter_box.height))) == (612, 792)
    with pytest.raises(UsageError, match="page size"):
        export_report(session(), [analysis(tmp_path)], tmp_path / "x.pdf", page_size="A3")


def test_fonts_are_embedded(tmp_path: Path) -> None:
    out = export_report(session(), [analysis(tmp_path)], tmp_path / "report.pdf")
    fonts = PdfReader(str(out)).pages[0]["/Resources"]["/Font"]
    names = []
    for ref in fonts.values():
        font = ref.get_object()
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descendant["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, font["/BaseFont"]
        names.append(str(font["/BaseFont"]))
    assert any("DejaVu" in n for n in names)


def test_batch_report_has_summary_page_and_a_page_per_case(tmp_path: Path) -> None:
    cases = [analysis(tmp_path, f"case_{i}.png", seed=i) for i in range(3)]
    broken_path = tmp_path / "ward_7_smith" / "broken.png"
    broken = AnalysisResult(path=str(broken_path), error=f"{broken_path}: not a recognised image file")
    out = export_report(session(), [*cases, broken], tmp_path / "batch.pdf", page_size="Letter")

    pages = [_flat(p) for p in pdf_page_texts(out)]
    assert len(pages) >= 5
    assert "Summary" in pages[0]
    for i in range(3):
        assert f"case_{i}.png" in pages[0]
        assert cases[i].image_sha256[:12] in pages[0]
    assert "not analysed: broken.png: not a recognised image file" in pages[0]
    assert not any("ward_7_smith" in p for p in pages)  # folders are not printed
    for i in range(1, 5):
        assert any(f"Case {i} of 4" in p for p in pages[1:])
    assert all(DISCLAIMER in p for p in pages)
    assert all(f"Page {n} of {len(pages)}" in p for n, p in enumerate(pages, start=1))


def test_student_cannot_include_patient_data(tmp_path: Path) -> None:
    out = tmp_path / "student.pdf"
    with pytest.raises(NotAllowedError, match="report patient data"):
        export_report(session(Role.STUDENT), [analysis(tmp_path)], out, include_patient_data=True)
    assert not out.exists()
    export_report(session(Role.STUDENT), [analysis(tmp_path)], out)  # a de-identified report is allowed
    assert out.stat().st_size > 0


def test_dicom_identifiers_only_when_chosen(tmp_path: Path, dicom_mono1: Path) -> None:
    image = load_radiograph(dicom_mono1)
    case = AnalysisResult(path=str(dicom_mono1), image=image, results=analysis(tmp_path).results)

    plain = _flat(" ".join(pdf_page_texts(export_report(session(), [case], tmp_path / "plain.pdf"))))
    assert "CHEST" in plain and "De-identified" in plain
    assert "FUJI95714" not in plain  # accession number
    assert "FUJI PHOTO FILM CO.," not in plain.replace("FUJI PHOTO FILM CO. LTD.", "")  # institution
    assert dicom_mono1.name not in plain

    full = export_report(session(), [case], tmp_path / "full.pdf", include_patient_data=True)
    full_text = _flat(" ".join(pdf_page_texts(full)))
    assert "FUJI95714" in full_text
    assert dicom_mono1.name in full_text


def test_rendered_page_shows_image_and_coloured_overlay(tmp_path: Path) -> None:
    out = export_report(session(), [analysis(tmp_path)], tmp_path / "report.pdf", colormap="jet", alpha=0.5)
    png = render_pdf_page(out, tmp_path / "page1.png", scale=1.0)
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)
    assert abs(rgb.shape[0] - 842) <= 1 and abs(rgb.shape[1] - 595) <= 1
    saturation = rgb.max(axis=2) - rgb.min(axis=2)
    assert (saturation > 120).sum() > 500  # the jet heatmap is drawn, not only grey pixels and text


def test_unwritable_destination_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    with pytest.raises(InputError, match="not_a_folder"):
        export_report(session(), [analysis(tmp_path)], blocker / "report.pdf")


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="nothing to report"):
        export_report(session(), [], tmp_path / "r.pdf")
    with pytest.raises(UsageError, match="opacity"):
        export_report(session(), [analysis(tmp_path)], tmp_path / "r.pdf", alpha=1.5)
    with pytest.raises(UsageError, match=r"\.pdf"):
        export_report(session(), [analysis(tmp_path)], tmp_path / "r.txt")


def test_unknown_colormap_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="colormap 'rainbow'"):
        export_report(session(), [analysis(tmp_path)], tmp_path / "r.pdf", colormap="rainbow")


def test_progress_is_reported_and_cancel_leaves_no_file(tmp_path: Path) -> None:
    from xray_desktop.progress import Cancelled, Progress

    events = []
    cases = [analysis(tmp_path, f"p{i}.png", seed=i) for i in range(2)]
    export_report(session(), cases, tmp_path / "ok.pdf", progress=Progress(on_update=events.append))
    assert [(e.done, e.total) for e in events] == [(0, 3), (1, 3), (2, 3)]

    progress = Progress()
    progress.cancel()
    with pytest.raises(Cancelled):
        export_report(session(), cases, tmp_path / "cancelled.pdf", progress=progress)
    assert not (tmp_path / "cancelled.pdf").exists()


def test_reports_history_feedback_settings_import_without_tensorflow_or_qt() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import xray_desktop.services.report, xray_desktop.services.history\n"
        "import xray_desktop.services.feedback, xray_desktop.services.settings\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'PySide6') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"


def test_case_pictures_original_overlays_and_fracture_boxes(tmp_path: Path) -> None:
    from reports_support import gaussian_heatmap, ok_result

    from xray_desktop.reports.case import prepare_case

    case = analysis(tmp_path)
    h, w = case.image.height, case.image.width
    case.results.append(ok_result("fracture", 0.9, 0.5, heatmap=gaussian_heatmap(h, w), boxes=[(10, 20, 30, 40)]))
    section = prepare_case(case, include_patient_data=False, colormap="jet", alpha=0.4)
    assert [i.caption for i in section.images] == [
        "Original",
        "Grad-CAM — Pneumonia (p = 0.873)",
        "Grad-CAM — Fracture (p = 0.900)",
    ]
    original, pneumonia, fracture = (i.pixels for i in section.images)
    assert original.shape == (h, w) and pneumonia.shape == fracture.shape == (h, w, 3)
    green = (fracture[..., 0] == 0) & (fracture[..., 1] == 255) & (fracture[..., 2] == 0)
    assert green[20, 10:40].all() and not green[h // 2 + 25 :, :].any()  # the box's top edge, nothing below it
    assert not ((pneumonia[..., 0] == 0) & (pneumonia[..., 1] == 255) & (pneumonia[..., 2] == 0)).any()


def test_admin_threshold_override_is_labelled_in_the_report(tmp_path: Path) -> None:
    case = analysis(tmp_path)
    case.results[0].threshold = 0.9
    case.results[0].threshold_source = "admin override"
    out = export_report(session(), [case], tmp_path / "override.pdf")
    text = " ".join(pdf_page_texts(out))
    assert "0.900" in text and "admin override" in text
    assert "threshold set by an administrator" in text
