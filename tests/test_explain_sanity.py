"""Sanity check (Adebayo et al. 2018): maps must change when the top layers are re-initialised."""

from __future__ import annotations

import numpy as np

from xray_desktop.explain.sanity import SPEARMAN_BOUND, randomised_copy, sanity_check, spearman, top_layers


def test_gradcam_maps_depend_on_the_trained_top_layers(tiny_square_model, square_images):
    images, _, boxes = square_images(8, seed=31)
    positives = np.stack([img for img, box in zip(images, boxes, strict=True) if box is not None])[..., None]
    before = [w.copy() for w in tiny_square_model.get_weights()]
    result = sanity_check(tiny_square_model, positives, layers=["last_conv"])
    assert result.randomised_layers == ["last_conv", "dense"]
    assert result.passed and result.mean < SPEARMAN_BOUND
    assert all(np.array_equal(a, b) for a, b in zip(before, tiny_square_model.get_weights(), strict=True))


def test_the_copy_keeps_the_other_layers_and_changes_only_the_top(tiny_square_model):
    paths = top_layers(tiny_square_model, "last_conv")
    copy = randomised_copy(tiny_square_model, paths, seed=3)
    assert copy is not tiny_square_model
    for layer, copied in zip(tiny_square_model.layers, copy.layers, strict=True):
        same = all(np.array_equal(a, b) for a, b in zip(layer.get_weights(), copied.get_weights(), strict=True))
        assert same == ((layer.name,) not in paths) or not layer.weights


def test_identical_maps_fail_the_bound_and_constant_maps_share_nothing():
    heat = np.random.default_rng(0).random((8, 8))
    assert spearman(heat, heat) > SPEARMAN_BOUND
    assert spearman(heat, np.zeros((8, 8))) == 0.0


def test_an_ensembles_randomised_layers_include_every_members_last_convolution():
    """Randomising only the last member's convolution would leave the other members' maps in the joined CAM
    layer untouched; every member's last convolution and the head are randomised, the fixed resizes are not."""
    import keras

    from xray_desktop.explain.graph import flat_layers
    from xray_desktop.training.backbones import build_model
    from xray_desktop.training.ensemble import CAM_LAYER, build_ensemble

    members = []
    for size, seed in ((48, 1), (64, 2)):
        keras.utils.set_random_seed(seed)
        members.append(build_model("small_cnn", (size, size), 1, seed=seed))
    ensemble = build_ensemble(members)
    paths = top_layers(ensemble, CAM_LAYER)
    flat = flat_layers(ensemble)
    for member in {path[0] for path, _ in flat if len(path) > 1}:
        convs = [path for path, layer in flat if path[0] == member and isinstance(layer, keras.layers.Conv2D)]
        assert convs[-1] in paths and convs[0] not in paths, member
    top_level = [path for path in paths if len(path) == 1]
    assert top_level == [("probability",)]  # the head; not the fixed resize matrices (member0_input_w, ...)
    copy = randomised_copy(ensemble, paths, seed=5)
    assert copy.predict(np.zeros((1, 64, 64, 1), np.float32), verbose=0).shape == (1, 1)
