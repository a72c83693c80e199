"""The training modules the window and the CLI parser import must not pull TensorFlow in at import time."""

from __future__ import annotations

import subprocess
import sys

LIGHT = [
    "xray_desktop.training.recipes",
    "xray_desktop.training.datasets",
    "xray_desktop.training.splits",
    "xray_desktop.training.data_plan",
    "xray_desktop.training.evaluation",
    "xray_desktop.training.regimens",
    "xray_desktop.training.evaluate_model",
    "xray_desktop.services.training",
    "xray_desktop.cli.cmd_train",
    "xray_desktop.cli.cmd_evaluate",
]


def test_light_training_modules_do_not_import_tensorflow() -> None:
    code = "import sys\n" + "".join(f"import {m}\n" for m in LIGHT) + "print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "False"
