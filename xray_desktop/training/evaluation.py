"""Honest binary-classifier metrics from labels and probabilities (NumPy + scikit-learn, no TensorFlow).

Conventions agreed with inference: calibrated p = sigmoid(logit(p_raw) / T) with T
fitted on validation by minimising the negative log-likelihood; the decision
threshold is Youden's J on validation, applied to the calibrated p. The 0.5
figures are reported too, so nobody mistakes a tuned threshold for a default.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from xray_desktop.training.roc import roc_auc_score, roc_curve

_EPS = 1e-7


@dataclass(frozen=True)
class ThresholdMetrics:
    threshold: float
    sensitivity: float
    specificity: float
    ppv: float
    npv: float
    f1: float
    accuracy: float
    confusion: dict[str, int]  # tp, fp, tn, fn


@dataclass(frozen=True)
class Evaluation:
    """Everything the model card and registry report about one evaluated data set."""

    n: int
    n_pos: int
    auc: float
    auc_ci95: tuple[float, float]
    temperature: float
    ece_before: float
    ece_after: float
    at_threshold: ThresholdMetrics
    at_0_5: ThresholdMetrics
    calibration: dict[str, Any] | None = None  # {"method", "params"} when not plain temperature scaling

    def to_metrics(self, data: str, fingerprint: str) -> dict[str, Any]:
        """The registry's `metrics.validation` / `metrics.test` object."""
        chosen = self.at_threshold
        extra = {"calibration_method": self.calibration["method"]} if self.calibration else {}
        return {
            **extra,
            "auc": round(self.auc, 4),
            "auc_ci95": [round(self.auc_ci95[0], 4), round(self.auc_ci95[1], 4)],
            "sensitivity": round(chosen.sensitivity, 4),
            "specificity": round(chosen.specificity, 4),
            "ppv": round(chosen.ppv, 4),
            "npv": round(chosen.npv, 4),
            "f1": round(chosen.f1, 4),
            "accuracy": round(chosen.accuracy, 4),
            "threshold": round(chosen.threshold, 4),
            "confusion": dict(chosen.confusion),
            "at_0_5": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self.at_0_5).items()},
            "ece_before": round(self.ece_before, 4),
            "ece_after": round(self.ece_after, 4),
            "temperature": round(self.temperature, 4),
            "n": self.n,
            "n_pos": self.n_pos,
            "data": data,
            "data_fingerprint": fingerprint,
        }


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(p) - np.log1p(-p)


def apply_temperature(p_raw: np.ndarray, temperature: float) -> np.ndarray:
    """sigmoid(logit(p) / T): T > 1 softens overconfident outputs; the ranking (AUC) is unchanged."""
    return 1.0 / (1.0 + np.exp(-logit(p_raw) / float(temperature)))


def fit_temperature(y: np.ndarray, p_raw: np.ndarray) -> float:
    """T minimising the binary NLL: a coarse log-grid, then a golden-section refinement."""
    z = logit(p_raw)
    y = np.asarray(y, dtype=np.float64)

    def nll(log_t: float) -> float:
        q = np.clip(1.0 / (1.0 + np.exp(-z / np.exp(log_t))), _EPS, 1 - _EPS)
        return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))

    grid = np.linspace(np.log(0.05), np.log(20.0), 121)
    best = int(np.argmin([nll(v) for v in grid]))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(60):
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if nll(a) < nll(b):
            hi = b
        else:
            lo = a
    return float(np.exp((lo + hi) / 2))


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Weighted mean |accuracy - confidence| over equal-width probability bins (of P(positive))."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.sum() * abs(y[mask].mean() - p[mask].mean())
    return float(total / len(y))


def youden_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The threshold maximising sensitivity + specificity - 1 (ties: the higher threshold)."""
    fpr, tpr, thresholds = roc_curve(y, p)
    j = tpr - fpr
    best = np.flatnonzero(j == j.max())[0]  # roc_curve orders thresholds descending
    return float(np.clip(thresholds[best], 1e-6, 1 - 1e-6))  # the registry needs 0 < t < 1


def metrics_at(y: np.ndarray, p: np.ndarray, threshold: float) -> ThresholdMetrics:
    """Decision = p >= threshold (the same rule inference applies)."""
    y = np.asarray(y).astype(int)
    pred = (np.asarray(p) >= threshold).astype(int)
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    tn = int(((pred == 0) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    sens = _ratio(tp, tp + fn)
    spec = _ratio(tn, tn + fp)
    ppv = _ratio(tp, tp + fp)
    npv = _ratio(tn, tn + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    acc = _ratio(tp + tn, len(y))
    return ThresholdMetrics(float(threshold), sens, spec, ppv, npv, f1, acc, {"tp": tp, "fp": fp, "tn": tn, "fn": fn})


def bootstrap_auc_ci(y: np.ndarray, p: np.ndarray, n_boot: int = 1000, seed: int = 0) -> tuple[float, float]:
    """Percentile 95 % interval of the AUC over resamples of the images (seeded, so reproducible)."""
    y = np.asarray(y)
    p = np.asarray(p)
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        if y[idx].min() == y[idx].max():
            continue
        scores.append(roc_auc_score(y[idx], p[idx]))
    return (float(np.percentile(scores, 2.5)), float(np.percentile(scores, 97.5)))


def evaluate_predictions(
    y: np.ndarray, p_raw: np.ndarray, temperature: float | None = None, threshold: float | None = None
) -> Evaluation:
    """Metrics for raw model outputs. Without T/threshold they are fitted here (validation);
    with them (a recorded model) they are applied as recorded, so figures are reproduced exactly."""
    y, p_raw = _checked(y, p_raw)
    t = fit_temperature(y, p_raw) if temperature is None else float(temperature)
    p = apply_temperature(p_raw, t)
    thr = youden_threshold(y, p) if threshold is None else float(threshold)
    return Evaluation(
        n=len(y),
        n_pos=int(y.sum()),
        auc=float(roc_auc_score(y, p)),
        auc_ci95=bootstrap_auc_ci(y, p),
        temperature=t,
        ece_before=expected_calibration_error(y, p_raw),
        ece_after=expected_calibration_error(y, p),
        at_threshold=metrics_at(y, p, thr),
        at_0_5=metrics_at(y, p, 0.5),
    )


def _checked(y: np.ndarray, p_raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels as ints and outputs as float64, both flat; both classes present and the lengths equal."""
    y = np.asarray(y).astype(int).reshape(-1)
    p_raw = np.asarray(p_raw, dtype=np.float64).reshape(-1)
    if len(y) != len(p_raw) or len(y) == 0:
        raise ValueError(f"labels ({len(y)}) and probabilities ({len(p_raw)}) must be the same non-zero length")
    if y.min() == y.max():
        raise ValueError("evaluation needs both classes present")
    return y, p_raw


def _ratio(a: int, b: int) -> float:
    return float(a / b) if b else 0.0


def evaluate_with(y: np.ndarray, p_raw: np.ndarray, calibration: dict[str, Any], threshold: float) -> Evaluation:
    """Metrics for raw outputs under a recorded calibration ({method, params}) and threshold."""
    from xray_desktop.models.calibration import calibrate

    y, p_raw = _checked(y, p_raw)
    p = calibrate(p_raw, calibration)
    params = calibration.get("params") or {}
    return Evaluation(
        n=len(y),
        n_pos=int(y.sum()),
        auc=float(roc_auc_score(y, p_raw)),  # the ranking of the raw outputs (isotonic steps would add ties)
        auc_ci95=bootstrap_auc_ci(y, p_raw),
        temperature=float(params.get("temperature", 1.0)),
        ece_before=expected_calibration_error(y, p_raw),
        ece_after=expected_calibration_error(y, p),
        at_threshold=metrics_at(y, p, threshold),
        at_0_5=metrics_at(y, p, 0.5),
        calibration=dict(calibration),
    )
