"""The reading-station spec is the full spec without the training side: no TensorFlow, Keras, tf2onnx or onnx."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT
from test_bundle_spec import FakeAnalysis, Recorder

READING_SPEC = REPO_ROOT / "installer" / "xray_desktop_reading.spec"
FULL_SPEC = REPO_ROOT / "installer" / "xray_desktop.spec"


def _run(spec: Path) -> dict[str, Any]:
    pytest.importorskip("PyInstaller")
    Recorder.made = []
    namespace: dict[str, Any] = {
        "SPECPATH": str(spec.parent),
        "Analysis": FakeAnalysis,
        "PYZ": type("PYZ", (Recorder,), {}),
        "EXE": type("EXE", (Recorder,), {}),
        "COLLECT": type("COLLECT", (Recorder,), {}),
        "__file__": str(spec),
    }
    saved = list(sys.path)
    try:
        exec(compile(spec.read_text(encoding="utf-8"), str(spec), "exec"), namespace)
    finally:
        sys.path[:] = saved
    analysis = next(r for r in Recorder.made if isinstance(r, FakeAnalysis))
    return analysis.kwargs


def test_reading_station_leaves_the_training_side_out() -> None:
    kwargs = _run(READING_SPEC)
    assert {"tensorflow", "keras", "tf2onnx", "onnx"} <= set(kwargs["excludes"])
    assert "onnxruntime" in kwargs["hiddenimports"]
    assert not {"tensorflow", "keras", "tf2onnx", "onnx"} & set(kwargs["hiddenimports"])
    datas = {dest for _src, dest in kwargs["datas"]}
    assert {"models", "resources"} <= datas  # the ONNX graphs travel in models/


def test_full_bundle_keeps_tensorflow_for_training_and_export() -> None:
    kwargs = _run(FULL_SPEC)
    assert {"tensorflow", "keras", "tf2onnx", "onnx", "onnxruntime"} <= set(kwargs["hiddenimports"])
    assert "tensorflow" not in kwargs["excludes"]
