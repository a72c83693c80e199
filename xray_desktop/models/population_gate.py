"""Is a film one its model knows? Distance of its features from the training films' features.

The features are the penultimate embedding (what the head reads) and, when the gate names a
`feature_layer` (the model's first CAM layer), that layer's per-channel spatial mean and spread
(`xray_desktop.gate_features`): lower-level statistics keep differences of build and exposure (an adult thorax, another
detector) that the head's features, trained to ignore everything but the finding, have discarded. Both come
out of the same forward pass as the prediction, on either runtime.

Plain numpy on one embedding vector, so the Keras path and an ONNX path share it. Two methods are fitted
and the better one is kept by measurement (`training.population_fit`):

- "mahalanobis": per-class means with one shared, shrunk covariance (Lee et al., 2018); the distance is
  to the nearest class mean.
- "knn": L2-normalised embeddings; the distance is the mean cosine distance to the k nearest training films.

Distances are expressed as a ratio to the median distance of in-population validation films ("the usual"),
and a film is outside when the ratio exceeds `threshold` (set so about 5 % of validation films are).
The fitted gate is data stored with the model: an `.npz` file whose sha256 the registry records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from xray_desktop.errors import ModelUnavailableError
from xray_desktop.models.header_npz import header_npz_bytes, read_header_npz, unreadable

WHAT = "population check file"  # how errors name the file
METHODS = ("mahalanobis", "knn")
FLAG_RATE = 0.045  # share of validation films flagged: "about 5 %", with room so held-out films stay <= 5 %
SHRINKAGE = 0.05  # covariance shrinkage towards a scaled identity: stable with few films per dimension
KNN_K = 10
KNN_MAX_REFERENCE = 6000  # training embeddings kept for kNN (a random subset when there are more)


def gate_layer_of(population_check: dict[str, Any]) -> str | None:
    """The layer whose statistics the registered gate reads besides the embedding (None: embedding only)."""
    layer = population_check.get("feature_layer") if population_check.get("file") else None
    return str(layer) if layer else None


@dataclass
class PopulationGate:
    """A fitted gate: `ratio(embedding)` in units of "the usual" distance, outside above `threshold`."""

    method: str
    threshold: float  # ratio to the usual distance above which a film is outside
    scale: float  # the usual (median) distance of in-population validation films
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)  # figures for the card (AUROC, flagged rates, counts)

    @property
    def dimension(self) -> int:
        key = "means" if self.method == "mahalanobis" else "reference"
        return int(self.arrays[key].shape[1])

    def distances(self, embeddings: np.ndarray) -> np.ndarray:
        """(n, d) or (d,) embeddings -> (n,) raw distances (method units)."""
        x = np.atleast_2d(np.asarray(embeddings, dtype=np.float64))
        if x.shape[1] != self.dimension:
            raise ValueError(f"embedding has {x.shape[1]} features, the gate was fitted on {self.dimension}")
        if self.method == "mahalanobis":
            return mahalanobis(x, self.arrays["means"], self.arrays["precision"])
        return knn_distance(x, self.arrays["reference"], int(self.info.get("k", KNN_K)))

    def ratios(self, embeddings: np.ndarray) -> np.ndarray:
        """Distance as a multiple of the usual in-population distance (1.0 = a typical validation film)."""
        return self.distances(embeddings) / self.scale

    def is_outside(self, embedding: np.ndarray) -> tuple[bool, float]:
        ratio = float(self.ratios(embedding)[0])
        return (not np.isfinite(ratio)) or ratio > self.threshold, ratio

    # --- storage ---------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        header = {"method": self.method, "threshold": self.threshold, "scale": self.scale, "info": self.info}
        return header_npz_bytes(header, self.arrays)

    @classmethod
    def from_file(cls, path: str | Path, sha256: str | None = None) -> PopulationGate:
        """Read a gate file, checking its checksum first when one is given.

        Raises:
            ModelUnavailableError: missing, changed (checksum) or unreadable file.
        """
        path = Path(path)
        header, arrays = read_header_npz(path, sha256, WHAT)
        try:
            gate = cls(header["method"], float(header["threshold"]), float(header["scale"]), arrays, header["info"])
            gate.dimension  # noqa: B018 - raises KeyError when the arrays do not match the method
        except Exception as exc:  # a missing field or array means "not usable"
            raise unreadable(path, WHAT, exc) from None
        if gate.method not in METHODS:
            raise ModelUnavailableError(f"population check file {path.name}: unknown method {gate.method!r}")
        return gate


def fit_mahalanobis(train: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """Class means and the precision of the shared (within-class, shrunk) covariance."""
    x = np.asarray(train, dtype=np.float64)
    classes = np.unique(labels)
    means = np.stack([x[labels == c].mean(axis=0) for c in classes])
    centred = x - means[np.searchsorted(classes, labels)]
    cov = centred.T @ centred / max(1, len(x) - len(classes))
    d = cov.shape[0]
    cov = (1 - SHRINKAGE) * cov + SHRINKAGE * (np.trace(cov) / d) * np.eye(d)
    return {"means": means.astype(np.float64), "precision": np.linalg.pinv(cov).astype(np.float64)}


def mahalanobis(x: np.ndarray, means: np.ndarray, precision: np.ndarray) -> np.ndarray:
    """Distance of each row of `x` to the nearest class mean under the shared precision."""
    best = np.full(len(x), np.inf)
    for mean in means:
        delta = x - mean
        best = np.minimum(best, ((delta @ precision) * delta).sum(axis=1))  # BLAS: 3-operand einsum loops in C
    return np.asarray(np.sqrt(np.maximum(best, 0.0)))


def fit_knn(train: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """The L2-normalised training embeddings (a random subset when there are many)."""
    x = normalise(np.asarray(train, dtype=np.float32))
    if len(x) > KNN_MAX_REFERENCE:
        x = x[np.random.default_rng(seed).choice(len(x), KNN_MAX_REFERENCE, replace=False)]
    return {"reference": x}


def knn_distance(x: np.ndarray, reference: np.ndarray, k: int, skip_self: bool = False) -> np.ndarray:
    """Mean cosine distance of each row of `x` to its k nearest reference rows."""
    q = normalise(np.asarray(x, dtype=np.float32))
    out = np.empty(len(q))
    k = min(k, len(reference) - int(skip_self))
    for start in range(0, len(q), 512):
        dist = 1.0 - q[start : start + 512] @ reference.T
        part = np.partition(dist, k + int(skip_self) - 1, axis=1)[:, : k + int(skip_self)]
        part.sort(axis=1)
        out[start : start + 512] = part[:, int(skip_self) :].mean(axis=1)
    return np.maximum(out, 0.0)


def normalise(x: np.ndarray) -> np.ndarray:
    return np.asarray(x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-12))


def calibrate(
    method: str, arrays: dict[str, np.ndarray], validation: np.ndarray, info: dict[str, Any]
) -> PopulationGate:
    """Scale by the median validation distance; threshold at the (1 - FLAG_RATE) quantile of validation."""
    probe = PopulationGate(method, 1.0, 1.0, arrays, info)
    distances = probe.distances(validation)
    scale = float(np.median(distances))
    if not scale > 0:
        raise ValueError("validation films all sit at distance 0: the embedding is degenerate")
    threshold = float(np.quantile(distances / scale, 1.0 - FLAG_RATE))
    return PopulationGate(method, threshold, scale, arrays, info)


def auroc(inside: np.ndarray, outside: np.ndarray) -> float:
    """Probability that an outside film scores higher than an inside one (ties count half)."""
    inside, outside = np.asarray(inside, float), np.asarray(outside, float)
    if not len(inside) or not len(outside):
        return float("nan")
    inside = np.sort(inside)
    below = np.searchsorted(inside, outside, side="left")
    not_above = np.searchsorted(inside, outside, side="right")
    return float((below + 0.5 * (not_above - below)).sum() / (len(inside) * len(outside)))


def gate_of_entry(population_check: dict[str, Any], models_dir: Path) -> PopulationGate | None:
    """The gate a registry entry names (checksum verified), or None when it names none.

    Raises:
        ModelUnavailableError: the named file is missing, changed or unreadable.
    """
    if not population_check.get("file"):
        return None
    return PopulationGate.from_file(models_dir / population_check["file"], population_check.get("sha256"))
