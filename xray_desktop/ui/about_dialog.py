"""About: versions, the installed models with their recorded metrics, and the dataset attribution."""

from __future__ import annotations

import html
import platform
from importlib import metadata

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from xray_desktop import DISCLAIMER, __version__
from xray_desktop.tasks import TASK_NAMES, TASKS

ATTRIBUTION = (
    'Kermany D, Zhang K, Goldbaum M. "Labeled Optical Coherence Tomography (OCT) and Chest X-Ray Images for '
    'Classification", Mendeley Data v2 (2018). CC BY 4.0.',
    'Chen P. "Knee Osteoarthritis Severity Grading Dataset", Mendeley Data (2018). CC BY 4.0; derived from the '
    "Osteoarthritis Initiative (OAI).",
    "NIH ChestX-ray14, National Institutes of Health Clinical Center (public release); the cardiomegaly subset via "
    'the Kaggle "Cardiomegaly Disease Prediction Using CNN" collection.',
    "Sample DICOM files: fo-dicom test data (github.com/fo-dicom/fo-dicom).",
)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def model_rows() -> list[str]:
    """One line per task from the registry (read as JSON; TensorFlow is not needed)."""
    try:
        from xray_desktop.models.registry import Registry

        registry = Registry.load()
    except Exception as exc:  # shown in the box: the registry is missing or invalid
        return [f"Model registry unavailable: {html.escape(str(exc))}"]
    rows = []
    for task in TASK_NAMES:
        entry = registry.active_entry(task)
        label = TASKS[task].positive_label
        if entry is None:
            rows.append(f"<b>{label}</b>: no model installed")
            continue
        auc = entry.validation.get("auc")
        auc_text = f", validation AUC {float(auc):.3f}" if isinstance(auc, int | float) else ""
        rows.append(
            f"<b>{label}</b>: {html.escape(entry.display_name)} v{html.escape(entry.version)} "
            f"({html.escape(entry.backbone)}, {entry.input_size[0]}×{entry.input_size[1]}{auc_text})"
        )
    return rows


def about_html() -> str:
    versions = {
        "Python": platform.python_version(),
        "Qt for Python": pyside_version,
        "TensorFlow": _version("tensorflow-cpu")
        if _version("tensorflow-cpu") != "not installed"
        else _version("tensorflow"),
        "Keras": _version("keras"),
        "NumPy": _version("numpy"),
        "pydicom": _version("pydicom"),
    }
    version_rows = "".join(f"<tr><td>{k}</td><td>{html.escape(v)}</td></tr>" for k, v in versions.items())
    models = "".join(f"<li>{row}</li>" for row in model_rows())
    credits = "".join(f"<li>{html.escape(c)}</li>" for c in ATTRIBUTION)
    return (
        f"<h2>XRay Desktop {__version__}</h2>"
        f"<p><b>{html.escape(DISCLAIMER)}.</b> An offline, explainable X-ray analysis workstation: "
        "it never opens a network connection.</p>"
        f"<h3>Models</h3><ul>{models}</ul>"
        f"<h3>Data</h3><p>The models and the bundled sample cases use these datasets:</p><ul>{credits}</ul>"
        f"<h3>Versions</h3><table cellspacing='4'>{version_rows}</table>"
    )


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About XRay Desktop")
        self.resize(620, 560)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(False)
        self.text.setHtml(about_html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons, 0, Qt.AlignmentFlag.AlignRight)
