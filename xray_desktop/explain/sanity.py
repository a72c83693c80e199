"""Model-parameter randomisation test (Adebayo et al., 2018): a map must depend on the trained weights.

A copy of the model (never the shared model) gets fresh random weights in every layer from the
convolution that produces the first CAM layer up to the output (re-initialising only the classifier
is too weak: when every channel fires on the finding, any channel weighting draws the same map); maps of the trained model and of this copy are compared per film by Spearman rank
correlation. Bound: the mean must stay below 0.5. Two unrelated maps give about 0; a map that is
mostly an edge detector of the input (Adebayo's failure case, e.g. Guided Backprop) stays above
about 0.8 whatever the weights. Below 0.5 the two maps share less than a quarter of their rank
variance (rho^2 < 0.25), so most of what the map shows comes from what the model learnt.
TensorFlow/Keras only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from scipy.stats import spearmanr

from xray_desktop.explain.cam import CamExplainer
from xray_desktop.explain.graph import find_target_layer, flat_layers, resolve_layer

SPEARMAN_BOUND = 0.5


@dataclass
class SanityResult:
    method: str
    randomised_layers: list[str]
    correlations: list[float]  # per film
    bound: float = SPEARMAN_BOUND

    @property
    def mean(self) -> float:
        return float(np.mean(self.correlations)) if self.correlations else float("nan")

    @property
    def passed(self) -> bool:
        return bool(self.correlations) and self.mean < self.bound

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "randomised_layers": self.randomised_layers,
            "n": len(self.correlations),
            "mean_spearman": round(self.mean, 4),
            "bound": self.bound,
            "passed": self.passed,
        }


def _get(model: Any, path: Sequence[str]) -> Any:
    layer = model
    for name in path:
        layer = layer.get_layer(name)
    return layer


def top_layers(model: Any, cam_layer: str | None = None) -> list[tuple[str, ...]]:
    """Paths of the weighted layers from the convolution producing the CAM layer (default: the last) to the output."""
    flat = flat_layers(model)
    target = resolve_layer(model, cam_layer) if cam_layer else find_target_layer(model)
    index = next(i for i, (path, _) in enumerate(flat) if path == target)
    convs = [i for i, (_, layer) in enumerate(flat[: index + 1]) if _is_conv(layer)]
    members = {flat[i][0][0] for i in convs if len(flat[i][0]) > 1}
    if len(members) >= 2 and len(target) == 1:
        return _ensemble_top_layers(flat, convs, index, members)
    start = convs[-1] if convs else index + 1
    top = [path for path, layer in flat[start:] if layer.weights]
    return top or [path for path, layer in flat if layer.weights][-1:]


def _ensemble_top_layers(
    flat: list[tuple[tuple[str, ...], Any]], convs: list[int], index: int, members: set[str]
) -> list[tuple[str, ...]]:
    """An ensemble's CAM layer joins every member's last feature map: each member's last convolution (and what
    follows it inside the member) is randomised, then the head. Randomising only the last member's, as the
    single-model rule would, leaves the other members' maps intact and the test could not fail for the right
    reason. The fixed resize matrices between members and join are not learnt weights and stay."""
    starts = {m: max(i for i in convs if flat[i][0][0] == m) for m in members}
    top = []
    for i, (path, layer) in enumerate(flat):
        if not layer.weights:
            continue
        inside = len(path) > 1 and path[0] in starts
        if (inside and i >= starts[path[0]]) or (not inside and i > index):
            top.append(path)
    return top


def _is_conv(layer: Any) -> bool:
    kernel = getattr(layer, "kernel", None)
    return kernel is not None and len(kernel.shape) == 4


def randomised_copy(model: Any, paths: Sequence[Sequence[str]], seed: int = 0) -> Any:
    """A clone with the trained weights everywhere except `paths`, which get fresh initial weights."""
    keras.utils.set_random_seed(seed)
    fresh = keras.models.clone_model(model)
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    for path in paths:
        _get(copy, path).set_weights(_get(fresh, path).get_weights())
    return copy


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Rank correlation of two maps; a constant map shares no ranking with anything (0)."""
    x, y = np.ravel(a), np.ravel(b)
    if np.ptp(x) == 0.0 or np.ptp(y) == 0.0:
        return 0.0
    return float(spearmanr(x, y).statistic)


def sanity_check(
    model: Any, images: np.ndarray, *, layers: Sequence[str] | None = None, method: str = "gradcam", seed: int = 0
) -> SanityResult:
    """Compare `method`'s maps of `model` with those of its top-randomised copy on `images` (n, h, w, c)."""
    cam_layer = layers[0] if layers else None
    paths = top_layers(model, cam_layer)
    copy = randomised_copy(model, paths, seed)
    _, trained = CamExplainer(model, method, layers=layers)(images)
    _, randomised = CamExplainer(copy, method, layers=layers)(images)
    correlations = [spearman(t, r) for t, r in zip(trained, randomised, strict=True)]
    return SanityResult(method, ["/".join(p) for p in paths], correlations)
