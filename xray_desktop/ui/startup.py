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
    from xray_desktop.services.auth import AuthService
    from xray_desktop.ui.first_admin_dialog import run_first_admin
    from xray_desktop.ui.login_dialog import run_login

    auth = AuthService.open()
    session = run_first_admin(auth, parent) if auth.needs_first_admin() else run_login(auth, parent)
    if session is None:
        return None
    return session, AppServices.open(auth)
