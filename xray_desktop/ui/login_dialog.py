"""Log-in (also used to unlock after idle): returns a Session, or switches to a forced password change."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from xray_desktop.errors import XRayError
from xray_desktop.security.users import PasswordChangeRequired
from xray_desktop.services.auth import AuthService
from xray_desktop.services.session import Session
from xray_desktop.ui.change_password_dialog import (
    ChangePasswordForm,
    keep_fitting,
    message_label,
    ok_cancel_buttons,
    password_field,
    refit,
    show_message,
)

LOGIN_PAGE, CHANGE_PAGE = 0, 1


class LoginDialog(QDialog):
    """`exec()` then read `session` (None when cancelled).

    `username` pre-fills the name (idle unlock); `fixed_user=True` keeps it read-only, so unlocking
    resumes the same person's session. `notice` is shown above the form (e.g. "Locked after 10 minutes idle").
    """

    def __init__(
        self,
        auth: AuthService,
        parent: QWidget | None = None,
        *,
        username: str = "",
        fixed_user: bool = False,
        notice: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("XRay Desktop — log in")
        self.auth = auth
        self.session: Session | None = None
        self._pending: tuple[str, str] | None = None

        self.pages = QStackedWidget(self)
        self.pages.addWidget(self._login_page(username, fixed_user, notice))
        self.pages.addWidget(self._change_page())
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        keep_fitting(self)
        (self.password if username else self.username).setFocus()

    def _login_page(self, username: str, fixed_user: bool, notice: str) -> QWidget:
        page = QWidget(self)
        self.notice = QLabel(notice, page)
        self.notice.setWordWrap(True)
        self.notice.setVisible(bool(notice))
        self.username = QLineEdit(username, page)
        self.username.setReadOnly(fixed_user)
        self.password = password_field(page)
        self.error = message_label(page)
        form = QFormLayout()
        form.addRow("User name:", self.username)
        form.addRow("Password:", self.password)
        buttons, self.login_button = ok_cancel_buttons(page, "Log in", self.submit, self.reject)
        layout = QVBoxLayout(page)
        layout.addWidget(self.notice)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        return page

    def _change_page(self) -> QWidget:
        page = QWidget(self)
        self.change_intro = QLabel(page)
        self.change_intro.setWordWrap(True)
        self.change_form = ChangePasswordForm(page, ask_current=False)
        buttons, self.change_button = ok_cancel_buttons(page, "Change and log in", self.submit_change, self.reject)
        layout = QVBoxLayout(page)
        layout.addWidget(self.change_intro)
        layout.addWidget(self.change_form)
        layout.addWidget(buttons)
        return page

    def submit(self) -> bool:
        """Try the typed credentials; True when logged in."""
        name, secret = self.username.text(), self.password.text()
        self.password.clear()
        try:
            self.session = self.auth.login(name, secret)
        except PasswordChangeRequired as exc:
            self._pending = (exc.username, secret)
            self.change_intro.setText(
                f"The password of <b>{exc.username}</b> was set by an administrator. Choose your own to continue."
            )
            show_message(self.error, "")
            self.pages.setCurrentIndex(CHANGE_PAGE)
            refit(self)  # the policy text and three fields: more than the login page needed
            self.change_form.new.setFocus()
            return False
        except XRayError as exc:
            show_message(self.error, str(exc))
            self.password.setFocus()
            return False
        show_message(self.error, "")
        self.accept()
        return True

    def submit_change(self) -> bool:
        """Forced change with the temporary password just typed; logs in with the new one."""
        if self._pending is None:
            return False
        name, temporary = self._pending
        try:
            new = self.change_form.new_password()
            self.auth.change_password(name, temporary, new)
            self.session = self.auth.login(name, new)
        except XRayError as exc:
            show_message(self.change_form.error, str(exc))
            self.change_form.clear()
            self.change_form.new.setFocus()
            return False
        self._pending = None
        self.change_form.clear()
        self.accept()
        return True

    def reject(self) -> None:
        """Cancel on the forced change goes back to the login page; only Cancel there closes the dialog.

        At start-up a closed login dialog ends the program, which is not what "I won't change it now" means.
        """
        self._pending = None
        self.change_form.clear()
        if self.pages.currentIndex() == CHANGE_PAGE:
            show_message(self.change_form.error, "")
            self.pages.setCurrentIndex(LOGIN_PAGE)
            show_message(self.error, "Password not changed. Log in again to choose a new one.")
            self.password.setFocus()
            return
        super().reject()


def run_login(auth: AuthService, parent: QWidget | None = None, **options: object) -> Session | None:
    """Show the login dialog modally; the Session, or None when cancelled. `options`: username, fixed_user, notice."""
    dialog = LoginDialog(auth, parent, **options)  # type: ignore[arg-type]
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    return dialog.session if accepted else None
