"""Backbones build with one sigmoid output, load pretrained weights only from a local file, and fail loudly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from xray_desktop.errors import InputError

pytestmark = pytest.mark.slow


def test_mobilenetv2_from_local_weights_file_and_bad_files_are_refused(tmp_path: Path) -> None:
    import keras

    from xray_desktop.training.backbones import build_model

    model = build_model("mobilenetv2", (32, 32), 1, seed=1)
    assert model.output_shape == (None, 1) and model.input_shape == (None, 32, 32, 1)
    base = next(layer for layer in model.layers if isinstance(layer, keras.Model))
    weights = tmp_path / "mobilenetv2_no_top.weights.h5"
    base.save_weights(weights)

    again = build_model("mobilenetv2", (32, 32), 1, weights=weights, seed=2)
    again_base = next(layer for layer in again.layers if isinstance(layer, keras.Model))
    for a, b in zip(base.get_weights(), again_base.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)

    with pytest.raises(InputError, match="weights file not found"):
        build_model("mobilenetv2", (32, 32), 1, weights=tmp_path / "missing.h5")
    junk = tmp_path / "junk.weights.h5"
    junk.write_bytes(b"not hdf5")
    with pytest.raises(InputError, match="cannot load as mobilenetv2 weights"):
        build_model("mobilenetv2", (32, 32), 1, weights=junk)
    with pytest.raises(InputError, match="no pretrained weights"):
        build_model("small_cnn", (32, 32), 1, weights=weights)


def test_small_cnn_is_a_probability_with_a_conv_layer_for_gradcam() -> None:
    import keras

    from xray_desktop.training.backbones import build_model

    model = build_model("small_cnn", (32, 32), 1)
    out = np.asarray(model(np.random.default_rng(0).random((2, 32, 32, 1), dtype=np.float32)))
    assert out.shape == (2, 1) and np.all((out >= 0) & (out <= 1))
    assert any(isinstance(layer, keras.layers.Conv2D) for layer in model.layers)
