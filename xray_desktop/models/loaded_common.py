"""What a loaded model does the same way on either runtime (Keras or ONNX Runtime).

The calibrated prediction, the population gate and which features feed it depend only on the registry
entry and the model's raw output, so `LoadedModel` and `OnnxModel` share them here instead of each keeping a copy.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from xray_desktop.models.calibration import calibrate
from xray_desktop.models.population_gate import gate_layer_of
from xray_desktop.models.registry import ModelEntry


class LoadedCommon:
    """Mixin for the loaded-model dataclasses; they declare the fields named below."""

    entry: ModelEntry
    path: Path
    _gate: Any
    _lock: threading.Lock

    def predict_raw(self, batch: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def features_for_gate(self, batch: np.ndarray, layer: str | None) -> tuple[np.ndarray, np.ndarray | None]:
        raise NotImplementedError

    def predict_with_features(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(n, h, w, c) -> ((n,) uncalibrated probabilities, (n, d) gate features or None), one pass.

        The features are what the registered gate reads (`xray_desktop.gate_features`): the input of the
        final Dense layer, plus the statistics of the gate's feature layer when it names one; None when the
        head is not a Dense or the named layer is not reachable.
        """
        return self.features_for_gate(batch, gate_layer_of(self.entry.population_check))

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """(n, h, w, c) -> (n,) calibrated probabilities (the registry's calibration applied)."""
        return calibrate(self.predict_raw(batch), self.entry.effective_calibration)

    def population_gate(self) -> Any:
        """The model's fitted population gate (checksum verified, read once), or None when it has none.

        Raises:
            ModelUnavailableError: the registry names a gate file that is missing, changed or unreadable.
        """
        from xray_desktop.models.population_gate import gate_of_entry

        with self._lock:
            if self._gate is None and self.entry.population_check.get("file"):
                self._gate = gate_of_entry(self.entry.population_check, self.path.parent)
        return self._gate
