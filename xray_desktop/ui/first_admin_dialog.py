"""First start: there are no accounts and no default password, so the first person creates the administrator."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from xray_desktop.errors import UsageError, XRayError
from xray_desktop.services.auth import AuthService
from xray_desktop.services.session import Session
from xray_desktop.ui.change_password_dialog import (
    keep_fitting,
    message_label,
    ok_cancel_buttons,
    password_field,
    policy_label,
    show_message,
)


class FirstAdminDialog(QDialog):
    """`exec()` then read `session`: the new administrator, logged in (None when cancelled)."""

    def __init__(self, auth: AuthService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("XRay Desktop — create the administrator")
        self.auth = auth
        self.session: Session | None = None
        intro = QLabel(
            "No user accounts exist yet. Create the administrator account: it manages users, models and "
            "settings. There is no default account or password.",
            self,
        )
        intro.setWordWrap(True)
        self.username = QLineEdit(self)
        self.password = password_field(self)
        self.confirm = password_field(self)
        self.error = message_label(self)
        self.key_warning = QLabel(auth.key_warning or "", self)
        self.key_warning.setWordWrap(True)
        self.key_warning.setStyleSheet("color: #b26a00;")
        self.key_warning.setVisible(bool(auth.key_warning))
        form = QFormLayout()
        form.addRow("Administrator user name:", self.username)
        form.addRow("Password:", self.password)
        form.addRow("Password again:", self.confirm)
        buttons, self.create_button = ok_cancel_buttons(self, "Create administrator", self.submit, self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(policy_label(self))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.key_warning)
        layout.addWidget(buttons)
        keep_fitting(self)
        self.username.setFocus()

    def submit(self) -> bool:
        try:
            if self.password.text() != self.confirm.text():
                raise UsageError("the two passwords differ")
            self.session = self.auth.create_first_admin(self.username.text(), self.password.text())
        except XRayError as exc:
            show_message(self.error, str(exc))
            self.password.clear()
            self.confirm.clear()
            self.password.setFocus()
            return False
        self.password.clear()
        self.confirm.clear()
        self.accept()
        return True


def run_first_admin(auth: AuthService, parent: QWidget | None = None) -> Session | None:
    """Show the first-administrator dialog modally; the new admin's Session, or None when cancelled."""
    dialog = FirstAdminDialog(auth, parent)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    return dialog.session if accepted else None
