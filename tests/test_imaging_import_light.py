"""The imaging package loads images without pulling in TensorFlow or Qt (the window must appear first)."""

from __future__ import annotations

import subprocess
import sys


def test_imaging_and_inspect_import_without_tensorflow_or_qt(dicom_mono1) -> None:
    code = (
        "import sys\n"
        "from xray_desktop.imaging import load_radiograph\n"
        "from xray_desktop.imaging.quality import assess_plausibility\n"
        "import xray_desktop.cli.cmd_inspect\n"
        f"assess_plausibility(load_radiograph({str(dicom_mono1)!r}))\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'PySide6') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_importing_imaging_defers_pil_and_pydicom_until_an_image_is_loaded() -> None:
    code = (
        "import sys\n"
        "import xray_desktop.imaging\n"
        "loaded = [m for m in ('PIL', 'pydicom', 'tensorflow') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
