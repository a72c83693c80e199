"""Training recipes: one TOML file names everything that decides what a model learns.

A recipe is the unit of reproducibility: the same recipe on the same data root
gives the same split (seed + group rule) and the same training settings, so
`xray-desktop evaluate --recipe R` can rebuild the validation split exactly.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from xray_desktop.errors import InputError
from xray_desktop.tasks import require_task

BACKBONES = ("small_cnn", "resnet_small", "mobilenetv2", "efficientnetb0", "densenet121", "ensemble")
GROUP_RULES = ("pneumonia_patient", "knee_subject", "image", "regex")


@dataclass(frozen=True)
class Augmentation:
    """Random changes applied to training images only (albumentations)."""

    rotate_deg: float = 15.0
    hflip: bool = False  # never for chest films: the heart is on the left
    brightness: float = 0.2
    contrast: float = 0.2
    zoom: float = 0.1  # scale drawn from [1 - zoom, 1 + zoom]
    noise_std: float = 0.02  # Gaussian noise std on [0, 1] pixels (0 = off)
    clahe: bool = False
    probability: float = 0.8
    # Against shortcuts (burned-in markers, framing, scanner look); 0 turns each off (the old recipes).
    crop_scale: float = 0.0  # random resized crop keeping [crop_scale, 1] of the area
    gamma: float = 0.0  # gamma drawn from [1 - gamma, 1 + gamma]
    blur_sharpen: float = 0.0  # probability of a Gaussian blur or a sharpen
    jpeg_quality_min: int = 0  # JPEG re-compression at quality [min, 95] (p 0.3)
    border_blank: float = 0.0  # probability of blanking 1-3 border bands / corners where markers sit
    marker_paste: float = 0.0  # probability of painting a fake "R"/"L"/text marker near an edge


@dataclass(frozen=True)
class Recipe:
    """Everything a training run needs; paths in `data` are relative to a data root."""

    name: str
    task: str
    data: str  # folder-per-class dataset (train) relative to the data root
    class_map: dict[str, int]  # folder name (or CSV label) -> 0/1
    group_rule: str = "image"
    group_pattern: str | None = None  # regex with one group, for group_rule = "regex"
    validation_data: str | None = None  # separate validation folder (e.g. knee_oa/val); else split `data`
    validation_fraction: float = 0.2
    test_fraction: float = 0.0  # internal test split held out by group (0 = none, the old two-way recipes)
    test_data: str | None = None  # a separate test folder instead (e.g. knee_oa/val); validation then splits `data`
    seed: int = 1234  # decides the split: change it and the internal test films change
    # Decides the network's initial weights, the shuffling and the augmentation (default: `seed`). A second
    # member for an ensemble changes this one only, so it trains on the same split as the first.
    train_seed: int | None = None
    backbone: str = "small_cnn"
    input_size: tuple[int, int] = (128, 128)
    channels: int = 1
    normalisation: str = "unit"
    regimen: str = "quick"
    epochs: int | None = None  # overrides the regimen's epoch count
    learning_rate: float | None = None  # overrides the regimen's learning rate
    lr_schedule: str = "plateau"  # "plateau" (halve on a validation-loss plateau) or "cosine" (warm-up + cosine)
    batch_size: int = 32
    version: str = "1.0.0"
    display_name: str | None = None
    description: str = ""
    caveats: tuple[str, ...] = ()
    target_auc: float | None = None  # the card says plainly whether validation met it
    population: dict[str, Any] = field(default_factory=dict)  # who the model is for: {age_years, views, sites}
    augmentation: Augmentation = field(default_factory=Augmentation)
    # A registered model id whose weights start this run (same backbone and input): a longer schedule for a
    # model whose last run was still learning, on the same split, so it never sees validation or test films.
    init_from: str | None = None
    # backbone = "ensemble": the registered models whose logits are averaged (training.ensemble); nothing is
    # trained, the members must come from this recipe's split.
    members: tuple[str, ...] = ()
    source: Path | None = None  # the TOML file it came from

    @property
    def run_seed(self) -> int:
        return self.seed if self.train_seed is None else self.train_seed

    @property
    def model_id(self) -> str:
        return f"{self.task}-{self.backbone}-{self.input_size[0]}-v{self.version}"


def load_recipe(path: str | Path) -> Recipe:
    """Read and validate a recipe TOML; raises InputError naming the file and the problem."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: recipe file not found") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: not a readable TOML recipe ({exc})") from None
    return recipe_from_dict(raw, source=path)


def recipe_from_dict(raw: dict[str, Any], source: Path | None = None) -> Recipe:
    """Build a Recipe from parsed TOML (also used by the training wizard)."""
    where = str(source) if source else "recipe"
    raw = dict(raw)
    aug_raw = raw.pop("augmentation", {}) or {}
    known = {f.name for f in fields(Recipe)} - {"augmentation", "source"}
    unknown = set(raw) - known
    if unknown:
        raise InputError(f"{where}: unknown recipe keys: {', '.join(sorted(unknown))}")
    for key in ("name", "task", "data", "class_map"):
        if key not in raw:
            raise InputError(f"{where}: missing required key {key!r}")
    aug_known = {f.name for f in fields(Augmentation)}
    if set(aug_raw) - aug_known:
        raise InputError(f"{where}: unknown augmentation keys: {', '.join(sorted(set(aug_raw) - aug_known))}")
    try:
        require_task(str(raw["task"]))
    except Exception as exc:
        raise InputError(f"{where}: {exc}") from None
    if raw.get("backbone", "small_cnn") not in BACKBONES:
        raise InputError(f"{where}: backbone must be one of {', '.join(BACKBONES)}")
    if raw.get("lr_schedule", "plateau") not in ("plateau", "cosine"):
        raise InputError(f"{where}: lr_schedule must be 'plateau' or 'cosine'")
    if raw.get("group_rule", "image") not in GROUP_RULES:
        raise InputError(f"{where}: group_rule must be one of {', '.join(GROUP_RULES)}")
    class_map = {str(k): int(v) for k, v in dict(raw["class_map"]).items()}
    if set(class_map.values()) != {0, 1}:
        raise InputError(f"{where}: class_map must map classes to both 0 and 1")
    raw["class_map"] = class_map
    if "input_size" in raw:
        size = list(raw["input_size"])
        raw["input_size"] = (int(size[0]), int(size[-1]))
    if "caveats" in raw:
        raw["caveats"] = tuple(str(c) for c in raw["caveats"])
    raw["members"] = tuple(str(m) for m in raw.get("members", ()))
    is_ensemble = raw.get("backbone") == "ensemble"
    if is_ensemble != bool(raw["members"]) or (is_ensemble and len(raw["members"]) < 2):
        raise InputError(f"{where}: backbone 'ensemble' and members (at least two registered ids) go together")
    if is_ensemble and raw.get("init_from"):
        raise InputError(f"{where}: an ensemble starts from its members; init_from does not apply")
    return Recipe(**raw, augmentation=Augmentation(**aug_raw), source=source)
