"""Apply a model's recorded calibration: `calibration: {method, params}` in the registry.

Methods: "none"; "temperature" (p = sigmoid(logit / T)); "platt" (p = sigmoid(a·logit + b), which
also has the bias term temperature lacks); "isotonic" (a monotone step map, stored as its knots
and interpolated). Old registries that only have `temperature` still load as the temperature method.
The fitting lives in training (`training.calibrators`); this module only applies what was recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

import numpy as np

_CLIP = 1e-7
METHODS = ("none", "temperature", "platt", "isotonic")


def logit(p: np.ndarray | float) -> np.ndarray:
    clipped = np.clip(np.asarray(p, dtype=np.float64), _CLIP, 1.0 - _CLIP)
    return np.log(clipped) - np.log1p(-clipped)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


def calibration_of(calibration: Mapping[str, Any] | None, temperature: float | None) -> dict[str, Any]:
    """The effective calibration of an entry: its `calibration` object, else the legacy `temperature`."""
    if calibration:
        return {"method": str(calibration.get("method", "none")), "params": dict(calibration.get("params") or {})}
    if temperature is not None and temperature != 1.0:
        return {"method": "temperature", "params": {"temperature": float(temperature)}}
    return {"method": "none", "params": {}}


def check_calibration(calibration: Mapping[str, Any], where: str) -> str | None:
    """A reason the recorded calibration cannot be applied, or None (used by the registry loader)."""
    method = calibration.get("method")
    params = calibration.get("params") or {}
    if method not in METHODS:
        return f"{where}.method: must be one of {', '.join(METHODS)}, got {method!r}"
    if not isinstance(params, Mapping):
        return f"{where}.params: must be an object"
    if method == "temperature" and not (_positive(params.get("temperature"))):
        return f"{where}.params.temperature: must be a positive number"
    if method == "platt" and not all(_number(params.get(k)) for k in ("a", "b")):
        return f"{where}.params: platt needs numbers a and b"
    if method == "isotonic":
        xs, ys = params.get("x"), params.get("y")
        if not (isinstance(xs, list) and isinstance(ys, list) and len(xs) == len(ys) >= 2):
            return f"{where}.params: isotonic needs lists x and y of the same length (>= 2)"
        if any(b < a for a, b in pairwise(xs)) or any(b < a for a, b in pairwise(ys)):
            return f"{where}.params: isotonic x and y must be non-decreasing"
    return None


def calibrate(raw_probability: np.ndarray | float, calibration: Mapping[str, Any] | float | None) -> np.ndarray:
    """Calibrated probabilities for raw model outputs (scalars or arrays).

    `calibration` is a `{method, params}` object, or (legacy) a bare temperature / None.
    """
    if calibration is None or isinstance(calibration, int | float):
        calibration = calibration_of(None, None if calibration is None else float(calibration))
    method = calibration.get("method", "none")
    params = calibration.get("params") or {}
    p = np.asarray(raw_probability, dtype=np.float64)
    if method == "none":
        return p
    if method == "temperature":
        return sigmoid(logit(p) / float(params["temperature"]))
    if method == "platt":
        return sigmoid(float(params["a"]) * logit(p) + float(params["b"]))
    if method == "isotonic":
        return np.interp(p, np.asarray(params["x"], dtype=np.float64), np.asarray(params["y"], dtype=np.float64))
    raise ValueError(f"unknown calibration method {method!r}")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)


def _positive(value: Any) -> bool:
    return _number(value) and value > 0
