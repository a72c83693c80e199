"""The login, first-administrator, change-password and users dialogs, driven with pytest-qt on real services."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from conftest import TEST_ADMIN
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from xray_desktop.security.passwords import ScryptParams
from xray_desktop.security.permissions import Role
from xray_desktop.security.users import PasswordChangeRequired
from xray_desktop.services.auth import AuthService
from xray_desktop.services.session import Session
from xray_desktop.services.users import UserAdmin
from xray_desktop.ui.change_password_dialog import ChangePasswordDialog
from xray_desktop.ui.first_admin_dialog import FirstAdminDialog
from xray_desktop.ui.login_dialog import CHANGE_PAGE, LoginDialog
from xray_desktop.ui.users_dialog import TemporaryPasswordDialog, UsersDialog


def type_into(qtbot, widget, text: str) -> None:
    widget.clear()
    qtbot.keyClicks(widget, text)


def test_first_admin_dialog_creates_the_admin(qtbot, auth_service: AuthService) -> None:
    dialog = FirstAdminDialog(auth_service)
    qtbot.addWidget(dialog)
    type_into(qtbot, dialog.username, "chief")
    type_into(qtbot, dialog.password, "Weak")
    type_into(qtbot, dialog.confirm, "Weak")
    assert not dialog.submit()
    assert "at least 10 characters" in dialog.error.text() and auth_service.needs_first_admin()
    type_into(qtbot, dialog.password, "Secure-pass-2024")
    type_into(qtbot, dialog.confirm, "Secure-pass-2025")
    assert not dialog.submit() and "differ" in dialog.error.text()
    type_into(qtbot, dialog.password, "Secure-pass-2024")
    type_into(qtbot, dialog.confirm, "Secure-pass-2024")
    dialog.create_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.session is not None and dialog.session.role is Role.ADMIN
    assert not auth_service.needs_first_admin()


def test_first_admin_dialog_shows_the_no_keyring_warning(qtbot, isolated_home: Path) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    dialog = FirstAdminDialog(AuthService.open(isolated_home, params=ScryptParams(n=2**8)))
    qtbot.addWidget(dialog)
    assert not dialog.key_warning.isHidden() and "data.key" in dialog.key_warning.text()


def test_login_dialog_reports_the_reason_and_returns_a_session(
    qtbot, auth_service: AuthService, admin_session: Session
) -> None:
    dialog = LoginDialog(auth_service)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    type_into(qtbot, dialog.username, "admin")
    type_into(qtbot, dialog.password, "Wrong-password-1")
    assert not dialog.submit()
    assert "wrong password" in dialog.error.text() and dialog.password.text() == ""
    type_into(qtbot, dialog.password, TEST_ADMIN[1])
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.session is not None and dialog.session.username == "admin"
    assert dialog.session.audit is auth_service.audit


def test_login_dialog_shows_the_lockout_time(qtbot, auth_service: AuthService, admin_session: Session) -> None:
    dialog = LoginDialog(auth_service, username="admin", fixed_user=True, notice="Locked after 10 minutes idle")
    qtbot.addWidget(dialog)
    assert dialog.username.isReadOnly() and not dialog.notice.isHidden()
    for _ in range(5):
        type_into(qtbot, dialog.password, "Wrong-password-1")
        dialog.submit()
    assert "locked until" in dialog.error.text() and dialog.session is None


def test_login_dialog_forces_a_password_change_after_reset(
    qtbot, auth_service: AuthService, admin_session: Session
) -> None:
    UserAdmin(auth_service.users).add_user(admin_session, "dr.kim", "Temporary-pass-1", Role.DOCTOR)
    dialog = LoginDialog(auth_service)
    qtbot.addWidget(dialog)
    type_into(qtbot, dialog.username, "dr.kim")
    type_into(qtbot, dialog.password, "Temporary-pass-1")
    assert not dialog.submit()
    assert dialog.pages.currentIndex() == CHANGE_PAGE and dialog.session is None
    type_into(qtbot, dialog.change_form.new, "Temporary-pass-1")
    type_into(qtbot, dialog.change_form.confirm, "Temporary-pass-1")
    assert not dialog.submit_change() and "differ from the current" in dialog.change_form.error.text()
    type_into(qtbot, dialog.change_form.new, "Kim-own-pass-88")
    type_into(qtbot, dialog.change_form.confirm, "Kim-own-pass-88")
    dialog.change_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.session is not None and dialog.session.role is Role.DOCTOR
    assert auth_service.login("dr.kim", "Kim-own-pass-88").username == "dr.kim"


def test_change_password_dialog(qtbot, auth_service: AuthService, admin_session: Session) -> None:
    dialog = ChangePasswordDialog(auth_service, "admin")
    qtbot.addWidget(dialog)
    type_into(qtbot, dialog.form.current, "Wrong-password-1")
    type_into(qtbot, dialog.form.new, "Brand-new-pass-5")
    type_into(qtbot, dialog.form.confirm, "Brand-new-pass-5")
    assert not dialog.submit() and "wrong password" in dialog.form.error.text()
    type_into(qtbot, dialog.form.current, TEST_ADMIN[1])
    type_into(qtbot, dialog.form.new, "Brand-new-pass-5")
    type_into(qtbot, dialog.form.confirm, "Brand-new-pass-5")
    assert dialog.submit() and dialog.changed
    assert auth_service.login("admin", "Brand-new-pass-5").role is Role.ADMIN


@pytest.fixture
def users_dialog(qtbot, auth_service: AuthService, admin_session: Session) -> UsersDialog:
    dialog = UsersDialog(UserAdmin(auth_service.users), admin_session, key_warning=None)
    qtbot.addWidget(dialog)
    return dialog


def test_users_dialog_lists_adds_disables_resets_and_changes_roles(
    users_dialog: UsersDialog, auth_service: AuthService
) -> None:
    assert users_dialog.table.rowCount() == 1 and users_dialog.key_warning.isHidden()
    assert users_dialog.add_user("student1", Role.STUDENT, "Temporary-pass-1")
    assert users_dialog.table.rowCount() == 2 and users_dialog.selected_user() == "student1"
    state = users_dialog.table.item(1, 2).text()
    assert "active" in state and "must change password" in state

    assert users_dialog.set_role("student1", Role.DOCTOR)
    assert auth_service.users.get("student1").role is Role.DOCTOR
    assert users_dialog.set_disabled("student1", True)
    assert users_dialog.toggle_button.text() == "Enable"
    assert "disabled" in users_dialog.table.item(1, 2).text()
    users_dialog.toggle_button.click()
    assert not auth_service.users.get("student1").disabled
    assert users_dialog.reset_password("student1", "Temporary-pass-2")
    assert auth_service.users.get("student1").must_change_password


def test_users_dialog_shows_refusals_inline(users_dialog: UsersDialog) -> None:
    assert not users_dialog.add_user("x1", Role.STUDENT, "weak")
    assert "at least 10 characters" in users_dialog.message.text()
    assert not users_dialog.set_disabled("admin", True)
    assert "last active administrator" in users_dialog.message.text()


def test_users_dialog_is_refused_for_non_admins(qtbot, auth_service: AuthService, admin_session: Session) -> None:
    doctor = Session("doc", Role.DOCTOR, auth_service.audit)
    dialog = UsersDialog(UserAdmin(auth_service.users), doctor)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 0 and "manage users" in dialog.message.text()
    assert not dialog.add_user("x1", Role.ADMIN, "Temporary-pass-1")


def test_users_dialog_shows_the_key_warning(qtbot, auth_service: AuthService, admin_session: Session) -> None:
    dialog = UsersDialog(UserAdmin(auth_service.users), admin_session, key_warning="No secure OS keyring")
    qtbot.addWidget(dialog)
    assert not dialog.key_warning.isHidden() and "keyring" in dialog.key_warning.text()


def test_temporary_password_dialog_values(qtbot) -> None:
    dialog = TemporaryPasswordDialog(title="Add user", ask_user=True)
    qtbot.addWidget(dialog)
    type_into(qtbot, dialog.username, "nurse1")
    dialog.role.setCurrentIndex(list(Role).index(Role.DOCTOR))
    type_into(qtbot, dialog.password, "Temporary-pass-1")
    type_into(qtbot, dialog.confirm, "Temporary-pass-9")
    dialog._check()
    assert dialog.result() != QDialog.DialogCode.Accepted and "differ" in dialog.error.text()
    type_into(qtbot, dialog.confirm, "Temporary-pass-1")
    dialog._check()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.values() == ("nurse1", Role.DOCTOR, "Temporary-pass-1")


def _when_shown(dialog_type: type, action) -> None:
    """Run `action(dialog)` on the modal dialog once exec() has shown it."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    def poll() -> None:
        dialog = next((w for w in QApplication.topLevelWidgets() if isinstance(w, dialog_type) and w.isVisible()), None)
        if dialog is None:
            QTimer.singleShot(20, poll)
        else:
            action(dialog)

    QTimer.singleShot(0, poll)


def test_run_login_returns_the_session_or_none(qtbot, auth_service: AuthService, admin_session: Session) -> None:
    from xray_desktop.ui.login_dialog import run_login

    def log_in(dialog: LoginDialog) -> None:
        dialog.username.setText(TEST_ADMIN[0])
        dialog.password.setText(TEST_ADMIN[1])
        dialog.login_button.click()

    _when_shown(LoginDialog, log_in)
    session = run_login(auth_service)
    assert session is not None and session.username == "admin"
    _when_shown(LoginDialog, lambda d: d.reject())
    assert run_login(auth_service) is None


def test_run_first_admin_returns_the_admin_session(qtbot, auth_service: AuthService) -> None:
    from xray_desktop.ui.first_admin_dialog import run_first_admin

    def create(dialog: FirstAdminDialog) -> None:
        dialog.username.setText("chief")
        dialog.password.setText("Secure-pass-2024")
        dialog.confirm.setText("Secure-pass-2024")
        dialog.create_button.click()

    _when_shown(FirstAdminDialog, create)
    session = run_first_admin(auth_service)
    assert session is not None and session.role is Role.ADMIN and session.username == "chief"


def test_add_user_button_goes_through_the_temporary_password_dialog(
    users_dialog: UsersDialog, auth_service: AuthService
) -> None:
    def fill(dialog: TemporaryPasswordDialog) -> None:
        dialog.username.setText("radiographer")
        dialog.role.setCurrentIndex(list(Role).index(Role.DOCTOR))
        dialog.password.setText("Temporary-pass-1")
        dialog.confirm.setText("Temporary-pass-1")
        dialog._check()

    _when_shown(TemporaryPasswordDialog, fill)
    users_dialog.add_button.click()
    info = auth_service.users.get("radiographer")
    assert info.role is Role.DOCTOR and info.must_change_password
    assert users_dialog.selected_user() == "radiographer"

    def reset(dialog: TemporaryPasswordDialog) -> None:
        dialog.password.setText("Temporary-pass-2")
        dialog.confirm.setText("Temporary-pass-2")
        dialog._check()

    _when_shown(TemporaryPasswordDialog, reset)
    users_dialog.reset_button.click()
    with pytest.raises(PasswordChangeRequired):
        auth_service.login("radiographer", "Temporary-pass-2")
