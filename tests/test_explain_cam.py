"""Explanation maps point at the evidence, depend on the weights, never go NaN, and work inside nested backbones."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from xray_desktop.explain import METHODS
from xray_desktop.explain.cam import CamExplainer
from xray_desktop.explain.graph import find_target_layer
from xray_desktop.imaging.preprocess import PreprocessSpec, restore_map


def _round_trip(model, folder: Path):
    path = folder / f"{model.name}.keras"
    model.save(path)
    return keras.saving.load_model(path, compile=False, safe_mode=True)


@pytest.fixture(params=["fresh", "reloaded"])
def square_model(request, tiny_square_model, tmp_path: Path):
    """The tiny square detector as trained, and after a .keras save/load round trip."""
    return tiny_square_model if request.param == "fresh" else _round_trip(tiny_square_model, tmp_path)


def _hits(maps: np.ndarray, boxes, size: int) -> tuple[int, int]:
    """Pointing game: the map's maximum (at image resolution) falls inside the square (+1 px tolerance)."""
    spec = PreprocessSpec((size, size), 1)
    hits = total = 0
    for heat, box in zip(maps, boxes, strict=True):
        if box is None:
            continue
        y, x = np.unravel_index(np.argmax(restore_map(heat, spec, (size, size))), (size, size))
        bx, by, bw, bh = box
        hits += int(bx - 1 <= x < bx + bw + 1 and by - 1 <= y < by + bh + 1)
        total += 1
    return hits, total


@pytest.mark.parametrize("method", METHODS)
def test_map_points_at_the_bright_square(square_model, square_images, method: str):
    images, _, boxes = square_images(24, seed=11)
    probabilities, maps = CamExplainer(square_model, method)(images[..., None])
    hits, total = _hits(maps, boxes, 32)
    assert hits >= 0.9 * total, f"{method}: {hits}/{total} maxima inside the square"
    assert maps.min() >= 0.0 and maps.max() <= 1.0
    np.testing.assert_allclose(probabilities, square_model.predict(images[..., None], verbose=0)[:, 0], atol=1e-5)


@pytest.mark.parametrize("method", METHODS)
def test_map_changes_when_the_weights_are_randomised(tiny_square_model, square_images, method: str):
    images, _, boxes = square_images(12, seed=12)
    _, trained = CamExplainer(tiny_square_model, method)(images[..., None])
    keras.utils.set_random_seed(123)
    random_model = keras.models.clone_model(tiny_square_model)  # same architecture, fresh random weights
    _, randomised = CamExplainer(random_model, method)(images[..., None])
    positives = [i for i, b in enumerate(boxes) if b is not None]
    correlation = np.corrcoef(trained[positives].ravel(), randomised[positives].ravel())[0, 1]
    assert not np.allclose(trained, randomised, atol=0.05)
    assert np.nan_to_num(correlation) < 0.9


@pytest.mark.parametrize("method", METHODS)
def test_constant_model_gives_an_all_zero_map_not_nan(tiny_square_model, square_images, method: str):
    constant = keras.models.clone_model(tiny_square_model)
    constant.set_weights([np.zeros_like(w) for w in tiny_square_model.get_weights()])
    images, _, _ = square_images(4, seed=13)
    probabilities, maps = CamExplainer(constant, method)(images[..., None])
    assert not np.isnan(maps).any()
    assert np.all(maps == 0.0)
    np.testing.assert_allclose(probabilities, 0.5)


def test_target_layer_is_found_inside_a_nested_backbone(nested_backbone_model):
    backbone = nested_backbone_model.layers[1]
    assert find_target_layer(nested_backbone_model) == (backbone.name, "out_relu")
    flat = keras.Sequential(
        [keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, name="c"), keras.layers.GlobalAveragePooling2D()]
    )
    assert find_target_layer(flat) == ("c",)


def test_dense_only_model_cannot_be_explained_and_says_why():
    inputs = keras.Input((4, 4, 1))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(inputs)))
    with pytest.raises(ValueError, match="no layer with a 4-D"):
        CamExplainer(model, "gradcam")


@pytest.mark.parametrize(
    ("method", "variant"),
    [("gradcam", "fresh"), ("gradcam++", "fresh"), ("scorecam", "fresh"), ("gradcam", "reloaded")],
)
def test_nested_backbone_explains_without_changing_the_shared_model(
    nested_backbone_model, square_images, tmp_path: Path, method: str, variant: str
):
    model = nested_backbone_model if variant == "fresh" else _round_trip(nested_backbone_model, tmp_path)
    images, _, _ = square_images(3, size=96, seed=14, channels=3)
    weights_before = [w.copy() for w in model.get_weights()]
    layers_before = [layer.name for layer in model.layers]
    explainer = CamExplainer(model, method, scorecam_channels=8)
    probabilities, maps = explainer(images)
    assert explainer.target_layer.endswith("/out_relu")
    assert maps.shape == (3, 3, 3)  # MobileNetV2 reduces 96 px by 32
    assert not np.isnan(maps).any()
    np.testing.assert_allclose(probabilities, model.predict(images, verbose=0)[:, 0], atol=1e-5)
    assert [layer.name for layer in model.layers] == layers_before
    assert all(np.array_equal(a, b) for a, b in zip(weights_before, model.get_weights(), strict=True))
    assert len(model.outputs) == 1


def test_explainer_compiles_once_and_reuses_the_graph(tiny_square_model, square_images):
    explainer = CamExplainer(tiny_square_model, "gradcam")
    images, _, _ = square_images(8, seed=15)
    graph = explainer.graph.model
    for n in (1, 3, 8):
        explainer(images[:n, ..., None])
    assert explainer._fn.experimental_get_tracing_count() == 1
    assert explainer.graph.model is graph


def test_bad_batch_shape_and_unknown_method_are_clear_errors(tiny_square_model):
    with pytest.raises(ValueError, match="unknown explanation method 'lime'"):
        CamExplainer(tiny_square_model, "lime")
    with pytest.raises(ValueError, match=r"expected a batch of shape"):
        CamExplainer(tiny_square_model, "gradcam")(np.zeros((1, 16, 16, 1), np.float32))


def test_sequential_classifier_with_a_nested_functional_backbone(square_images):
    keras.utils.set_random_seed(5)
    inner_in = keras.Input((32, 32, 1))
    inner = keras.Model(inner_in, keras.layers.Conv2D(4, 3, activation="relu", name="inner_conv")(inner_in), name="bb")
    model = keras.Sequential(
        [
            keras.Input((32, 32, 1)),
            inner,
            keras.layers.GlobalMaxPooling2D(),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(keras.optimizers.Adam(0.02), "binary_crossentropy")
    images, labels, _ = square_images(128, seed=16)
    model.fit(images[..., None], labels, batch_size=32, epochs=2, verbose=0)
    explainer = CamExplainer(model, "gradcam")
    assert explainer.target_layer == "bb/inner_conv"
    probabilities, maps = explainer(images[:8, ..., None])
    np.testing.assert_allclose(probabilities, model.predict(images[:8, ..., None], verbose=0)[:, 0], atol=1e-5)
    assert maps.shape == (8, 30, 30) and not np.isnan(maps).any()
