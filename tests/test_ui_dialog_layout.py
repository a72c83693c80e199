"""Security dialogs keep their content readable (issue 15, defect 9): the forced password change fits its policy
text, its fields never shrink after an error, its Cancel goes back to the login instead of quitting, and the
first-admin error never overlaps the key warning."""

from __future__ import annotations

from pathlib import Path

import keyring
import keyring.backends.fail
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QWidget

from xray_desktop.security.passwords import ScryptParams
from xray_desktop.security.permissions import Role
from xray_desktop.services.auth import AuthService
from xray_desktop.services.session import Session
from xray_desktop.services.users import UserAdmin
from xray_desktop.ui.first_admin_dialog import FirstAdminDialog
from xray_desktop.ui.login_dialog import CHANGE_PAGE, LOGIN_PAGE, LoginDialog


def _fits(widget: QWidget) -> None:
    """Every visible line edit has at least its minimum height; every wrapped label gets its full height."""
    for field in widget.findChildren(QLineEdit):
        if field.isVisible():
            assert field.height() >= field.minimumSizeHint().height(), field.objectName()
    for label in widget.findChildren(QLabel):
        if label.isVisible() and label.wordWrap() and label.text():
            assert label.height() >= label.heightForWidth(label.width()), label.text()[:40]


def _forced_change_dialog(qtbot, auth: AuthService, admin: Session) -> LoginDialog:
    UserAdmin(auth.users).add_user(admin, "dr.kim", "Temporary-pass-1", Role.DOCTOR)
    dialog = LoginDialog(auth)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.username.setText("dr.kim")
    dialog.password.setText("Temporary-pass-1")
    assert not dialog.submit()
    assert dialog.pages.currentIndex() == CHANGE_PAGE
    qtbot.wait(50)
    return dialog


def test_the_forced_change_page_fits_its_policy_text_and_keeps_its_fields_after_errors(
    qtbot, auth_service: AuthService, admin_session: Session
) -> None:
    dialog = _forced_change_dialog(qtbot, auth_service, admin_session)
    _fits(dialog)
    for _ in range(3):
        dialog.change_form.new.setText("short")
        dialog.change_form.confirm.setText("short")
        assert not dialog.submit_change()
        qtbot.wait(20)
        _fits(dialog)


def test_cancel_on_the_forced_change_goes_back_to_the_login(
    qtbot, auth_service: AuthService, admin_session: Session
) -> None:
    dialog = _forced_change_dialog(qtbot, auth_service, admin_session)
    dialog.reject()
    assert dialog.isVisible()  # still open: the program does not end
    assert dialog.pages.currentIndex() == LOGIN_PAGE and "not changed" in dialog.error.text()
    _fits(dialog)
    dialog.reject()  # on the login page, Cancel is Cancel
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Rejected


def test_the_first_admin_error_does_not_overlap_the_key_warning(qtbot, isolated_home: Path, monkeypatch) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        auth = AuthService.open(isolated_home, params=ScryptParams(n=2**8))
    finally:
        keyring.set_keyring(previous)
    assert auth.key_warning
    dialog = FirstAdminDialog(auth)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.username.setText("x")  # refused: too short
    assert not dialog.submit()
    qtbot.wait(50)
    assert dialog.error.isVisible() and dialog.key_warning.isVisible()
    assert not dialog.error.geometry().intersects(dialog.key_warning.geometry())
    _fits(dialog)
