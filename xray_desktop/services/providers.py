"""Which model provider the program runs on: the Keras `ModelManager` with Grad-CAM-family explainers.

The one place that joins `models` (loading) and `explain` (maps), so neither layer imports the other.
"""

from __future__ import annotations

from typing import Any

from xray_desktop.models.manager import ModelManager
from xray_desktop.models.provider import Explainer
from xray_desktop.models.registry import Registry


def cam_explainer(model: Any, method: str) -> Explainer:
    """A compiled `CamExplainer` for a Keras model (TensorFlow is imported here, on first use)."""
    from xray_desktop.explain.cam import CamExplainer

    return CamExplainer(model, method)


def default_provider(registry: Registry | None = None) -> ModelManager:
    """The Keras model manager with map explainers; the registry loads from its default place when None."""
    return ModelManager(registry, explainers=cam_explainer)
