"""Which engine runs a loaded model, and how a model without ONNX graphs gets them (or a clear refusal).

Analysis runs on ONNX Runtime; TensorFlow is for training and export only. A registry written
before the ONNX graphs existed still loads: where TensorFlow is installed the graphs are exported
(and parity-checked) on first load, otherwise one line says to re-export with the full install.
Importing this module imports neither engine.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from xray_desktop.errors import ModelUnavailableError
from xray_desktop.models.registry import ModelEntry, Registry

if TYPE_CHECKING:
    from xray_desktop.models.onnx_runtime import OnnxModel
    from xray_desktop.models.provider import ExplainerFactory

Exporter = Callable[[Registry, ModelEntry], ModelEntry]
"""(registry, entry) -> the entry with exported, parity-checked graphs (training.onnx_register.ensure_onnx)."""

BACKENDS = ("onnxruntime", "tensorflow")
BACKEND_ENV = "XRAY_DESKTOP_BACKEND"


TRAINING_NEEDS_FULL_INSTALL = (
    "Training a model needs the full install (with TensorFlow); this is the reading-station install."
)


def tensorflow_installed() -> bool:
    """True when TensorFlow can be imported (the full install), without importing it."""
    return importlib.util.find_spec("tensorflow") is not None


def resolve_backend(backend: str | None = None) -> str:
    """`backend`, else $XRAY_DESKTOP_BACKEND, else ONNX Runtime when installed, else TensorFlow."""
    chosen = backend or os.environ.get(BACKEND_ENV) or ""
    if chosen:
        if chosen not in BACKENDS:
            raise ValueError(f"unknown inference backend {chosen!r}; choose one of {', '.join(BACKENDS)}")
        return chosen
    return "onnxruntime" if importlib.util.find_spec("onnxruntime") is not None else "tensorflow"


def reexport_hint(entry: ModelEntry) -> str:
    return (
        f"model {entry.id!r} ({entry.task}) has no ONNX inference graph for this file and this installation has "
        f"no TensorFlow to make one; re-export it with the full install: xray-desktop models export-onnx {entry.id}"
    )


def load_onnx_model(
    registry: Registry,
    entry: ModelEntry,
    threads: int | None = None,
    exporter: Exporter | None = None,
    explainers: ExplainerFactory | None = None,
) -> OnnxModel:
    """Open the entry's ONNX graphs, exporting them first (full install only) when the entry has none."""
    from xray_desktop.models.onnx_runtime import has_onnx, open_onnx

    if not has_onnx(entry):
        if exporter is None or not tensorflow_installed():
            raise ModelUnavailableError(reexport_hint(entry))
        try:
            entry = exporter(registry, entry)
        except OSError as exc:
            raise ModelUnavailableError(
                f"model {entry.id!r}: cannot write its ONNX graph beside it ({exc.strerror or exc}); run "
                f"`xray-desktop models export-onnx {entry.id}` as a user who may write {registry.models_dir}"
            ) from None
    return open_onnx(registry.models_dir, entry, threads, explainers)
