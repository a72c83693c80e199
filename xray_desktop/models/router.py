"""Which body part is this film? A small classical model (image features + multinomial logistic regression).

Used by `--task auto` and the window when the file itself names no body part, so only that part's models
run. Plain numpy and OpenCV (no TensorFlow): it answers in milliseconds on the analysis thread. The
weights, the class names and the confidence needed are data in an `.npz` file the registry names
(`router` in registry.json, with its sha256); `training.router_fit` fits it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from xray_desktop.models.header_npz import header_npz_bytes, read_header_npz, unreadable
from xray_desktop.unit_histogram import unit_histogram

NOT_RADIOGRAPH = "not_radiograph"
THUMB = 24  # grey thumbnail side (pixels as features)
HOG_SIDE, HOG_CELLS, HOG_BINS = 64, 4, 9
HIST_BINS = 32


def router_features(pixels: np.ndarray, colour: np.ndarray | None = None) -> np.ndarray:
    """One film -> a fixed-length feature vector: thumbnail, grey histogram, gradient orientations, colour, shape."""
    grey = np.asarray(pixels, dtype=np.float32)
    h, w = grey.shape[:2]
    step = max(1, int(max(h, w) // 512))
    small = grey[::step, ::step]
    thumb = cv2.resize(small, (THUMB, THUMB), interpolation=cv2.INTER_AREA).ravel()
    hist = unit_histogram(small, HIST_BINS).astype(np.float32)
    hist /= max(1.0, hist.sum())
    hog = _orientation_histograms(cv2.resize(small, (HOG_SIDE, HOG_SIDE), interpolation=cv2.INTER_AREA))
    low, high = np.percentile(small, [1.0, 99.0])
    shape = np.array(
        [
            np.log(max(w, 1) / max(h, 1)),
            float(high - low),
            float(small.std()),
            float((small < 0.02).mean()),
            float((small > 0.98).mean()),
            *_colour(colour),
        ],
        dtype=np.float32,
    )
    return np.concatenate([thumb, hist, hog, shape]).astype(np.float32)


def _orientation_histograms(image: np.ndarray) -> np.ndarray:
    gx = cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = np.hypot(gx, gy)
    angle = (np.arctan2(gy, gx) % np.pi) / np.pi * HOG_BINS
    bins = np.minimum(angle.astype(int), HOG_BINS - 1)
    cell = HOG_SIDE // HOG_CELLS
    out = np.zeros((HOG_CELLS, HOG_CELLS, HOG_BINS), dtype=np.float32)
    for i in range(HOG_CELLS):
        for j in range(HOG_CELLS):
            window = (slice(i * cell, (i + 1) * cell), slice(j * cell, (j + 1) * cell))
            out[i, j] = np.bincount(bins[window].ravel(), magnitude[window].ravel(), HOG_BINS)
    out /= np.linalg.norm(out, axis=2, keepdims=True) + 1e-6
    return out.ravel()


def _colour(colour: np.ndarray | None) -> tuple[float, float]:
    if colour is None:
        return 0.0, 0.0
    rgb = np.asarray(colour, dtype=np.float32)
    step = max(1, int(max(rgb.shape[:2]) // 256))
    rgb = rgb[::step, ::step]
    top = rgb.max(axis=2)
    lit = top > 0.1
    if not lit.any():
        return 0.0, 0.0
    saturation = (top - rgb.min(axis=2))[lit] / top[lit]
    return float(saturation.mean()), float((saturation > 0.25).mean())


@dataclass
class RouterVerdict:
    part: str | None  # "chest" | "knee" | "limb" | NOT_RADIOGRAPH | None (not confident)
    best: str  # the most probable class, even when not confident
    confidence: float  # probability of `best`
    probabilities: dict[str, float] = field(default_factory=dict)
    age_group: str | None = None  # chest films only: CHILD | ADULT when the age-group head is confident
    age_confidence: float = 0.0  # probability of `age_group` (or of the likelier group when not confident)


CHILD, ADULT = "child", "adult"


@dataclass
class AgeGroupHead:
    """Chest films: a child's or an adult's? One logistic unit on the router's standardised features.

    Fitted on the paediatric (1-5 years) and adult (NIH) training films, it tells the population check that a
    film without DICOM age is a child's or an adult's. It learnt two sources as much as two ages, so its
    answer is worded as "looks like", and it only speaks when confident.
    """

    weights: np.ndarray  # (n_features,)
    bias: float
    min_confidence: float = 0.9

    def p_child(self, standardised: np.ndarray) -> np.ndarray:
        return np.asarray(1.0 / (1.0 + np.exp(-(np.atleast_2d(standardised) @ self.weights + self.bias))))


@dataclass
class BodyPartRouter:
    """Standardise the features, then softmax(W x + b) over `classes`; below `min_confidence` it says so."""

    classes: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray
    weights: np.ndarray  # (n_classes, n_features)
    bias: np.ndarray  # (n_classes,)
    min_confidence: float = 0.8
    info: dict[str, Any] = field(default_factory=dict)
    age: AgeGroupHead | None = None  # absent in routers fitted before it existed

    def standardise(self, features: np.ndarray) -> np.ndarray:
        return np.asarray((np.atleast_2d(features) - self.mean) / self.std)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        logits = self.standardise(features) @ self.weights.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return np.asarray(p / p.sum(axis=1, keepdims=True))

    def classify(self, pixels: np.ndarray, colour: np.ndarray | None = None) -> RouterVerdict:
        features = router_features(pixels, colour)
        p = self.probabilities(features)[0]
        best = int(p.argmax())
        confidence = float(p[best])
        name = self.classes[best]
        verdict = RouterVerdict(
            name if confidence >= self.min_confidence else None,
            name,
            confidence,
            {c: round(float(v), 4) for c, v in zip(self.classes, p, strict=True)},
        )
        if self.age is not None and verdict.part == "chest":
            child = float(self.age.p_child(self.standardise(features))[0])
            group, share = (CHILD, child) if child >= 0.5 else (ADULT, 1.0 - child)
            verdict.age_group = group if share >= self.age.min_confidence else None
            verdict.age_confidence = share
        return verdict

    def to_bytes(self) -> bytes:
        header = {"classes": list(self.classes), "min_confidence": self.min_confidence, "info": self.info}
        arrays = {"mean": self.mean, "std": self.std, "weights": self.weights, "bias": self.bias}
        if self.age is not None:
            header["age_min_confidence"] = self.age.min_confidence
            arrays["age_weights"] = self.age.weights
            arrays["age_bias"] = np.array([self.age.bias])
        return header_npz_bytes(header, arrays)

    @classmethod
    def from_file(cls, path: str | Path, sha256: str | None = None) -> BodyPartRouter:
        """Read the router, checking its checksum first.

        Raises:
            ModelUnavailableError: missing, changed or unreadable file.
        """
        path = Path(path)
        header, arrays = read_header_npz(path, sha256, "body-part router")
        try:
            age = (
                AgeGroupHead(arrays["age_weights"], float(arrays["age_bias"][0]), float(header["age_min_confidence"]))
                if "age_weights" in arrays
                else None
            )
            return cls(
                tuple(header["classes"]),
                arrays["mean"],
                arrays["std"],
                arrays["weights"],
                arrays["bias"],
                float(header["min_confidence"]),
                header.get("info", {}),
                age,
            )
        except Exception as exc:  # a missing field or array: unusable
            raise unreadable(path, "body-part router", exc) from None
