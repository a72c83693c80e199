"""`xray-desktop models export|import|activate|package-info`: administrators only, one-line errors, real files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from conftest import TEST_ADMIN

from xray_desktop.cli import main
from xray_desktop.models.registry import Registry
from xray_desktop.security.permissions import Role
from xray_desktop.services.session import Session
from xray_desktop.services.users import UserAdmin

pytestmark = pytest.mark.slow


def _as(monkeypatch: pytest.MonkeyPatch, user: str, password: str, *argv: str) -> int:
    """Run one package command as `user`, the password arriving on standard input as a script would send it."""
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return main(["models", *argv, "--admin", user, "--password-stdin"])


def test_an_administrator_exports_and_imports_a_model_from_the_command_line(
    admin_session: Session, tiny_models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    package = tmp_path / "tiny.xrm"
    assert _as(monkeypatch, *TEST_ADMIN, "export", "tiny-pneumonia", str(package)) == 0
    assert "exported" in capsys.readouterr().out

    assert main(["models", "package-info", str(package)]) == 0
    info = capsys.readouterr().out
    assert "tiny-pneumonia" in info and "recorded  validation AUC" in info

    target = tmp_path / "other"
    monkeypatch.setenv("XRAY_DESKTOP_MODELS", str(target))
    assert _as(monkeypatch, *TEST_ADMIN, "import", str(package), "--activate") == 0
    assert "active for pneumonia" in capsys.readouterr().out
    assert Registry.load(target / "registry.json").active_entry("pneumonia").id == "tiny-pneumonia"

    assert _as(monkeypatch, *TEST_ADMIN, "activate", "pneumonia", "none") == 0
    assert Registry.load(target / "registry.json").active_entry("pneumonia") is None


def test_a_doctor_or_a_wrong_password_is_refused_with_exit_5_and_nothing_changes(
    admin_session: Session, auth_service, tiny_models_dir: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    UserAdmin(auth_service.users).add_user(admin_session, "drjones", "Radiology-123", Role.DOCTOR)
    auth_service.change_password("drjones", "Radiology-123", "Radiology-456")
    package = tmp_path / "tiny.xrm"

    assert _as(monkeypatch, "drjones", "Radiology-456", "export", "tiny-pneumonia", str(package)) == 5
    assert "not allowed to manage models" in capsys.readouterr().err
    assert not package.exists()

    assert _as(monkeypatch, TEST_ADMIN[0], "wrong-password-1", "export", "tiny-pneumonia", str(package)) == 5
    assert "wrong password" in capsys.readouterr().err
    assert not package.exists()


def test_a_tampered_package_is_refused_on_one_line_naming_the_file(
    admin_session: Session, tiny_models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    package = tmp_path / "tiny.xrm"
    assert _as(monkeypatch, *TEST_ADMIN, "export", "tiny-pneumonia", str(package)) == 0
    tampered = tmp_path / "tampered.xrm"
    with zipfile.ZipFile(package) as src, zipfile.ZipFile(tampered, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("model/"):
                data = data[:-4] + b"XXXX"
            dst.writestr(info, data)
    capsys.readouterr()
    target = tmp_path / "other"
    monkeypatch.setenv("XRAY_DESKTOP_MODELS", str(target))

    code = _as(monkeypatch, *TEST_ADMIN, "import", str(tampered))

    err = capsys.readouterr().err.strip()
    assert code == 3
    assert len(err.splitlines()) == 1 and "tampered.xrm" in err and "sha256" in err
    assert not (target / "tiny-pneumonia.keras").exists()
