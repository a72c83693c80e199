"""Run one task's model over a folder of images, streaming: one CSV row per file, flushed as it is written.

Memory stays flat over thousands of files: only the current batch (and the few images the
loader threads have read ahead) are in memory. Loading overlaps with the model: loader threads
read and preprocess the next images while the current batch runs. A cancel (Progress.cancel, at
batch boundaries) or Ctrl-C leaves a valid CSV of every file done so far.
"""

from __future__ import annotations

import csv
import os
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from xray_desktop.atomic import check_writable_folder
from xray_desktop.errors import ImageLoadError, InputError, ModelUnavailableError, UsageError
from xray_desktop.explain import METHODS
from xray_desktop.imaging.preprocess import prepare_input, restore_map
from xray_desktop.models.provider import ModelProvider
from xray_desktop.models.registry import ModelEntry
from xray_desktop.progress import Cancelled, Progress
from xray_desktop.security.permissions import Permission
from xray_desktop.services.analyze import decide, plausibility_reasons
from xray_desktop.services.map_sanity import sanity_warning
from xray_desktop.services.population import explain_with_features, gate_of, predict_with_features, verdict
from xray_desktop.services.routing import router_of
from xray_desktop.services.session import Session
from xray_desktop.storage.unique_names import UniqueNames
from xray_desktop.tasks import require_task

CSV_COLUMNS = (
    "path",
    "task",
    "probability",
    "decision",
    "threshold",
    "operating_point",
    "model_id",
    "population",
    "population_reason",
    "error",
    "warnings",
)
BATCH_SIZE = 16


@dataclass
class BatchSummary:
    folder: Path
    task: str
    model_id: str
    csv_path: Path
    total: int  # files found
    processed: int  # rows written (analysed + unusable)
    failed: int  # unusable files (their rows carry the error)
    positives: int
    heatmaps: int
    seconds: float
    cancelled: bool = False
    outside: int = 0  # films outside the model's training population (see the CSV's population_reason)

    @property
    def files_per_second(self) -> float:
        return self.processed / self.seconds if self.seconds > 0 else 0.0


@dataclass
class _Loaded:
    path: Path
    model_input: np.ndarray | None
    pixels: np.ndarray | None  # kept only when heatmaps are written
    error: str | None
    warnings: str = ""  # plausibility reasons ("; "-joined): the row is computed but flagged (map warnings join them)
    implausible: list[str] = field(default_factory=list)  # plausibility reasons (for the population verdict)
    router_answer: Any = None  # the body-part router's answer when the file names no body part
    dicom: Any = None  # DicomMetadata of a DICOM file (age, view, body part, modality for the verdict)


def run_batch(
    session: Session,
    folder: str | Path,
    *,
    manager: ModelProvider,
    task: str,
    csv_path: str | Path,
    heatmap_dir: str | Path | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
    method: str = "gradcam",
    colormap: str = "jet",
    alpha: float = 0.4,
    batch_size: int = BATCH_SIZE,
    threshold: float | None = None,
) -> BatchSummary:
    """Analyse every image under `folder` with `task`'s active model; write `csv_path` row by row.

    Unusable files get a row with their error and are skipped. With `heatmap_dir`, an overlay PNG
    per file is written there (the map comes from the same compiled pass as the prediction).
    `threshold` (an admin's override from the settings) replaces the registry's threshold.

    Raises:
        NotAllowedError: the session may not run batches.
        ModelUnavailableError: no usable model for `task` (checked before any file is read).
        InputError: `folder` is not a folder.
        Cancelled: `progress.cancel()` was called; the CSV holds every row done so far.
    """
    session.require(Permission.BATCH)
    require_task(task)
    if method not in METHODS:
        raise UsageError(f"unknown explanation method {method!r}; choose one of {', '.join(METHODS)}")
    root, csv_file = Path(folder), Path(csv_path)
    if not root.is_dir():
        raise InputError(f"{root}: not a folder")
    entry = manager.registry.active_entry(task)
    if entry is None:
        raise ModelUnavailableError(f"no model installed for {task}")
    point, point_threshold = manager.registry.operating_point(entry)
    used_threshold = point_threshold if threshold is None else threshold
    used_point = point if threshold is None else "admin override"
    loaded = manager.load(entry)
    heat_dir = Path(heatmap_dir) if heatmap_dir is not None else None
    files = list(iter_image_files(root, exclude=[csv_file, *([heat_dir] if heat_dir else [])]))
    run_model = loaded.explainer(method) if heat_dir is not None else None
    gate, gate_problem = gate_of(loaded)
    summary = BatchSummary(root, task, entry.id, csv_file, len(files), 0, 0, 0, 0, 0.0)
    started = time.perf_counter()
    session.record("batch_started", folder=str(root), task=task, model_id=entry.id, files=len(files))
    names = UniqueNames()
    failure: str | None = None
    try:
        if heat_dir is not None:
            try:
                check_writable_folder(heat_dir)
            except OSError as exc:
                raise InputError(f"{heat_dir}: cannot write heatmaps there ({exc.strerror or exc})") from None
        with _open_csv(csv_file) as (handle, writer):
            router = router_of(manager)[0]
            for batch in _batches(files, entry, jobs, batch_size, keep_pixels=heat_dir is not None, router=router):
                usable = [item for item in batch if item.model_input is not None]
                maps = None
                if usable:
                    inputs = np.stack([item.model_input for item in usable if item.model_input is not None])
                    try:
                        if run_model is not None:
                            raw, maps, features = explain_with_features(
                                run_model, inputs, decide=lambda p: decide(entry, p, used_threshold)[1]
                            )
                        else:
                            raw, features = predict_with_features(loaded, inputs)
                    except Exception as exc:  # the CSV so far stays; the user gets the reason, not a traceback
                        raise ModelUnavailableError(
                            f"model {entry.id!r} failed on the batch starting at {usable[0].path}: "
                            f"{type(exc).__name__}: {exc}"
                        ) from None
                    results = dict(zip((id(item) for item in usable), range(len(usable)), strict=True))
                for item in batch:
                    if item.model_input is None:
                        writer.writerow(
                            [str(item.path), task, "", "", used_threshold, used_point, entry.id, "", "", item.error, ""]
                        )
                        summary.failed += 1
                    else:
                        index = results[id(item)]
                        probability, positive, _ = decide(entry, float(raw[index]), used_threshold)
                        population, reason = verdict(
                            entry,
                            item.dicom,
                            None if features is None else features[index],
                            gate,
                            item.implausible,
                            gate_problem,
                            item.router_answer,
                        )
                        summary.positives += int(positive)
                        summary.outside += int(population == "outside")
                        found = [item.warnings]
                        if maps is not None and heat_dir is not None:
                            shown = _write_overlay(
                                heat_dir, root, item, maps[index], entry, task, colormap, alpha, names
                            )
                            summary.heatmaps += 1
                            found += map_warnings(shown, item, entry, method)
                        warnings = "; ".join(w for w in found if w)
                        writer.writerow(
                            [
                                str(item.path),
                                task,
                                f"{probability:.6f}",
                                "positive" if positive else "negative",
                                used_threshold,
                                used_point,
                                entry.id,
                                population,
                                reason,
                                "",
                                warnings,
                            ]
                        )
                    summary.processed += 1
                handle.flush()
                summary.seconds = time.perf_counter() - started
                if progress is not None:
                    progress.update(summary.processed, summary.total, f"{summary.processed}/{summary.total} files")
                    if summary.processed < summary.total:
                        progress.check_cancelled()
    except (Cancelled, KeyboardInterrupt):
        summary.cancelled = True
        raise
    except BaseException as exc:  # a crash or an unwritable CSV/heatmap: audited as a failed job, then raised
        failure = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        summary.seconds = time.perf_counter() - started
        event = "batch_failed" if failure else "batch_cancelled" if summary.cancelled else "batch"
        session.record(
            event,
            **({"error": failure} if failure else {}),
            folder=str(root),
            task=task,
            model_id=entry.id,
            model_sha256=entry.sha256,
            operating_point=used_point,
            threshold=used_threshold,
            csv=str(csv_file),
            processed=summary.processed,
            failed=summary.failed,
            positives=summary.positives,
            outside_population=summary.outside,
            cancelled=summary.cancelled,
        )
    return summary


def iter_image_files(root: Path, exclude: list[Path] | None = None) -> Iterator[Path]:
    """Every regular, non-hidden file under `root`, in a stable (sorted) order; what it is is decided on load."""
    skip = [p.resolve() for p in exclude or []]
    for current, dirs, names in os.walk(root):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (here / d).resolve() not in skip)
        for name in sorted(names):
            path = here / name
            if not name.startswith(".") and path.resolve() not in skip and path.is_file():
                yield path


class _open_csv:
    """Write the header now and every row as it comes: a crash or Ctrl-C leaves a valid, partial CSV."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> tuple[Any, Any]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.handle = self.path.open("w", newline="", encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{self.path}: cannot write the CSV ({exc.strerror or exc})") from None
        writer = csv.writer(self.handle)
        writer.writerow(CSV_COLUMNS)
        self.handle.flush()
        return self.handle, writer

    def __exit__(self, *exc_info: object) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()


def _batches(
    files: list[Path], entry: ModelEntry, jobs: int, batch_size: int, keep_pixels: bool, router: Any = None
) -> Iterator[list[_Loaded]]:
    """Load and preprocess in `jobs` threads, reading at most two batches ahead of the model."""
    spec = entry.spec
    window = 2 * batch_size
    pending: deque[Future[_Loaded]] = deque()
    executor = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="batch-load")
    try:
        paths = iter(files)
        for path in paths:
            pending.append(executor.submit(_load_one, path, spec, keep_pixels, router))
            if len(pending) >= window:
                break
        while pending:
            batch: list[_Loaded] = []
            while pending and len(batch) < batch_size:
                batch.append(pending.popleft().result())
                nxt = next(paths, None)
                if nxt is not None:
                    pending.append(executor.submit(_load_one, nxt, spec, keep_pixels, router))
            yield batch
    finally:
        for future in pending:
            future.cancel()
        executor.shutdown(wait=True, cancel_futures=True)


def _load_one(path: Path, spec: Any, keep_pixels: bool, router: Any = None) -> _Loaded:
    from xray_desktop.imaging.loader import load_radiograph

    try:
        radiograph = load_radiograph(path)
        model_input = prepare_input(radiograph.pixels, spec)
        implausible = plausibility_reasons(radiograph)
        warnings = "; ".join(implausible)
        answer = router.classify(radiograph.pixels, radiograph.colour) if router and not radiograph.body_part else None
    except ImageLoadError as exc:
        return _Loaded(path, None, None, exc.reason)
    except (ValueError, MemoryError) as exc:
        return _Loaded(path, None, None, f"cannot prepare the image: {exc}")
    pixels = radiograph.pixels if keep_pixels else None
    return _Loaded(path, model_input, pixels, None, warnings, implausible, answer, radiograph.dicom)


def _write_overlay(
    folder: Path,
    root: Path,
    item: _Loaded,
    model_map: np.ndarray,
    entry: ModelEntry,
    task: str,
    cmap: str,
    alpha: float,
    names: UniqueNames,
) -> np.ndarray:
    """Write the overlay PNG; return the map at the film's resolution (for its warnings)."""
    from xray_desktop.atomic import atomic_write_bytes
    from xray_desktop.explain.overlay import encode_png, render_overlay

    assert item.pixels is not None
    heatmap: np.ndarray = np.clip(restore_map(model_map, entry.spec, item.pixels.shape), 0.0, 1.0)
    relative = item.path.relative_to(root).with_suffix("")
    name = names.claim("__".join(relative.parts) + f"__{task}")
    target = folder / name
    try:
        atomic_write_bytes(target, encode_png(render_overlay(item.pixels, heatmap, cmap, alpha)))
    except OSError as exc:
        raise InputError(f"{target}: cannot write the heatmap ({exc.strerror or exc})") from None
    return heatmap


def map_warnings(heatmap: np.ndarray, item: _Loaded, entry: ModelEntry, method: str) -> list[str]:
    """The same map warnings as the window and `analyze`: a map on a marker or border, a method that failed
    the weight-randomisation check on this model."""
    from xray_desktop.explain.audit import shortcut_warning

    assert item.pixels is not None
    found = (shortcut_warning(heatmap, item.pixels), sanity_warning(entry, method))
    return [w for w in found if w]
