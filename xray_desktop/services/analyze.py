"""Analyse one radiograph: every requested task gets a result (probability + map), a clear reason, or "not installed".

Shared by the window (which loads first to show the picture, then calls `analyze_radiograph`)
and the CLI (`analyze_image`). TensorFlow is only touched through the ModelManager, lazily.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from xray_desktop.errors import ImageLoadError, ModelUnavailableError, UsageError
from xray_desktop.explain import METHODS
from xray_desktop.imaging.preprocess import prepare_input, restore_map
from xray_desktop.models.calibration import calibrate
from xray_desktop.models.provider import ModelProvider
from xray_desktop.models.registry import ModelEntry
from xray_desktop.models.router import RouterVerdict
from xray_desktop.progress import Progress
from xray_desktop.radiograph import Radiograph
from xray_desktop.results import AnalysisResult, TaskResult, TaskStatus
from xray_desktop.security.permissions import Permission
from xray_desktop.services.map_sanity import sanity_warning
from xray_desktop.services.population import explain_with_features, gate_of, predict_with_features, verdict
from xray_desktop.services.routing import UNKNOWN_BODY_PART_WARNING, Routing, no_model_note, route, router_of
from xray_desktop.services.session import Session
from xray_desktop.tasks import BODY_PARTS, TASK_NAMES, TASKS, require_task, tasks_for_body_part, tasks_of_body_part

__all__ = ["UNKNOWN_BODY_PART_WARNING", "analyze_image", "analyze_radiograph", "decide", "resolve_tasks"]
BOX_TASKS = frozenset({"fracture"})  # tasks whose map is also summarised as attention boxes


def analyze_image(
    session: Session,
    path: str | Path,
    *,
    manager: ModelProvider,
    tasks: Sequence[str] | str = "auto",
    method: str = "gradcam",
    explain: bool = True,
    hide_map_when_negative: bool = False,
    threshold_overrides: Mapping[str, float] | None = None,
    progress: Progress | None = None,
) -> AnalysisResult:
    """Load `path` and analyse it. An unreadable file gives `AnalysisResult.error`, not an exception.

    Raises:
        NotAllowedError: the session may not analyse.
        UsageError: an unknown task or method.
    """
    session.require(Permission.ANALYZE)
    resolve_tasks(tasks, None)  # a typo in --task is a usage error even when the file is bad
    _check_method(method)
    from xray_desktop.imaging.loader import load_radiograph

    try:
        radiograph = load_radiograph(path)
    except ImageLoadError as exc:
        return AnalysisResult(path=str(path), error=str(exc))
    return analyze_radiograph(
        session,
        radiograph,
        manager=manager,
        tasks=tasks,
        method=method,
        explain=explain,
        hide_map_when_negative=hide_map_when_negative,
        threshold_overrides=threshold_overrides,
        progress=progress,
    )


def analyze_radiograph(
    session: Session,
    radiograph: Radiograph,
    *,
    manager: ModelProvider,
    tasks: Sequence[str] | str = "auto",
    method: str = "gradcam",
    explain: bool = True,
    hide_map_when_negative: bool = False,
    threshold_overrides: Mapping[str, float] | None = None,
    progress: Progress | None = None,
) -> AnalysisResult:
    """Run each requested task's active model on an already-loaded image.

    "auto" picks the tasks for the DICOM Body Part Examined, else the body-part router's answer (nothing
    runs for a part no model reads or a film the router cannot place; see services.routing); "all" is
    every task, the film's own part first. A task without a model is NOT_INSTALLED, a broken model UNAVAILABLE
    with its reason; neither stops the other tasks. `predict_seconds` is the model call (which
    computes the map in the same pass when `explain`), `explain_seconds` the map's restoration.
    `threshold_overrides` (task -> threshold, set by an admin in the settings) replace the
    registry's threshold; the result says which one was used.
    """
    session.require(Permission.ANALYZE)
    _check_method(method)
    implausible = plausibility_reasons(radiograph)
    routing = choose_tasks(manager, tasks, radiograph)
    names = routing.tasks
    result = AnalysisResult(
        path=str(radiograph.source),
        image=radiograph,
        warnings=[f"{radiograph.source.name}: {reason}" for reason in implausible] + routing.warnings,
        body_part=routing.part,
        body_part_source=routing.source,
        body_part_confidence=routing.confidence,
        body_part_note=routing.note,
    )
    for done, task in enumerate(names):
        if progress is not None:
            progress.check_cancelled()
            progress.update(done, len(names), f"analysing {task}")
        override = (threshold_overrides or {}).get(task)
        result.results.append(
            _run_task(
                manager,
                radiograph,
                task,
                method,
                explain,
                hide_map_when_negative,
                override,
                implausible,
                routing.answer,
            )
        )
    if progress is not None:
        progress.update(len(names), len(names), "analysis done")
    session.record(
        "analysis",
        image_sha256=radiograph.sha256,
        path=str(radiograph.source),
        body_part=routing.part,
        body_part_source=routing.source,
        results=[
            {
                "task": r.task,
                "model_id": r.model_id,
                "model_sha256": r.model_sha256,
                "probability": None if r.probability is None else round(r.probability, 6),
                "decision": None if r.decision is None else ("positive" if r.decision else "negative"),
                "threshold": r.threshold,
                "operating_point": r.operating_point,
                "calibration": r.calibration_method,
                "population": r.population,
                "population_reason": r.population_reason,
            }
            for r in result.results
        ],
    )
    return result


def resolve_tasks(tasks: Sequence[str] | str, body_part: str | None) -> list[str]:
    """ "auto" / "all" / a body part ("chest", "knee", "limb") / task names -> validated task names.

    Raises UsageError for an unknown name.
    """
    if isinstance(tasks, str):
        if tasks == "auto":
            return list(tasks_for_body_part(body_part) or TASK_NAMES)
        if tasks == "all":
            return list(TASK_NAMES)
        if tasks in BODY_PARTS:
            return list(tasks_of_body_part(tasks))
        tasks = [tasks]
    names = [require_task(t).name for t in tasks]
    if not names:
        raise UsageError("no task requested")
    return list(dict.fromkeys(names))


def plausibility_warnings(radiograph: Radiograph) -> list[str]:
    """Reasons the image may not be a radiograph (results are still computed, but flagged)."""
    return [f"{radiograph.source.name}: {reason}" for reason in plausibility_reasons(radiograph)]


def plausibility_reasons(radiograph: Radiograph) -> list[str]:
    from xray_desktop.imaging.quality import assess_plausibility

    return list(assess_plausibility(radiograph).reasons)


def choose_tasks(manager: ModelProvider, tasks: Sequence[str] | str, radiograph: Radiograph) -> Routing:
    """The tasks to run and the body part behind them; see services.routing for "auto".

    With "all", the film's own body part's tasks come first, so another part's result is never shown first.
    """
    if tasks == "auto":
        routing = route(radiograph, *router_of(manager))
    else:
        names = resolve_tasks(tasks, radiograph.body_part)
        part = tasks if isinstance(tasks, str) and tasks in BODY_PARTS else None
        routed = route(radiograph, *router_of(manager))  # for "all"'s order and each verdict's router check
        routing = Routing(names, part, "request", None, f"{part} (chosen)" if part else "tasks chosen")
        routing.answer = routed.answer
        if tasks == "all":
            routing.tasks = sorted(names, key=lambda t: TASKS[t].body_part != routed.part)
    missing = no_model_note(routing.part, routing.tasks, manager.registry)
    if missing:
        routing.warnings.append(missing)
    return routing


def decide(entry: ModelEntry, raw_probability: float, threshold: float | None = None) -> tuple[float, bool, str]:
    """Calibrated probability, decision at the threshold (the registry's unless overridden), and the label."""
    probability = float(calibrate(raw_probability, entry.effective_calibration))
    positive = probability >= (entry.threshold if threshold is None else threshold)
    return probability, positive, entry.labels[1] if positive else entry.labels[0]


def _run_task(
    manager: ModelProvider,
    radiograph: Radiograph,
    task: str,
    method: str,
    explain: bool,
    hide_negative: bool,
    threshold_override: float | None = None,
    implausible: Sequence[str] = (),
    router_answer: RouterVerdict | None = None,
) -> TaskResult:
    entry = manager.registry.active_entry(task)
    if entry is None:
        return TaskResult(task, TaskStatus.NOT_INSTALLED, message=f"no model installed for {task}")
    point, point_threshold = manager.registry.operating_point(entry)
    split_name, headline = entry.headline_metrics
    described = TaskResult(
        task,
        TaskStatus.OK,
        model_id=entry.id,
        model_name=entry.display_name,
        model_version=entry.version,
        model_sha256=entry.sha256,
        validation_auc=headline.get("auc"),
        validation_data=headline.get("data"),
        auc_split=split_name,
        calibration_method=entry.effective_calibration["method"],
        threshold=point_threshold if threshold_override is None else threshold_override,
        threshold_source="registry" if threshold_override is None else "admin override",
        operating_point=point if threshold_override is None else "admin override",
    )
    try:
        loaded = manager.load(entry)
        batch = prepare_input(radiograph.pixels, entry.spec)[None]
        started = time.perf_counter()
        if explain:
            threshold = described.threshold

            def decided(raw_p: float) -> bool:
                return decide(entry, raw_p, threshold)[1]

            raw, maps, features = explain_with_features(loaded.explainer(method), batch, decide=decided)
        else:
            (raw, features), maps = predict_with_features(loaded, batch), None
        described.predict_seconds = time.perf_counter() - started
    except ModelUnavailableError as exc:
        described.status, described.message = TaskStatus.UNAVAILABLE, str(exc)
        return described
    except Exception as exc:  # a model that loads but cannot run on this input: report it, keep the others going
        described.status = TaskStatus.UNAVAILABLE
        described.message = f"model {entry.id!r} failed on {radiograph.source.name}: {type(exc).__name__}: {exc}"
        return described
    probability, positive, label = decide(entry, float(raw[0]), described.threshold)
    described.probability, described.decision, described.label = probability, positive, label
    gate, gate_problem = gate_of(loaded)
    described.population, described.population_reason = verdict(
        entry,
        radiograph.dicom,
        None if features is None else features[0],
        gate,
        implausible,
        gate_problem,
        router_answer,
    )
    if maps is not None and not (hide_negative and not positive):
        started = time.perf_counter()
        described.method, described.map_of = method, label
        described.heatmap = np.clip(restore_map(maps[0], entry.spec, radiograph.pixels.shape), 0.0, 1.0)
        from xray_desktop.explain.audit import shortcut_warning  # NumPy only: a map on a marker is flagged

        warnings = [
            shortcut_warning(described.heatmap, radiograph.pixels),
            sanity_warning(entry, method),
        ]
        described.map_warning = "; ".join(w for w in warnings if w) or None
        if task in BOX_TASKS:
            from xray_desktop.explain.overlay import attention_boxes

            described.boxes = attention_boxes(described.heatmap)
        described.explain_seconds = time.perf_counter() - started
    return described


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise UsageError(f"unknown explanation method {method!r}; choose one of {', '.join(METHODS)}")
