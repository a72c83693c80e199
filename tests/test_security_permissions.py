"""The role/permission matrix, enforced through Session.require and the real services; docs match the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REPO_ROOT, TEST_ADMIN

from xray_desktop.errors import EXIT_NOT_ALLOWED, NotAllowedError
from xray_desktop.security.permissions import ROLE_PERMISSIONS, Permission, Role, permission_table_markdown
from xray_desktop.services.audit import export_audit_csv
from xray_desktop.services.auth import AuthService
from xray_desktop.services.session import Session, os_session
from xray_desktop.services.users import UserAdmin

P = Permission
# The intended policy, written out independently of permissions.py so a change there must be deliberate.
EXPECTED: dict[Role, set[Permission]] = {
    Role.STUDENT: {P.ANALYZE, P.TEACHING_MODE, P.VIEW_MODELS, P.REPORT},
    Role.DOCTOR: {P.ANALYZE, P.TEACHING_MODE, P.VIEW_MODELS, P.REPORT}
    | {P.REPORT_PATIENT_DATA, P.BATCH, P.FEEDBACK, P.TRAIN},
    Role.ADMIN: set(Permission),
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("permission", list(Permission))
def test_session_require_follows_the_matrix(role: Role, permission: Permission) -> None:
    session = Session("someone", role)
    if permission in EXPECTED[role]:
        session.require(permission)
        assert session.can(permission)
    else:
        with pytest.raises(NotAllowedError, match=permission.value.replace("_", " ")) as info:
            session.require(permission)
        assert info.value.exit_code == EXIT_NOT_ALLOWED
        assert not session.can(permission)


def test_code_matrix_is_the_intended_one() -> None:
    assert {role: set(perms) for role, perms in ROLE_PERMISSIONS.items()} == EXPECTED


def test_os_session_has_doctor_rights_and_names_the_account() -> None:
    session = os_session()
    assert session.role is Role.DOCTOR and session.username.startswith("os:")
    assert not session.can(P.MANAGE_USERS) and not session.can(P.EXPORT_AUDIT)


def test_docs_table_matches_the_code() -> None:
    doc = (REPO_ROOT / "docs" / "permissions.md").read_text(encoding="utf-8")
    assert permission_table_markdown() in doc


def test_docs_table_would_catch_drift() -> None:
    table = permission_table_markdown()
    drifted = re.sub(r"\| batch \| yes \| yes \| — \|", "| batch | yes | yes | yes |", table)
    assert drifted != table  # the regex hits a real row, so the doc check above can fail


def test_user_admin_service_refuses_non_admins(auth_service: AuthService, admin_session: Session) -> None:
    admin = UserAdmin(auth_service.users)
    admin.add_user(admin_session, "doc", "Temporary-pass-1", Role.DOCTOR)
    admin.add_user(admin_session, "stud", "Temporary-pass-1", Role.STUDENT)
    for role in (Role.DOCTOR, Role.STUDENT):
        session = Session("doc" if role is Role.DOCTOR else "stud", role, auth_service.audit)
        calls = [
            lambda s=session: admin.list_users(s),
            lambda s=session: admin.add_user(s, "eve", "Temporary-pass-1", Role.ADMIN),
            lambda s=session: admin.set_role(s, s.username, Role.ADMIN),
            lambda s=session: admin.set_disabled(s, TEST_ADMIN[0], True),
            lambda s=session: admin.reset_password(s, TEST_ADMIN[0], "Temporary-pass-2"),
            lambda s=session: admin.unlock(s, TEST_ADMIN[0]),
        ]
        for call in calls:
            with pytest.raises(NotAllowedError, match="manage users"):
                call()
    assert [u.username for u in admin.list_users(admin_session)] == ["admin", "doc", "stud"]
    assert auth_service.users.get("doc").role is Role.DOCTOR


def test_audit_export_refuses_non_admins(auth_service: AuthService, admin_session: Session, tmp_path: Path) -> None:
    out = tmp_path / "a.csv"
    with pytest.raises(NotAllowedError):
        export_audit_csv(Session("doc", Role.DOCTOR, auth_service.audit), auth_service.audit, out)
    assert export_audit_csv(admin_session, auth_service.audit, out) >= 1
