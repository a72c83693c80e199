"""Are the system libraries that Qt's X11 (xcb) platform plugin needs installed? Checked before `make run`.

PySide6 wheels carry Qt itself but not these X11/EGL libraries; without them the window aborts with
"Could not load the Qt platform plugin xcb", which tells a newcomer nothing. `python -m
xray_desktop.qt_system_libs` tries to load each one (the same loader Qt uses) and, if any is missing,
prints the exact install command for Debian/Ubuntu and Fedora and exits 1. It only runs on Linux with
a display set (DISPLAY or WAYLAND_DISPLAY); otherwise (Windows, macOS, offscreen) it says why it skips.
No Qt import here: this must work precisely when Qt cannot start.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SystemLibrary:
    soname: str
    debian: str  # Debian / Ubuntu package
    fedora: str  # Fedora / RHEL package


LIBRARIES: tuple[SystemLibrary, ...] = (
    SystemLibrary("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor"),
    SystemLibrary("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm"),
    SystemLibrary("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms"),
    SystemLibrary("libxcb-image.so.0", "libxcb-image0", "xcb-util-image"),
    SystemLibrary("libxcb-render-util.so.0", "libxcb-render-util0", "xcb-util-renderutil"),
    SystemLibrary("libxcb-shape.so.0", "libxcb-shape0", "libxcb"),
    SystemLibrary("libxcb-randr.so.0", "libxcb-randr0", "libxcb"),
    SystemLibrary("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb"),
    SystemLibrary("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon"),
    SystemLibrary("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11"),
    SystemLibrary("libEGL.so.1", "libegl1", "mesa-libEGL"),
    SystemLibrary("libGL.so.1", "libgl1", "mesa-libGL"),
    SystemLibrary("libfontconfig.so.1", "libfontconfig1", "fontconfig"),
    SystemLibrary("libdbus-1.so.3", "libdbus-1-3", "dbus-libs"),
)


def can_load(soname: str) -> bool:
    """True when the dynamic loader finds and loads `soname` (honours LD_LIBRARY_PATH, like Qt)."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_libraries(probe: Callable[[str], bool] = can_load) -> list[SystemLibrary]:
    return [lib for lib in LIBRARIES if not probe(lib.soname)]


def install_commands(missing: list[SystemLibrary]) -> list[str]:
    """One command per distribution family, naming every missing package once."""
    debian = sorted({lib.debian for lib in missing})
    fedora = sorted({lib.fedora for lib in missing})
    return [
        f"Debian/Ubuntu:  sudo apt-get install {' '.join(debian)}",
        f"Fedora/RHEL:    sudo dnf install {' '.join(fedora)}",
    ]


def skip_reason(platform: str = sys.platform, environ: dict[str, str] | None = None) -> str | None:
    """Why no check is needed here (None: check). Only Linux with a display uses the xcb plugin."""
    env = os.environ if environ is None else environ
    if not platform.startswith("linux"):
        return f"not Linux ({platform}): Qt uses the system's own window plugin"
    if env.get("QT_QPA_PLATFORM", "") not in ("", "xcb"):
        return f"QT_QPA_PLATFORM={env['QT_QPA_PLATFORM']}: the xcb plugin is not used"
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        return "no display (DISPLAY and WAYLAND_DISPLAY unset): the window would run offscreen"
    return None


def report(missing: list[SystemLibrary]) -> str:
    names = ", ".join(lib.soname for lib in missing)
    return "\n".join(
        [
            f"The window cannot start: Qt's X11 plugin needs system libraries that are not installed ({names}).",
            "Install them, then run `make run` again:",
            *(f"  {line}" for line in install_commands(missing)),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Exit 0 when everything is there (or no check applies), 1 with the install commands otherwise."""
    args = sys.argv[1:] if argv is None else argv
    reason = None if "--force" in args else skip_reason()
    if reason is not None:
        if "--verbose" in args:
            print(f"Qt system libraries: check skipped, {reason}")
        return 0
    missing = missing_libraries()
    if missing:
        print(report(missing), file=sys.stderr)
        return 1
    if "--verbose" in args:
        print(f"Qt system libraries: all {len(LIBRARIES)} present")
    return 0


if __name__ == "__main__":
    sys.exit(main())
