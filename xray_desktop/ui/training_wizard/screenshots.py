"""Drive the wizard on a small real subset and save a screenshot of every page (docs/screenshots).

    python -m xray_desktop.ui.training_wizard.screenshots docs/screenshots \
        [--data ../shared/data/pneumonia/train] [--per-class 60] [--epochs 6] [--pages train,evaluate]

Everything it writes besides the PNGs (the copied subset, the run, the registered model) goes to a
temporary folder: XRAY_DESKTOP_HOME and XRAY_DESKTOP_MODELS are pointed there, so the real model
registry is never touched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PAGES = ("data", "model", "train", "evaluate", "register")


def _wait(app, predicate: Callable[[], bool], timeout: float = 900.0) -> None:
    from PySide6.QtCore import QEventLoop

    deadline = time.monotonic() + timeout
    while not predicate():
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.02)
        if time.monotonic() > deadline:
            raise TimeoutError("the wizard did not reach the expected state in time")


def copy_subset(source: Path, target: Path, per_class: int) -> Path:
    """The first `per_class` images of each class folder (sorted names, so patients stay together)."""
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        (target / folder.name).mkdir(parents=True, exist_ok=True)
        for image in sorted(folder.iterdir())[:per_class]:
            shutil.copy2(image, target / folder.name / image.name)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--data", type=Path, default=None, help="folder-per-class training data")
    parser.add_argument("--per-class", type=int, default=60)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--pages", default=",".join(PAGES), help=f"comma-separated subset of {', '.join(PAGES)}")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="wizard-shots-"))
    os.environ["XRAY_DESKTOP_HOME"] = str(work / "home")
    os.environ["XRAY_DESKTOP_MODELS"] = str(work / "models")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtWidgets import QApplication

    from xray_desktop.models.registry import Registry
    from xray_desktop.security.permissions import Role
    from xray_desktop.services.session import Session
    from xray_desktop.training.data_plan import default_data_root
    from xray_desktop.ui.training_wizard.wizard import PageId, TrainingWizard

    data = args.data or default_data_root() / "pneumonia" / "train"
    Registry.empty(work / "models" / "registry.json").save()
    subset = copy_subset(data, work / "data" / data.name, args.per_class)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    args.out.mkdir(parents=True, exist_ok=True)
    wizard = TrainingWizard(Session("admin", Role.ADMIN))
    wizard.show()

    wanted = {p.strip() for p in args.pages.split(",")}

    def shot(name: str) -> None:
        if name not in wanted:
            return
        app.processEvents()
        path = args.out / f"wizard-{name}.png"
        wizard.grab().save(str(path))
        print(path)

    wizard.data_page.set_location(subset)
    _wait(app, lambda: wizard.data_page.survey is not None and not wizard.data_page.scanning())
    shot("data")
    wizard.next()
    page = wizard.model_page
    page.backbone.setCurrentIndex(page.backbone.findData("small_cnn"))
    page.input_size.setValue(args.size)
    page.epochs.setValue(args.epochs)
    page.batch_size.setValue(16)
    shot("model")
    wizard.next()
    wizard.train_page.start()
    _wait(app, wizard.train_page.isComplete)
    shot("train")
    wizard.next()
    _wait(app, wizard.evaluate_page.isComplete)
    shot("evaluate")
    wizard.next()
    wizard.register_page.name.setText("Pneumonia — small CNN 64 px (wizard demo)")
    wizard.register_page.notes.setPlainText(f"Screenshot run on {args.per_class} images per class.")
    wizard.register_page.make_active.setChecked(True)
    wizard.register_page.register()
    _wait(app, wizard.register_page.isComplete)
    shot("register")
    assert wizard.currentId() == PageId.REGISTER
    wizard.done(1)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
