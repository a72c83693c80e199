"""`xray-desktop feedback export` and `xray-desktop settings ...`: real effects, exit codes, one-line errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from reports_support import analysis, session

from xray_desktop.cli import main
from xray_desktop.errors import EXIT_INPUT, EXIT_NOT_ALLOWED
from xray_desktop.security import passwords
from xray_desktop.security.permissions import Role
from xray_desktop.services.auth import AuthService
from xray_desktop.services.feedback import FeedbackService
from xray_desktop.services.settings import SettingsService
from xray_desktop.services.users import UserAdmin

ADMIN_PW = "Admin-password-1"
DOCTOR_PW = "Doctor-password-1"


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "DEFAULT_PARAMS", passwords.ScryptParams(n=2**8))


@pytest.fixture
def accounts() -> None:
    auth = AuthService.open()
    admin = auth.create_first_admin("it-admin", ADMIN_PW)
    UserAdmin(auth.users).add_user(admin, "dr.b", "Temporary-password-1", Role.DOCTOR)
    auth.change_password("dr.b", "Temporary-password-1", DOCTOR_PW)  # required before a first login


def run(monkeypatch, capsys, argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_admin_exports_feedback_csv(accounts: None, monkeypatch, capsys, tmp_path: Path) -> None:
    FeedbackService().record(session(), analysis(tmp_path), "pneumonia", "agree", comment="ok")
    out_csv = tmp_path / "feedback.csv"
    code, out, _ = run(
        monkeypatch,
        capsys,
        ["feedback", "export", "--csv", str(out_csv), "--admin", "it-admin", "--password-stdin"],
        ADMIN_PW + "\n",
    )
    assert code == 0 and "1 feedback rows" in out
    rows = list(csv.DictReader(out_csv.open(encoding="utf-8")))
    assert [(r["task"], r["verdict"], r["comment"]) for r in rows] == [("pneumonia", "agree", "ok")]


def test_wrong_password_is_refused(accounts: None, monkeypatch, capsys, tmp_path: Path) -> None:
    code, _, err = run(
        monkeypatch,
        capsys,
        ["feedback", "export", "--csv", str(tmp_path / "f.csv"), "--admin", "it-admin", "--password-stdin"],
        "wrong\n",
    )
    assert code == EXIT_NOT_ALLOWED and err.count("\n") == 1
    assert not (tmp_path / "f.csv").exists()


def test_settings_export_import_backup_restore(accounts: None, monkeypatch, capsys, tmp_path: Path) -> None:
    SettingsService().update(session(), colormap="magma")
    exported = tmp_path / "s.json"
    assert run(monkeypatch, capsys, ["settings", "export", str(exported)])[0] == 0
    assert json.loads(exported.read_text())["settings"]["colormap"] == "magma"

    code, out, _ = run(monkeypatch, capsys, ["settings", "backup"])
    assert code == 0 and "settings-" in out
    SettingsService().update(session(), colormap="hot")

    code, _, _ = run(
        monkeypatch, capsys, ["settings", "restore", "--admin", "it-admin", "--password-stdin"], ADMIN_PW + "\n"
    )
    assert code == 0
    code, out, _ = run(monkeypatch, capsys, ["settings", "show"])
    assert json.loads(out)["colormap"] == "magma"

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "xray-desktop-settings", "version": 1, "settings": {"theme": "neon"}}))
    code, _, err = run(
        monkeypatch, capsys, ["settings", "import", str(bad), "--admin", "dr.b", "--password-stdin"], DOCTOR_PW + "\n"
    )
    assert code == EXIT_INPUT
    assert "bad.json" in err and "'theme'" in err and err.count("\n") == 1
