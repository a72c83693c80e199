"""Shared fixtures. Every test gets its own data folder, so none touches a real user's files.

Helpers: add fixtures here by appending (never rewrite the file); keep each fixture documented.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists, however pytest is run

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point XRAY_DESKTOP_HOME at a fresh folder and cap training steps for every test."""
    home = tmp_path / "xray_home"
    monkeypatch.setenv("XRAY_DESKTOP_HOME", str(home))
    monkeypatch.setenv("XRAY_DESKTOP_MAX_STEPS", "2")
    return home


@pytest.fixture
def dicom_mono1() -> Path:
    """Real CR chest DICOM: 10-bit MONOCHROME1, no preamble/file meta, no extension."""
    return FIXTURES / "dicom" / "CR-MONO1-10-chest"


@pytest.fixture
def dicom_modality_lut() -> Path:
    """Real CR dental DICOM: JPEG Lossless with a Modality LUT Sequence."""
    return FIXTURES / "dicom" / "CR-ModalitySequenceLUT.dcm"


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch):
    """Install a fresh in-memory keyring for every test, so no test reads or writes the real OS keyring.

    Subprocesses started by a test get keyring's `fail` backend (PYTHON_KEYRING_BACKEND), so they use
    the key-file fallback inside the test's data home. Yields the backend; its `entries` dict
    ({(service, name): secret}) can be inspected.
    """
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 10  # a "recommended" backend, like the Windows/macOS/Secret Service ones

        def __init__(self) -> None:
            super().__init__()
            self.entries: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.entries.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.entries[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.entries.pop((service, username), None)

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


TEST_ADMIN = ("admin", "Correct-horse-42")  # created by the `admin_session` fixture; never a product default


@pytest.fixture
def auth_service(isolated_home: Path):
    """A real AuthService on the test's data home, with cheap scrypt parameters so tests stay fast."""
    from xray_desktop.security.passwords import ScryptParams
    from xray_desktop.services.auth import AuthService

    return AuthService.open(isolated_home, params=ScryptParams(n=2**8))


@pytest.fixture
def admin_session(auth_service):
    """A logged-in administrator (TEST_ADMIN), created through the first-start path; audit log attached."""
    return auth_service.create_first_admin(*TEST_ADMIN)


# --- inference fixtures: tiny REAL Keras models trained on generated "bright square" images ------------------
# A positive image has a bright 8x8 square on dark noise; a negative has none. A model trained on this has
# a known right answer for "where is the evidence", which is what the explanation tests check.


def make_square_images(n: int, size: int = 32, seed: int = 0, channels: int = 1):
    """(images n x size x size [x channels] float32 [0,1], labels (n,), boxes [(x, y, w, h) | None]); even i positive."""
    import numpy as np

    rng = np.random.default_rng(seed)
    images = rng.uniform(0.0, 0.35, (n, size, size)).astype("float32")
    labels = np.zeros(n, dtype="float32")
    boxes: list[tuple[int, int, int, int] | None] = []
    side = max(4, size // 4)
    for i in range(n):
        if i % 2 == 0:
            y, x = (int(v) for v in rng.integers(0, size - side, 2))
            images[i, y : y + side, x : x + side] = rng.uniform(0.85, 1.0)
            labels[i] = 1.0
            boxes.append((x, y, side, side))
        else:
            boxes.append(None)
    if channels > 1:
        images = np.repeat(images[..., None], channels, axis=-1)
    return images, labels, boxes


@pytest.fixture(scope="session")
def square_images():
    """The generator above, as a fixture: `square_images(n, size=32, seed=0, channels=1)`."""
    return make_square_images


@pytest.fixture(scope="session")
def tiny_square_model():
    """A 2-conv CNN (32x32x1 -> sigmoid) trained ~30 steps to detect the bright square (100% on held-out data).

    Shared by the session: never modify it (clone it instead).
    """
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((32, 32, 1))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="last_conv")(x)
    x = keras.layers.GlobalMaxPooling2D()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs, name="tiny_square")
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy")
    images, labels, _ = make_square_images(512, seed=0)
    model.fit(images[..., None], labels, batch_size=32, epochs=2, verbose=0)
    return model


@pytest.fixture(scope="session")
def nested_backbone_model():
    """keras.applications.MobileNetV2 (weights=None, alpha 0.35) NESTED as one layer in a 96x96x3 classifier.

    The backbone is frozen (random weights, like a frozen-backbone recipe) and the head trained a few steps
    on square images: it checks the plumbing, not accuracy, and keeps the fixture fast.
    """
    import keras

    keras.utils.set_random_seed(1)
    backbone = keras.applications.MobileNetV2(input_shape=(96, 96, 3), alpha=0.35, include_top=False, weights=None)
    inputs = keras.Input((96, 96, 3))
    x = backbone(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs, name="nested_classifier")
    backbone.trainable = False
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy")
    images, labels, _ = make_square_images(64, size=96, seed=2, channels=3)
    model.fit(images, labels, batch_size=16, epochs=1, verbose=0)
    return model


def write_model_entry(models_dir: Path, model, task: str, model_id: str, **overrides):
    """Save `model` as models_dir/<model_id>.keras and register it (activated) in models_dir/registry.json."""
    from xray_desktop.models.registry import ModelEntry, Registry

    models_dir.mkdir(parents=True, exist_ok=True)
    registry_file = models_dir / "registry.json"
    registry = Registry.load(registry_file) if registry_file.exists() else Registry.empty(registry_file)
    height, width, channels = (int(v) for v in model.inputs[0].shape[1:])
    fields = {
        "id": model_id,
        "task": task,
        "display_name": f"Tiny test model ({task})",
        "version": "0.0.1",
        "backbone": "tiny-cnn",
        "file": f"{model_id}.keras",
        "sha256": "0" * 64,
        "input_size": (height, width),
        "channels": channels,
        "preprocessing": {"resize": "stretch", "normalisation": "unit"},
        "labels": ("Normal", task.capitalize()),
        "threshold": 0.5,
        "provenance": {"recipe": "tests/conftest.py", "data": "generated bright-square images"},
    }
    fields.update(overrides)
    staged = models_dir / f".staged-{model_id}.keras"
    model.save(staged)
    entry = registry.install_file(staged, ModelEntry(**fields), activate=True)
    staged.unlink()
    return entry


@pytest.fixture(scope="session")
def tiny_models_template(tmp_path_factory: pytest.TempPathFactory, tiny_square_model) -> Path:
    """A models folder (registry.json + tiny_square.keras active for pneumonia); copy it before changing it."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    folder = tmp_path_factory.mktemp("models_template")
    images, labels, _ = make_square_images(64, seed=7)
    scores = tiny_square_model.predict(images[..., None], verbose=0)[:, 0]
    auc = float(roc_auc_score(labels, scores))
    accuracy = float(np.mean((scores >= 0.5) == (labels == 1)))
    metrics = {"validation": {"auc": auc, "accuracy": accuracy, "n": 64, "data": "64 generated square images"}}
    entry = write_model_entry(folder, tiny_square_model, "pneumonia", "tiny-pneumonia", metrics=metrics)
    from xray_desktop.models.registry import Registry
    from xray_desktop.training.onnx_register import ensure_onnx

    ensure_onnx(Registry.load(folder / "registry.json"), entry, model=tiny_square_model)  # as registration does
    return folder


@pytest.fixture
def tiny_models_dir(tmp_path: Path, tiny_models_template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the tiny models folder, with XRAY_DESKTOP_MODELS pointing at it for this test."""
    import shutil

    folder = tmp_path / "models"
    shutil.copytree(tiny_models_template, folder)
    monkeypatch.setenv("XRAY_DESKTOP_MODELS", str(folder))
    return folder


# --- training-wizard fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def class_folders(tmp_path: Path):
    """Factory: write a folder-per-class PNG dataset of bright-square images; returns the dataset folder.

    `class_folders(counts={"normal": 12, "abnormal": 12}, size=32, prefix=None)`: the first class gets
    negatives (noise), every other class positives (noise + a bright square). File names are
    `<prefix or class[0]><index>.png`, unique across classes unless `prefix` makes them collide on purpose.
    """
    from PIL import Image

    def make(counts: dict[str, int] | None = None, size: int = 32, prefix: str | None = None, name: str = "dataset"):
        counts = counts or {"normal": 12, "abnormal": 12}
        root = tmp_path / name
        total = 2 * sum(counts.values())
        images, labels, _ = make_square_images(total, size=size, seed=11)
        negatives = [im for im, lab in zip(images, labels, strict=True) if lab == 0]
        positives = [im for im, lab in zip(images, labels, strict=True) if lab == 1]
        index = 0
        for position, (cls, n) in enumerate(counts.items()):
            folder = root / cls
            folder.mkdir(parents=True, exist_ok=True)
            pool = negatives if position == 0 else positives
            for _ in range(n):
                pixels = (pool.pop() * 255).round().astype("uint8")
                Image.fromarray(pixels).save(folder / f"{prefix or cls[0]}{index:03d}.png")
                index += 1
        return root

    return make


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch):
    """QMessageBox.critical/warning record their calls instead of blocking a test (ui_support.DialogRecorder)."""
    from PySide6.QtWidgets import QMessageBox
    from ui_support import DialogRecorder

    recorder = DialogRecorder()
    monkeypatch.setattr(QMessageBox, "critical", recorder)
    monkeypatch.setattr(QMessageBox, "warning", recorder)
    return recorder


@pytest.fixture
def make_window(qtbot, dialogs):
    """Factory for shown MainWindows (a doctor's session); closing each must stop its model thread."""
    from ui_support import doctor_session

    from xray_desktop.ui.main_window import MainWindow

    windows = []

    def make(**kwargs):
        window = MainWindow(doctor_session(), **kwargs)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
        assert not window.models.running, "closing the window must stop the model thread"


# --- window-with-services fixtures (the per-user services tests and the account-privacy tests) ---------------


@pytest.fixture
def services(auth_service, isolated_home: Path):
    """The logged-in window's per-user services (history, feedback, settings, account state)."""
    from xray_desktop.ui.app_services import AppServices

    return AppServices.open(auth_service, isolated_home)


@pytest.fixture
def window(qtbot, services, admin_session, monkeypatch: pytest.MonkeyPatch):
    """A shown MainWindow for the test administrator, with those services; error dialogs are recorded."""
    from PySide6.QtWidgets import QMessageBox
    from ui_support import DialogRecorder

    from xray_desktop.ui.main_window import MainWindow

    monkeypatch.setattr(QMessageBox, "critical", DialogRecorder())
    win = MainWindow(admin_session, services=services)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()
