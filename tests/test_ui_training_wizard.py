"""The training wizard end to end on a tiny generated dataset: scan, train (and cancel), evaluate, register,
then the registered model analyses an image through the same service and window the app uses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QWizard
from ui_support import RecordingAudit, doctor_session

from xray_desktop.errors import NotAllowedError
from xray_desktop.models.registry import Registry
from xray_desktop.results import TaskStatus
from xray_desktop.security.permissions import Role
from xray_desktop.services.analyze import analyze_image
from xray_desktop.services.providers import default_provider
from xray_desktop.services.session import Session
from xray_desktop.ui.training_wizard import open_training_wizard
from xray_desktop.ui.training_wizard.wizard import PageId, TrainingWizard

pytestmark = pytest.mark.slow

TIMEOUT_MS = 180000


@pytest.fixture
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty models folder (registry with no models) that the app and the packaging both use."""
    folder = tmp_path / "models"
    Registry.empty(folder / "registry.json").save()
    monkeypatch.setenv("XRAY_DESKTOP_MODELS", str(folder))
    return folder


def admin_session(audit: RecordingAudit | None = None) -> Session:
    return Session(username="admin-test", role=Role.ADMIN, audit=audit)


def grab(widget, path: Path) -> Path:
    widget.grab().save(str(path))
    return path


def fill_data_page(qtbot, wizard: TrainingWizard, root: Path) -> None:
    page = wizard.data_page
    page.set_location(root)
    qtbot.waitUntil(lambda: page.survey is not None and not page.scanning(), timeout=TIMEOUT_MS)
    page.set_label("normal", 0)
    page.set_label("abnormal", 1)
    assert page.isComplete()
    wizard.next()
    assert wizard.currentId() == PageId.MODEL


def fill_model_page(wizard: TrainingWizard, epochs: int) -> None:
    page = wizard.model_page
    page.task.setCurrentIndex(page.task.findData("pneumonia"))
    page.backbone.setCurrentIndex(page.backbone.findData("small_cnn"))
    page.input_size.setValue(32)
    page.regimen.setCurrentIndex(page.regimen.findData("quick"))
    page.epochs.setValue(epochs)
    page.learning_rate.setValue(0.01)
    page.batch_size.setValue(8)
    wizard.next()
    assert wizard.currentId() == PageId.TRAIN


def close_wizard(qtbot, wizard: TrainingWizard) -> None:
    """Wait for the wizard's jobs, close it and check its own model thread stopped (a QThread still running
    when Python exits aborts the interpreter)."""
    qtbot.waitUntil(lambda: not wizard.busy(), timeout=TIMEOUT_MS)
    wizard.close()
    qtbot.waitUntil(lambda: not wizard.models.running, timeout=TIMEOUT_MS)


def training_trail(events: list[tuple[str, str, dict]]) -> list[tuple[str, list[str]]]:
    """The training entries of an audit trail: event names in order, with the names of their details.

    The audit log on disk adds `<key>_hmac` beside each path it shortens to a file name; the in-memory
    recorder keeps the raw path, so those keys are left out of the comparison."""
    wanted = {"training_started", "training_cancelled", "model_trained", "model_registered"}
    return [
        (event, sorted(k for k in details if not k.endswith("_hmac")))
        for _, event, details in events
        if event in wanted
    ]


def assert_audited_like_the_cli(audit: RecordingAudit, wizard: TrainingWizard) -> None:
    """Train the wizard's own recipe with `xray-desktop train`: the audit log must read the same."""
    import re

    from xray_desktop.cli import main as cli_main
    from xray_desktop.services.audit import open_audit_log

    state = wizard.state
    started = next(d for _, e, d in audit.events if e == "training_started")
    assert started == {"recipe": state.recipe.name, "task": "pneumonia", "data_root": str(state.data_root)}
    code = cli_main(
        ["train", "--recipe", str(state.run_dir / "recipe.toml"), "--data-root", str(state.data_root), "--replace"]
    )
    assert code == 0
    cli_events = [(e.actor, e.event, e.details) for e in open_audit_log().entries()]
    assert (
        training_trail(audit.events)
        == training_trail(cli_events)
        == [
            ("training_started", ["data_root", "recipe", "task"]),
            ("model_trained", ["activated", "model_id", "run_dir", "sha256", "task", "validation_auc"]),
        ]
    )
    trained = next(d for _, e, d in cli_events if e == "model_trained")
    log = open_audit_log()  # folders are kept as a keyed hash of the full path only
    stamp = re.compile(rf"{re.escape(state.recipe.name)}-\d{{8}}-\d{{6}}(-\d+)?")
    runs = [p for p in state.run_dir.parent.iterdir() if p != state.run_dir]
    cli_run = next(p for p in runs if log.path_hmac(p) == trained["run_dir_hmac"])
    assert stamp.fullmatch(state.run_dir.name) and stamp.fullmatch(cli_run.name), "one run-folder naming (UTC)"


# ----- permissions --------------------------------------------------------------------------------------------


def test_students_cannot_open_the_wizard_and_doctors_cannot_activate(qtbot) -> None:
    with pytest.raises(NotAllowedError, match="not allowed to train"):
        TrainingWizard(Session("student-test", Role.STUDENT))
    wizard = TrainingWizard(doctor_session())
    qtbot.addWidget(wizard)
    assert not wizard.register_page.make_active.isEnabled()
    admin = TrainingWizard(admin_session())
    qtbot.addWidget(admin)
    assert admin.register_page.make_active.isEnabled()


def test_data_page_shows_counts_thumbnails_and_warnings(qtbot, class_folders, tmp_path: Path) -> None:
    root = class_folders({"normal": 20, "abnormal": 6})
    (root / "normal" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"truncated" * 10)
    wizard = TrainingWizard(doctor_session())
    qtbot.addWidget(wizard)
    wizard.show()
    page = wizard.data_page
    page.set_location(root)
    qtbot.waitUntil(lambda: page.survey is not None and not page.scanning(), timeout=TIMEOUT_MS)
    rows = {page.table.item(r, 0).text(): int(page.table.item(r, 1).text()) for r in range(page.table.rowCount())}
    assert rows == {"abnormal": 6, "normal": 21}
    assert not page.table.cellWidget(0, 3).pixmap().isNull(), "each class shows sample thumbnails"
    page.location.setText(str(root.parent))
    assert not page.isComplete(), "a typed path must be scanned before going on"
    page.location.setText(str(root))
    page.set_label("normal", 0)
    page.set_label("abnormal", 1)
    text = page.warnings.text()
    assert "Imbalanced labels 21 : 6" in text and "unreadable" in text and "broken.png" in text
    assert page.isComplete()
    page.set_label("abnormal", None)  # ignoring the only positive class leaves one label: cannot go on
    assert not page.isComplete()
    assert "training needs both" in page.warnings.text()
    assert grab(wizard, tmp_path / "wizard-data-warnings.png").stat().st_size > 0
    close_wizard(qtbot, wizard)


# ----- the whole wizard ------------------------------------------------------------------------------------------


def test_whole_wizard_trains_evaluates_registers_and_the_window_uses_the_model(
    qtbot, class_folders, models_dir: Path, tmp_path: Path, dialogs
) -> None:
    from xray_desktop.ui.main_window import MainWindow

    root = class_folders({"normal": 12, "abnormal": 12})
    audit = RecordingAudit()
    session = admin_session(audit)
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    shots: list[Path] = []

    wizard = open_training_wizard(window)
    qtbot.waitExposed(wizard)
    assert not wizard.isModal(), "the main window stays usable while the wizard trains"
    fill_data_page(qtbot, wizard, root)
    shots.append(grab(wizard, tmp_path / "wizard-model.png"))
    assert wizard.model_page.preview.pixmap() is not None and not wizard.model_page.preview.pixmap().isNull()
    fill_model_page(wizard, epochs=2)

    train = wizard.train_page
    assert not train.isComplete()
    train.start_button.click()
    assert not wizard.button(QWizard.WizardButton.BackButton).isEnabled(), "no going back mid-training"
    qtbot.waitUntil(train.isComplete, timeout=TIMEOUT_MS)
    outcome = wizard.state.outcome
    assert outcome is not None and not outcome.cancelled and outcome.epochs_run == 2
    assert [int(m.epoch) for m in train.curves.epochs] == [1, 2], "one curve point per finished epoch"
    assert np.isfinite(train.curves.series("loss")).all()
    assert train.epoch_bar.value() == 2
    assert "Training finished" in train.log.toPlainText()
    assert (wizard.state.run_dir / "recipe.toml").is_file() and outcome.checkpoint.is_file()
    shots.append(grab(wizard, tmp_path / "wizard-train.png"))

    wizard.next()
    evaluate = wizard.evaluate_page
    qtbot.waitUntil(evaluate.isComplete, timeout=TIMEOUT_MS)
    view = wizard.state.evaluation
    ev = view.evaluation
    assert f"threshold {ev.at_threshold.threshold:.3f}" in evaluate.headline.text()
    assert f"sensitivity {ev.at_threshold.sensitivity:.3f}" in evaluate.headline.text()
    assert f"specificity {ev.at_threshold.specificity:.3f}" in evaluate.headline.text()
    assert sorted(view.plots) == ["confusion", "reliability", "roc"] and all(p.is_file() for p in view.plots.values())
    assert sum(e.n for e in view.per_class) == ev.n
    assert sum(e.errors for e in view.per_class) == ev.at_threshold.confusion["fp"] + ev.at_threshold.confusion["fn"]
    for mistake in view.mistakes:
        assert mistake.overlay.dtype == np.uint8 and mistake.overlay.shape[2] == 3
    shots.append(grab(wizard, tmp_path / "wizard-evaluate.png"))

    wizard.next()
    register = wizard.register_page
    assert not register.isComplete()
    register.name.setText("Wizard test model")
    register.version.setText("0.1.0")
    register.notes.setPlainText("Trained by the wizard test on generated squares.")
    register.make_active.setChecked(True)
    with (
        qtbot.waitSignal(window.modelsReady, timeout=TIMEOUT_MS) as reloaded,
        qtbot.waitSignal(wizard.modelRegistered, timeout=TIMEOUT_MS) as registered,
    ):
        register.register_button.click()
    entry = registered.args[0]
    assert reloaded.args[0].ready == ["pneumonia"], "the window reloads the registry and warms the new model up"
    qtbot.waitUntil(register.isComplete, timeout=TIMEOUT_MS)
    shots.append(grab(wizard, tmp_path / "wizard-register.png"))
    assert entry.id == "pneumonia-small_cnn-32-v0.1.0" and entry.display_name == "Wizard test model"
    registry = Registry.load(models_dir / "registry.json")
    assert registry.active_models["pneumonia"] == entry.id
    recorded = registry.get(entry.id).validation
    assert recorded["auc"] == round(ev.auc, 4), "the card records the numbers the Evaluate page showed"
    assert recorded["threshold"] == round(ev.at_threshold.threshold, 4)
    card = (models_dir / f"{entry.id}.md").read_text(encoding="utf-8")
    assert "Wizard test model" in card and "Trained by the wizard test" in card
    assert wizard.button(QWizard.WizardButton.FinishButton).isEnabled()

    image = sorted((root / "abnormal").iterdir())[0]
    analysis = analyze_image(session, image, manager=default_provider(Registry.load()), tasks=["pneumonia"])
    result = analysis.result_for("pneumonia")
    assert result.status is TaskStatus.OK and result.model_id == entry.id
    assert 0.0 <= result.probability <= 1.0 and result.heatmap is not None

    with qtbot.waitSignal(window.analysisShown, timeout=TIMEOUT_MS) as shown:
        window.open_path(image)
    assert shown.args[0].result_for("pneumonia").model_id == entry.id
    cards = [c for c in window.results.cards() if c.task == "pneumonia"]
    assert cards and "Wizard test model" in " ".join(
        lbl.text() for lbl in cards[0].findChildren(type(window.status_label))
    )

    assert_audited_like_the_cli(audit, wizard)
    wizard.button(QWizard.WizardButton.FinishButton).click()
    for shot in shots:
        assert shot.stat().st_size > 5000, f"{shot.name} rendered"
    window.close()
    assert not dialogs.calls


def test_cancel_mid_training_keeps_the_best_checkpoint_and_can_be_evaluated(
    qtbot, class_folders, models_dir: Path
) -> None:
    root = class_folders({"normal": 12, "abnormal": 12})
    wizard = TrainingWizard(doctor_session())
    qtbot.addWidget(wizard)
    wizard.show()
    fill_data_page(qtbot, wizard, root)
    fill_model_page(wizard, epochs=200)
    train = wizard.train_page
    train.start_button.click()
    qtbot.waitUntil(lambda: len(train.curves.epochs) >= 1, timeout=TIMEOUT_MS)
    with qtbot.waitSignal(wizard.models.jobCancelled, timeout=TIMEOUT_MS) as cancelled:
        train.cancel_button.click()
    outcome = cancelled.args[1]
    qtbot.waitUntil(train.isComplete, timeout=TIMEOUT_MS)
    assert outcome is wizard.state.outcome and outcome.cancelled
    assert 1 <= outcome.epochs_run < 200
    assert outcome.checkpoint.is_file(), "the best checkpoint so far is kept"
    assert "best checkpoint kept" in train.log.toPlainText()
    wizard.next()
    qtbot.waitUntil(wizard.evaluate_page.isComplete, timeout=TIMEOUT_MS)
    assert wizard.state.evaluation.evaluation.n == len(outcome.validation.labels)
    close_wizard(qtbot, wizard)


def test_closing_the_wizard_mid_training_cancels_and_waits(qtbot, class_folders, models_dir: Path) -> None:
    root = class_folders({"normal": 12, "abnormal": 12})
    wizard = TrainingWizard(doctor_session())
    qtbot.addWidget(wizard)
    wizard.show()
    fill_data_page(qtbot, wizard, root)
    fill_model_page(wizard, epochs=200)
    wizard.train_page.start_button.click()
    qtbot.waitUntil(lambda: wizard.train_page.status.text().startswith("epoch"), timeout=TIMEOUT_MS)
    wizard.reject()
    assert wizard.isVisible(), "it stays open until the training thread reached a cancel point"
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=TIMEOUT_MS)
    assert not wizard.busy() and not wizard.models.running, "the wizard's own model thread stopped"


def test_closing_the_main_window_mid_training_stops_training_first(
    qtbot, class_folders, models_dir: Path, dialogs
) -> None:
    from PySide6.QtCore import QCoreApplication, QEvent

    from xray_desktop.ui.main_window import MainWindow

    root = class_folders({"normal": 12, "abnormal": 12})
    window = MainWindow(doctor_session())
    window.show()
    try:
        wizard = open_training_wizard(window)
        fill_data_page(qtbot, wizard, root)
        fill_model_page(wizard, epochs=200)
        wizard.train_page.start_button.click()
        qtbot.waitUntil(lambda: wizard.train_page.status.text().startswith("epoch"), timeout=TIMEOUT_MS)
        thread = window.models.qthread
        assert wizard.models is window.models, "the wizard trains on the window's model thread"
        window.close()
        assert window.isVisible(), "the window waits for the training thread's next cancel point"
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=TIMEOUT_MS)
        assert not thread.isRunning() and not window.models.running
    finally:
        # In the app, closing the main window ends the process. Here the closed window and its wizard
        # must really be destroyed now: left half-alive, a later app-wide restyle in another test crashed.
        window.close()
        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()


def test_register_page_suggests_a_version_that_is_not_registered_yet(
    qtbot, models_dir: Path, tiny_square_model
) -> None:
    from conftest import write_model_entry

    write_model_entry(models_dir, tiny_square_model, "pneumonia", "pneumonia-small_cnn-32-v1.0.0")
    wizard = TrainingWizard(doctor_session())
    qtbot.addWidget(wizard)
    wizard.state.raw_recipe = {"task": "pneumonia", "backbone": "small_cnn", "input_size": [32, 32]}
    wizard.register_page.initializePage()
    assert wizard.register_page.version.text() == "1.0.1"
    wizard.register_page.version.setText("1.0.0")
    assert "already registered" in wizard.register_page.model_id.text()
    assert not wizard.register_page.can_register()


def test_opening_the_wizard_does_not_load_tensorflow(tmp_path: Path) -> None:
    """The window must appear before TensorFlow loads; the wizard imports it only when training starts."""
    import os
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from xray_desktop.security.permissions import Role\n"
        "from xray_desktop.services.session import Session\n"
        "from xray_desktop.ui.training_wizard.wizard import TrainingWizard\n"
        "wizard = TrainingWizard(Session('dr', Role.DOCTOR))\n"
        "wizard.show(); app.processEvents()\n"
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XRAY_DESKTOP_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
