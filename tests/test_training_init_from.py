"""A recipe's `init_from` starts a run from a registered model's weights (a second schedule on the same
split), and refuses, before any training, a model that is not registered or not of the recipe's shape."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest
from conftest import write_model_entry
from test_training_loop import RECIPE, _write_toy_dataset

from xray_desktop.errors import InputError
from xray_desktop.training.recipes import recipe_from_dict

pytestmark = pytest.mark.slow


def _recipe(tmp_path: Path, **changes: object):
    raw = tomllib.loads(RECIPE)
    raw.update(epochs=1, **changes)
    return recipe_from_dict(raw, source=tmp_path / "toy.toml")


def _stem_kernel(path: Path) -> np.ndarray:
    import keras

    return np.asarray(keras.saving.load_model(path, compile=False).get_layer("stem_conv").kernel)


def test_run_starts_from_the_registered_models_weights(tmp_path: Path) -> None:
    import keras

    from xray_desktop.services.training import starting_model
    from xray_desktop.training.trainer import train

    data_root = tmp_path / "data"
    _write_toy_dataset(data_root)
    first = train(_recipe(tmp_path), data_root, tmp_path / "first")
    models_dir = tmp_path / "models"
    source = keras.saving.load_model(first.checkpoint, compile=False)
    write_model_entry(models_dir, source, "pneumonia", "toy-first", backbone="small_cnn")

    # A rate so small that one epoch cannot move a weight: what comes out is what went in.
    recipe = _recipe(tmp_path, init_from="toy-first", learning_rate=1e-9, version="0.0.2")
    start = starting_model(recipe, models_dir)
    assert start is not None and start[0] == "toy-first"
    second = train(recipe, data_root, tmp_path / "second", init_from=start)
    scratch = train(_recipe(tmp_path, learning_rate=1e-9, seed=99), data_root, tmp_path / "scratch")
    assert np.allclose(_stem_kernel(second.checkpoint), _stem_kernel(first.checkpoint), atol=1e-6)
    assert not np.allclose(_stem_kernel(scratch.checkpoint), _stem_kernel(first.checkpoint), atol=1e-3)
    assert second.weights_file is not None and "toy-first" in second.weights_file


def test_init_from_refuses_an_unregistered_or_differently_shaped_model(tmp_path: Path, tiny_square_model) -> None:
    from xray_desktop.services.training import starting_model

    models_dir = tmp_path / "models"
    write_model_entry(models_dir, tiny_square_model, "pneumonia", "tiny")  # backbone "tiny-cnn"
    with pytest.raises(InputError, match="not registered"):
        starting_model(_recipe(tmp_path, init_from="no-such-model"), models_dir)
    with pytest.raises(InputError, match="is tiny-cnn at 32 px, the recipe trains small_cnn"):
        starting_model(_recipe(tmp_path, init_from="tiny"), models_dir)
    assert starting_model(_recipe(tmp_path), models_dir) is None
