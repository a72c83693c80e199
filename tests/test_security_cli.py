"""`xray-desktop users` and `xray-desktop audit` with passwords from stdin: exit codes and real effects."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from xray_desktop.cli import main
from xray_desktop.errors import EXIT_INPUT, EXIT_NOT_ALLOWED, EXIT_USAGE
from xray_desktop.security import passwords
from xray_desktop.security.permissions import Role
from xray_desktop.security.users import UserStore
from xray_desktop.storage.audit import AUDIT_FILE

ADMIN_PW = "Admin-password-1"


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "DEFAULT_PARAMS", passwords.ScryptParams(n=2**8))


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], stdin: str = ""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def initialised(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        monkeypatch, capsys, ["users", "init", "--username", "it-admin", "--password-stdin"], ADMIN_PW + "\n"
    )
    assert code == 0 and "it-admin" in out


def admin(action: list[str]) -> list[str]:
    return ["users", *action, "--admin", "it-admin", "--password-stdin"]


def test_init_creates_the_first_admin_once(initialised: None, monkeypatch, capsys, isolated_home: Path) -> None:
    assert UserStore.open(isolated_home).authenticate("it-admin", ADMIN_PW).role is Role.ADMIN
    code, _, err = run(
        monkeypatch, capsys, ["users", "init", "--username", "other", "--password-stdin"], ADMIN_PW + "\n"
    )
    assert code == EXIT_NOT_ALLOWED and "already exists" in err


def test_init_refuses_a_weak_password_with_the_policy(monkeypatch, capsys, isolated_home: Path) -> None:
    code, _, err = run(monkeypatch, capsys, ["users", "init", "--username", "a1", "--password-stdin"], "short\n")
    assert code == EXIT_USAGE and "at least 10 characters" in err and "Traceback" not in err
    assert UserStore.open(isolated_home).is_empty()


def test_init_without_stdin_data_is_a_usage_error(monkeypatch, capsys) -> None:
    code, _, err = run(monkeypatch, capsys, ["users", "init", "--username", "a1", "--password-stdin"], "")
    assert code == EXIT_USAGE and "standard input" in err


def test_admin_manages_users(initialised: None, monkeypatch, capsys, isolated_home: Path) -> None:
    code, out, _ = run(
        monkeypatch, capsys, admin(["add", "dr.lee", "--role", "doctor"]), f"{ADMIN_PW}\nTemporary-pass-1\n"
    )
    assert code == 0 and "dr.lee" in out
    assert run(monkeypatch, capsys, admin(["role", "dr.lee", "student"]), ADMIN_PW + "\n")[0] == 0
    assert run(monkeypatch, capsys, admin(["disable", "dr.lee"]), ADMIN_PW + "\n")[0] == 0
    code, out, _ = run(monkeypatch, capsys, admin(["list"]), ADMIN_PW + "\n")
    assert code == 0
    line = next(li for li in out.splitlines() if li.startswith("dr.lee"))
    assert "student" in line and "disabled" in line and "must change password" in line
    assert run(monkeypatch, capsys, admin(["enable", "dr.lee"]), ADMIN_PW + "\n")[0] == 0
    code, _, _ = run(
        monkeypatch,
        capsys,
        ["users", "change-password", "dr.lee", "--password-stdin"],
        "Temporary-pass-1\nMy-own-pass-42\n",
    )
    assert code == 0
    assert UserStore.open(isolated_home).authenticate("dr.lee", "My-own-pass-42").role is Role.STUDENT


def test_wrong_admin_password_or_non_admin_exits_5(initialised: None, monkeypatch, capsys, isolated_home: Path) -> None:
    code, _, err = run(monkeypatch, capsys, admin(["list"]), "Wrong-password-9\n")
    assert code == EXIT_NOT_ALLOWED and "wrong password" in err
    run(monkeypatch, capsys, admin(["add", "doc", "--role", "doctor"]), f"{ADMIN_PW}\nTemporary-pass-1\n")
    run(
        monkeypatch,
        capsys,
        ["users", "change-password", "doc", "--password-stdin"],
        "Temporary-pass-1\nPhysician-pass-77\n",
    )
    code, _, err = run(
        monkeypatch,
        capsys,
        ["users", "add", "eve", "--role", "admin", "--admin", "doc", "--password-stdin"],
        "Physician-pass-77\nTemporary-pass-1\n",
    )
    assert code == EXIT_NOT_ALLOWED and "manage users" in err
    assert [u.username for u in UserStore.open(isolated_home).list_users()] == ["doc", "it-admin"]


def test_audit_verify_and_export(initialised: None, monkeypatch, capsys, isolated_home: Path, tmp_path: Path) -> None:
    code, out, _ = run(monkeypatch, capsys, ["audit", "verify"])
    assert code == 0 and "OK" in out
    out_csv = tmp_path / "audit.csv"
    code, out, _ = run(
        monkeypatch,
        capsys,
        ["audit", "export", "--csv", str(out_csv), "--admin", "it-admin", "--password-stdin"],
        ADMIN_PW + "\n",
    )
    assert code == 0 and out_csv.read_text(encoding="utf-8").startswith("id,ts,actor,event")
    with sqlite3.connect(isolated_home / AUDIT_FILE) as conn:
        conn.execute("UPDATE audit SET actor = 'someone-else' WHERE id = 2")
    code, out, _ = run(monkeypatch, capsys, ["audit", "verify"])
    assert code == EXIT_INPUT and "BROKEN at entry 2" in out


def test_audit_export_refused_for_bad_credentials(initialised: None, monkeypatch, capsys, tmp_path: Path) -> None:
    out_csv = tmp_path / "audit.csv"
    code, _, _ = run(
        monkeypatch,
        capsys,
        ["audit", "export", "--csv", str(out_csv), "--admin", "it-admin", "--password-stdin"],
        "nope\n",
    )
    assert code == EXIT_NOT_ALLOWED and not out_csv.exists()
