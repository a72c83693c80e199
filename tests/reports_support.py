"""Helpers for the reports, history and feedback tests: hand-made analyses and PDF reading/rendering."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from xray_desktop.radiograph import Radiograph
from xray_desktop.results import AnalysisResult, TaskResult, TaskStatus
from xray_desktop.security.permissions import Role
from xray_desktop.services.session import Session


class RecordingAudit:
    """An audit sink that keeps what it is given, to assert on."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict]] = []

    def append(self, actor: str, event: str, details: dict) -> None:
        self.events.append((actor, event, details))

    def names(self) -> list[str]:
        return [e[1] for e in self.events]


def session(role: Role = Role.DOCTOR, name: str | None = None, audit: RecordingAudit | None = None) -> Session:
    return Session(username=name or f"{role.value}1", role=role, audit=audit)


def synthetic_radiograph(path: Path, height: int = 120, width: int = 100, seed: int = 0) -> Radiograph:
    """A small greyscale image with a bright 'bone' bar, hashed by its bytes like a loaded file."""
    rng = np.random.default_rng(seed)
    pixels = (0.25 + 0.1 * rng.random((height, width))).astype(np.float32)
    pixels[:, width // 3 : width // 2] = 0.85
    sha = hashlib.sha256(pixels.tobytes()).hexdigest()
    return Radiograph(pixels=pixels, source=path, format="PNG", bit_depth=8, photometric="MONOCHROME2", sha256=sha)


def gaussian_heatmap(height: int, width: int, cy: float = 0.5, cx: float = 0.4) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    heat = np.exp(-(((xx - cx * width) / (0.2 * width)) ** 2 + ((yy - cy * height) / (0.2 * height)) ** 2))
    return heat.astype(np.float32)


def ok_result(task: str = "pneumonia", probability: float = 0.8731, threshold: float = 0.4121, **extra) -> TaskResult:
    decision = probability >= threshold
    values = dict(
        task=task,
        status=TaskStatus.OK,
        model_id=f"{task}-densenet121-v1",
        model_name="DenseNet121 accurate",
        model_version="1.0.0",
        model_sha256="3f5a9c0e1d2b4a6f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a392817",
        validation_auc=0.9412,
        validation_data=f"{task} patient-grouped validation split (1,042 images)",
        probability=probability,
        threshold=threshold,
        decision=decision,
        label=task.capitalize() if decision else "Normal",
        method="gradcam",
    )
    values.update(extra)
    return TaskResult(**values)


def analysis(tmp_path: Path, name: str = "chest_case.png", seed: int = 0, with_heatmap: bool = True) -> AnalysisResult:
    """A chest analysis: pneumonia positive with a heatmap, cardiomegaly negative, fracture not installed."""
    image = synthetic_radiograph(tmp_path / name, seed=seed)
    heat = gaussian_heatmap(image.height, image.width) if with_heatmap else None
    results = [
        ok_result("pneumonia", 0.8731, 0.4121, heatmap=heat),
        ok_result("cardiomegaly", 0.2011, 0.5034, method="gradcam++", heatmap=None),
        TaskResult("fracture", TaskStatus.NOT_INSTALLED, message="no model is installed for this task"),
    ]
    return AnalysisResult(path=str(image.source), image=image, results=results, warnings=["low contrast"])


def pdf_page_texts(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


def render_pdf_page(pdf_path: Path, png_path: Path, page: int = 0, scale: float = 1.5) -> Path:
    """Render one page to PNG with pypdfium2 (no poppler needed), to look at or check its size."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf_path))
    try:
        document[page].render(scale=scale).to_pil().save(png_path)
    finally:
        document.close()
    return png_path
