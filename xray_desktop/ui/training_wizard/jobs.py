"""The wizard's long work as model-thread jobs of plain values (Qt-free; `ui.worker.ModelThread` runs them).

Training and registering go through `services.training` exactly as `xray-desktop train` does
(`run_training`, then `register_run`: the same audit events, id check and packaging); evaluating
uses the same pieces `packaging.package_run` uses, so the Evaluate page shows the numbers the card
will record. Each job carries the session it runs for. TensorFlow is imported inside the jobs, on
the model thread, never when the wizard is opened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from xray_desktop import paths
from xray_desktop.progress import Progress
from xray_desktop.services.session import Session
from xray_desktop.training.recipes import Augmentation, Recipe
from xray_desktop.ui.engine import AnalysisEngine, JobCancelled

WORST_PER_KIND = 3  # false positives and false negatives shown on the Evaluate page


@dataclass
class ClassErrors:
    """Errors at the chosen threshold for one source class (e.g. one KL grade)."""

    source_class: str
    label: int
    n: int
    errors: int

    @property
    def rate(self) -> float:
        return self.errors / self.n if self.n else 0.0


@dataclass
class Mistake:
    """One misclassified validation image with its Grad-CAM overlay (RGB uint8)."""

    path: Path
    source_class: str
    label: int
    probability: float  # calibrated
    overlay: np.ndarray
    kind: str  # "false positive" or "false negative"


@dataclass
class EvaluationView:
    """What the Evaluate page shows; every number comes from `training.evaluation` on the validation split."""

    evaluation: Any  # training.evaluation.Evaluation
    plots: dict[str, Path]  # "roc" / "confusion" / "reliability" -> PNG written by training.plots
    data: str  # what the figures were measured on
    fingerprint: str
    per_class: list[ClassErrors] = field(default_factory=list)
    mistakes: list[Mistake] = field(default_factory=list)


def checkpoint_of(run_dir: Path) -> Path:
    """The best checkpoint named by the run record (the file `package_run` will ship)."""
    from xray_desktop.training.packaging import read_run_record

    return read_run_record(run_dir)[1]


def evaluate_run(recipe: Recipe, run_dir: Path, data_root: Path, progress: Progress) -> EvaluationView:
    """Predict the best checkpoint on the recipe's validation split; plots, per-class errors, worst mistakes."""
    import keras

    from xray_desktop.models.calibration import calibrate
    from xray_desktop.training.arrays import load_images
    from xray_desktop.training.data_plan import plan_data
    from xray_desktop.training.packaging import score_outputs
    from xray_desktop.training.pipeline import predict_planes
    from xray_desktop.training.plots import save_plots

    checkpoint = checkpoint_of(run_dir)
    plan = plan_data(recipe, data_root)
    validation = load_images(plan.split.validation, plan.spec, paths.data_home() / "training_cache", progress)
    progress.check_cancelled()
    progress.update(0, None, f"predicting {len(validation.planes)} validation images")
    model = keras.saving.load_model(checkpoint, compile=False)
    p_raw = predict_planes(model, validation.planes, plan.spec)
    test = load_images(plan.split.test, plan.spec, paths.data_home() / "training_cache") if plan.split.test else None
    p_test = predict_planes(model, test.planes, plan.spec) if test is not None else None
    # The same calibration choice and operating points packaging records, so the page shows the card's numbers.
    scored = score_outputs(validation.labels, p_raw, test.labels if test is not None else None, p_test)
    evaluation = scored.validation
    p_cal = calibrate(p_raw, scored.calibration.calibration)
    written = save_plots(validation.labels, p_raw, p_cal, evaluation, run_dir / "evaluation")
    plots = {kind: run_dir / name for kind, name in written.items()}
    threshold = evaluation.at_threshold.threshold
    predicted = (p_cal >= threshold).astype(int)
    truth = validation.labels.astype(int)
    per_class = []
    for cls in sorted({s.source_class for s in validation.samples}):
        idx = [i for i, s in enumerate(validation.samples) if s.source_class == cls]
        per_class.append(
            ClassErrors(cls, int(truth[idx[0]]), len(idx), int(sum(predicted[i] != truth[i] for i in idx)))
        )
    progress.check_cancelled()
    progress.update(0, None, "explaining the worst mistakes")
    mistakes = _worst_mistakes(model, validation, p_cal, threshold, plan.spec)
    return EvaluationView(evaluation, plots, plan.validation_description, plan.split.fingerprint, per_class, mistakes)


@dataclass
class SurveyJob:
    """Scan a data folder (or CSV): counts, thumbnails, unreadable files."""

    location: Path
    kind = "wizard_scan"

    def run(self, engine: AnalysisEngine, progress: Progress) -> Any:
        from xray_desktop.ui.training_wizard.survey import survey_dataset

        return survey_dataset(self.location, progress=progress)


@dataclass
class TrainJob:
    """`services.training.run_training`; each finished epoch arrives as a progress event whose `detail` is
    its EpochMetrics. A run stopped by Cancel reports its outcome (best checkpoint kept) as the partial value."""

    session: Session
    recipe: Recipe
    data_root: Path
    run_dir: Path
    weights: Path | None = None
    kind = "train"

    def run(self, engine: AnalysisEngine, progress: Progress) -> Any:
        from xray_desktop.services.training import run_training

        def on_epoch(metrics: Any) -> None:
            progress.update(int(metrics.epoch), int(metrics.epochs), f"epoch {metrics.epoch} finished", metrics)

        outcome = run_training(
            self.session,
            self.recipe,
            self.data_root,
            self.run_dir,
            weights=self.weights,
            progress=progress,
            on_epoch=on_epoch,
            replace=True,  # the version is chosen on the Register page, where register_run checks the id
        )
        if outcome.cancelled:
            raise JobCancelled(outcome)
        return outcome


@dataclass
class EvaluateJob:
    recipe: Recipe
    run_dir: Path
    data_root: Path
    kind = "evaluate"

    def run(self, engine: AnalysisEngine, progress: Progress) -> EvaluationView:
        return evaluate_run(self.recipe, self.run_dir, self.data_root, progress)


@dataclass
class RegisterJob:
    """`services.training.register_run`: model file, card, registry entry and the `model_trained` audit entry."""

    session: Session
    recipe: Recipe
    run_dir: Path
    data_root: Path
    activate: bool
    kind = "register"

    def run(self, engine: AnalysisEngine, progress: Progress) -> Any:
        from xray_desktop.services.training import register_run

        return register_run(
            self.session, self.recipe, self.run_dir, self.data_root, activate=self.activate, progress=progress
        )


def _worst_mistakes(model: Any, validation: Any, p_cal: np.ndarray, threshold: float, spec: Any) -> list[Mistake]:
    from xray_desktop.explain.overlay import render_overlay
    from xray_desktop.imaging.preprocess import restore_map
    from xray_desktop.training.arrays import model_input

    truth = validation.labels.astype(int)
    false_pos = [i for i in np.argsort(-p_cal) if truth[i] == 0 and p_cal[i] >= threshold][:WORST_PER_KIND]
    false_neg = [i for i in np.argsort(p_cal) if truth[i] == 1 and p_cal[i] < threshold][:WORST_PER_KIND]
    if not false_pos and not false_neg:
        return []
    from xray_desktop.services.providers import cam_explainer

    explainer = cam_explainer(model, "gradcam")
    out = []
    for kind, indices in (("false positive", false_pos), ("false negative", false_neg)):
        for i in indices:
            plane = validation.planes[int(i)]
            _, maps = explainer(model_input(plane, spec)[None])
            heat = np.clip(restore_map(maps[0], spec, plane.shape), 0.0, 1.0)
            sample = validation.samples[int(i)]
            out.append(
                Mistake(
                    sample.path, sample.source_class, int(truth[i]), float(p_cal[i]), render_overlay(plane, heat), kind
                )
            )
    return out


def augment_preview(
    planes: list[np.ndarray], settings: Augmentation, size: int, seed: int, copies: int = 3
) -> list[list[np.ndarray]]:
    """Per sample plane: [the plane at `size`, then `copies` augmented versions] from the core's albumentations pipeline."""
    from xray_desktop.training.augment import augment_plane, build_augmenter

    augmenter = build_augmenter(settings, seed)
    rows = []
    for plane in planes:
        resized = cv2.resize(plane.astype(np.float32), (size, size), interpolation=cv2.INTER_AREA)
        rows.append([resized] + [augment_plane(augmenter, resized) for _ in range(copies)])
    return rows
