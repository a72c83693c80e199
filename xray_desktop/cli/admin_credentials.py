"""Who the administrator is, for one CLI command: asked on a terminal, else `--admin` and `--password-stdin`.

Without a terminal (a script, a pipe, a scheduled task) there is nobody to ask: the command says which
options it needs (exit 2) instead of crashing with EOFError on an `input()` prompt.
"""

from __future__ import annotations

import argparse
import sys

from xray_desktop.errors import UsageError

NON_INTERACTIVE = (
    "no terminal to ask for the administrator's credentials: pass --admin USER and --password-stdin "
    "(the password on the first line of standard input)"
)


def stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):  # closed or replaced stdin
        return False


def admin_username(args: argparse.Namespace) -> str:
    """`--admin`, or the name typed at the terminal; a UsageError naming the options when there is no terminal."""
    username = getattr(args, "admin", None)
    password_stdin = getattr(args, "password_stdin", False)
    if username:
        if not password_stdin and not stdin_is_terminal():
            raise UsageError(NON_INTERACTIVE)
        return str(username)
    if password_stdin:
        raise UsageError("--password-stdin needs --admin USER")
    if not stdin_is_terminal():
        raise UsageError(NON_INTERACTIVE)
    try:
        return input("Administrator user name: ").strip()
    except EOFError:
        raise UsageError(NON_INTERACTIVE) from None
