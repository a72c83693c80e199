"""What the pages hand to each other, as one plain value (Qt-free)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xray_desktop.training.recipes import Recipe
from xray_desktop.ui.training_wizard.survey import DataSurvey


@dataclass
class WizardState:
    survey: DataSurvey | None = None
    class_map: dict[str, int] | None = None
    group_rule: str = "image"
    group_pattern: str | None = None
    validation_fraction: float = 0.2
    seed: int = 1234
    location: Path | None = None
    validation_location: Path | None = None
    raw_recipe: dict[str, Any] | None = None  # built on the Model page; the Register page adds name/version/notes
    weights: Path | None = None
    recipe: Recipe | None = None  # as written to run_dir/recipe.toml and read back by the core
    data_root: Path | None = None
    run_dir: Path | None = None
    outcome: Any = None  # training.trainer.TrainOutcome (best checkpoint; `cancelled` when stopped early)
    evaluation: Any = None  # jobs.EvaluationView
    packaged: Any = None  # training.packaging.PackagedModel

    def reset_after_training(self) -> None:
        self.outcome = None
        self.evaluation = None
        self.packaged = None
