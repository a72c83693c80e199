"""`xray-desktop users`: first administrator and account administration, for IT staff and scripts.

Passwords never go on the command line: they are asked with getpass, or read one per line from
standard input with --password-stdin (first the administrator's, then the new one when needed).
"""

from __future__ import annotations

import argparse
import sys
import time

from xray_desktop.cli.admin_credentials import admin_username
from xray_desktop.errors import NotAllowedError
from xray_desktop.security.permissions import Permission, Role
from xray_desktop.security.users import UserInfo
from xray_desktop.services.auth import AuthService, PasswordInput
from xray_desktop.services.session import Session
from xray_desktop.services.users import UserAdmin


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "users",
        help="create the first administrator and manage accounts",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    init = actions.add_parser("init", help="create the first administrator (only when no account exists)")
    init.add_argument("--username", required=True)
    _password_stdin(init, "the new administrator's password")
    init.set_defaults(func=_init)

    add = actions.add_parser("add", help="add an account with a temporary password (changed at first login)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    _admin_args(add, "then the temporary password")
    add.set_defaults(func=_add)

    listing = actions.add_parser("list", help="list accounts, roles and state")
    _admin_args(listing)
    listing.set_defaults(func=_list)

    for name, help_text, disabled in (("disable", "disable an account", True), ("enable", "enable an account", False)):
        sub = actions.add_parser(name, help=help_text)
        sub.add_argument("username")
        _admin_args(sub)
        sub.set_defaults(func=_set_disabled, disabled=disabled)

    passwd = actions.add_parser("passwd", help="reset a password (the user must change it at the next login)")
    passwd.add_argument("username")
    _admin_args(passwd, "then the temporary password")
    passwd.set_defaults(func=_reset)

    role = actions.add_parser("role", help="change an account's role")
    role.add_argument("username")
    role.add_argument("role", choices=[r.value for r in Role])
    _admin_args(role)
    role.set_defaults(func=_role)

    unlock = actions.add_parser("unlock", help="lift a lockout after failed logins")
    unlock.add_argument("username")
    _admin_args(unlock)
    unlock.set_defaults(func=_unlock)

    change = actions.add_parser("change-password", help="change your own password (also after a reset)")
    change.add_argument("username")
    _password_stdin(change, "the current password, then the new one")
    change.set_defaults(func=_change)


def _password_stdin(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--password-stdin", action="store_true", help=f"read {what} from standard input, one per line")


def _admin_args(parser: argparse.ArgumentParser, then: str = "") -> None:
    parser.add_argument("--admin", metavar="USER", help="administrator to act as (asked when omitted)")
    _password_stdin(parser, f"the administrator's password{', ' + then if then else ''}")


def admin_session(args: argparse.Namespace, service: AuthService, passwords: PasswordInput) -> Session:
    """Log the administrator in for this one command; refused (exit 5) unless the account may manage users."""
    username = admin_username(args)
    session = service.login(username, passwords.secret(f"Password for {username}"))
    session.require(Permission.MANAGE_USERS)
    return session


def _open(args: argparse.Namespace) -> tuple[AuthService, PasswordInput]:
    service = AuthService.open()
    if service.key_warning:
        print(f"xray-desktop: warning: {service.key_warning}", file=sys.stderr)
    return service, PasswordInput(args.password_stdin)


def _init(args: argparse.Namespace) -> int:
    service, passwords = _open(args)
    if not service.needs_first_admin():
        raise NotAllowedError("an administrator already exists; use `xray-desktop users add` as an administrator")
    session = service.create_first_admin(args.username, passwords.secret("New administrator password", confirm=True))
    service.logout(session, reason="exit")
    print(f"administrator {session.username!r} created")
    return 0


def _with_admin(args: argparse.Namespace) -> tuple[UserAdmin, Session, PasswordInput, AuthService]:
    service, passwords = _open(args)
    session = admin_session(args, service, passwords)
    return UserAdmin(service.users), session, passwords, service


def _add(args: argparse.Namespace) -> int:
    admin, session, passwords, service = _with_admin(args)
    info = admin.add_user(session, args.username, passwords.secret("Temporary password", confirm=True), Role(args.role))
    service.logout(session, reason="exit")
    print(f"user {info.username!r} added as {info.role.value}; the password must be changed at the first login")
    return 0


def _list(args: argparse.Namespace) -> int:
    admin, session, _, service = _with_admin(args)
    users = admin.list_users(session)
    service.logout(session, reason="exit")
    width = max([len("user")] + [len(u.username) for u in users])
    print(f"{'user':<{width}}  {'role':<8}  {'state':<28}  last login")
    for user in users:
        print(f"{user.username:<{width}}  {user.role.value:<8}  {_state(user):<28}  {user.last_login or 'never'}")
    return 0


def _state(user: UserInfo) -> str:
    parts = ["disabled" if user.disabled else "active"]
    if user.is_locked(time.time()) and user.locked_until is not None:
        parts.append("locked until " + time.strftime("%H:%M", time.localtime(user.locked_until)))
    if user.must_change_password:
        parts.append("must change password")
    return ", ".join(parts)


def _set_disabled(args: argparse.Namespace) -> int:
    admin, session, _, service = _with_admin(args)
    info = admin.set_disabled(session, args.username, args.disabled)
    service.logout(session, reason="exit")
    print(f"user {info.username!r} {'disabled' if info.disabled else 'enabled'}")
    return 0


def _reset(args: argparse.Namespace) -> int:
    admin, session, passwords, service = _with_admin(args)
    info = admin.reset_password(session, args.username, passwords.secret("Temporary password", confirm=True))
    service.logout(session, reason="exit")
    print(f"password of {info.username!r} reset; it must be changed at the next login")
    return 0


def _role(args: argparse.Namespace) -> int:
    admin, session, _, service = _with_admin(args)
    info = admin.set_role(session, args.username, Role(args.role))
    service.logout(session, reason="exit")
    print(f"user {info.username!r} is now {info.role.value}")
    return 0


def _unlock(args: argparse.Namespace) -> int:
    admin, session, _, service = _with_admin(args)
    info = admin.unlock(session, args.username)
    service.logout(session, reason="exit")
    print(f"user {info.username!r} unlocked")
    return 0


def _change(args: argparse.Namespace) -> int:
    service, passwords = _open(args)
    current = passwords.secret(f"Current password for {args.username}")
    new = passwords.secret("New password", confirm=True)
    service.change_password(args.username, current, new)
    print("password changed")
    return 0
