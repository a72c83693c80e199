"""Permissions hold in the real services of other areas, not only in Session.require (roles below admin refused)."""

from __future__ import annotations

from pathlib import Path

import pytest

from xray_desktop.errors import NotAllowedError
from xray_desktop.security.permissions import Role
from xray_desktop.services.feedback import FeedbackService
from xray_desktop.services.model_package_export import export_package
from xray_desktop.services.report import export_report
from xray_desktop.services.session import Session
from xray_desktop.storage.audit import AuditLog


@pytest.fixture
def audit(isolated_home: Path) -> AuditLog:
    from xray_desktop.services.audit import open_audit_log

    return open_audit_log(isolated_home)


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.STUDENT])
def test_only_admins_export_feedback(role: Role, audit: AuditLog, tmp_path: Path) -> None:
    service = FeedbackService()
    out = tmp_path / "feedback.csv"
    with pytest.raises(NotAllowedError, match="export feedback"):
        service.export_csv(Session("u", role, audit), out)
    assert not out.exists()
    assert service.export_csv(Session("boss", Role.ADMIN, audit), out) == 0
    assert out.exists() and audit.entries()[-1].event == "feedback_export"


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.STUDENT])
def test_only_admins_export_model_packages(role: Role, tmp_path: Path) -> None:
    with pytest.raises(NotAllowedError, match="manage models"):
        export_package(Session("u", role), "any-model", tmp_path / "m.xrm")


def test_students_cannot_put_patient_data_in_reports(tmp_path: Path) -> None:
    with pytest.raises(NotAllowedError, match="report patient data"):
        export_report(Session("s", Role.STUDENT), [], tmp_path / "r.pdf", include_patient_data=True)
    assert not (tmp_path / "r.pdf").exists()
