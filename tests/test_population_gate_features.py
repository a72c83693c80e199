"""The gate's features: the embedding plus the first CAM layer's channel statistics, the same on every path.

A gate fitted on features from one pass must read the same features from every other pass that feeds it:
Keras and ONNX Runtime, prediction and each explanation method. A tiny real model is trained, exported and
compared; the layer statistics are checked against the layer's own activations.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from xray_desktop.gate_features import gate_features


def test_gate_features_append_each_channels_mean_and_spread() -> None:
    embedding = np.arange(6, dtype=np.float32).reshape(2, 3)
    acts = np.random.default_rng(0).random((2, 4, 5, 2)).astype(np.float32)
    out = gate_features(embedding, acts)
    assert out.shape == (2, 3 + 2 + 2)
    np.testing.assert_allclose(out[:, :3], embedding)
    np.testing.assert_allclose(out[:, 3:5], acts.mean(axis=(1, 2)), rtol=1e-6)
    np.testing.assert_allclose(out[:, 5:], acts.std(axis=(1, 2)), rtol=1e-6)
    np.testing.assert_array_equal(gate_features(embedding), embedding)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, tiny_square_model):
    from conftest import write_model_entry

    from xray_desktop.models.registry import Registry
    from xray_desktop.training.onnx_register import ensure_onnx

    folder = tmp_path_factory.mktemp("gate_features")
    entry = write_model_entry(folder, tiny_square_model, "pneumonia", "tiny-gate", cam_layers=["last_conv"])
    return folder, ensure_onnx(Registry.load(folder / "registry.json"), entry)


def _loaded(folder: Path, entry, backend: str, layer: str | None):
    from xray_desktop.models.registry import Registry
    from xray_desktop.services.providers import default_provider

    check = {"file": "unused.npz", "feature_layer": layer} if layer else {}
    return default_provider(Registry.load(folder / "registry.json"), backend=backend).load(
        replace(entry, population_check=check)
    )


@pytest.mark.parametrize("layer", [None, "last_conv"])
def test_every_pass_gives_the_gate_the_same_features(exported, tiny_square_model, square_images, layer) -> None:
    import keras

    from xray_desktop.explain import METHODS

    folder, entry = exported
    images, _, _ = square_images(6, seed=21)
    batch = images[..., None].astype(np.float32)
    expected_embedding = keras.Model(tiny_square_model.inputs, tiny_square_model.layers[-1].input)([batch]).numpy()
    expected = expected_embedding
    if layer:
        acts = keras.Model(tiny_square_model.inputs, tiny_square_model.get_layer(layer).output)([batch]).numpy()
        expected = np.concatenate([expected_embedding, acts.mean(axis=(1, 2)), acts.std(axis=(1, 2))], axis=1)
    for backend in ("tensorflow", "onnxruntime"):
        loaded = _loaded(folder, entry, backend, layer)
        _, feats = loaded.predict_with_features(batch)
        np.testing.assert_allclose(feats, expected, atol=1e-4, err_msg=backend)
        for method in METHODS:
            _, _, from_map = loaded.explainer(method).explain(batch)
            np.testing.assert_allclose(from_map, expected, atol=1e-4, err_msg=f"{backend} {method}")


def test_a_gate_reading_a_layer_the_graph_lacks_gets_no_features(exported, square_images) -> None:
    """No verdict rather than a wrong one: the exported graph carries only its first CAM layer."""
    folder, entry = exported
    images, _, _ = square_images(2, seed=3)
    loaded = _loaded(folder, entry, "onnxruntime", "some_other_layer")
    _, feats = loaded.predict_with_features(images[..., None].astype(np.float32))
    assert feats is None
    _, _, from_map = loaded.explainer("gradcam").explain(images[..., None].astype(np.float32))
    assert from_map is None
