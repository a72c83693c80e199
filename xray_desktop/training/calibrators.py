"""Fit the calibration a model ships with, and refuse one that makes things worse.

Candidates are fitted on validation: temperature, Platt scaling (temperature plus a bias, which
undoes the shift class weighting puts into the outputs), and isotonic regression where validation
has at least 500 films per class. They are compared by 5-fold cross-validated log-loss on
validation, so the flexible isotonic map cannot win by memorising the very films it is scored on.
The winner is then refitted on all of validation and shipped only if the internal test's ECE is not
worse than with no calibration at all; otherwise "none" ships and the card says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize
from sklearn.isotonic import IsotonicRegression

from xray_desktop.models.calibration import calibrate, logit
from xray_desktop.training.evaluation import expected_calibration_error, fit_temperature

ISOTONIC_MIN_PER_CLASS = 500
_EPS = 1e-7


@dataclass(frozen=True)
class CalibrationChoice:
    """The calibration to ship and the evidence for it (every figure goes on the card)."""

    calibration: dict[str, Any]  # {"method", "params"} as the registry stores it
    cv_log_loss: dict[str, float]  # candidate -> 5-fold CV log-loss on validation
    best_candidate: str
    test_ece_raw: float
    test_ece_candidate: float
    refused: bool  # the best candidate made the test ECE worse, so none ships
    reason: str


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    y = np.asarray(y, dtype=np.float64)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def fit_candidate(method: str, y: np.ndarray, p_raw: np.ndarray) -> dict[str, Any]:
    """One calibration fitted on (y, p_raw), in the registry's form."""
    y = np.asarray(y, dtype=np.float64)
    if method == "none":
        return {"method": "none", "params": {}}
    if method == "temperature":
        return {"method": "temperature", "params": {"temperature": round(fit_temperature(y, p_raw), 6)}}
    if method == "platt":
        z = logit(p_raw)

        def nll(ab: np.ndarray) -> float:
            return log_loss(y, 1.0 / (1.0 + np.exp(-(ab[0] * z + ab[1]))))

        fitted = minimize(nll, np.array([1.0, 0.0]), method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-9})
        return {"method": "platt", "params": {"a": round(float(fitted.x[0]), 6), "b": round(float(fitted.x[1]), 6)}}
    if method == "isotonic":
        iso = IsotonicRegression(y_min=_EPS, y_max=1 - _EPS, out_of_bounds="clip").fit(p_raw, y)
        xs = [round(float(v), 6) for v in iso.X_thresholds_]
        ys = [round(float(v), 6) for v in iso.y_thresholds_]
        return {"method": "isotonic", "params": {"x": xs, "y": ys}}
    raise ValueError(f"unknown calibration method {method!r}")


def candidates_for(y: np.ndarray) -> list[str]:
    counts = np.bincount(np.asarray(y).astype(int), minlength=2)
    methods = ["none", "temperature", "platt"]
    if counts.min() >= ISOTONIC_MIN_PER_CLASS:
        methods.append("isotonic")
    return methods


def cross_validated_log_loss(method: str, y: np.ndarray, p_raw: np.ndarray, folds: int = 5, seed: int = 0) -> float:
    """Mean held-out log-loss of `method` fitted on the other folds (stratified, seeded)."""
    y = np.asarray(y).astype(int)
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(y), dtype=int)
    for label in (0, 1):
        idx = np.flatnonzero(y == label)
        fold_of[rng.permutation(idx)] = np.arange(len(idx)) % folds
    losses = []
    for k in range(folds):
        held = fold_of == k
        fitted = fit_candidate(method, y[~held], p_raw[~held])
        losses.append(log_loss(y[held], calibrate(p_raw[held], fitted)) * held.sum())
    return float(np.sum(losses) / len(y))


def choose_calibration(
    y_val: np.ndarray, p_val: np.ndarray, y_test: np.ndarray | None, p_test: np.ndarray | None
) -> CalibrationChoice:
    """Pick by validation CV log-loss; keep it only if the internal test's ECE does not get worse."""
    scores = {m: round(cross_validated_log_loss(m, y_val, p_val), 6) for m in candidates_for(y_val)}
    best = min(scores, key=lambda m: scores[m])
    fitted = fit_candidate(best, y_val, p_val)
    y_chk, p_chk = (y_test, p_test) if y_test is not None and p_test is not None else (y_val, p_val)
    raw_ece = expected_calibration_error(y_chk, p_chk)
    cand_ece = expected_calibration_error(y_chk, calibrate(p_chk, fitted))
    where = "internal test" if y_test is not None else "validation (no test split)"
    if best == "none":
        return CalibrationChoice(fitted, scores, best, raw_ece, cand_ece, False, "raw outputs had the best log-loss")
    if cand_ece > raw_ece:
        reason = f"{best} would raise the {where} ECE from {raw_ece:.4f} to {cand_ece:.4f}: none shipped"
        return CalibrationChoice({"method": "none", "params": {}}, scores, best, raw_ece, cand_ece, True, reason)
    reason = f"{best} had the best validation log-loss; {where} ECE {raw_ece:.4f} -> {cand_ece:.4f}"
    return CalibrationChoice(fitted, scores, best, raw_ece, cand_ece, False, reason)
