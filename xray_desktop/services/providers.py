"""Which model provider the program runs on: the Keras `ModelManager` with Grad-CAM-family explainers.

The one place that joins `models` (loading) and `explain` (maps), so neither layer imports the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xray_desktop.models.manager import ModelManager
from xray_desktop.models.provider import Explainer
from xray_desktop.models.registry import Registry


def cam_explainer(model: Any, method: str, layers: Sequence[str] = ()) -> Explainer:
    """A compiled `CamExplainer` for a Keras model on the registry's `cam_layers` (TensorFlow imported here)."""
    from xray_desktop.explain.cam import CamExplainer

    return CamExplainer(model, method, layers=list(layers) or None)


def default_provider(registry: Registry | None = None) -> ModelManager:
    """The Keras model manager with map explainers; the registry loads from its default place when None."""
    return ModelManager(registry, explainers=cam_explainer)
