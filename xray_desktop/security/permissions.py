"""Roles, permissions and the table that joins them. Enforced in services, not only in the UI."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    DOCTOR = "doctor"
    STUDENT = "student"


class Permission(StrEnum):
    ANALYZE = "analyze"
    TEACHING_MODE = "teaching_mode"
    VIEW_MODELS = "view_models"
    REPORT = "report"  # a report without patient (DICOM) fields
    REPORT_PATIENT_DATA = "report_patient_data"
    BATCH = "batch"
    FEEDBACK = "feedback"
    TRAIN = "train"
    EXPORT_FEEDBACK = "export_feedback"
    MANAGE_USERS = "manage_users"
    MANAGE_MODELS = "manage_models"  # import, export, activate
    SET_THRESHOLDS = "set_thresholds"
    EDIT_SETTINGS = "edit_settings"  # machine-wide settings; everyone keeps personal view settings
    EXPORT_AUDIT = "export_audit"


_EVERYONE = {Permission.ANALYZE, Permission.TEACHING_MODE, Permission.VIEW_MODELS, Permission.REPORT}
_DOCTOR = _EVERYONE | {
    Permission.REPORT_PATIENT_DATA,
    Permission.BATCH,
    Permission.FEEDBACK,
    Permission.TRAIN,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.DOCTOR: frozenset(_DOCTOR),
    Role.STUDENT: frozenset(_EVERYONE),
}


def permission_table_markdown() -> str:
    """The table in docs/permissions.md is generated from this, so docs and code cannot drift."""
    roles = list(Role)
    lines = ["| permission | " + " | ".join(r.value for r in roles) + " |"]
    lines.append("| --- |" + " --- |" * len(roles))
    for perm in Permission:
        marks = " | ".join("yes" if perm in ROLE_PERMISSIONS[r] else "—" for r in roles)
        lines.append(f"| {perm.value} | {marks} |")
    return "\n".join(lines) + "\n"
