"""Which model provider the program runs on: ONNX Runtime (or Keras) `ModelManager` with Grad-CAM-family explainers.

The one place that joins `models` (loading) and `explain` (maps), so neither layer imports the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xray_desktop.models.manager import ModelManager
from xray_desktop.models.provider import Explainer
from xray_desktop.models.registry import ModelEntry, Registry


def cam_explainer(model: Any, method: str, layers: Sequence[str] = ()) -> Explainer:
    """The explainer for a loaded model: numpy maps over an exported ONNX graph pair (its CAM layers fixed
    at export), or a compiled `CamExplainer` for a Keras model on the registry's `cam_layers` (TensorFlow
    is imported then, on first use)."""
    if hasattr(model, "cam_inputs"):  # models.onnx_runtime.OnnxModel
        from xray_desktop.explain.onnx_cam import OnnxExplainer

        return OnnxExplainer(model, method, layers)
    from xray_desktop.explain.cam import CamExplainer

    return CamExplainer(model, method, layers=list(layers) or None)


def export_graphs(registry: Registry, entry: ModelEntry) -> ModelEntry:
    """Export (and parity-check) the ONNX graphs of an entry that has none; needs the full install."""
    from xray_desktop.training.onnx_register import ensure_onnx

    return ensure_onnx(registry, entry)


def default_provider(
    registry: Registry | None = None, *, backend: str | None = None, threads: int | None = None
) -> ModelManager:
    """The model manager with map explainers, on ONNX Runtime where installed (`backend` overrides, as does
    $XRAY_DESKTOP_BACKEND); the registry loads from its default place when None."""
    from xray_desktop.models.backend import resolve_backend

    return ModelManager(
        registry, explainers=cam_explainer, backend=resolve_backend(backend), threads=threads, exporter=export_graphs
    )
