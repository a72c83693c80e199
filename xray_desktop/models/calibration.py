"""Temperature scaling, the one calibration the registry records (`temperature`)."""

from __future__ import annotations

import numpy as np

_CLIP = 1e-7


def calibrate(raw_probability: np.ndarray | float, temperature: float | None) -> np.ndarray:
    """Calibrated p = sigmoid(logit(p_raw) / T); with no temperature the raw probability is returned.

    Works on scalars and arrays; p_raw is clipped away from 0 and 1 so the logit is finite.
    """
    p = np.asarray(raw_probability, dtype=np.float64)
    if temperature is None or temperature == 1.0:
        return p
    clipped = np.clip(p, _CLIP, 1.0 - _CLIP)
    logit = np.log(clipped) - np.log1p(-clipped)
    return 1.0 / (1.0 + np.exp(-logit / float(temperature)))
