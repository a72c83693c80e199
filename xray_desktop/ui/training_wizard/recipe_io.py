"""The wizard's choices become an ordinary recipe TOML in the run folder (Qt-free).

Writing the recipe and reading it back through `training.recipes.load_recipe` means the
wizard trains exactly what `xray-desktop train --recipe run_dir/recipe.toml` would, the core
validates every value, and the model card's "Reproduce" lines point at a real file.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from xray_desktop.atomic import atomic_write_text
from xray_desktop.errors import InputError
from xray_desktop.training.recipes import Augmentation, Recipe, load_recipe


def locate_data(location: Path, validation: Path | None = None) -> tuple[Path, str, str | None]:
    """(data root, `data`, `validation_data`) for a chosen folder/CSV and an optional separate validation folder."""
    location = Path(location).resolve()
    if validation is None:
        return location.parent, location.name, None
    validation = Path(validation).resolve()
    if location == validation or location in validation.parents or validation in location.parents:
        raise InputError(f"{validation}: the validation folder must be separate from {location}, not inside it")
    root = Path(os.path.commonpath([location, validation]))
    return root, location.relative_to(root).as_posix(), validation.relative_to(root).as_posix()


def recipe_dict(
    *,
    task: str,
    data: str,
    class_map: dict[str, int],
    group_rule: str,
    backbone: str,
    input_size: int,
    regimen: str,
    epochs: int,
    learning_rate: float,
    batch_size: int,
    augmentation: Augmentation,
    validation_data: str | None = None,
    validation_fraction: float = 0.2,
    seed: int = 1234,
    group_pattern: str | None = None,
    display_name: str | None = None,
    version: str = "1.0.0",
    description: str = "",
    name: str | None = None,
) -> dict[str, Any]:
    """The raw recipe (as TOML would parse it) for the wizard's choices."""
    raw: dict[str, Any] = {
        "name": name or f"wizard_{task}_{backbone}_{input_size}",
        "task": task,
        "data": data,
        "class_map": dict(class_map),
        "group_rule": group_rule,
        "validation_fraction": float(validation_fraction),
        "seed": int(seed),
        "backbone": backbone,
        "input_size": [int(input_size), int(input_size)],
        "channels": 1,
        "normalisation": "unit",
        "regimen": regimen,
        "epochs": int(epochs),
        "learning_rate": float(learning_rate),
        "batch_size": int(batch_size),
        "version": version,
        "description": description,
        "augmentation": asdict(augmentation),
    }
    if group_pattern:
        raw["group_pattern"] = group_pattern
    if validation_data:
        raw["validation_data"] = validation_data
    if display_name:
        raw["display_name"] = display_name
    return raw


def to_toml(raw: dict[str, Any]) -> str:
    """TOML for a recipe: scalars, lists and the class map at top level, then the [augmentation] table."""
    lines = ["# Written by the training wizard; `xray-desktop train --recipe <this file>` repeats the run."]
    tables = {k: v for k, v in raw.items() if k == "augmentation"}
    for key, value in raw.items():
        if key in tables:
            continue
        lines.append(f"{key} = {_value(value)}")
    for key, table in tables.items():
        lines += ["", f"[{key}]"]
        lines += [f"{k} = {_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def save_recipe(raw: dict[str, Any], path: Path) -> Recipe:
    """Write the recipe atomically and load it back through the core (which validates it)."""
    atomic_write_text(path, to_toml(raw))
    return load_recipe(path)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {_value(v)}" for k, v in value.items()) + " }"
    raise InputError(f"cannot write {value!r} into a recipe")
