"""Start-up in a fresh process: the window is up before any model loads, analysis never loads TensorFlow; the screenshot command works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ui_support import PNEUMONIA_SAMPLE, write_corrupt_image

from xray_desktop.errors import EXIT_INPUT

REPO = Path(__file__).resolve().parent.parent

PROBE = r"""
import sys
from PySide6.QtWidgets import QApplication
from xray_desktop.security.permissions import Role
from xray_desktop.services.session import Session
from xray_desktop.ui.app import ensure_app
from xray_desktop.ui.main_window import MainWindow

app = ensure_app()
window = MainWindow(Session("probe", Role.DOCTOR))
window.show()
app.processEvents()
print("shown", window.isVisible(), "tensorflow" in sys.modules, window.models.running, flush=True)
from PySide6.QtCore import QEventLoop
reports = []
loop = QEventLoop()
window.modelsReady.connect(lambda report: (reports.append(report), loop.quit()))
window.start_models()
loop.exec()
print("warmed", "tensorflow" in sys.modules, "onnxruntime" in sys.modules, type(reports[0]).__name__, flush=True)
window.close()
"""


PREEMPT_PROBE = r"""
import sys
from pathlib import Path
from PySide6.QtCore import QEventLoop, QTimer
from xray_desktop.security.permissions import Role
from xray_desktop.services.session import Session
from xray_desktop.ui.app import ensure_app
from xray_desktop.ui.main_window import MainWindow

app = ensure_app()
window = MainWindow(Session("probe", Role.DOCTOR))
window.show()
events = []
loop = QEventLoop()
window.analysisShown.connect(lambda r: events.append("result"))
window.modelsReady.connect(lambda r: (events.append(type(r).__name__), loop.quit()))
window.start_models()
window.open_path(Path(sys.argv[1]))  # pre-empts the warm-up, which resumes after the result
QTimer.singleShot(180000, loop.quit)
loop.exec()
print("events", *events, flush=True)
window.close()
"""


def run_python(code_or_args: list[str], env_extra: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TF_CPP_MIN_LOG_LEVEL": "2", **env_extra}
    return subprocess.run(
        [sys.executable, *code_or_args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.slow
def test_window_is_shown_before_tensorflow_is_imported(tiny_models_dir: Path) -> None:
    proc = run_python(["-c", PROBE], {"XRAY_DESKTOP_MODELS": str(tiny_models_dir)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [line for line in proc.stdout.splitlines() if line.startswith(("shown", "warmed"))]
    # Shown, TensorFlow not imported, model thread not started yet ...
    assert lines[0] == "shown True False False"
    # ... and the warm-up on the model thread opens ONNX Runtime sessions, never TensorFlow (either can fail).
    assert lines[1] == "warmed False True WarmUpReport"


@pytest.mark.slow
def test_warm_up_resumed_after_a_first_analysis_loads_the_other_models(
    tiny_models_dir: Path,
    tiny_square_model,
) -> None:
    """Regression: on a plain QThread the resumed warm-up segfaulted while tracing a newly loaded model."""
    from conftest import write_model_entry

    for task in ("cardiomegaly", "osteoarthritis"):
        write_model_entry(tiny_models_dir, tiny_square_model, task, f"tiny-{task}")
    proc = run_python(["-c", PREEMPT_PROBE, str(PNEUMONIA_SAMPLE)], {"XRAY_DESKTOP_MODELS": str(tiny_models_dir)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "events result WarmUpReport" in proc.stdout


@pytest.mark.slow
def test_screenshot_command_analyses_the_file_and_writes_the_window(tiny_models_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    proc = run_python(
        ["-m", "xray_desktop", "gui", "--open", str(PNEUMONIA_SAMPLE), "--screenshot", str(out)],
        {"XRAY_DESKTOP_MODELS": str(tiny_models_dir)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    from PIL import Image

    with Image.open(out) as image:
        assert image.size[0] >= 1200 and image.size[1] >= 700
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is None or len(colours) > 1000  # a rendered window, not a blank frame


def test_screenshot_of_a_corrupt_file_is_one_error_line_and_exit_code(tmp_path: Path) -> None:
    broken = write_corrupt_image(tmp_path)
    proc = run_python(["-m", "xray_desktop", "gui", "--open", str(broken), "--screenshot", str(tmp_path / "x.png")], {})
    assert proc.returncode == EXIT_INPUT
    errors = [line for line in proc.stderr.splitlines() if line.startswith("xray-desktop: error:")]
    assert len(errors) == 1 and "broken.png" in errors[0]
    assert "Traceback" not in proc.stderr


def test_screenshot_needs_a_file_to_open(tmp_path: Path) -> None:
    proc = run_python(["-m", "xray_desktop", "gui", "--screenshot", str(tmp_path / "x.png")], {})
    assert proc.returncode == 2
    assert "--screenshot needs --open FILE" in proc.stderr
