"""Commands as data: one table of (name, text, shortcut, permission, handler) builds the QActions.

napari's app-model idea, kept small: the window declares each command once as an `ActionSpec`;
`ActionTable` turns the specs into QActions, puts them in menus and the toolbar by name, and
enables them by the session's permissions. Controllers own the handlers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar, QWidget

from xray_desktop.security.permissions import Permission
from xray_desktop.services.session import Session

Shortcut = str | QKeySequence.StandardKey


@dataclass(frozen=True)
class ActionSpec:
    """One command. `toolbar` is its short label when it sits on the toolbar; `checkable` handlers get the state.

    Without `permission` the entry is disabled; with `hide_without_permission` it is hidden instead.
    """

    name: str
    text: str
    handler: Callable[..., object]
    shortcuts: tuple[Shortcut, ...] = ()
    permission: Permission | None = None
    checkable: bool = False
    checked: bool = False
    toolbar: str | None = None
    hide_without_permission: bool = False


class ActionTable:
    """The QActions of one window, by name, built from specs in one place."""

    def __init__(self, owner: QWidget, specs: Iterable[ActionSpec]) -> None:
        self.owner = owner
        self.specs: dict[str, ActionSpec] = {}
        self.actions: dict[str, QAction] = {}
        for spec in specs:
            self.add(spec)

    def add(self, spec: ActionSpec) -> QAction:
        if spec.name in self.specs:
            raise ValueError(f"action {spec.name!r} is declared twice")
        action = QAction(spec.text, self.owner)
        if spec.shortcuts:
            action.setShortcuts([QKeySequence(s) for s in spec.shortcuts])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setCheckable(spec.checkable)
        if spec.checkable:
            action.setChecked(spec.checked)
            action.toggled.connect(spec.handler)
        else:
            action.triggered.connect(lambda _checked=False, handler=spec.handler: handler())
        self.owner.addAction(action)  # shortcuts work even for entries not in a visible menu
        self.specs[spec.name] = spec
        self.actions[spec.name] = action
        return action

    def __getitem__(self, name: str) -> QAction:
        return self.actions[name]

    def __contains__(self, name: str) -> bool:
        return name in self.actions

    def fill(self, menu: QMenu, names: Sequence[str | None]) -> None:
        """Add the named actions to `menu` in order; None is a separator. Unknown names are skipped."""
        for name in names:
            if name is None:
                menu.addSeparator()
            elif name in self.actions:
                menu.addAction(self.actions[name])

    def fill_toolbar(self, toolbar: QToolBar, groups: Sequence[Sequence[str]]) -> None:
        """Groups of actions separated on the toolbar; each shows its short label, its shortcuts in the tooltip."""
        for index, group in enumerate(groups):
            if index:
                toolbar.addSeparator()
            for name in group:
                action, spec = self.actions[name], self.specs[name]
                action.setIconText(spec.toolbar or spec.text.replace("&", ""))
                keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
                text = action.text().replace("&", "")
                action.setToolTip(f"{text} ({keys})" if keys else text)
                toolbar.addAction(action)

    def refresh(self, session: Session) -> None:
        """Enable exactly the actions the session's role may use."""
        for name, spec in self.specs.items():
            if spec.permission is None:
                continue
            allowed = session.can(spec.permission)
            if spec.hide_without_permission:
                self.actions[name].setVisible(allowed)
            else:
                self.actions[name].setEnabled(allowed)
