"""The one place that knows where things live.

Bundled read-only things (resources, models) are found relative to the repository
root in development and to `sys._MEIPASS` in a PyInstaller bundle; the installer
spec puts `resources/` and `models/` at the same relative places. Per-user data
(users, settings, history, audit, logs) lives in the platform's user data folder,
or in `XRAY_DESKTOP_HOME` when that is set (tests, portable installs).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

APP_NAME = "XRayDesktop"
APP_AUTHOR = "XRayDesktop"

ENV_HOME = "XRAY_DESKTOP_HOME"
ENV_MODELS = "XRAY_DESKTOP_MODELS"
ENV_MAX_STEPS = "XRAY_DESKTOP_MAX_STEPS"


def install_root() -> Path:
    """Repository root in development, the bundle folder when frozen."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root)
    return Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    return install_root() / "resources"


def samples_dir() -> Path:
    return resources_dir() / "samples"


def models_dir() -> Path:
    """Folder holding `registry.json` and the model files (`XRAY_DESKTOP_MODELS` overrides)."""
    override = os.environ.get(ENV_MODELS)
    return Path(override) if override else install_root() / "models"


def registry_path() -> Path:
    return models_dir() / "registry.json"


def data_home() -> Path:
    """Per-user data folder, created on first use, owner-only (0700) on POSIX: it holds personal data."""
    override = os.environ.get(ENV_HOME)
    if override:
        path = Path(override)
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir(APP_NAME, APP_AUTHOR))
    return private_folder(path)


def logs_dir() -> Path:
    return private_folder(data_home() / "logs")


def private_folder(path: Path) -> Path:
    """Create `path` (0700) if missing, and take group/other access away from one we own (POSIX only).

    A data folder belongs to one operating-system account (its key, its 0600 files): one owned by another
    account is refused with a clear message instead of failing later on the first file it cannot read.
    """
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        try:
            info = path.stat()
        except OSError:
            return path
        if info.st_uid != os.getuid():
            from xray_desktop.errors import StoreError

            raise StoreError(
                f"{path}: this data folder belongs to another operating-system account (uid {info.st_uid}); "
                "each account keeps its own data folder: unset XRAY_DESKTOP_HOME, or point it at a folder "
                "of this account (IT guide, section 5)"
            )
        if info.st_mode & 0o077:
            with contextlib.suppress(OSError):  # a file system without POSIX modes (FAT stick): nothing to do
                os.chmod(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty with mode 0600 if missing, else tighten it to 0600 (POSIX; we must own it)."""
    if os.name != "posix":
        path.touch(exist_ok=True)
        return path
    try:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600))
        info = path.stat()
        if info.st_uid == os.getuid() and info.st_mode & 0o077:
            os.chmod(path, 0o600)
    except OSError:
        pass
    return path


def max_steps() -> int | None:
    """Cap on optimisation steps per epoch (tests set it so training stays fast)."""
    value = os.environ.get(ENV_MAX_STEPS)
    return int(value) if value else None
