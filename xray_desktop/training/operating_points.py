"""Named operating points chosen on validation, each then measured once on the internal test.

- balanced: Youden's J, taken as the median over bootstrap resamples of validation so one lucky
  film does not move it (the default);
- screening: the best specificity with sensitivity >= 0.95 and at most half the misses of balanced;
- confirm: the best sensitivity with specificity >= 0.95 and at most half the false alarms of balanced.
  (On a model that separates validation well, 0.95 alone is met at the balanced threshold itself and
  the three points would coincide.)

Targets are met with a margin of one binomial standard error (sqrt(t(1-t)/n)), so a threshold that
just scrapes 0.95 on validation is not picked: new patients rarely do as well as the films that
chose the threshold.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from xray_desktop.training.evaluation import metrics_at, youden_threshold
from xray_desktop.training.roc import roc_curve

TARGET = 0.95
DEFAULT_POINT = "balanced"


@dataclass(frozen=True)
class OperatingPoint:
    name: str
    threshold: float
    rule: str
    validation: dict[str, float]  # sensitivity, specificity at the threshold on validation
    test: dict[str, float] | None = None  # the same on the internal test (filled in once, at the end)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def margin(target: float, n: int) -> float:
    """One binomial standard error at the target rate for n films of the class concerned."""
    return float(np.sqrt(target * (1 - target) / max(n, 1)))


def _clip(t: float) -> float:
    return float(np.clip(t, 1e-6, 1 - 1e-6))  # the registry needs 0 < t < 1


def screening_threshold(y: np.ndarray, p: np.ndarray, target: float = TARGET) -> float:
    """The highest threshold whose sensitivity is >= target + margin (so the best specificity)."""
    _fpr, tpr, thresholds = roc_curve(y, p)
    need = min(1.0, target + margin(target, int(np.sum(y == 1))))
    ok = np.flatnonzero(tpr >= need)
    return _clip(thresholds[ok[0]] if len(ok) else thresholds[-1])


def confirm_threshold(y: np.ndarray, p: np.ndarray, target: float = TARGET) -> float:
    """The lowest threshold whose specificity is >= target + margin (so the best sensitivity)."""
    fpr, _tpr, thresholds = roc_curve(y, p)
    need = min(1.0, target + margin(target, int(np.sum(y == 0))))
    ok = np.flatnonzero(1 - fpr >= need)
    return _clip(thresholds[ok[-1]] if len(ok) else thresholds[0])


def balanced_threshold(y: np.ndarray, p: np.ndarray, n_boot: int = 200, seed: int = 0) -> float:
    """Median of Youden thresholds over bootstrap resamples (seeded, so reproducible)."""
    rng = np.random.default_rng(seed)
    picks = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        if y[idx].min() != y[idx].max():
            picks.append(youden_threshold(y[idx], p[idx]))
    return _clip(float(np.median(picks)) if picks else youden_threshold(y, p))


def choose_operating_points(y_val: np.ndarray, p_val: np.ndarray) -> list[OperatingPoint]:
    """The three named points on validation (calibrated probabilities): screening, balanced, confirm.

    Screening is never less sensitive than balanced, and confirm never less specific: on a model that
    separates validation very well the 0.95 targets are met above Youden's threshold (or below it), and
    a "screening" point that misses more cases than "balanced" would contradict its name.
    """
    y_val = np.asarray(y_val).astype(int)
    balanced = balanced_threshold(y_val, p_val)
    at_balanced = metrics_at(y_val, p_val, balanced)
    sens_target = max(TARGET, 1 - (1 - at_balanced.sensitivity) / 2)
    spec_target = max(TARGET, 1 - (1 - at_balanced.specificity) / 2)
    rules = {
        "screening": (
            min(screening_threshold(y_val, p_val, sens_target), balanced),
            f"sensitivity >= {sens_target:.3f} (+1 SE margin) on validation: at least 0.95, and at most half "
            "the cases balanced misses",
        ),
        "balanced": (balanced, "Youden's J, bootstrap median on validation"),
        "confirm": (
            max(confirm_threshold(y_val, p_val, spec_target), balanced),
            f"specificity >= {spec_target:.3f} (+1 SE margin) on validation: at least 0.95, and at most half "
            "the false alarms of balanced",
        ),
    }
    points = []
    for name, (threshold, rule) in rules.items():
        m = metrics_at(y_val, p_val, threshold)
        points.append(
            OperatingPoint(
                name, threshold, rule, {"sensitivity": round(m.sensitivity, 4), "specificity": round(m.specificity, 4)}
            )
        )
    return points


def with_test(points: list[OperatingPoint], y_test: np.ndarray, p_test: np.ndarray) -> list[OperatingPoint]:
    """Each point's sensitivity / specificity on the internal test, at the threshold validation chose."""
    out = []
    for op in points:
        m = metrics_at(y_test, p_test, op.threshold)
        test = {"sensitivity": round(m.sensitivity, 4), "specificity": round(m.specificity, 4), "n": len(y_test)}
        out.append(OperatingPoint(op.name, op.threshold, op.rule, op.validation, test))
    return out
