"""ModelManager: checksum before load, shape checks, clear reasons, caching, and no fallback model ever."""

from __future__ import annotations

import threading
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import write_model_entry

from xray_desktop.errors import ModelUnavailableError
from xray_desktop.models.manager import ModelManager, check_model_file
from xray_desktop.models.registry import Registry


def _manager(models_dir: Path) -> ModelManager:
    return ModelManager(Registry.load(models_dir / "registry.json"))


def test_active_model_loads_and_predicts_like_the_original(tiny_models_dir: Path, tiny_square_model, square_images):
    manager = _manager(tiny_models_dir)
    loaded = manager.for_task("pneumonia")
    images, _, _ = square_images(8, seed=3)
    expected = tiny_square_model.predict(images[..., None], verbose=0)[:, 0]
    np.testing.assert_allclose(loaded.predict_raw(images[..., None]), expected, atol=1e-5)
    assert manager.for_task("pneumonia") is loaded  # cached


def test_no_model_installed_is_reported_not_replaced(tiny_models_dir: Path):
    with pytest.raises(ModelUnavailableError, match="no model installed for fracture"):
        _manager(tiny_models_dir).for_task("fracture")


def test_checksum_mismatch_is_refused_before_loading(tiny_models_dir: Path):
    model_file = tiny_models_dir / "tiny-pneumonia.keras"
    model_file.write_bytes(model_file.read_bytes() + b"\0")
    with pytest.raises(ModelUnavailableError, match="checksum mismatch") as info:
        _manager(tiny_models_dir).for_task("pneumonia")
    assert "tiny-pneumonia" in str(info.value) and str(model_file) in str(info.value)


def test_corrupt_file_with_matching_checksum_is_reported_as_corrupt(tiny_models_dir: Path):
    registry = Registry.load(tiny_models_dir / "registry.json")
    model_file = tiny_models_dir / "tiny-pneumonia.keras"
    model_file.write_bytes(b"PK\x03\x04 this is not a keras archive")
    registry.install_file(model_file, registry.get("tiny-pneumonia"), activate=True)  # re-record the bad bytes' sha
    with pytest.raises(ModelUnavailableError, match="corrupt"):
        _manager(tiny_models_dir).for_task("pneumonia")


def test_missing_file_is_named(tiny_models_dir: Path):
    (tiny_models_dir / "tiny-pneumonia.keras").unlink()
    with pytest.raises(ModelUnavailableError, match="model file is missing"):
        _manager(tiny_models_dir).for_task("pneumonia")


def test_input_shape_that_differs_from_the_registry_is_refused(tiny_models_dir: Path, tiny_square_model):
    write_model_entry(tiny_models_dir, tiny_square_model, "cardiomegaly", "wrong-size", input_size=(64, 64))
    with pytest.raises(
        ModelUnavailableError, match=r"input shape \(32, 32, 1\) does not match the registry's \(64, 64, 1\)"
    ):
        _manager(tiny_models_dir).for_task("cardiomegaly")


def test_model_with_a_wide_output_is_incompatible(tiny_models_dir: Path):
    inputs = keras.Input((32, 32, 1))
    outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.GlobalAveragePooling2D()(inputs))
    write_model_entry(tiny_models_dir, keras.Model(inputs, outputs), "osteoporosis", "two-class")
    with pytest.raises(ModelUnavailableError, match="one output of width 1"):
        _manager(tiny_models_dir).for_task("osteoporosis")


def test_one_corrupt_task_does_not_stop_warm_up_of_the_others(tiny_models_dir: Path, tiny_square_model):
    write_model_entry(tiny_models_dir, tiny_square_model, "cardiomegaly", "broken-cardio")
    (tiny_models_dir / "broken-cardio.keras").write_bytes(b"garbage")
    statuses = {s.task: s for s in _manager(tiny_models_dir).warm_up()}
    assert statuses["pneumonia"].ok and statuses["pneumonia"].message == "ready"
    assert not statuses["cardiomegaly"].ok and "checksum mismatch" in statuses["cardiomegaly"].message
    assert statuses["fracture"].message == "no model installed for fracture"


def test_concurrent_requests_load_the_model_once(tiny_models_dir: Path):
    manager = _manager(tiny_models_dir)
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(manager.for_task("pneumonia"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(r is results[0] for r in results)


def test_check_model_file_verifies_a_staged_file_against_its_entry(tiny_models_dir: Path, tmp_path: Path):
    entry = Registry.load(tiny_models_dir / "registry.json").get("tiny-pneumonia")
    staged = tmp_path / "incoming.keras"
    staged.write_bytes((tiny_models_dir / entry.file).read_bytes())
    check_model_file(staged, entry)
    staged.write_bytes(staged.read_bytes()[:-10])
    with pytest.raises(ModelUnavailableError, match="checksum mismatch"):
        check_model_file(staged, entry)


def test_importing_the_models_package_does_not_import_tensorflow():
    import subprocess
    import sys

    code = (
        "import sys, xray_desktop.models.manager, xray_desktop.models.registry, xray_desktop.services.analyze, "
        "xray_desktop.services.batch, xray_desktop.explain.overlay; "
        "sys.exit(1 if 'tensorflow' in sys.modules or 'keras' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_warm_up_reports_progress_and_honours_cancel(tiny_models_dir: Path):
    from xray_desktop.progress import Cancelled, Progress

    events = []
    statuses = _manager(tiny_models_dir).warm_up(["pneumonia"], Progress(on_update=events.append))
    assert [s.ok for s in statuses] == [True]
    assert [(e.done, e.total) for e in events] == [(0, 1), (1, 1)]
    progress = Progress()
    progress.cancel()
    with pytest.raises(Cancelled):
        _manager(tiny_models_dir).warm_up(progress=progress)


def test_new_registry_drops_models_it_no_longer_names(tiny_models_dir: Path):
    manager = _manager(tiny_models_dir)
    manager.for_task("pneumonia")
    assert manager.is_loaded("tiny-pneumonia")
    registry = Registry.load(tiny_models_dir / "registry.json")
    registry.remove("tiny-pneumonia")
    manager.set_registry(registry)
    assert not manager.is_loaded("tiny-pneumonia")
    with pytest.raises(ModelUnavailableError, match="no model installed for pneumonia"):
        manager.for_task("pneumonia")
