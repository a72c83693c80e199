"""How the window gets its Session. The shipped flow logs in; tests and screenshots inject one.

`interactive_login` is the one replaceable start-up step: on first start it asks
for the first administrator (there is no default account or password), later
starts show the login dialog. Cancelling returns None and the program exits.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from xray_desktop.services.session import Session, os_session
from xray_desktop.ui.app_services import AppServices


def audited_os_session() -> Session:
    """Non-interactive GUI use (`--screenshot`) runs as the OS account, audited like the other CLI commands."""
    from xray_desktop.services.audit import open_audit_log

    return os_session(open_audit_log())


def interactive_login(parent: QWidget | None = None) -> tuple[Session, AppServices] | None:
    """Log in through the security dialogs; the session and the services it opened, or None when cancelled."""
    from xray_desktop.ui.first_admin_dialog import run_first_admin
    from xray_desktop.ui.login_dialog import run_login

    auth = open_auth_or_recover(parent)
    if auth is None:
        return None
    session = run_first_admin(auth, parent) if auth.needs_first_admin() else run_login(auth, parent)
    if session is None:
        return None
    return session, AppServices.open(auth)


def open_auth_or_recover(parent: QWidget | None = None):  # -> AuthService | None
    """The auth service; an unreadable user store gets the recovery dialog (restore the backup, or quit).

    Any other unreadable store (a missing data key, say) is logged and shown, instead of a program that
    never opens a window.
    """
    import logging

    from PySide6.QtWidgets import QMessageBox

    from xray_desktop.errors import StoreError
    from xray_desktop.paths import data_home
    from xray_desktop.security.users import USERS_FILE
    from xray_desktop.services.auth import AuthService
    from xray_desktop.ui.store_recovery import offer_user_store_recovery

    for _attempt in range(3):
        try:
            auth = AuthService.open()
            auth.needs_first_admin()  # reads the store: a damaged one is found here, before any dialog
            return auth
        except StoreError as exc:
            if USERS_FILE in str(exc):
                if offer_user_store_recovery(data_home(), exc, parent):
                    continue
                return None
            logging.getLogger(__name__).error("the data folder cannot be opened: %s", exc)
            QMessageBox.critical(parent, "XRay Desktop cannot start", str(exc))
            return None
    return None
