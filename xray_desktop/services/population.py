"""The population verdict of one result: is this film one the model knows, and if not, why — in words.

Three sources, checked in order, each adding its reason: is it a radiograph at all (plausibility and the
DICOM Modality), what the DICOM header says against the model card's population (age, body part, view),
and the model's fitted feature gate. Any reason makes the film "outside"; a clean header with a gate that
passes is "in"; with no gate fitted and nothing against it, the verdict is "unknown".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from xray_desktop.errors import ModelUnavailableError
from xray_desktop.models.registry import ModelEntry
from xray_desktop.services.population_meta import metadata_reasons

NOT_AVAILABLE = "population check not available (this model was registered without one)"
OUTSIDE_TITLE = "Outside this model's training population"


def verdict(
    entry: ModelEntry,
    dicom: Any,
    features: np.ndarray | None,
    gate: Any,
    plausibility_reasons: Sequence[str] = (),
    gate_problem: str | None = None,
    router_answer: Any = None,
) -> tuple[str, str]:
    """("in" | "outside" | "unknown", reason) for `entry` on this film.

    `dicom` is the film's DicomMetadata (None for PNG/JPEG); `features` is the film's penultimate embedding (d,) from the prediction's own forward pass; `gate`
    the model's PopulationGate or None; `gate_problem` why a registered gate could not be used;
    `router_answer` the body-part router's RouterVerdict on the film (when the file names no body part); its
    age-group answer counts only where the header gives no age (a header's age is the patient's, not a guess).
    """
    from xray_desktop.services.routing import age_group_reason, router_reason

    reasons = [f"not a radiograph: {r}" for r in plausibility_reasons]
    reasons += metadata_reasons(dicom, entry.population, entry.task)
    routed = router_reason(router_answer, entry.task)
    if routed and not plausibility_reasons:
        reasons.append(routed)
    aged = age_group_reason(router_answer, entry.population) if not getattr(dicom, "patient_age", "") else None
    if aged and not routed and not plausibility_reasons:
        reasons.append(aged)
    gate_note = ""
    if gate is not None and features is not None:
        outside, ratio = gate.is_outside(np.asarray(features).reshape(1, -1))
        if outside:
            reasons.append(f"unlike the training films: distance {_ratio(ratio)} the usual")
        else:
            gate_note = f"like the training films: distance {_ratio(ratio)} the usual (limit {gate.threshold:.1f}×)"
    elif gate_problem:
        gate_note = f"population check not available ({gate_problem})"
    elif gate is not None:
        gate_note = "population check not available (the model's features could not be read)"
    else:
        gate_note = NOT_AVAILABLE
    if reasons:
        return "outside", "; ".join(reasons)
    if gate is not None and features is not None:
        return "in", gate_note
    return "unknown", gate_note


def gate_of(loaded: Any) -> tuple[Any, str | None]:
    """The loaded model's gate and, when a registered gate is unusable, why (the result still comes)."""
    get = getattr(loaded, "population_gate", None)
    if get is None:
        return None, None
    try:
        return get(), None
    except ModelUnavailableError as exc:
        return None, str(exc)


def explain_with_features(
    explainer: Any, batch: np.ndarray, decide: Callable[[float], bool] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(probabilities, maps, penultimate features or None) from the explainer's one pass.

    `decide(raw p) -> positive?` asks for each film's map of the class the model decided (see
    `explain.cam_math.decided_gradients`). An explainer without `explain` (another runtime's) gives the
    condition's maps and no features: the verdict then says why.
    """
    explain = getattr(explainer, "explain", None)
    if callable(explain):
        probs, maps, feats = explain(batch, decide=decide)
        return probs, maps, feats
    probs, maps = explainer(batch)
    return probs, maps, None


def predict_with_features(loaded: Any, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(probabilities, penultimate features or None) from one compiled pass, whatever runs the model."""
    predict = getattr(loaded, "predict_with_features", None)
    if callable(predict):
        probs, feats = predict(batch)
        return probs, feats
    return loaded.predict_raw(batch), None


def _ratio(value: float) -> str:
    return "beyond measure" if not np.isfinite(value) else f"{value:.1f}×"
