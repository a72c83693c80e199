"""The administrator's user panel: list accounts, add, disable/enable, reset a password, change a role, unlock.

Every action goes through `UserAdmin`, which checks the manage_users permission and writes the
audit log; this dialog only gathers input and shows refusals inline. It also shows the warning
when the data key is kept in a key file because no OS keyring exists.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from xray_desktop.errors import UsageError, XRayError
from xray_desktop.security.permissions import Role
from xray_desktop.security.users import UserInfo
from xray_desktop.services.session import Session
from xray_desktop.services.users import UserAdmin
from xray_desktop.ui.change_password_dialog import message_label, password_field, policy_label, show_message

COLUMNS = ("User", "Role", "State", "Last login")


def describe_state(user: UserInfo, now: float | None = None) -> str:
    now = time.time() if now is None else now
    parts = ["disabled" if user.disabled else "active"]
    if user.is_locked(now) and user.locked_until is not None:
        parts.append("locked until " + time.strftime("%H:%M", time.localtime(user.locked_until)))
    if user.must_change_password:
        parts.append("must change password")
    return ", ".join(parts)


class TemporaryPasswordDialog(QDialog):
    """A temporary password typed twice; with `ask_user` also the new account's name and role."""

    def __init__(self, parent: QWidget | None = None, *, title: str, ask_user: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.username = QLineEdit(self) if ask_user else None
        self.role = QComboBox(self) if ask_user else None
        if self.role is not None:
            for role in Role:
                self.role.addItem(role.value, role)
            self.role.setCurrentIndex(list(Role).index(Role.STUDENT))
        self.password = password_field(self)
        self.confirm = password_field(self)
        self.error = message_label(self)
        form = QFormLayout()
        if self.username is not None and self.role is not None:
            form.addRow("User name:", self.username)
            form.addRow("Role:", self.role)
        form.addRow("Temporary password:", self.password)
        form.addRow("Temporary password again:", self.confirm)
        note = QLabel("The user must choose a new password at the next login.", self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(policy_label(self))
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _check(self) -> None:
        if self.password.text() != self.confirm.text():
            show_message(self.error, "the two passwords differ")
            self.confirm.clear()
            return
        self.accept()

    def values(self) -> tuple[str, Role | None, str]:
        """(user name or '', role or None, temporary password)."""
        if self.password.text() != self.confirm.text():
            raise UsageError("the two passwords differ")
        name = self.username.text() if self.username is not None else ""
        role = self.role.currentData() if self.role is not None else None
        return name, role, self.password.text()


class UsersDialog(QDialog):
    """Admin panel; pass the services in. Refusals (policy, last admin, permission) appear in `message`."""

    def __init__(
        self, admin: UserAdmin, session: Session, key_warning: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Users")
        self.resize(640, 420)
        self.admin = admin
        self.session = session

        self.key_warning = QLabel(key_warning or "", self)
        self.key_warning.setWordWrap(True)
        self.key_warning.setStyleSheet("color: #b26a00;")
        self.key_warning.setVisible(bool(key_warning))

        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.table.itemSelectionChanged.connect(self._selection_changed)

        self.add_button = QPushButton("Add user…", self)
        self.toggle_button = QPushButton("Disable", self)
        self.reset_button = QPushButton("Reset password…", self)
        self.unlock_button = QPushButton("Unlock", self)
        self.role_box = QComboBox(self)
        for role in Role:
            self.role_box.addItem(role.value, role)
        self.role_button = QPushButton("Set role", self)
        self.add_button.clicked.connect(self._ask_add)
        self.toggle_button.clicked.connect(self._toggle_selected)
        self.reset_button.clicked.connect(self._ask_reset)
        self.unlock_button.clicked.connect(lambda: self._act(lambda u: self.admin.unlock(self.session, u)))
        self.role_button.clicked.connect(lambda: self.set_role(self.selected_user(), self.role_box.currentData()))

        self.message = message_label(self)
        row = QHBoxLayout()
        for widget in (self.add_button, self.toggle_button, self.reset_button, self.unlock_button):
            row.addWidget(widget)
        row.addStretch(1)
        row.addWidget(QLabel("Role:", self))
        row.addWidget(self.role_box)
        row.addWidget(self.role_button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.key_warning)
        layout.addWidget(self.table)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(close)
        self.refresh()

    # -- the list -----------------------------------------------------------------------------

    def refresh(self) -> None:
        selected = self.selected_user()
        try:
            users = self.admin.list_users(self.session)
        except XRayError as exc:
            show_message(self.message, str(exc))
            users = []
        self._users = {u.username: u for u in users}
        self.table.setRowCount(len(users))
        for row, user in enumerate(users):
            cells = (user.username, user.role.value, describe_state(user), user.last_login or "never")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, user.username)
                self.table.setItem(row, column, item)
            if user.username == selected:
                self.table.selectRow(row)
        self._selection_changed()

    def select_user(self, username: str) -> None:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.text() == username:
                self.table.selectRow(row)
                return

    def selected_user(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _selection_changed(self) -> None:
        user = self._users.get(self.selected_user() or "")
        for widget in (self.toggle_button, self.reset_button, self.unlock_button, self.role_button, self.role_box):
            widget.setEnabled(user is not None)
        if user is not None:
            self.toggle_button.setText("Enable" if user.disabled else "Disable")
            self.role_box.setCurrentIndex(list(Role).index(user.role))

    # -- actions (callable directly; the buttons gather input and call these) -------------------

    def _act(self, action: Callable[[str], object], username: str | None = None) -> bool:
        username = username or self.selected_user()
        if not username:
            show_message(self.message, "select a user first")
            return False
        try:
            action(username)
        except XRayError as exc:
            show_message(self.message, str(exc))
            return False
        show_message(self.message, "")
        self.refresh()
        self.select_user(username)
        return True

    def add_user(self, username: str, role: Role, temporary_password: str) -> bool:
        try:
            info = self.admin.add_user(self.session, username, temporary_password, role)
        except XRayError as exc:
            show_message(self.message, str(exc))
            return False
        show_message(self.message, "")
        self.refresh()
        self.select_user(info.username)
        return True

    def set_disabled(self, username: str | None, disabled: bool) -> bool:
        return self._act(lambda u: self.admin.set_disabled(self.session, u, disabled), username)

    def reset_password(self, username: str | None, temporary_password: str) -> bool:
        return self._act(lambda u: self.admin.reset_password(self.session, u, temporary_password), username)

    def set_role(self, username: str | None, role: Role) -> bool:
        return self._act(lambda u: self.admin.set_role(self.session, u, role), username)

    def _toggle_selected(self) -> None:
        user = self._users.get(self.selected_user() or "")
        if user is not None:
            self.set_disabled(user.username, not user.disabled)

    def _ask_add(self) -> None:
        dialog = TemporaryPasswordDialog(self, title="Add user", ask_user=True)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            name, role, password = dialog.values()
            self.add_user(name, role or Role.STUDENT, password)

    def _ask_reset(self) -> None:
        username = self.selected_user()
        if not username:
            return
        dialog = TemporaryPasswordDialog(self, title=f"Reset the password of {username}")
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.reset_password(username, dialog.values()[2])


def run_users_dialog(
    admin: UserAdmin, session: Session, key_warning: str | None = None, parent: QWidget | None = None
) -> None:
    """'Users…' menu action (admins); changes are saved as they are made."""
    UsersDialog(admin, session, key_warning, parent).exec()
