"""Check one map on request: its faithfulness score against random maps on the same film.

The window runs this in the model worker ("Check this map"); `analyze --check-map` runs it for
every map. It fills `map_faithfulness` and `map_random_baseline` of the TaskResult in place,
so the window, the PDF report and `analyze --json` show the same figures.
"""

from __future__ import annotations

from typing import Any

from xray_desktop.errors import UsageError
from xray_desktop.imaging.preprocess import prepare_input
from xray_desktop.progress import Progress
from xray_desktop.radiograph import Radiograph
from xray_desktop.results import TaskResult, TaskStatus
from xray_desktop.security.permissions import Permission
from xray_desktop.services.session import Session


def check_task_map(
    session: Session,
    radiograph: Radiograph,
    result: TaskResult,
    *,
    manager: Any,
    progress: Progress | None = None,
) -> TaskResult:
    """Score `result`'s map (recomputed at the model's input, same method and layers) and record the figures.

    Raises:
        NotAllowedError: the session may not analyse.
        UsageError: the result has no map to check.
        Cancelled: `progress` was cancelled between curves.
    """
    session.require(Permission.ANALYZE)
    if result.status is not TaskStatus.OK or result.method is None or result.model_id is None:
        raise UsageError(f"{result.task}: there is no map to check")
    from xray_desktop.explain.faithfulness import check_map
    from xray_desktop.services.population import explain_with_features

    entry = manager.registry.get(result.model_id)
    loaded = manager.load(entry)
    image = prepare_input(radiograph.pixels, entry.spec)
    # The map shown is the decided class's (analyze): score that one, on the probability of that class.
    positive = result.decision is not False
    _, maps, _ = explain_with_features(loaded.explainer(result.method), image[None], decide=lambda _p: positive)

    def predict(batch: Any) -> Any:
        raw = loaded.predict_raw(batch)
        return raw if positive else 1.0 - raw

    seed = int(radiograph.sha256[:8], 16) if radiograph.sha256 else 0
    check = check_map(predict, image, maps[0], seed=seed, progress=progress)
    result.map_faithfulness = check.score
    result.map_random_baseline = check.random_score
    return result


def check_all_maps(session: Session, analysis: Any, *, manager: Any, progress: Progress | None = None) -> None:
    """`check_task_map` for every result of `analysis` that has a map (used by `analyze --check-map`)."""
    if analysis.image is None:
        return
    for result in analysis.results:
        if result.status is TaskStatus.OK and result.heatmap is not None:
            check_task_map(session, analysis.image, result, manager=manager, progress=progress)
