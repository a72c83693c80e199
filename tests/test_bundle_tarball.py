"""The Linux tarball: made from dist/XRayDesktop, installs with menu entries that point at the installed program,
keeps a shared models folder across upgrades, and uninstalls cleanly.

A stand-in bundle (two small executables) replaces the real 1.6 GB one; the scripts under test are the real ones,
run in a copy of the repository layout they expect.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest
from conftest import REPO_ROOT

pytestmark = pytest.mark.skipif(os.name != "posix" or shutil.which("tar") is None, reason="POSIX shell and tar")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of the files make_tarball.sh reads, with a stand-in bundle in dist/XRayDesktop."""
    root = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "installer" / "linux", root / "installer" / "linux")
    for relative in ("xray_desktop/__init__.py", "docs/it-guide.md", "resources/icons/xray-desktop.png"):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / relative, root / relative)
    bundle = root / "dist" / "XRayDesktop"
    (bundle / "_internal" / "models").mkdir(parents=True)
    (bundle / "_internal" / "models" / "registry.json").write_text('{"shipped": true}\n', encoding="utf-8")
    (bundle / "_internal" / "models" / "registry.json").chmod(0o600)  # as atomic saves leave it
    for exe in ("xray-desktop", "xray-desktop-cli"):
        (bundle / exe).write_text(f'#!/bin/sh\necho "{exe} $*"\n', encoding="utf-8")
        (bundle / exe).chmod(0o755)
    return root


def _version() -> str:
    from xray_desktop import __version__

    return __version__


def _make(repo: Path) -> Path:
    done = subprocess.run(
        ["sh", str(repo / "installer" / "linux" / "make_tarball.sh")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return repo / "dist" / f"xray-desktop-{_version()}-linux-x86_64.tar.gz"


def test_the_tarball_holds_the_bundle_installer_menu_entries_icon_and_guide(repo: Path) -> None:
    tarball = _make(repo)
    top = f"xray-desktop-{_version()}"
    with tarfile.open(tarball) as archive:
        members = {m.name: m for m in archive.getmembers()}
    for name in (
        "XRayDesktop/xray-desktop",
        "XRayDesktop/xray-desktop-cli",
        "XRayDesktop/_internal/models/registry.json",
        "install.sh",
        "xray-desktop.desktop.in",
        "xray-desktop-selftest.desktop.in",
        "xray-desktop.png",
        "IT-GUIDE.md",
    ):
        assert f"{top}/{name}" in members, name
    assert members[f"{top}/XRayDesktop/xray-desktop-cli"].mode & stat.S_IXUSR
    assert members[f"{top}/install.sh"].mode & stat.S_IXUSR
    assert members[f"{top}/XRayDesktop/_internal/models/registry.json"].mode & stat.S_IROTH, "every account reads it"
    assert {m.uid for m in members.values()} == {0}, "no builder's user id leaks into the archive"


def test_make_tarball_refuses_without_a_built_bundle(repo: Path) -> None:
    shutil.rmtree(repo / "dist" / "XRayDesktop")
    done = subprocess.run(["sh", str(repo / "installer" / "linux" / "make_tarball.sh")], capture_output=True, text=True)
    assert done.returncode != 0
    assert "make bundle" in done.stderr


def test_install_upgrade_and_uninstall(repo: Path, tmp_path: Path) -> None:
    with tarfile.open(_make(repo)) as archive:
        archive.extractall(tmp_path / "unpacked", filter="tar")
    unpacked = tmp_path / "unpacked" / f"xray-desktop-{_version()}"
    prefix, apps, models = tmp_path / "opt" / "xray-desktop", tmp_path / "applications", tmp_path / "var" / "models"
    env = {
        **os.environ,
        "PREFIX": str(prefix),
        "APPS": str(apps),
        "MODELS_DIR": str(models),
        "PROFILE": str(tmp_path / "profile.sh"),
        "MODELS_GROUP": subprocess.run(["id", "-gn"], capture_output=True, text=True).stdout.strip(),
    }

    def install(*args: str) -> str:
        done = subprocess.run(["sh", str(unpacked / "install.sh"), *args], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    install()
    entry = (apps / "xray-desktop.desktop").read_text(encoding="utf-8")
    assert "@" not in entry
    assert f'Exec=env XRAY_DESKTOP_MODELS={models} "{prefix}/xray-desktop"' in entry
    assert f"Icon={prefix}/xray-desktop.png" in entry
    assert "self-test" in (apps / "xray-desktop-selftest.desktop").read_text(encoding="utf-8")
    ran = subprocess.run([str(prefix / "xray-desktop-cli"), "self-test"], capture_output=True, text=True)
    assert ran.stdout.strip() == "xray-desktop-cli self-test"
    assert (models / "registry.json").read_text(encoding="utf-8") == '{"shipped": true}\n'
    assert (prefix / "_internal" / "models" / "registry.json").stat().st_mode & stat.S_IROTH

    # An administrator imports a model; an upgrade must keep the shared models folder as it is.
    (models / "registry.json").write_text('{"imported": true}\n', encoding="utf-8")
    out = install()
    assert (models / "registry.json").read_text(encoding="utf-8") == '{"imported": true}\n'
    assert f"xray-desktop-cli register-shipped {models}" in out  # newly shipped models get registered

    install("--uninstall")
    assert not prefix.exists()
    assert not (apps / "xray-desktop.desktop").exists()
    assert (models / "registry.json").exists(), "uninstall leaves data and models in place"


def test_a_root_install_gives_the_models_folder_its_own_group_not_root(repo: Path, tmp_path: Path) -> None:
    """As root, MODELS_GROUP defaults to "xray-desktop" (created when missing), never to root's own group."""
    if os.geteuid() != 0:
        pytest.skip("the default group applies to root installs; this test runs as another account")
    with tarfile.open(_make(repo)) as archive:
        archive.extractall(tmp_path / "unpacked", filter="tar")
    unpacked = tmp_path / "unpacked" / f"xray-desktop-{_version()}"
    stubs, calls = tmp_path / "stubs", tmp_path / "calls.txt"
    stubs.mkdir()
    for tool, status in (("getent", 2), ("chgrp", 0), ("groupadd", 0)):  # no real group is made or changed
        (stubs / tool).write_text(f'#!/bin/sh\necho "{tool} $*" >> "{calls}"\nexit {status}\n', encoding="utf-8")
        (stubs / tool).chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{stubs}:{os.environ['PATH']}",
        "PREFIX": str(tmp_path / "opt"),
        "APPS": str(tmp_path / "apps"),
        "MODELS_DIR": str(tmp_path / "models"),
        "PROFILE": str(tmp_path / "profile.sh"),
        "GROUPADD": str(stubs / "groupadd"),
    }
    env.pop("MODELS_GROUP", None)
    done = subprocess.run(["sh", str(unpacked / "install.sh")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    log = calls.read_text(encoding="utf-8").splitlines()
    assert "getent group xray-desktop" in log and "groupadd xray-desktop" in log
    assert any(line.startswith("chgrp -R xray-desktop ") for line in log)
    assert "usermod -aG xray-desktop" in done.stdout
    assert (tmp_path / "models").stat().st_mode & stat.S_ISGID
