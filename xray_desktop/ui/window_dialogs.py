"""The Tools and Account entry points of the main window: each opens another part's dialog."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xray_desktop.ui.main_window import MainWindow


def open_models(window: MainWindow) -> None:
    """The dialog updates the model thread's registry itself; afterwards the new active models warm up."""
    from xray_desktop.ui.models_dialog import ModelsDialog

    dialog = ModelsDialog(window.session, window.models, window)
    changed: list[object] = []
    dialog.registryChanged.connect(changed.append)
    dialog.exec()
    if changed:
        window.forget_results()
        window.start_models()


def open_training(window: MainWindow) -> None:
    from xray_desktop.ui.training_wizard import open_training_wizard

    try:
        open_training_wizard(window)
    except Exception as exc:  # NotAllowedError and friends: one dialog
        window.error_sink("Train a model", exc)


def open_history(window: MainWindow) -> None:
    from xray_desktop.ui.history_dialog import HistoryDialog

    assert window.services is not None
    dialog = HistoryDialog(window.services.history, window.session, window)
    dialog.panel.open_requested.connect(window.open_path)
    dialog.exec()


def open_settings(window: MainWindow) -> None:
    from xray_desktop.ui.settings_dialog import SettingsDialog

    assert window.services is not None and window.services.settings is not None
    SettingsDialog(window.services.settings, window.session, window).exec()


def change_password(window: MainWindow) -> None:
    from xray_desktop.ui.change_password_dialog import run_change_password

    assert window.services is not None and window.services.auth is not None
    run_change_password(window.services.auth, window.session.username, window)


def open_users(window: MainWindow) -> None:
    from xray_desktop.services.users import UserAdmin
    from xray_desktop.ui.users_dialog import run_users_dialog

    assert window.services is not None and window.services.auth is not None
    auth = window.services.auth
    try:
        run_users_dialog(UserAdmin(auth.users), window.session, auth.key_warning, window)
    except Exception as exc:
        window.error_sink("Users", exc)
