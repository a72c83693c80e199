"""What a logout takes off the screen and out of memory, and what the next login brings back.

The previous account's recent files, last folder, body part and status-bar message must not be
seen by whoever logs in next; the new account gets its own sealed view state (`ui.preferences`).
Kept apart from window_account.py so that the window only calls two functions.
"""

from __future__ import annotations

from typing import Any

from xray_desktop.ui.preferences import Preferences


def forget_account(window: Any) -> None:
    """At logout: save and drop the account's view state, clear the status bar and the recent-files menu."""
    window.prefs.forget()
    window.prefs = Preferences()  # nobody's: in memory only, until the next login
    window.status_label.setText("Logged out")
    window.statusBar().clearMessage()
    window.cases.rebuild_recent()


def load_account(window: Any, username: str) -> None:
    """After a login: that account's own view state; its body part choice applies again."""
    if getattr(window.prefs, "path", None) is not None or getattr(window.prefs, "username", None) == username:
        return  # an INI file chosen by the caller (screenshots), or the same account (unlock)
    window.prefs.forget()
    window.prefs = Preferences(username=username)
    window.cases.rebuild_recent()
    window.set_body_part(window.prefs.body_part)
    window.status_label.setText("Ready")
