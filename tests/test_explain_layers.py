"""CAM layers by name (nested too), the NumPy CAM maths, Layer-CAM over two layers, and the measured layer choice."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from xray_desktop.explain import cam_math
from xray_desktop.explain.cam import CamExplainer
from xray_desktop.explain.graph import resolve_layer
from xray_desktop.explain.layer_choice import candidates, choose_layers


@pytest.fixture(scope="module")
def stage_model():
    """A 64 px CNN with named stage outputs at 16x16 (stride 4), 8x8 (stride 8) and 4x4 (stride 16), trained briefly."""
    from conftest import make_square_images

    keras.utils.set_random_seed(4)
    inputs = keras.Input((64, 64, 1))
    x = keras.layers.Conv2D(8, 3, strides=4, padding="same", activation="relu", name="stage1_out")(inputs)
    x = keras.layers.Conv2D(12, 3, strides=2, padding="same", activation="relu", name="stage2_out")(x)
    x = keras.layers.Conv2D(16, 3, strides=2, padding="same", activation="relu", name="stage3_out")(x)
    x = keras.layers.GlobalMaxPooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x), name="stages")
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy")
    images, labels, _ = make_square_images(256, size=64, seed=5)
    model.fit(images[..., None], labels, batch_size=32, epochs=2, verbose=0)
    return model


def test_the_numpy_maths_is_what_the_explainer_returns(stage_model, square_images):
    images, _, _ = square_images(4, size=64, seed=6)
    for method in ("gradcam", "gradcam++", "layercam"):
        explainer = CamExplainer(stage_model, method, layers=["stage2_out", "stage3_out"])
        _probs, acts, grads = explainer.activations_and_gradients(images[..., None])
        _, maps = explainer(images[..., None])
        np.testing.assert_allclose(maps, cam_math.cam(method, acts, grads), atol=1e-6)
        assert [a.shape[1:3] for a in acts] == ([(8, 8), (4, 4)] if method == "layercam" else [(8, 8)])
        assert maps.shape == (4, 8, 8)


def test_gradcam_by_hand():
    acts = np.zeros((1, 2, 2, 2), np.float32)
    acts[0, 0, 0, 0] = 2.0  # channel 0 fires top-left
    acts[0, 1, 1, 1] = 1.0  # channel 1 fires bottom-right
    grads = np.zeros_like(acts)
    grads[..., 0] = 1.0  # only channel 0 raises the score
    grads[..., 1] = -1.0
    heat = cam_math.gradcam(acts, grads)[0]
    assert heat[0, 0] == pytest.approx(1.0, abs=1e-6) and heat[1, 1] == 0.0
    assert not np.isnan(cam_math.layercam(np.zeros_like(acts), grads)).any()


def test_layers_resolve_by_name_inside_a_nested_backbone(nested_backbone_model):
    backbone = nested_backbone_model.layers[1].name
    assert resolve_layer(nested_backbone_model, "block_13_expand_relu") == (backbone, "block_13_expand_relu")
    assert resolve_layer(nested_backbone_model, f"{backbone}/out_relu") == (backbone, "out_relu")
    with pytest.raises(ValueError, match="no 4-D layer named 'nope'"):
        resolve_layer(nested_backbone_model, "nope")
    explainer = CamExplainer(nested_backbone_model, "layercam", layers=["block_13_expand_relu", "out_relu"])
    images = np.random.default_rng(0).random((2, 96, 96, 3)).astype(np.float32)
    _, maps = explainer(images)
    assert maps.shape == (2, 6, 6)  # fused at the finer (stride 16) layer's grid
    assert explainer.target_layers == [f"{backbone}/block_13_expand_relu", f"{backbone}/out_relu"]


def test_layer_choice_measures_the_candidates_and_keeps_a_partner(stage_model, square_images):
    assert [name for name, _ in candidates(stage_model)] == ["stage2_out", "stage3_out"]  # stride >= 8
    images, _, _ = square_images(4, size=64, seed=7)
    choice = choose_layers(stage_model, images[..., None], min_cells=4)
    assert set(choice.deletion_auc) == {"stage2_out", "stage3_out"}
    assert choice.layers[0] == min(choice.deletion_auc, key=choice.deletion_auc.get)
    assert sorted(choice.layers) == ["stage2_out", "stage3_out"]
    only_fine = choose_layers(stage_model, images[..., None], min_cells=8)
    assert only_fine.layers == ["stage2_out", "stage3_out"] and set(only_fine.deletion_auc) == {"stage2_out"}
