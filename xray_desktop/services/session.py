"""Who is acting: every service takes a Session and checks its permission before working."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any, Protocol

from xray_desktop.errors import NotAllowedError
from xray_desktop.security.permissions import ROLE_PERMISSIONS, Permission, Role


class AuditSink(Protocol):
    def append(self, actor: str, event: str, details: dict[str, Any]) -> object: ...


@dataclass(frozen=True)
class Session:
    username: str
    role: Role
    audit: AuditSink | None = None

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise NotAllowedError(
                f"user {self.username!r} ({self.role.value}) is not allowed to {permission.value.replace('_', ' ')}"
            )

    def record(self, event: str, **details: Any) -> None:
        """Append to the audit log when one is attached (the GUI and CLI always attach one)."""
        if self.audit is not None:
            self.audit.append(self.username, event, details)


def os_session(audit: AuditSink | None = None) -> Session:
    """CLI analysis commands run under the operating-system account, with a doctor's rights, audited as such."""
    return Session(username=f"os:{getpass.getuser()}", role=Role.DOCTOR, audit=audit)
