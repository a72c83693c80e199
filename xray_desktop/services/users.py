"""Account administration (the admin panel and `xray-desktop users`): every call needs manage_users."""

from __future__ import annotations

from dataclasses import dataclass

from xray_desktop.security.permissions import Permission, Role
from xray_desktop.security.users import UserInfo, UserStore
from xray_desktop.services.session import Session


@dataclass
class UserAdmin:
    users: UserStore

    def list_users(self, session: Session) -> list[UserInfo]:
        session.require(Permission.MANAGE_USERS)
        return self.users.list_users()

    def add_user(self, session: Session, username: str, password: str, role: Role) -> UserInfo:
        """New accounts get a temporary password: the user chooses their own at the first login."""
        session.require(Permission.MANAGE_USERS)
        info = self.users.add(username, password, Role(role), must_change_password=True)
        session.record("user_added", user=info.username, role=info.role.value)
        return info

    def set_disabled(self, session: Session, username: str, disabled: bool) -> UserInfo:
        session.require(Permission.MANAGE_USERS)
        info = self.users.set_disabled(username, disabled)
        session.record("user_disabled" if disabled else "user_enabled", user=info.username)
        return info

    def reset_password(self, session: Session, username: str, temporary_password: str) -> UserInfo:
        session.require(Permission.MANAGE_USERS)
        info = self.users.reset_password(username, temporary_password)
        session.record("password_reset", user=info.username)
        return info

    def set_role(self, session: Session, username: str, role: Role) -> UserInfo:
        session.require(Permission.MANAGE_USERS)
        before = self.users.get(username).role
        info = self.users.set_role(username, Role(role))
        session.record("role_changed", user=info.username, old=before.value, new=info.role.value)
        return info

    def unlock(self, session: Session, username: str) -> UserInfo:
        session.require(Permission.MANAGE_USERS)
        info = self.users.unlock(username)
        session.record("user_unlocked", user=info.username)
        return info
