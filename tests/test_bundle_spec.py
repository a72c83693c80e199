"""The PyInstaller spec and the Windows installer script agree with each other and with xray_desktop.paths.

Building the real bundle takes minutes and 1.6 GB (`make bundle-test` does it). Here the spec is executed with
recording stand-ins for PyInstaller's build steps, which checks its own logic: two executables (windowed GUI,
console CLI) sharing one folder, each running exactly one entry script, data at the places paths.py expects.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest
from conftest import REPO_ROOT

SPEC = REPO_ROOT / "installer" / "xray_desktop.spec"
ISS = REPO_ROOT / "installer" / "windows" / "xray-desktop.iss"


NETWORK_BINARIES = [
    "PySide6/QtNetwork.abi3.so",
    "PySide6/Qt/lib/libQt6Network.so.6",
    "PySide6/Qt/plugins/tls/libqopensslbackend.so",
    "PySide6/Qt/plugins/networkinformation/libqnetworkmanager.so",
    "PySide6/Qt/plugins/platforms/libqvnc.so",
    "PySide6/Qt/plugins/generic/libqtuiotouchplugin.so",
    "PySide6\\plugins\\tls\\qschannelbackend.dll",
]
KEPT_BINARIES = ["PySide6/Qt/plugins/platforms/libqoffscreen.so", "PySide6/Qt/lib/libQt6Gui.so.6", "libpython3.11.so"]
BINARIES = NETWORK_BINARIES + KEPT_BINARIES


class Recorder:
    """Stands in for one PyInstaller build class: keeps its arguments, exposes what later steps read."""

    made: ClassVar[list[Recorder]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.kwargs = args, kwargs
        Recorder.made.append(self)


class FakeAnalysis(Recorder):
    def __init__(self, scripts: list[str], **kwargs: Any) -> None:
        super().__init__(scripts, **kwargs)
        hooks = [("pyi_rth_pkgutil", "/pyinstaller/rthooks/pyi_rth_pkgutil.py", "PYSOURCE")]
        self.scripts = hooks + [(Path(s).stem, s, "PYSOURCE") for s in scripts]
        self.pure = ["pure"]
        self.datas = [
            ("libQt6Network.so.6", "PySide6/Qt/lib/libQt6Network.so.6", "SYMLINK"),
            ("base.zip", "/b", "DATA"),
        ]
        self.binaries = [(name, f"/site/{name}", "BINARY") for name in BINARIES]


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    pytest.importorskip("PyInstaller")
    Recorder.made = []
    namespace: dict[str, Any] = {
        "SPECPATH": str(SPEC.parent),
        "Analysis": FakeAnalysis,
        "PYZ": type("PYZ", (Recorder,), {}),
        "EXE": type("EXE", (Recorder,), {}),
        "COLLECT": type("COLLECT", (Recorder,), {}),
        "__file__": str(SPEC),
    }
    saved_path = list(sys.path)
    try:
        exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    finally:
        sys.path[:] = saved_path
    return namespace


def _exes() -> dict[str, Recorder]:
    return {r.kwargs["name"]: r for r in Recorder.made if type(r).__name__ == "EXE"}


def test_two_executables_one_windowed_one_console_share_one_folder(spec: dict[str, Any]) -> None:
    exes = _exes()
    assert set(exes) == {"xray-desktop", "xray-desktop-cli"}
    assert exes["xray-desktop"].kwargs["console"] is False
    assert exes["xray-desktop-cli"].kwargs["console"] is True
    assert all(e.kwargs["exclude_binaries"] for e in exes.values()), "one-folder mode"
    collect = next(r for r in Recorder.made if type(r).__name__ == "COLLECT")
    assert collect.kwargs["name"] == "XRayDesktop"
    assert exes["xray-desktop"] in collect.args and exes["xray-desktop-cli"] in collect.args


def test_each_executable_runs_its_own_entry_script_after_the_runtime_hooks(spec: dict[str, Any]) -> None:
    exes = _exes()
    gui_scripts = [Path(s[1]).name for s in exes["xray-desktop"].args[1]]
    cli_scripts = [Path(s[1]).name for s in exes["xray-desktop-cli"].args[1]]
    assert gui_scripts == ["pyi_rth_pkgutil.py", "launch_gui.py"]
    assert cli_scripts == ["pyi_rth_pkgutil.py", "launch_cli.py"]


def test_resources_and_models_land_where_paths_py_looks_for_them(
    spec: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xray_desktop import paths

    analysis = next(r for r in Recorder.made if isinstance(r, FakeAnalysis))
    datas = {dest: Path(src) for src, dest in analysis.kwargs["datas"] if dest in ("resources", "models")}
    assert datas == {"resources": REPO_ROOT / "resources", "models": REPO_ROOT / "models"}

    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.delenv("XRAY_DESKTOP_MODELS", raising=False)
    assert paths.resources_dir() == tmp_path / "resources"
    assert paths.models_dir() == tmp_path / "models"
    assert paths.samples_dir() / "samples.json" == tmp_path / "resources" / "samples" / "samples.json"


def test_every_cli_subcommand_and_the_dicom_jpeg_plugins_are_named_for_the_analysis(spec: dict[str, Any]) -> None:
    hidden = set(next(r for r in Recorder.made if isinstance(r, FakeAnalysis)).kwargs["hiddenimports"])
    commands = {f"xray_desktop.cli.{p.stem}" for p in (REPO_ROOT / "xray_desktop" / "cli").glob("cmd_*.py")}
    assert commands and commands <= hidden, commands - hidden
    assert {"xray_desktop.ui.app", "libjpeg", "openjpeg"} <= hidden
    datas = next(r for r in Recorder.made if isinstance(r, FakeAnalysis)).kwargs["datas"]
    metadata = {Path(dest).name for _, dest in datas if dest.endswith(".dist-info")}
    assert any(name.startswith("pylibjpeg_libjpeg") for name in metadata), metadata


def test_tensorflow_is_left_to_the_contrib_hook_not_collected_again() -> None:
    text = SPEC.read_text(encoding="utf-8")
    assert not re.search(r"collect_all\(\s*['\"]tensorflow", text)
    assert "upx=False" in text  # UPX corrupts TensorFlow and Qt libraries


def test_the_windows_installer_installs_what_the_spec_builds(spec: dict[str, Any]) -> None:
    iss = ISS.read_text(encoding="utf-8")
    assert "PrivilegesRequired=admin" in iss
    assert re.search(r"^AppId=\{\{[0-9A-F-]{36}\}$", iss, re.MULTILINE), "AppId must be a fixed, escaped GUID"
    assert r'#define BundleDir "..\..\dist\XRayDesktop"' in iss
    for exe in _exes():
        assert f"{{app}}\\{exe}.exe" in iss
    assert re.search(r'Name: "\{group\}\\\{#AppName\} Self-test".*xray-desktop-cli\.exe"" self-test', iss)
    assert "/VERYSILENT" in iss and "{uninstallexe}" in iss
    for relative in re.findall(r'(?:SetupIconFile=|Source: ")(\.\.\\\.\.\\[^"*\n]+?)(?:"|$)', iss, re.MULTILINE):
        if "dist" not in relative:
            assert (ISS.parent / relative.replace("\\", os.sep)).exists(), relative


def test_the_cli_entry_script_runs_the_cli(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SPEC.parent / "launch_cli.py"), "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    from xray_desktop import __version__

    assert done.stdout.strip() == f"xray-desktop {__version__}"


def test_the_windowed_entry_script_sends_console_output_to_the_log_folder(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A windowed Windows executable has no console (stdout/stderr None): output must land where IT looks."""
    import runpy

    launcher = runpy.run_path(str(SPEC.parent / "launch_gui.py"), run_name="launch_gui")
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)

    launcher["_console_to_log"]()
    print("traceback would go here", file=sys.stderr)
    sys.stderr.flush()

    log = isolated_home / "logs" / "gui-console.log"
    assert log.read_text(encoding="utf-8") == "traceback would go here\n"
    sys.stderr.close()


def test_qt_networking_is_left_out_of_the_bundle(spec: dict[str, Any]) -> None:
    collect = next(r for r in Recorder.made if type(r).__name__ == "COLLECT")
    collected = {
        entry[0] for part in collect.args if isinstance(part, list) for entry in part if isinstance(entry, tuple)
    }
    assert collected == {*KEPT_BINARIES, "base.zip"}
    analysis = next(r for r in Recorder.made if isinstance(r, FakeAnalysis))
    assert "PySide6.QtNetwork" in analysis.kwargs["excludes"]
