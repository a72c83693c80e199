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
