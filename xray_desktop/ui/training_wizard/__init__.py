"""Tools → Train a model…: a QWizard over the training core (see wizard.py), and its hook into the main window."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from xray_desktop.models.backend import TRAINING_NEEDS_FULL_INSTALL
from xray_desktop.progress import Progress


@dataclass
class ReloadRegistryJob:
    """Model-thread job: re-read the registry so a newly registered or activated model is used from now on."""

    kind = "reload_registry"

    def run(self, engine: Any, progress: Progress) -> Any:
        from xray_desktop.models.registry import Registry

        registry = Registry.load()
        engine.manager.set_registry(registry)
        return registry


def open_training_wizard(window: Any) -> Any:
    """Open the wizard beside a MainWindow (modeless); after a registration the window's models reload.

    `window` needs `session`, `models` (ui.worker.ModelThread), `error_sink` and `start_models()`.
    Raises NotAllowedError for a session without the train permission, and UsageError on the
    reading-station install (no TensorFlow): training needs the full install.
    """
    from xray_desktop.errors import UsageError
    from xray_desktop.models.backend import tensorflow_installed

    if not tensorflow_installed():
        raise UsageError(TRAINING_NEEDS_FULL_INSTALL)
    from PySide6.QtCore import Qt

    from xray_desktop.ui.training_wizard.wizard import TrainingWizard

    wizard = TrainingWizard(window.session, window, window.models)
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    wizard.modelRegistered.connect(partial(_reload_after_registration, window))
    wizard.show()
    return wizard


def _reload_after_registration(window: Any, _entry: Any) -> None:
    reload_window_models(window)


def reload_window_models(window: Any) -> None:
    """Queue a registry reload on the window's model thread, then warm the active models up again."""
    window.models.submit(ReloadRegistryJob(), on_failed=lambda exc: window.error_sink("Models not reloaded", exc))
    window.start_models()


__all__ = ["TRAINING_NEEDS_FULL_INSTALL", "ReloadRegistryJob", "open_training_wizard", "reload_window_models"]
