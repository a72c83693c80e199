"""The multi-user deployment of the IT guide, with two real operating-system accounts (issue 15, defect 5):
each account gets its own owner-only data folder, both read the shared read-only models folder, and
neither can use the other's data folder (a clear refusal, never a traceback).

The accounts are created with `useradd` and removed afterwards; each runs the real CLI in a forked child
that has dropped to that account's uid/gid (the interpreter itself may live where other accounts cannot
reach, so a fresh `python` as that user is not an option). Skipped where that is not possible.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    os.name != "posix" or not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("useradd") is None,
    reason="needs root and useradd to create two operating-system accounts",
)


@pytest.fixture
def shared_root():
    """A folder every account can traverse (pytest's own tmp folders are root-only)."""
    root = Path(tempfile.mkdtemp(prefix="xray-multi-user-"))
    os.chmod(root, 0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def two_accounts(shared_root: Path):
    names = [f"xrt{uuid.uuid4().hex[:6]}a", f"xrt{uuid.uuid4().hex[:6]}b"]
    made = []
    try:
        for name in names:
            home = shared_root / "home" / name
            home.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(home.parent, 0o755)
            done = subprocess.run(["useradd", "-M", "-d", str(home), "-s", "/bin/sh", name], capture_output=True)
            if done.returncode != 0:
                pytest.skip(f"useradd failed: {done.stderr.decode(errors='replace').strip()}")
            made.append(name)
            home.mkdir(mode=0o700)
            import pwd

            info = pwd.getpwnam(name)
            os.chown(home, info.pw_uid, info.pw_gid)
        yield [(n, shared_root / "home" / n) for n in names]
    finally:
        for name in made:
            subprocess.run(["userdel", name], capture_output=True)


def _as_account(name: str, home: Path, argv: list[str], stdin: str = "", env: dict[str, str] | None = None):
    """Run `xray-desktop ARGV` as account `name` in a forked child; (exit code, stdout, stderr)."""
    import pwd

    from xray_desktop.cli import build_parser, main

    build_parser()  # every command module imported before the fork
    info = pwd.getpwnam(name)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: become the account, run the command, report back through the pipe
        code, out, err = 99, io.StringIO(), io.StringIO()
        try:
            import keyring
            import keyring.backends.fail

            os.setgroups([])
            os.setgid(info.pw_gid)
            os.setuid(info.pw_uid)
            os.environ.clear()
            os.environ.update({"HOME": str(home), "USER": name, "LOGNAME": name, **(env or {})})
            keyring.set_keyring(keyring.backends.fail.Keyring())  # no desktop keyring: the key-file fallback
            sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), out, err
            code = main(argv)
        except BaseException as exc:  # reported to the parent, which fails the test
            err.write(f"child crashed: {type(exc).__name__}: {exc}")
        finally:
            os.write(write_fd, json.dumps([code, out.getvalue(), err.getvalue()]).encode())
            os._exit(0)
    os.close(write_fd)
    chunks = []
    while chunk := os.read(read_fd, 65536):
        chunks.append(chunk)
    os.close(read_fd)
    os.waitpid(pid, 0)
    code, out, err = json.loads(b"".join(chunks) or b'[98, "", "no report from the child"]')
    return code, out, err


def _warm_up() -> None:
    """Run the commands once as root (in the test's own data home): every module they import is loaded before the
    forks, because the children cannot read the interpreter's own library folder."""
    import contextlib

    from xray_desktop.cli import main

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for argv in (["models", "list"], ["audit", "verify"]):
            main(argv)


def test_two_os_accounts_each_get_their_own_data_folder_and_share_the_models(
    two_accounts, shared_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import REPO_ROOT

    models = shared_root / "shared-models"  # as install.sh leaves it: root-owned, read-only for everyone else
    shutil.copytree(REPO_ROOT / "models", models)
    for path in [models, *models.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    shared = {"XRAY_DESKTOP_MODELS": str(models)}
    monkeypatch.setenv("XRAY_DESKTOP_MODELS", str(models))
    _warm_up()
    folders = []
    for name, home in two_accounts:
        code, out, err = _as_account(
            name, home, ["users", "init", "--username", "admin", "--password-stdin"], "Correct-horse-42\n", shared
        )
        assert code == 0, err
        folder = home / ".local" / "share" / "XRayDesktop"
        assert folder.is_dir() and stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert folder.stat().st_uid != 0
        folders.append(folder)
        code, out, err = _as_account(name, home, ["models", "list"], env=shared)
        assert code == 0 and "pneumonia" in out, err
    assert folders[0] != folders[1]
    first_home = two_accounts[0][1]
    (name_b, home_b) = two_accounts[1]
    # the second account pointed at the first one's data folder: one clear line, exit 3, nothing changed there
    code, out, err = _as_account(
        name_b, home_b, ["audit", "verify"], env={**shared, "XRAY_DESKTOP_HOME": str(folders[0])}
    )
    assert code == 3 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and ("another operating-system account" in err or "ermission" in err)
    assert sorted(p.name for p in folders[0].iterdir()) == sorted(
        p.name for p in (first_home / ".local" / "share" / "XRayDesktop").iterdir()
    )
