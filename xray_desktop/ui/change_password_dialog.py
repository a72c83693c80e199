"""Changing one's own password: a form reused by the login dialog (forced change) and a stand-alone dialog."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from xray_desktop.errors import UsageError, XRayError
from xray_desktop.security.passwords import POLICY_TEXT
from xray_desktop.services.auth import AuthService


def password_field(parent: QWidget | None = None) -> QLineEdit:
    field = QLineEdit(parent)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


def message_label(parent: QWidget | None = None) -> QLabel:
    """An inline message under a form (errors in red), so a refusal never needs a second window."""
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setStyleSheet("color: #c62828;")
    label.hide()
    return label


def ok_cancel_buttons(
    parent: QWidget, ok_text: str, on_ok: Callable[[], object], on_cancel: Callable[[], object]
) -> tuple[QDialogButtonBox, QPushButton]:
    """OK (labelled with what it does) and Cancel, wired; the OK button is returned for tests and focus."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, parent)
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.setText(ok_text)
    buttons.accepted.connect(on_ok)
    buttons.rejected.connect(on_cancel)
    return buttons, ok


DIALOG_MIN_WIDTH = 460  # room for the policy text and a warning in a few lines, at the default font


def keep_fitting(dialog: QWidget) -> None:
    """The dialog never gets smaller than its content needs (a page switch or an error makes it grow).

    Without this a dialog keeps the size it was first shown at: wrapped text is clipped, and a newly
    shown message squeezes the fields above it to a few pixels or lies on top of the next label.
    """
    dialog.setMinimumWidth(DIALOG_MIN_WIDTH)
    layout = dialog.layout()
    if layout is not None:
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)


def refit(widget: QWidget) -> None:
    """Grow `widget`'s window to its content after a change; its width stays, its height follows."""
    window = widget.window()
    layout = window.layout()
    if layout is None:
        return
    layout.invalidate()
    layout.activate()
    width = max(window.width(), window.minimumWidth())
    needed = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else layout.totalSizeHint().height()
    if needed > window.height():
        window.resize(width, needed)


def show_message(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))
    refit(label)


def policy_label(parent: QWidget | None = None) -> QLabel:
    label = QLabel(POLICY_TEXT[0].upper() + POLICY_TEXT[1:] + ".", parent)
    label.setWordWrap(True)
    return label


class ChangePasswordForm(QWidget):
    """New password typed twice (and the current one when `ask_current`); the policy is stated up front."""

    def __init__(self, parent: QWidget | None = None, *, ask_current: bool = True) -> None:
        super().__init__(parent)
        self.current = password_field(self) if ask_current else None
        self.new = password_field(self)
        self.confirm = password_field(self)
        self.error = message_label(self)
        form = QFormLayout()
        if self.current is not None:
            form.addRow("Current password:", self.current)
        form.addRow("New password:", self.new)
        form.addRow("New password again:", self.confirm)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(policy_label(self))
        layout.addLayout(form)
        layout.addWidget(self.error)

    def new_password(self) -> str:
        """The new password, or UsageError when the two entries differ."""
        if self.new.text() != self.confirm.text():
            raise UsageError("the two new passwords differ")
        return self.new.text()

    def clear(self) -> None:
        for field in (self.current, self.new, self.confirm):
            if field is not None:
                field.clear()


class ChangePasswordDialog(QDialog):
    """'Change password…' for the logged-in user; `changed` tells whether it happened."""

    def __init__(self, auth: AuthService, username: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Change password — {username}")
        self.auth = auth
        self.username = username
        self.changed = False
        self.form = ChangePasswordForm(self, ask_current=True)
        buttons, _ok = ok_cancel_buttons(self, "Change password", self.submit, self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"User: <b>{username}</b>", self))
        layout.addWidget(self.form)
        layout.addWidget(buttons)
        keep_fitting(self)

    def submit(self) -> bool:
        assert self.form.current is not None
        try:
            new = self.form.new_password()
            self.auth.change_password(self.username, self.form.current.text(), new)
        except XRayError as exc:
            show_message(self.form.error, str(exc))
            self.form.clear()
            (self.form.current or self.form.new).setFocus()
            return False
        self.form.clear()
        self.changed = True
        self.accept()
        return True


def run_change_password(auth: AuthService, username: str, parent: QWidget | None = None) -> bool:
    """'Change password…' menu action: True when the password was changed."""
    dialog = ChangePasswordDialog(auth, username, parent)
    dialog.exec()
    return dialog.changed
