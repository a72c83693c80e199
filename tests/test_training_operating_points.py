"""Operating points chosen on validation meet their targets with margin; calibration ships only when it
does not make the internal test's ECE worse."""

from __future__ import annotations

import numpy as np
import pytest

from xray_desktop.models.calibration import calibrate, check_calibration
from xray_desktop.training.calibrators import choose_calibration, cross_validated_log_loss, fit_candidate
from xray_desktop.training.evaluation import expected_calibration_error, metrics_at
from xray_desktop.training.operating_points import choose_operating_points, margin, with_test


def _scores(n: int = 2000, seed: int = 0, shift: float = 1.8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(int)
    z = rng.normal(0, 1, n) + shift * y
    return y, 1 / (1 + np.exp(-(z - shift / 2)))


def test_three_points_meet_their_targets_with_a_margin() -> None:
    y, p = _scores()
    points = {op.name: op for op in choose_operating_points(y, p)}
    assert list(points) == ["screening", "balanced", "confirm"]
    assert points["screening"].threshold < points["balanced"].threshold < points["confirm"].threshold
    screening = metrics_at(y, p, points["screening"].threshold)
    confirm = metrics_at(y, p, points["confirm"].threshold)
    assert screening.sensitivity >= 0.95 + margin(0.95, int(y.sum()))
    assert confirm.specificity >= 0.95 + margin(0.95, int((y == 0).sum()))
    # screening is the best specificity among thresholds that meet the sensitivity target (no slack)
    slightly_higher = metrics_at(y, p, np.nextafter(points["screening"].threshold, 1.0) + 1e-4)
    assert slightly_higher.sensitivity < screening.sensitivity or slightly_higher.specificity <= screening.specificity
    assert points["balanced"].validation["sensitivity"] > 0.7 and points["balanced"].validation["specificity"] > 0.7


def test_test_figures_are_measured_at_the_validation_thresholds() -> None:
    y, p = _scores(seed=1)
    yt, pt = _scores(seed=2)
    points = with_test(choose_operating_points(y, p), yt, pt)
    for op in points:
        m = metrics_at(yt, pt, op.threshold)
        assert op.test == {"sensitivity": round(m.sensitivity, 4), "specificity": round(m.specificity, 4), "n": len(yt)}
        assert op.to_dict()["threshold"] == op.threshold


def test_platt_fixes_a_shifted_model_and_ships() -> None:
    y, p = _scores(seed=3)
    shifted = calibrate(p, {"method": "platt", "params": {"a": 1.0, "b": 2.0}})  # what class weights do
    yt, pt = _scores(seed=4)
    pt_shifted = calibrate(pt, {"method": "platt", "params": {"a": 1.0, "b": 2.0}})
    choice = choose_calibration(y, shifted, yt, pt_shifted)
    assert choice.calibration["method"] in ("platt", "isotonic") and not choice.refused
    assert choice.cv_log_loss["platt"] < choice.cv_log_loss["temperature"] < choice.cv_log_loss["none"]
    assert choice.test_ece_candidate < choice.test_ece_raw
    assert expected_calibration_error(yt, calibrate(pt_shifted, choice.calibration)) < 0.05
    assert check_calibration(choice.calibration, "calibration") is None


def test_a_calibration_that_makes_the_test_worse_is_refused() -> None:
    y, p = _scores(seed=5)
    shifted = calibrate(p, {"method": "platt", "params": {"a": 1.0, "b": 2.0}})
    yt, pt = _scores(seed=6)  # the test films are NOT shifted: correcting the shift would hurt them
    choice = choose_calibration(y, shifted, yt, pt)
    assert choice.refused
    assert choice.calibration == {"method": "none", "params": {}}
    assert "none shipped" in choice.reason and choice.test_ece_candidate > choice.test_ece_raw


def test_isotonic_is_a_candidate_only_with_500_films_per_class() -> None:
    small_y, small_p = _scores(n=600, seed=7)
    assert "isotonic" not in choose_calibration(small_y, small_p, None, None).cv_log_loss
    big_y, big_p = _scores(n=3000, seed=7)
    assert "isotonic" in choose_calibration(big_y, big_p, None, None).cv_log_loss
    iso = fit_candidate("isotonic", big_y, big_p)
    out = calibrate(np.linspace(0, 1, 50), iso)
    assert np.all(np.diff(out) >= 0) and check_calibration(iso, "c") is None
    assert cross_validated_log_loss("isotonic", big_y, big_p) < cross_validated_log_loss("none", big_y, big_p) + 0.05


@pytest.mark.parametrize(
    ("calibration", "problem"),
    [
        ({"method": "magic", "params": {}}, "must be one of"),
        ({"method": "platt", "params": {"a": 1.0}}, "platt needs"),
        ({"method": "temperature", "params": {"temperature": -1}}, "positive"),
        ({"method": "isotonic", "params": {"x": [0, 1], "y": [1, 0]}}, "non-decreasing"),
    ],
)
def test_a_broken_recorded_calibration_is_named(calibration: dict, problem: str) -> None:
    assert problem in (check_calibration(calibration, "models[0].calibration") or "")
