"""The window's menus and toolbar, including the Tools and Account entry points to other parts' dialogs.

Kept apart from main_window.py so the window module stays about viewing and
analysing. Every entry checks the session's permission itself as well (the
services check again), and entries whose service is absent are not shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from xray_desktop.security.permissions import Permission
from xray_desktop.ui.body_part import BODY_PART_CHOICES, BODY_PART_SHORTCUTS
from xray_desktop.ui.display import WINDOW_PRESETS

if TYPE_CHECKING:
    from xray_desktop.ui.main_window import MainWindow


def build_main_menus(window: MainWindow) -> None:
    """File, Samples, View, Tools, Account and Help, plus the toolbar; every frequent action has a shortcut."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    window.open_action = window._action(file_menu, "&Open image…", window.choose_file, [QKeySequence.StandardKey.Open])
    window.batch_action = window._action(file_menu, "Open &folder (batch)…", window.choose_folder, ["Ctrl+Shift+O"])
    window.batch_action.setEnabled(window.session.can(Permission.BATCH))
    window.recent_menu = file_menu.addMenu("&Recent files")
    window._rebuild_recent()
    file_menu.addSeparator()
    window.report_action = window._action(file_menu, "&Export PDF report…", window.export_report, ["Ctrl+E"])
    window.report_action.setEnabled(False)
    file_menu.addSeparator()
    window._action(file_menu, "&Quit", window.close, [QKeySequence.StandardKey.Quit])

    window.samples_menu = bar.addMenu("&Samples")
    fill_samples_menu(window, teaching=False)

    view = bar.addMenu("&View")
    window.fit_action = window._action(view, "&Fit to window", window.viewer.fit, ["F"])
    window.actual_action = window._action(view, "&Actual size (1:1)", window.viewer.actual_size, ["1"])
    window._action(view, "Zoom &in", lambda: window.viewer.zoom_by(1.25), ["+", "=", QKeySequence.StandardKey.ZoomIn])
    window._action(view, "Zoom &out", lambda: window.viewer.zoom_by(0.8), ["-", QKeySequence.StandardKey.ZoomOut])
    view.addSeparator()
    window.invert_action = window._action(view, "&Invert", window.viewer.toggle_invert, ["I"])
    window.reset_action = window._action(view, "&Reset window/level", window.viewer.reset_window, ["R"])
    presets = view.addMenu("Window &presets")
    for index, name in enumerate(WINDOW_PRESETS, start=2):
        window._action(presets, name, lambda _=False, n=name: window.viewer.apply_preset(n), [str(index)])
    window.info_action = window._action(view, "Image &info overlay", window.viewer.set_info_visible, ["O"], True)
    window.info_action.setChecked(True)
    view.addSeparator()
    window.map_action = window._action(view, "Show &heatmap", window.heatmap.show_map.setChecked, ["H"], True)
    window.map_action.setChecked(True)
    window.heatmap.show_map.toggled.connect(window.map_action.setChecked)
    window.boxes_action = window._action(view, "Fracture &boxes", window.heatmap.show_boxes.setChecked, ["B"], True)
    window.boxes_action.setChecked(True)
    window.heatmap.show_boxes.toggled.connect(window.boxes_action.setChecked)
    window._action(view, "Opacity up", lambda: window._nudge_opacity(10), ["]"])
    window._action(view, "Opacity down", lambda: window._nudge_opacity(-10), ["["])
    view.addSeparator()
    build_body_part_menu(window, view.addMenu("&Body part"))
    view.addSeparator()
    window._action(view, "&Next case", lambda: window._step_case(1), ["PgDown", "N"])
    window._action(view, "&Previous case", lambda: window._step_case(-1), ["PgUp", "P"])
    view.addSeparator()
    window.teaching_action = window._action(view, "&Teaching mode", window.set_teaching, ["Ctrl+T"], True)
    window.reveal_action = window._action(view, "Re&veal AI answer", window.reveal, ["Space"])
    window.dark_action = window._action(view, "&Dark theme", window.set_dark, ["Ctrl+D"], True)
    window.dark_action.setChecked(window._theme == "dark")

    build_tools_menu(window, bar.addMenu("&Tools"))
    build_account_menu(window, bar.addMenu("&Account"))

    help_menu = bar.addMenu("&Help")
    window._action(help_menu, "&About XRay Desktop", window.show_about, ["F1"])
    build_toolbar(window)


def build_body_part_menu(window: MainWindow, menu: QMenu) -> None:
    """One checkable entry per choice; the results panel's combo shows the same choice."""
    group = QActionGroup(window)
    group.setExclusive(True)
    window.body_part_actions = {}
    for value, label in BODY_PART_CHOICES.items():
        action = window._action(
            menu, label, lambda _=False, v=value: window.set_body_part(v), [BODY_PART_SHORTCUTS[value]]
        )
        action.setCheckable(True)
        action.setChecked(value == window.body_part())
        group.addAction(action)
        window.body_part_actions[value] = action


def build_toolbar(window: MainWindow) -> None:
    """The frequent actions, one click away (their shortcuts are in the tooltips)."""
    tools = window.addToolBar("Main")
    tools.setObjectName("mainToolbar")
    tools.setMovable(False)
    tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    groups = (
        (window.open_action, window.batch_action),
        (window.fit_action, window.actual_action, window.invert_action, window.reset_action),
        (window.map_action, window.teaching_action, window.reveal_action),
        (window.report_action,),
    )
    short = {
        window.open_action: "Open",
        window.batch_action: "Batch",
        window.fit_action: "Fit",
        window.actual_action: "1:1",
        window.invert_action: "Invert",
        window.reset_action: "Reset W/L",
        window.map_action: "Heatmap",
        window.teaching_action: "Teaching",
        window.reveal_action: "Reveal",
        window.report_action: "Report",
    }
    for index, group in enumerate(groups):
        if index:
            tools.addSeparator()
        for action in group:
            action.setIconText(short[action])
            keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
            action.setToolTip(f"{action.text().replace('&', '')} ({keys})" if keys else action.text())
            tools.addAction(action)


def fill_samples_menu(window: MainWindow, teaching: bool) -> None:
    window.samples_menu.clear()
    for part in sorted({c.body_part for c in window.samples}):
        sub = window.samples_menu.addMenu(part.title())
        for case in (c for c in window.samples if c.body_part == part):
            action = sub.addAction(case.menu_title(teaching))
            action.triggered.connect(lambda _=False, p=case.path: window.open_path(p))
    if not window.samples:
        window.samples_menu.addAction("No sample cases installed").setEnabled(False)


def build_tools_menu(window: MainWindow, menu: QMenu) -> None:
    window.models_action = window._action(menu, "&Models…", lambda: open_models(window), ["Ctrl+M"])
    window.train_action = window._action(menu, "&Train a model…", lambda: open_training(window), ["Ctrl+Shift+T"])
    services = window.services
    if services is not None and services.history is not None:
        window._action(menu, "&History…", lambda: open_history(window), ["Ctrl+H"])
    if services is not None and services.settings is not None:
        menu.addSeparator()
        window._action(menu, "&Settings…", lambda: open_settings(window), ["Ctrl+,"])


def build_account_menu(window: MainWindow, menu: QMenu) -> None:
    services = window.services
    if services is None or services.auth is None:
        menu.addAction("Not logged in (running as the operating-system account)").setEnabled(False)
        return
    window._action(menu, "&Change password…", lambda: change_password(window))
    window.users_action = window._action(menu, "&Users…", lambda: open_users(window))
    menu.addSeparator()
    window._action(menu, "&Lock", window.lock_session, ["Ctrl+L"])
    window._action(menu, "Log &out…", window.log_out)


def refresh_permissions(window: MainWindow) -> None:
    """Enable the entries the current role may use (after a login as someone else)."""
    session = window.session
    window.batch_action.setEnabled(session.can(Permission.BATCH))
    window.train_action.setEnabled(session.can(Permission.TRAIN))
    users_action = getattr(window, "users_action", None)
    if users_action is not None:
        users_action.setVisible(session.can(Permission.MANAGE_USERS))


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

    dialog = HistoryDialog(window.services.history, window.session, window)
    dialog.panel.open_requested.connect(window.open_path)
    dialog.exec()


def open_settings(window: MainWindow) -> None:
    from xray_desktop.ui.settings_dialog import SettingsDialog

    SettingsDialog(window.services.settings, window.session, window).exec()


def change_password(window: MainWindow) -> None:
    from xray_desktop.ui.change_password_dialog import run_change_password

    run_change_password(window.services.auth, window.session.username, window)


def open_users(window: MainWindow) -> None:
    from xray_desktop.services.users import UserAdmin
    from xray_desktop.ui.users_dialog import run_users_dialog

    auth = window.services.auth
    try:
        run_users_dialog(UserAdmin(auth.users), window.session, auth.key_warning, window)
    except Exception as exc:
        window.error_sink("Users", exc)
