"""The reading-station spec is the full spec without the training side.

No TensorFlow, Keras, tf2onnx or onnx, and no SciPy, scikit-learn or matplotlib (together about 110 MB of a bundle
that must stay under 600 MB): the spec excludes them, and a fresh process that imports everything the reading
station runs (every CLI command module, the window, the self-test, reports, evaluation) and writes with the report
fonts loads none of them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT
from test_bundle_spec import FakeAnalysis, Recorder

READING_SPEC = REPO_ROOT / "installer" / "xray_desktop_reading.spec"
FULL_SPEC = REPO_ROOT / "installer" / "xray_desktop.spec"


TRANSLATION = ("PySide6/Qt/translations/qtbase_de.qm", "/site/PySide6/Qt/translations/qtbase_de.qm", "DATA")
NOT_ON_THE_READING_PATH = ("tensorflow", "keras", "tf2onnx", "onnx", "scipy", "sklearn", "matplotlib")


class FakeAnalysisWithTranslations(FakeAnalysis):
    def __init__(self, scripts: list[str], **kwargs: Any) -> None:
        super().__init__(scripts, **kwargs)
        self.datas = [*self.datas, TRANSLATION]


def _run(spec: Path) -> dict[str, Any]:
    return _analysis(spec).kwargs


def _analysis(spec: Path) -> FakeAnalysis:
    pytest.importorskip("PyInstaller")
    Recorder.made = []
    namespace: dict[str, Any] = {
        "SPECPATH": str(spec.parent),
        "Analysis": FakeAnalysisWithTranslations,
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
    return next(r for r in Recorder.made if isinstance(r, FakeAnalysis))


def test_reading_station_leaves_the_training_side_out() -> None:
    analysis = _analysis(READING_SPEC)
    kwargs = analysis.kwargs
    assert set(NOT_ON_THE_READING_PATH) <= set(kwargs["excludes"])
    assert "onnxruntime" in kwargs["hiddenimports"]
    assert not set(NOT_ON_THE_READING_PATH) & set(kwargs["hiddenimports"])
    datas = {dest for _src, dest in kwargs["datas"]}
    assert {"models", "resources"} <= datas  # the ONNX graphs travel in models/, the report fonts in resources/
    assert TRANSLATION not in analysis.datas  # the program installs no QTranslator


def test_the_reading_path_imports_nothing_the_reading_spec_leaves_out(tmp_path: Path) -> None:
    code = f"""
import importlib, pkgutil, sys
import numpy as np
import xray_desktop.cli
for m in pkgutil.iter_modules(xray_desktop.cli.__path__):
    importlib.import_module("xray_desktop.cli." + m.name)
import xray_desktop.ui.main_window, xray_desktop.ui.engine, xray_desktop.services.selftest
import xray_desktop.services.analyze, xray_desktop.services.batch, xray_desktop.services.report
import xray_desktop.training.evaluate_model
from xray_desktop.reports.fonts import register_fonts
from xray_desktop.training.evaluation import evaluate_with
register_fonts()
evaluate_with(np.array([0, 1, 0, 1]), np.array([0.1, 0.8, 0.4, 0.6]), {{"method": "none"}}, 0.5)
print(sorted(m for m in {NOT_ON_THE_READING_PATH!r} if m in sys.modules))
"""
    env = {**os.environ, "XRAY_DESKTOP_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_full_bundle_keeps_tensorflow_for_training_and_export() -> None:
    kwargs = _run(FULL_SPEC)
    assert {"tensorflow", "keras", "tf2onnx", "onnx", "onnxruntime"} <= set(kwargs["hiddenimports"])
    assert "tensorflow" not in kwargs["excludes"]


def test_the_reading_station_ships_the_active_models_only_and_they_verify(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO_ROOT / "installer"))
    try:
        from reading_models import stage_active_models
    finally:
        sys.path.remove(str(REPO_ROOT / "installer"))
    from xray_desktop.models.checksum import sha256_file
    from xray_desktop.models.registry import Registry

    source = Registry.load(REPO_ROOT / "models" / "registry.json")
    kept = stage_active_models(REPO_ROOT / "models", tmp_path / "models")
    staged = Registry.load(tmp_path / "models" / "registry.json")
    assert kept == sorted(i for i in source.active_models.values() if i)
    assert sorted(m.id for m in staged.models) == kept
    assert len(source.models) > len(staged.models)  # the comparisons stay in the full install
    for entry in staged.models:
        assert sha256_file(tmp_path / "models" / entry.file) == entry.sha256
        for name, digest in (
            (entry.onnx.get("file"), entry.onnx.get("sha256")),
            (entry.population_check.get("file"), entry.population_check.get("sha256")),
        ):
            if name:
                assert sha256_file(tmp_path / "models" / name) == digest
    assert (tmp_path / "models" / source.router["file"]).is_file()
    inactive = {m.id for m in source.models} - set(kept)
    assert not [p.name for p in (tmp_path / "models").iterdir() if any(p.name.startswith(i) for i in inactive)]
