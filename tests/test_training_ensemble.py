"""An ensemble recipe averages registered models' logits in ONE exact graph: the area resize equals OpenCV's,
enlarging a feature map keeps its mean, the logit is the members' mean, and the whole flow (assemble ->
package -> ONNX parity -> card) refuses members from another split."""

from __future__ import annotations

import tomllib
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import write_model_entry
from test_training_loop import RECIPE, _write_toy_dataset

from xray_desktop.errors import InputError
from xray_desktop.training.recipes import recipe_from_dict


def _member(size: int, seed: int):
    """A real small CNN of the shipped shape (gap + sigmoid Dense), random weights: the maths is what is tested."""
    import keras

    from xray_desktop.training.backbones import build_model

    keras.utils.set_random_seed(seed)
    return build_model("small_cnn", (size, size), 1, seed=seed)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p.astype(np.float64), 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def test_area_matrix_is_opencvs_inter_area_and_enlarging_keeps_the_mean() -> None:
    from xray_desktop.training.ensemble import area_matrix, resize_matrix

    image = np.random.default_rng(0).random((56, 56)).astype(np.float32)
    shrink = area_matrix(40, 56)
    expected = cv2.resize(image, (40, 40), interpolation=cv2.INTER_AREA)
    assert np.abs(shrink @ image @ shrink.T - expected).max() < 1e-5
    grow = resize_matrix(14, 10)
    small = np.random.default_rng(1).random((10, 10)).astype(np.float32)
    assert np.allclose(grow.sum(axis=1), 1.0, atol=1e-6)  # an interpolation: each output is a weighted mean
    assert abs(float((grow @ small @ grow.T).mean()) - float(small.mean())) < 1e-6


def test_ensemble_logit_is_the_mean_of_its_members_at_their_own_sizes() -> None:
    from xray_desktop.training.ensemble import CAM_LAYER, build_ensemble

    members = [_member(48, 1), _member(64, 2)]
    ensemble = build_ensemble(members)
    assert tuple(ensemble.inputs[0].shape[1:]) == (64, 64, 1)
    assert ensemble.get_layer(CAM_LAYER).output.shape[1:3] == (4, 4)  # the finer member's grid
    rng = np.random.default_rng(3)
    films = rng.random((4, 64, 64)).astype(np.float32)
    small = np.stack([cv2.resize(f, (48, 48), interpolation=cv2.INTER_AREA) for f in films])[..., None]
    members_mean = np.mean(
        [
            _logit(members[0].predict(small, verbose=0)[:, 0]),
            _logit(members[1].predict(films[..., None], verbose=0)[:, 0]),
        ],
        axis=0,
    )
    got = _logit(ensemble.predict(films[..., None], verbose=0)[:, 0])
    assert np.abs(got - members_mean).max() < 1e-4
    # ... and a member alone is not the ensemble (the test would pass trivially if the head ignored one).
    assert np.abs(_logit(members[1].predict(films[..., None], verbose=0)[:, 0]) - got).max() > 1e-3


def test_ensemble_refuses_a_member_without_a_pooled_sigmoid_head(tiny_square_model) -> None:
    from xray_desktop.training.ensemble import build_ensemble

    with pytest.raises(InputError, match="gap"):
        build_ensemble([_member(32, 1), tiny_square_model], ["small", "tiny-square"])  # global MAX pooling


def test_recipe_needs_members_exactly_when_the_backbone_is_ensemble() -> None:
    raw = tomllib.loads(RECIPE)
    with pytest.raises(InputError, match="members"):
        recipe_from_dict({**raw, "backbone": "ensemble"})
    with pytest.raises(InputError, match="members"):
        recipe_from_dict({**raw, "members": ["a", "b"]})
    recipe = recipe_from_dict({**raw, "backbone": "ensemble", "members": ["a", "b"]})
    assert recipe.members == ("a", "b") and recipe.model_id.startswith("pneumonia-ensemble-32-")


def test_train_seed_changes_the_weights_but_not_the_split() -> None:
    raw = tomllib.loads(RECIPE)
    first, second = recipe_from_dict(raw), recipe_from_dict({**raw, "train_seed": 99})
    assert first.run_seed == first.seed == second.seed and second.run_seed == 99


@pytest.mark.slow
def test_ensemble_recipe_assembles_packages_and_refuses_another_split(tmp_path: Path, admin_session) -> None:
    from xray_desktop.models.registry import Registry
    from xray_desktop.services.training import train_and_package
    from xray_desktop.training.data_plan import plan_data
    from xray_desktop.training.ensemble import CAM_LAYER

    data_root = tmp_path / "data"
    _write_toy_dataset(data_root)
    models = tmp_path / "models"
    models.mkdir()
    Registry.empty(models / "registry.json").save()
    raw = tomllib.loads(RECIPE)
    plan = plan_data(recipe_from_dict(raw), data_root)
    films = {"validation_fingerprint": plan.split.fingerprint, "test_fingerprint": plan.split.test_fingerprint}
    ids = [f"pneumonia-small_cnn-{size}-v0.0.1" for size in (24, 32)]
    for size, model_id in zip((24, 32), ids, strict=True):
        write_model_entry(models, _member(size, size), "pneumonia", model_id, backbone="small_cnn", provenance=films)

    recipe = recipe_from_dict(
        {**raw, "backbone": "ensemble", "members": ids, "input_size": [32, 32], "version": "0.1.0"},
        source=tmp_path / "ensemble.toml",
    )
    packaged = train_and_package(admin_session, recipe, data_root, models_dir=models, run_dir=tmp_path / "ens").packaged
    registry = Registry.load(models / "registry.json")
    entry = registry.get(packaged.entry.id)
    assert entry.backbone == "ensemble" and entry.onnx["layers"] == [CAM_LAYER]  # exported, parity passed
    assert [m["id"] for m in entry.provenance["members"]] == ids
    card = packaged.card_path.read_text(encoding="utf-8")
    assert "no training of its own" in card and ids[0] in card and ids[1] in card

    moved = recipe_from_dict(
        {**raw, "backbone": "ensemble", "members": ids, "input_size": [32, 32], "version": "0.1.1", "seed": 8}
    )
    with pytest.raises(InputError, match="same split"):
        train_and_package(admin_session, moved, data_root, models_dir=models, run_dir=tmp_path / "moved")
