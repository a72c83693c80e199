"""ROC curve and its area in NumPy, point for point what scikit-learn's `roc_curve` and `roc_auc_score` return.

`evaluate` runs on the reading-station install, which leaves scikit-learn and SciPy out (the bundle must stay
small); tests/test_roc.py holds these functions to scikit-learn's on ties, constant scores and random data.
"""

from __future__ import annotations

import numpy as np


def roc_curve(y_true: np.ndarray, y_score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fpr, tpr, thresholds), thresholds descending from +inf; collinear in-between points dropped.

    Labels are 0/1 (1 = positive). Raises ValueError when the lengths differ, a score is not finite
    or a class is missing (scikit-learn warns and returns NaN there; every caller here guards it).
    """
    positive = np.asarray(y_true).reshape(-1) == 1
    score = np.asarray(y_score, dtype=np.float64).reshape(-1)
    if positive.shape != score.shape or score.size == 0:
        raise ValueError(f"labels ({positive.size}) and scores ({score.size}) must be the same non-zero length")
    if not np.all(np.isfinite(score)):
        raise ValueError("scores must be finite")
    order = np.argsort(-score, kind="stable")
    score, positive = score[order], positive[order]
    # the last index of each run of equal scores: one threshold per distinct score
    ends = np.r_[np.flatnonzero(np.diff(score)), score.size - 1]
    tps = np.cumsum(positive, dtype=np.float64)[ends]
    fps = 1 + ends.astype(np.float64) - tps
    thresholds = score[ends]
    if fps.size > 2:  # keep the corners only, as drop_intermediate=True does
        corners = np.flatnonzero(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])
        fps, tps, thresholds = fps[corners], tps[corners], thresholds[corners]
    tps, fps, thresholds = np.r_[0.0, tps], np.r_[0.0, fps], np.r_[np.inf, thresholds]
    if fps[-1] <= 0 or tps[-1] <= 0:
        raise ValueError("a ROC curve needs both classes present")
    return fps / fps[-1], tps / tps[-1], thresholds


def roc_auc_score(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """Area under the ROC curve by the trapezoidal rule (ties count one half)."""
    fpr, tpr, _ = roc_curve(y_true, y_score)
    return float(np.trapezoid(tpr, fpr))
