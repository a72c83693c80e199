"""The ONNX export reproduces TensorFlow's own activations and gradients, op by op and end to end.

Each custom gradient handler (ReLU, ReLU6, sigmoid, max pool, average pool, ShapeN) sits on the
path from the logit to some CAM layer of the small models below, so comparing every CAM layer's
gradient with TensorFlow's tape tests each handler against TensorFlow itself.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def _every_op_model():
    """Conv-ReLU-maxpool, ReLU6-avgpool, sigmoid gate, odd sizes (VALID pools drop a row), trained a few steps."""
    import keras

    keras.utils.set_random_seed(3)
    inputs = keras.Input((35, 35, 1))
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="c1")(inputs)
    x = keras.layers.MaxPooling2D(2, name="p1")(x)  # 35 -> 17: the last row/column get no gradient
    x = keras.layers.Conv2D(6, 3, padding="valid", name="c2")(x)  # 17 -> 15: a VALID input gradient
    x = keras.layers.ReLU(6.0, name="r6")(x)
    x = keras.layers.AveragePooling2D(2, name="p2")(x)  # 15 -> 7
    x = keras.layers.Conv2D(8, 3, padding="same", name="c3")(x)
    x = keras.layers.Activation("sigmoid", name="gate")(x)
    x = keras.layers.Conv2D(8, 1, name="c4")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy")
    rng = np.random.default_rng(0)
    images = rng.random((64, 35, 35, 1), dtype=np.float32)
    model.fit(images, (images.mean(axis=(1, 2, 3)) > 0.5).astype(np.float32), epochs=1, batch_size=16, verbose=0)
    return model


def _entry(model, cam_layers: list[str]):
    from xray_desktop.models.registry import ModelEntry

    height, width, channels = (int(v) for v in model.inputs[0].shape[1:])
    return ModelEntry(
        id="probe",
        task="pneumonia",
        display_name="probe",
        version="0",
        backbone="probe",
        file="probe.keras",
        sha256="0" * 64,
        input_size=(height, width),
        channels=channels,
        preprocessing={"resize": "stretch", "normalisation": "unit"},
        labels=("Normal", "Pneumonia"),
        threshold=0.5,
        cam_layers=cam_layers,
    )


def _compare_with_tensorflow(model, cam_layers: list[str], folder: Path) -> dict[str, float]:
    """Export, run both ways on random inputs through the runtime's own path (`OnnxModel.cam_inputs`),
    return max |Δ| / max |reference| per output."""
    from xray_desktop.models.onnx_runtime import open_onnx
    from xray_desktop.training.onnx_export import build_functions, cam_layer_paths, export_files

    entry = _entry(model, cam_layers)
    info = export_files(model, entry, folder)
    onnx_model = open_onnx(folder, replace(entry, onnx=info), threads=1)
    functions = build_functions(model, cam_layer_paths(model, entry))
    names = ["probability", "logit", "embedding"]
    names += [f"{kind}_{i}" for i in range(len(cam_layers)) for kind in ("activations", "gradients")]
    rng = np.random.default_rng(1)
    worst: dict[str, float] = {}
    for _ in range(3):
        x = rng.random((1, *entry.spec.input_shape), dtype=np.float32)
        reference = [t.numpy() for t in functions.cam(x)]
        got = onnx_model.cam_inputs(x)
        ours = [np.float32([got.probability]), np.float32([got.logit]), got.embedding[None]]
        ours += [t for pair in got.layers for t in pair]
        for name, ref, value in zip(names, reference, ours, strict=True):
            assert ref.shape == value.shape, name
            scale = max(float(np.max(np.abs(ref))), 1e-12)
            worst[name] = max(worst.get(name, 0.0), float(np.max(np.abs(ref - value))) / scale)
    return worst


def test_every_gradient_handler_matches_tensorflow(tmp_path: Path) -> None:
    model = _every_op_model()
    layers = ["c4", "gate", "r6", "c1"]  # gradients through sigmoid, avgpool, ReLU6 + conv backprop, maxpool + ReLU
    worst = _compare_with_tensorflow(model, layers, tmp_path)
    assert set(worst) == {"probability", "logit", "embedding"} | {
        f"{k}_{i}" for i in range(4) for k in ("activations", "gradients")
    }
    assert max(worst.values()) < 1e-4, worst


def test_tiny_resnet_small_exports_with_two_cam_layers(tmp_path: Path) -> None:
    from xray_desktop.training.backbones import build_model

    model = build_model("resnet_small", (64, 64), 1)
    worst = _compare_with_tensorflow(model, ["stage4_out", "stage3_out"], tmp_path)
    assert max(worst.values()) < 1e-4, worst


def test_overlapping_max_pool_is_refused_by_name(tmp_path: Path) -> None:
    import keras

    from xray_desktop.training.onnx_export import export_files

    inputs = keras.Input((16, 16, 1))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="c1")(inputs)
    x = keras.layers.MaxPooling2D(pool_size=3, strides=2, name="overlap")(x)
    x = keras.layers.Conv2D(4, 3, padding="same", name="c2")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    with pytest.raises(Exception, match="MaxPoolGrad"):
        export_files(model, _entry(model, ["c1"]), tmp_path)


def test_tiny_trained_model_exported_reloaded_and_compared(tmp_path: Path, tiny_square_model) -> None:
    """Registration exports; a fresh ONNX manager reloads the graph; every method matches TensorFlow on films."""
    from conftest import write_model_entry

    from xray_desktop.explain import METHODS
    from xray_desktop.imaging.loader import load_radiograph
    from xray_desktop.imaging.preprocess import prepare_input
    from xray_desktop.models.registry import Registry
    from xray_desktop.services.providers import default_provider
    from xray_desktop.training.onnx_parity import rank_correlation, sample_films
    from xray_desktop.training.onnx_register import ensure_onnx

    entry = write_model_entry(tmp_path, tiny_square_model, "pneumonia", "tiny-export")
    exported = ensure_onnx(Registry.load(tmp_path / "registry.json"), entry)
    assert exported.onnx["parity"]["passed"] is True
    assert (tmp_path / exported.onnx["file"]).is_file()
    reloaded = Registry.load(tmp_path / "registry.json").get("tiny-export")
    assert reloaded.onnx["sha256"] == exported.onnx["sha256"]

    ours = default_provider(Registry.load(tmp_path / "registry.json"), backend="onnxruntime").load(reloaded)
    theirs = default_provider(Registry.load(tmp_path / "registry.json"), backend="tensorflow").load(reloaded)
    assert ours.backend == "onnxruntime" and theirs.backend == "tensorflow"
    films = sample_films("pneumonia")
    batch = np.stack([prepare_input(load_radiograph(f).pixels, reloaded.spec) for f in films])
    assert np.max(np.abs(ours.predict(batch) - theirs.predict(batch))) <= 1e-5
    for method in METHODS:
        p_ours, maps_ours = ours.explainer(method)(batch)
        p_theirs, maps_theirs = theirs.explainer(method)(batch)
        assert np.max(np.abs(p_ours - p_theirs)) <= 1e-5, method
        assert maps_ours.shape == maps_theirs.shape
        assert min(rank_correlation(a, b) for a, b in zip(maps_ours, maps_theirs, strict=True)) >= 0.999, method
    again = ensure_onnx(Registry.load(tmp_path / "registry.json"), reloaded)
    assert again is reloaded  # idempotent: current graphs are left alone


def test_parity_failure_refuses_and_leaves_the_registry_alone(
    tmp_path: Path, tiny_square_model, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A graph that does not match its model (here: exported from other weights) is refused with the figures."""
    import keras
    from conftest import write_model_entry

    from xray_desktop.models.registry import Registry
    from xray_desktop.training import onnx_export
    from xray_desktop.training.onnx_register import OnnxExportError, ensure_onnx

    entry = write_model_entry(tmp_path, tiny_square_model, "pneumonia", "tiny-refused")
    other = keras.models.clone_model(tiny_square_model)  # same architecture, other weights
    other.set_weights([w * 0.5 + 0.1 for w in tiny_square_model.get_weights()])
    real_export = onnx_export.export_files
    monkeypatch.setattr(onnx_export, "export_files", lambda model, e, folder: real_export(other, e, folder))
    registry = Registry.load(tmp_path / "registry.json")
    with pytest.raises(OnnxExportError, match="does not match") as caught:
        ensure_onnx(registry, replace(entry), model=tiny_square_model)
    assert caught.value.figures["passed"] is False
    assert "max_probability_delta" in caught.value.figures
    assert Registry.load(tmp_path / "registry.json").get("tiny-refused").onnx == {}
    assert not list(tmp_path.glob("*.onnx"))


def test_old_entry_without_tensorflow_names_the_export_command(
    tmp_path: Path, tiny_square_model, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A registry from before the graphs, on a reading station: one clear line, not a TensorFlow import."""
    from conftest import write_model_entry

    from xray_desktop.errors import ModelUnavailableError
    from xray_desktop.models import backend
    from xray_desktop.models.registry import Registry
    from xray_desktop.services.providers import default_provider

    entry = write_model_entry(tmp_path, tiny_square_model, "pneumonia", "tiny-old")
    monkeypatch.setattr(backend, "tensorflow_installed", lambda: False)
    manager = default_provider(Registry.load(tmp_path / "registry.json"), backend="onnxruntime")
    with pytest.raises(
        ModelUnavailableError, match="re-export it with the full install: xray-desktop models export-onnx tiny-old"
    ):
        manager.load(entry)
    monkeypatch.undo()
    loaded = manager.load(entry)  # the full install exports on first load and records it
    assert loaded.backend == "onnxruntime"
    assert Registry.load(tmp_path / "registry.json").get("tiny-old").onnx["parity"]["passed"] is True
