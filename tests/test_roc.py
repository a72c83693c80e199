"""The NumPy ROC (xray_desktop.training.roc) gives exactly scikit-learn's points, thresholds and area.

Evaluation uses it so that `evaluate` runs on the reading-station install, which has no scikit-learn.
"""

from __future__ import annotations

import numpy as np
import pytest

from xray_desktop.training import roc

metrics = pytest.importorskip("sklearn.metrics")


def _cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(7)
    cases = []
    for n in (2, 3, 5, 40, 1000):
        y = rng.integers(0, 2, n)
        y[0], y[-1] = 0, 1
        cases.append((y, rng.random(n)))
        cases.append((y, np.round(rng.random(n), 1)))  # many ties
        cases.append((y, rng.random(n).astype(np.float32)))
    cases.append((np.array([0, 1, 0, 1]), np.array([0.5, 0.5, 0.5, 0.5])))  # one threshold only
    cases.append((np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9])))  # perfect
    cases.append((np.array([1, 1, 0, 0]), np.array([0.1, 0.2, 0.8, 0.9])))  # inverted
    return cases


@pytest.mark.parametrize("case", range(len(_cases())))
def test_same_curve_and_area_as_scikit_learn(case: int) -> None:
    y, p = _cases()[case]
    ours = roc.roc_curve(y, p)
    theirs = metrics.roc_curve(y, p)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)
    assert roc.roc_auc_score(y, p) == pytest.approx(metrics.roc_auc_score(y, p), abs=1e-12)


def test_one_class_or_bad_scores_are_refused() -> None:
    with pytest.raises(ValueError, match="both classes"):
        roc.roc_curve(np.array([1, 1]), np.array([0.2, 0.4]))
    with pytest.raises(ValueError, match="finite"):
        roc.roc_curve(np.array([0, 1]), np.array([0.2, np.nan]))
    with pytest.raises(ValueError, match="same non-zero length"):
        roc.roc_curve(np.array([0, 1]), np.array([0.2]))
