"""The ONNX Runtime provider: a registered model's exported graphs, run without TensorFlow.

`OnnxModel` has the methods the analysis services use on a loaded model (`predict_raw`,
`predict`, `explainer(method)(batch)`, `entry`, `path`, `load_seconds`) plus `embed` (the
population gate's embedding) and `cam_inputs` (activations and gradients per CAM layer, for
methods written as numpy functions: `explain.onnx_cam`, injected as the explainer factory so this
layer never imports `explain`). Both graph files are checksummed before a session opens.
Importing this module imports neither TensorFlow nor onnxruntime; opening a model imports the latter.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from xray_desktop.errors import ModelUnavailableError
from xray_desktop.gate_features import gate_features, with_gate_layer
from xray_desktop.models.checksum import sha256_file
from xray_desktop.models.loaded_common import LoadedCommon
from xray_desktop.models.population_gate import gate_layer_of
from xray_desktop.models.provider import Explainer, ExplainerFactory
from xray_desktop.models.registry import ModelEntry

THREADS_ENV = "XRAY_DESKTOP_THREADS"


def default_threads() -> int:
    """Threads per session: $XRAY_DESKTOP_THREADS when set, else the machine's cores."""
    value = os.environ.get(THREADS_ENV, "")
    return int(value) if value.isdigit() and int(value) > 0 else max(1, os.cpu_count() or 1)


@dataclass
class CamInputs:
    """One image's pass through the CAM graph."""

    probability: float  # uncalibrated
    logit: float
    embedding: np.ndarray  # (d,)
    layers: list[tuple[np.ndarray, np.ndarray]]  # per CAM layer: (activations, gradients), each (1, fh, fw, c)


@dataclass
class OnnxModel(LoadedCommon):
    """Two ONNX Runtime sessions (CAM graph at batch 1, forward graph at any batch) for one entry."""

    entry: ModelEntry
    path: Path  # the CAM graph file
    cam_session: Any
    forward_session: Any
    load_seconds: float
    explainer_factory: ExplainerFactory | None = field(default=None, repr=False)
    _explainers: dict[str, Explainer] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _gate: Any = field(default=None, repr=False)

    @property
    def layers(self) -> list[str]:
        return list(self.entry.onnx.get("layers", []))

    @property
    def backend(self) -> str:
        return "onnxruntime"

    def forward(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """(n, h, w, c) -> {"probability": (n,), "logit": (n,), "embedding": (n, d), "activations_0": ...}."""
        batch = self.checked(batch)
        names = [o.name for o in self.forward_session.get_outputs()]
        values = self.forward_session.run(None, {self.forward_session.get_inputs()[0].name: batch})
        return dict(zip(names, values, strict=True))

    def predict_raw(self, batch: np.ndarray) -> np.ndarray:
        """(n, h, w, c) float32 -> (n,) uncalibrated probabilities."""
        return self.forward(batch)["probability"]

    def features_for_gate(self, batch: np.ndarray, layer: str | None) -> tuple[np.ndarray, np.ndarray | None]:
        """Embedding, plus `layer`'s statistics when named; None when the forward graph lacks that layer.

        The forward graph carries the activations of the first exported CAM layer only.
        """
        out = self.forward(batch)
        if layer is None:
            return out["probability"], gate_features(out["embedding"])
        if self.layers[:1] != [layer]:
            return out["probability"], None
        return out["probability"], gate_features(out["embedding"], out["activations_0"])

    def embed(self, batch: np.ndarray) -> np.ndarray:
        """(n, h, w, c) -> (n, d) penultimate embeddings (the `gap` output), from the same forward pass."""
        return self.forward(batch)["embedding"]

    def score_probabilities(self, batch: np.ndarray) -> np.ndarray:
        """sigmoid(logit) of a batch (what Score-CAM and faithfulness curves score)."""
        out = self.forward(batch)
        if self.entry.onnx.get("score") == "probability":
            return out["probability"]
        return (1.0 / (1.0 + np.exp(-out["logit"].astype(np.float32)))).astype(np.float32)

    def cam_inputs(self, image: np.ndarray) -> CamInputs:
        """One image (1, h, w, c) through the CAM graph: probability, logit, embedding, per-layer pairs."""
        image = self.checked(image)
        if image.shape[0] != 1:
            raise ValueError(f"the CAM graph takes one image at a time, got a batch of {image.shape[0]}")
        names = [o.name for o in self.cam_session.get_outputs()]
        out = dict(zip(names, self.cam_session.run(None, {self.cam_session.get_inputs()[0].name: image}), strict=True))
        count = len([n for n in names if n.startswith("activations_")])
        pairs = [(out[f"activations_{i}"], out[f"gradients_{i}"]) for i in range(count)]
        return CamInputs(float(out["probability"][0]), float(out["logit"][0]), out["embedding"][0], pairs)

    def explainer(self, method: str) -> Explainer:
        """The cached explainer for `method`, built by the injected factory from this model."""
        with self._lock:
            if method not in self._explainers:
                if self.explainer_factory is None:
                    raise ModelUnavailableError(f"model {self.entry.id!r}: this model manager computes no maps")
                explainer = self.explainer_factory(self, method, self.layers)
                self._explainers[method] = with_gate_layer(explainer, gate_layer_of(self.entry.population_check))
            return self._explainers[method]

    def checked(self, batch: np.ndarray) -> np.ndarray:
        """`batch` as contiguous float32 of the entry's input shape (ValueError naming both shapes otherwise)."""
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        expected = self.entry.spec.input_shape
        if batch.ndim != 4 or tuple(batch.shape[1:]) != tuple(expected):
            raise ValueError(f"expected a batch of shape (n, {expected}), got {batch.shape}")
        return batch


def session_options(threads: int | None = None) -> Any:
    """Sequential execution with `threads` intra-op threads (default: the machine's cores).

    Worker threads sleep between runs instead of spinning. Alone on the machine, spinning makes a small
    map 4-21 % faster; with anything else on the cores (TensorFlow in the same process, the image loader,
    a PACS viewer) it made both sides about twice as slow (measured with `benchmarks/bench_onnx.py`).
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or default_threads()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def has_onnx(entry: ModelEntry) -> bool:
    """True when the entry records graphs made from exactly its Keras file, for its current CAM layers."""
    info = entry.onnx
    made_from_file = bool(info.get("file") and info.get("forward_file") and info.get("source_sha256") == entry.sha256)
    layers_current = not entry.cam_layers or list(info.get("layers", [])) == list(entry.cam_layers)
    return made_from_file and layers_current


def open_onnx(
    models_dir: Path, entry: ModelEntry, threads: int | None = None, explainers: ExplainerFactory | None = None
) -> OnnxModel:
    """Checksum both graph files, then open them; `ModelUnavailableError` names the file and the reason."""
    started = time.perf_counter()
    files = [
        (entry.onnx["file"], entry.onnx.get("sha256")),
        (entry.onnx["forward_file"], entry.onnx.get("forward_sha256")),
    ]
    paths = []
    for name, expected in files:
        path = models_dir / name
        who = f"model {entry.id!r} ({entry.task}, {path})"
        if not path.is_file():
            raise ModelUnavailableError(
                f"{who}: ONNX graph file is missing; re-export: xray-desktop models export-onnx {entry.id}"
            )
        if sha256_file(path) != expected:
            raise ModelUnavailableError(f"{who}: ONNX graph checksum mismatch; the file was changed or damaged")
        paths.append(path)
    try:
        import onnxruntime as ort
    except ImportError:
        raise ModelUnavailableError(f"model {entry.id!r}: onnxruntime is not installed") from None
    options = session_options(threads)
    try:
        sessions = [ort.InferenceSession(str(p), options, providers=["CPUExecutionProvider"]) for p in paths]
    except Exception as exc:  # onnxruntime raises its own types for a graph it cannot run
        raise ModelUnavailableError(f"model {entry.id!r} ({paths[0]}): ONNX Runtime cannot open it ({exc})") from None
    return OnnxModel(entry, paths[0], sessions[0], sessions[1], time.perf_counter() - started, explainers)
