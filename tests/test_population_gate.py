"""The population gate's numpy core: fit, threshold at ~5 % of validation, distances, storage, checksum."""

from __future__ import annotations

import numpy as np
import pytest

from xray_desktop.errors import ModelUnavailableError
from xray_desktop.models import population_gate as pg
from xray_desktop.models.checksum import sha256_file
from xray_desktop.training.population_fit import fit_gate


def _clouds(seed: int = 0, d: int = 16):
    rng = np.random.default_rng(seed)
    pattern = np.r_[np.ones(d // 2), np.zeros(d - d // 2)]  # what the "in" films' features look like (post-ReLU)
    labels = rng.integers(0, 2, 1200)
    train = np.abs(rng.normal(0, 0.3, (1200, d)) + 2 * pattern + labels[:, None] * 0.3)
    val_labels = rng.integers(0, 2, 600)
    validation = np.abs(rng.normal(0, 0.3, (600, d)) + 2 * pattern + val_labels[:, None] * 0.3)
    far = np.abs(rng.normal(0, 0.3, (300, d)) + 2 * (1 - pattern))  # another population: other features fire
    return train, labels, validation, far


@pytest.mark.parametrize("method", pg.METHODS)
def test_each_method_flags_about_five_percent_of_validation_and_the_far_cloud(method) -> None:
    train, labels, validation, far = _clouds()
    arrays = pg.fit_mahalanobis(train, labels) if method == "mahalanobis" else pg.fit_knn(train)
    gate = pg.calibrate(method, arrays, validation, {"k": pg.KNN_K})
    assert np.mean(gate.ratios(validation) > gate.threshold) == pytest.approx(0.05, abs=0.01)
    assert np.median(gate.ratios(validation)) == pytest.approx(1.0)
    assert np.mean(gate.ratios(far) > gate.threshold) > 0.99
    outside, ratio = gate.is_outside(far[0])
    assert outside and ratio > gate.threshold


def test_fit_gate_picks_by_measurement_and_reports_both() -> None:
    train, labels, validation, far = _clouds(1)
    gate, selection = fit_gate(train, labels, validation, far)
    assert set(selection) == set(pg.METHODS)
    best = max(selection.values(), key=lambda s: s["proxy_auroc"])["proxy_auroc"]
    assert selection[gate.method]["proxy_auroc"] == best


def test_a_gate_round_trips_through_its_file_and_a_changed_file_is_refused(tmp_path) -> None:
    train, labels, validation, far = _clouds(2)
    gate = pg.calibrate("mahalanobis", pg.fit_mahalanobis(train, labels), validation, {"note": "x"})
    path = tmp_path / "m.population.npz"
    path.write_bytes(gate.to_bytes())
    again = pg.PopulationGate.from_file(path, sha256_file(path))
    assert again.method == "mahalanobis" and again.threshold == pytest.approx(gate.threshold)
    assert np.allclose(again.ratios(far[:5]), gate.ratios(far[:5]))
    with pytest.raises(ModelUnavailableError, match="checksum"):
        pg.PopulationGate.from_file(path, "0" * 64)
    path.write_bytes(b"not a zip")
    with pytest.raises(ModelUnavailableError, match="unreadable"):
        pg.PopulationGate.from_file(path)
    with pytest.raises(ModelUnavailableError, match="missing"):
        pg.PopulationGate.from_file(tmp_path / "absent.npz")


def test_a_wrong_sized_embedding_is_a_clear_error() -> None:
    train, labels, validation, _ = _clouds(3)
    gate = pg.calibrate("mahalanobis", pg.fit_mahalanobis(train, labels), validation, {})
    with pytest.raises(ValueError, match="16"):
        gate.ratios(np.zeros((1, 8)))


def test_auroc_matches_the_pairwise_definition() -> None:
    rng = np.random.default_rng(4)
    inside, outside = rng.normal(0, 1, 200).round(1), rng.normal(1, 1, 150).round(1)
    pairs = (outside[:, None] > inside[None, :]).mean() + 0.5 * (outside[:, None] == inside[None, :]).mean()
    assert pg.auroc(inside, outside) == pytest.approx(pairs)
    assert pg.auroc(np.zeros(3), np.ones(3)) == 1.0
