"""Parity of an exported ONNX graph with its Keras model on real films, for every CAM method.

The export is only trusted when, on the bundled sample films of the model's body part, the
probability differs by at most 1e-5, every decision is the same, and every map keeps its
ranking (Spearman rank correlation >= 0.999) for Grad-CAM, Grad-CAM++ and Score-CAM on the
default layer, and Grad-CAM on every further CAM layer. The reference is TensorFlow itself
(`explain.cam.CamExplainer`). Export side only: imports TensorFlow.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from xray_desktop import paths
from xray_desktop.cam_methods import METHODS
from xray_desktop.explain import cam_math
from xray_desktop.models.calibration import calibrate
from xray_desktop.models.registry import ModelEntry

MAX_PROBABILITY_DELTA = 1e-5
MIN_RANK_CORRELATION = 0.999
FLAT_MAP_TOLERANCE = 1e-6  # maps this close are the same map even when a rank correlation is undefined
MAX_FILMS = 6


@dataclass
class ParityReport:
    """What the parity check measured; `passed` is the verdict."""

    films: list[str]
    max_probability_delta: float = 0.0
    decisions_differ: int = 0
    methods: dict[str, dict[str, float]] = field(default_factory=dict)  # method -> min rank corr, max |d map|

    @property
    def passed(self) -> bool:
        maps_ok = all(m["min_rank_correlation"] >= MIN_RANK_CORRELATION for m in self.methods.values())
        return (
            bool(self.films)
            and self.max_probability_delta <= MAX_PROBABILITY_DELTA
            and not self.decisions_differ
            and maps_ok
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "films": len(self.films),
            "max_probability_delta": float(self.max_probability_delta),
            "decisions_differ": self.decisions_differ,
            "methods": {k: {n: round(float(v), 9) for n, v in m.items()} for k, m in self.methods.items()},
            "passed": self.passed,
        }

    def describe(self) -> str:
        lines = [
            f"films: {len(self.films)}; max |Δp| {self.max_probability_delta:.2e} (limit {MAX_PROBABILITY_DELTA:.0e}); "
            f"decisions differing: {self.decisions_differ}"
        ]
        for name, m in self.methods.items():
            lines.append(
                f"{name}: min rank correlation {m['min_rank_correlation']:.6f} (limit {MIN_RANK_CORRELATION}), "
                f"max |Δmap| {m['max_map_delta']:.2e}"
            )
        return "\n".join(lines)


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman correlation of two maps (average ranks for ties); identical or both-flat maps count as 1."""
    from scipy.stats import spearmanr

    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    if np.max(np.abs(a - b)) <= FLAT_MAP_TOLERANCE:
        return 1.0
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(spearmanr(a, b).statistic)


def sample_films(task: str, limit: int = MAX_FILMS, samples_file: Path | None = None) -> list[Path]:
    """Bundled sample films of the task's body part (every sample when none is of that part)."""
    from xray_desktop.tasks import TASKS

    index = samples_file or paths.samples_dir() / "samples.json"
    cases = json.loads(index.read_text(encoding="utf-8")).get("cases", [])
    part = TASKS[task].body_part
    chosen = [c for c in cases if c.get("body_part") == part] or cases
    return [index.parent / c["file"] for c in chosen[:limit]]


def check_parity(model: Any, onnx_model: Any, entry: ModelEntry, films: Sequence[Path]) -> ParityReport:
    """Compare TensorFlow (`model`) with ONNX Runtime (`onnx_model`, an `OnnxModel`) on `films`."""
    from xray_desktop.explain.cam import CamExplainer
    from xray_desktop.explain.graph import find_target_layer
    from xray_desktop.imaging.loader import load_radiograph
    from xray_desktop.imaging.preprocess import prepare_input
    from xray_desktop.training.onnx_export import build_functions, cam_layer_paths

    report = ParityReport(films=[str(f) for f in films])
    batch = np.stack([prepare_input(load_radiograph(f).pixels, entry.spec) for f in films]).astype(np.float32)
    layer_paths = cam_layer_paths(model, entry)
    functions = build_functions(model, layer_paths)
    auto_default = tuple(layer_paths[0]) == tuple(find_target_layer(model))

    def record(name: str, reference: np.ndarray, ours: np.ndarray) -> None:
        item = report.methods.setdefault(name, {"min_rank_correlation": 1.0, "max_map_delta": 0.0})
        for ref, got in zip(reference, ours, strict=True):
            item["min_rank_correlation"] = min(item["min_rank_correlation"], rank_correlation(ref, got))
            item["max_map_delta"] = max(item["max_map_delta"], float(np.max(np.abs(ref - got))))

    def compare_probabilities(reference: np.ndarray, ours: np.ndarray) -> None:
        delta = np.abs(np.asarray(reference, np.float64) - np.asarray(ours, np.float64))
        report.max_probability_delta = max(report.max_probability_delta, float(delta.max(initial=0.0)))
        ref_pos = calibrate(reference, entry.effective_calibration) >= entry.threshold
        our_pos = calibrate(ours, entry.effective_calibration) >= entry.threshold
        report.decisions_differ = max(report.decisions_differ, int(np.sum(ref_pos != our_pos)))

    compare_probabilities(np.asarray(model(batch, training=False))[:, 0], onnx_model.predict_raw(batch))
    for method in METHODS:
        if auto_default:
            ref_probs, ref_maps = CamExplainer(model, method, layers=functions.layers)(batch)
        else:
            ref_probs, ref_maps = _traced_maps(functions, batch, method)
        probs, maps = onnx_model.explainer(method)(batch)
        compare_probabilities(ref_probs, probs)
        record(method, ref_maps, maps)
    for index, layer in enumerate(functions.layers[1:], start=1):
        reference, ours = [], []
        for i in range(batch.shape[0]):
            traced = [t.numpy() for t in functions.cam(batch[i : i + 1])]
            reference.append(cam_math.gradcam(traced[3 + 2 * index], traced[4 + 2 * index])[0])
            acts, grads = onnx_model.cam_inputs(batch[i : i + 1]).layers[index]
            ours.append(cam_math.gradcam(acts, grads)[0])
        record(f"gradcam@{layer}", np.stack(reference), np.stack(ours))
    return report


def _traced_maps(functions: Any, batch: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray]:
    """TensorFlow's activations and gradients (for a registry-chosen layer) through the numpy formulas."""
    from xray_desktop.explain import onnx_cam

    probs, maps = [], []
    for i in range(batch.shape[0]):
        image = batch[i : i + 1]
        if method == "scorecam":
            out = [t.numpy() for t in functions.forward(image)]

            def score(x: np.ndarray) -> np.ndarray:
                values = [t.numpy() for t in functions.forward(x)]
                return values[0] if functions.score_kind == "probability" else onnx_cam.sigmoid(values[1])

            probs.append(out[0][0])
            maps.append(onnx_cam.scorecam(image, out[3], score))
            continue
        traced = [t.numpy() for t in functions.cam(image)]
        probs.append(traced[0][0])
        acts, grads = traced[3::2], traced[4::2]
        maps.append(cam_math.cam(method, acts, grads))
    return np.asarray(probs, np.float32), np.concatenate(maps)
