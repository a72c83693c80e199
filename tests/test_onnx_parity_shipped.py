"""Every shipped model's committed ONNX graphs agree with its Keras file on the bundled sample films.

Same decisions, |Δp| <= 1e-5 and map rank correlation >= 0.999 for Grad-CAM, Grad-CAM++ and
Score-CAM (and Grad-CAM on every further CAM layer), TensorFlow being the reference.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xray_desktop.explain import METHODS

pytestmark = pytest.mark.slow

REGISTRY = Path(__file__).resolve().parents[1] / "models" / "registry.json"
SHIPPED = [m["id"] for m in json.loads(REGISTRY.read_text(encoding="utf-8"))["models"]]


@pytest.mark.parametrize("model_id", SHIPPED)
def test_shipped_model_onnx_parity(model_id: str) -> None:
    from xray_desktop.models.manager import ModelManager
    from xray_desktop.models.onnx_runtime import has_onnx, open_onnx
    from xray_desktop.models.registry import Registry
    from xray_desktop.training.onnx_parity import (
        MAX_PROBABILITY_DELTA,
        MIN_RANK_CORRELATION,
        check_parity,
        sample_films,
    )

    registry = Registry.load(REGISTRY)
    entry = registry.get(model_id)
    assert has_onnx(entry), f"{model_id} has no current ONNX graph: run xray-desktop models export-onnx {model_id}"
    from xray_desktop.services.providers import cam_explainer

    graphs = open_onnx(registry.models_dir, entry, explainers=cam_explainer)  # checksums verified here
    keras_model = ModelManager(registry, backend="tensorflow").load(entry).model
    films = sample_films(entry.task, limit=100)
    report = check_parity(keras_model, graphs, entry, films)
    assert len(report.films) >= 4
    assert set(METHODS) <= set(report.methods)
    assert report.decisions_differ == 0
    assert report.max_probability_delta <= MAX_PROBABILITY_DELTA, report.describe()
    for method, figures in report.methods.items():
        assert figures["min_rank_correlation"] >= MIN_RANK_CORRELATION, f"{method}: {report.describe()}"
    assert report.passed
