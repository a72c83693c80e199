"""`make run` checks Qt's xcb system libraries first and prints the exact install command (issue 15, defect 1)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from xray_desktop import qt_system_libs
from xray_desktop.qt_system_libs import LIBRARIES, install_commands, missing_libraries, report, skip_reason

REPO = Path(__file__).resolve().parent.parent


def test_the_libraries_of_the_issue_are_checked() -> None:
    debian = {lib.debian for lib in LIBRARIES}
    assert {"libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libegl1", "libxkbcommon-x11-0"} <= debian


def test_missing_libraries_give_the_exact_commands() -> None:
    absent = {"libxcb-cursor.so.0", "libxcb-icccm.so.4"}
    missing = missing_libraries(probe=lambda soname: soname not in absent)
    assert {lib.soname for lib in missing} == absent
    assert install_commands(missing) == [
        "Debian/Ubuntu:  sudo apt-get install libxcb-cursor0 libxcb-icccm4",
        "Fedora/RHEL:    sudo dnf install xcb-util-cursor xcb-util-wm",
    ]
    assert "libxcb-cursor.so.0" in report(missing)


def test_a_library_that_exists_is_found_and_a_made_up_one_is_not() -> None:
    assert qt_system_libs.can_load("libc.so.6") or not sys.platform.startswith("linux")
    assert not qt_system_libs.can_load("libxray-desktop-does-not-exist.so.9")


def test_the_check_only_applies_to_linux_with_a_display() -> None:
    assert skip_reason("win32", {"DISPLAY": ":0"}) is not None
    assert skip_reason("linux", {}) is not None
    assert skip_reason("linux", {"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}) is not None
    assert skip_reason("linux", {"DISPLAY": ":0"}) is None
    assert skip_reason("linux", {"WAYLAND_DISPLAY": "wayland-0"}) is None


def test_the_module_runs_as_a_command_and_agrees_with_the_loader() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "xray_desktop.qt_system_libs", "--force", "--verbose"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    expected = missing_libraries()
    assert done.returncode == (1 if expected else 0)
    if expected:
        assert "sudo apt-get install" in done.stderr and "sudo dnf install" in done.stderr
        assert all(lib.debian in done.stderr for lib in expected)


def test_make_run_checks_before_it_starts_the_window() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    check, launch = recipe.index("xray_desktop.qt_system_libs"), recipe.index("xray-desktop gui")
    assert check < launch


def test_readme_and_it_guide_name_the_libraries() -> None:
    for doc in ("README.md", "docs/it-guide.md"):
        text = (REPO / doc).read_text(encoding="utf-8")
        assert "libxcb-cursor0" in text and "libxcb-icccm4" in text and "xcb-util-cursor" in text, doc
