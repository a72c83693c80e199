"""Metrics on arrays whose answers are known by hand: Youden threshold, confusion, ECE, temperature."""

from __future__ import annotations

import numpy as np
import pytest

from xray_desktop.training.evaluation import (
    apply_temperature,
    bootstrap_auc_ci,
    evaluate_predictions,
    expected_calibration_error,
    fit_temperature,
    metrics_at,
    youden_threshold,
)


def test_youden_picks_the_threshold_that_separates_the_classes() -> None:
    y = np.array([0, 0, 0, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.35, 0.4, 0.8, 0.9])
    assert youden_threshold(y, p) == pytest.approx(0.4)
    m = metrics_at(y, p, 0.4)
    assert (m.sensitivity, m.specificity, m.ppv, m.npv, m.f1) == (1.0, 1.0, 1.0, 1.0, 1.0)


def test_confusion_and_rates_at_a_threshold() -> None:
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.6, 0.3, 0.7, 0.2, 0.1, 0.05])
    m = metrics_at(y, p, 0.5)
    assert m.confusion == {"tp": 3, "fp": 1, "tn": 3, "fn": 1}
    assert m.sensitivity == 0.75 and m.specificity == 0.75 and m.ppv == 0.75 and m.npv == 0.75
    assert m.f1 == pytest.approx(0.75)


def test_ece_on_known_bins() -> None:
    # bin (0.1-0.2]: p=0.2 x4, 1 positive -> |0.25-0.2|=0.05; bin (0.7-0.8]: p=0.8 x4, 4 positives -> 0.2
    y = np.array([1, 0, 0, 0, 1, 1, 1, 1])
    p = np.array([0.2] * 4 + [0.8] * 4)
    assert expected_calibration_error(y, p) == pytest.approx((4 * 0.05 + 4 * 0.2) / 8)
    assert expected_calibration_error(np.array([0, 1]), np.array([0.0, 1.0])) == 0.0


def test_temperature_recovers_a_known_overconfidence_and_keeps_auc() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2, 4000)
    y = (rng.random(4000) < 1 / (1 + np.exp(-logits))).astype(int)
    overconfident = 1 / (1 + np.exp(-logits * 3.0))  # = calibrated logits / (1/3): true T is 3
    t = fit_temperature(y, overconfident)
    assert t == pytest.approx(3.0, rel=0.1)
    ev = evaluate_predictions(y, overconfident)
    assert ev.ece_after < ev.ece_before
    inside = (overconfident > 1e-6) & (overconfident < 1 - 1e-6)  # logit() clips at 1e-7
    expected = 1 / (1 + np.exp(-logits * 3.0 / t))
    np.testing.assert_allclose(apply_temperature(overconfident, t)[inside], expected[inside], atol=1e-6)


def test_recorded_temperature_and_threshold_are_applied_not_refitted() -> None:
    y = np.array([0, 0, 1, 1, 0, 1])
    p = np.array([0.2, 0.4, 0.6, 0.9, 0.7, 0.3])
    ev = evaluate_predictions(y, p, temperature=2.0, threshold=0.55)
    assert ev.temperature == 2.0 and ev.at_threshold.threshold == 0.55
    assert ev.auc == pytest.approx(6 / 9)  # 6 of the 9 positive-negative pairs are ranked right
    lo, hi = bootstrap_auc_ci(y, p, n_boot=200)
    assert 0.0 <= lo <= ev.auc <= hi <= 1.0
    with pytest.raises(ValueError, match="both classes"):
        evaluate_predictions(np.array([1, 1]), np.array([0.2, 0.8]))
