"""The main window's commands, declared once as a table, and the menus and toolbar built from it.

Every entry names the permission it needs (the services check again); entries whose service is
absent (no login, no history, no settings) are simply not declared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QActionGroup, QKeySequence

from xray_desktop.security.permissions import Permission
from xray_desktop.ui import window_dialogs as dialogs
from xray_desktop.ui.actions import ActionSpec, ActionTable
from xray_desktop.ui.body_part import BODY_PART_CHOICES, BODY_PART_SHORTCUTS
from xray_desktop.ui.display import WINDOW_PRESETS

if TYPE_CHECKING:
    from xray_desktop.ui.main_window import MainWindow

Key = QKeySequence.StandardKey


def window_actions(w: MainWindow) -> list[ActionSpec]:
    """The table: (name, text, handler, shortcuts, permission, ...) for every command of the window."""
    viewer, heatmap, cases, analysis, account = w.viewer, w.heatmap, w.cases, w.analysis, w.account
    services = w.services
    specs = [
        ActionSpec("open", "&Open image…", cases.choose_file, (Key.Open,), toolbar="Open"),
        ActionSpec(
            "batch", "Open &folder (batch)…", cases.choose_folder, ("Ctrl+Shift+O",), Permission.BATCH, toolbar="Batch"
        ),
        ActionSpec(
            "report", "&Export PDF report…", analysis.export_report, ("Ctrl+E",), Permission.REPORT, toolbar="Report"
        ),
        ActionSpec(
            "report_patient",
            "Export PDF report with &patient fields…",
            lambda: analysis.export_report(include_patient_data=True),
            ("Ctrl+Shift+E",),
            Permission.REPORT_PATIENT_DATA,
            hide_without_permission=True,
        ),
        ActionSpec("quit", "&Quit", w.close, (Key.Quit,)),
        ActionSpec("fit", "&Fit to window", viewer.fit, ("F",), toolbar="Fit"),
        ActionSpec("actual", "&Actual size (1:1)", viewer.actual_size, ("1",), toolbar="1:1"),
        ActionSpec("zoom_in", "Zoom &in", lambda: viewer.zoom_by(1.25), ("+", "=", Key.ZoomIn)),
        ActionSpec("zoom_out", "Zoom &out", lambda: viewer.zoom_by(0.8), ("-", Key.ZoomOut)),
        ActionSpec("invert", "&Invert", viewer.toggle_invert, ("I",), toolbar="Invert"),
        ActionSpec("reset", "&Reset window/level", viewer.reset_window, ("R",), toolbar="Reset W/L"),
        ActionSpec("info", "Image &info overlay", viewer.set_info_visible, ("O",), checkable=True, checked=True),
        ActionSpec(
            "map", "Show &heatmap", heatmap.show_map.setChecked, ("H",), checkable=True, checked=True, toolbar="Heatmap"
        ),
        ActionSpec("boxes", "Fracture &boxes", heatmap.show_boxes.setChecked, ("B",), checkable=True, checked=True),
        ActionSpec("opacity_up", "Opacity up", lambda: analysis.nudge_opacity(10), ("]",)),
        ActionSpec("opacity_down", "Opacity down", lambda: analysis.nudge_opacity(-10), ("[",)),
        ActionSpec("next_case", "&Next case", lambda: cases.step(1), ("PgDown", "N")),
        ActionSpec("previous_case", "&Previous case", lambda: cases.step(-1), ("PgUp", "P")),
        ActionSpec(
            "teaching", "&Teaching mode", analysis.set_teaching, ("Ctrl+T",), checkable=True, toolbar="Teaching"
        ),
        ActionSpec("reveal", "Re&veal AI answer", analysis.reveal, ("Space",), toolbar="Reveal"),
        ActionSpec("dark", "&Dark theme", w.set_dark, ("Ctrl+D",), checkable=True, checked=w.theme == "dark"),
        ActionSpec("models", "&Models…", lambda: dialogs.open_models(w), ("Ctrl+M",)),
        ActionSpec("train", "&Train a model…", lambda: dialogs.open_training(w), ("Ctrl+Shift+T",), Permission.TRAIN),
        ActionSpec("about", "&About XRay Desktop", w.show_about, ("F1",)),
    ]
    specs += [
        ActionSpec(f"preset:{name}", name, lambda n=name: viewer.apply_preset(n), (str(index),))
        for index, name in enumerate(WINDOW_PRESETS, start=2)
    ]
    specs += [
        ActionSpec(
            f"body_part:{value}",
            label,
            lambda v=value: analysis.set_body_part(v),
            (BODY_PART_SHORTCUTS[value],),
            checkable=False,
        )
        for value, label in BODY_PART_CHOICES.items()
    ]
    if services is not None and services.history is not None:
        specs.append(ActionSpec("history", "&History…", lambda: dialogs.open_history(w), ("Ctrl+H",)))
    if services is not None and services.settings is not None:
        specs.append(ActionSpec("settings", "&Settings…", lambda: dialogs.open_settings(w), ("Ctrl+,",)))
    if services is not None and services.auth is not None:
        specs += [
            ActionSpec("change_password", "&Change password…", lambda: dialogs.change_password(w)),
            ActionSpec(
                "users",
                "&Users…",
                lambda: dialogs.open_users(w),
                (),
                Permission.MANAGE_USERS,
                hide_without_permission=True,
            ),
            ActionSpec("lock", "&Lock", account.lock_session, ("Ctrl+L",)),
            ActionSpec("log_out", "Log &out…", account.log_out),
        ]
    return specs


TOOLBAR = (("open", "batch"), ("fit", "actual", "invert", "reset"), ("map", "teaching", "reveal"), ("report",))


def build_menus(w: MainWindow, table: ActionTable) -> None:
    """File, Samples, View, Tools, Account and Help, plus the toolbar."""
    bar = w.menuBar()
    file_menu = bar.addMenu("&File")
    table.fill(file_menu, ["open", "batch"])
    w.recent_menu = file_menu.addMenu("&Recent files")
    table.fill(file_menu, [None, "report", "report_patient", None, "quit"])
    w.samples_menu = bar.addMenu("&Samples")

    view = bar.addMenu("&View")
    table.fill(view, ["fit", "actual", "zoom_in", "zoom_out", None, "invert", "reset"])
    table.fill(view.addMenu("Window &presets"), [f"preset:{name}" for name in WINDOW_PRESETS])
    table.fill(view, ["info", None, "map", "boxes", "opacity_up", "opacity_down", None])
    body_part = view.addMenu("&Body part")
    group = QActionGroup(w)
    group.setExclusive(True)
    for value in BODY_PART_CHOICES:
        action = table[f"body_part:{value}"]
        action.setCheckable(True)
        action.setChecked(value == w.analysis.body_part)
        group.addAction(action)
        body_part.addAction(action)
    table.fill(view, [None, "next_case", "previous_case", None, "teaching", "reveal", "dark"])

    table.fill(bar.addMenu("&Tools"), ["models", "train", "history", None, "settings"])
    account = bar.addMenu("&Account")
    if "lock" in table:
        table.fill(account, ["change_password", "users", None, "lock", "log_out"])
    else:
        account.addAction("Not logged in (running as the operating-system account)").setEnabled(False)
    table.fill(bar.addMenu("&Help"), ["about"])

    toolbar = w.addToolBar("Main")
    toolbar.setObjectName("mainToolbar")
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    table.fill_toolbar(toolbar, TOOLBAR)
    w.heatmap.show_map.toggled.connect(table["map"].setChecked)
    w.heatmap.show_boxes.toggled.connect(table["boxes"].setChecked)


def fill_samples_menu(w: MainWindow) -> None:
    """The bundled cases by body part; in teaching mode the titles hide the answer."""
    menu = w.samples_menu
    menu.clear()
    for part in sorted({c.body_part for c in w.samples}):
        sub = menu.addMenu(part.title())
        for case in (c for c in w.samples if c.body_part == part):
            action = sub.addAction(case.menu_title(w.analysis.teaching))
            action.triggered.connect(lambda _=False, p=case.path: w.cases.open_path(p))
    if not w.samples:
        menu.addAction("No sample cases installed").setEnabled(False)
