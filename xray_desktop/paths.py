"""The one place that knows where things live.

Bundled read-only things (resources, models) are found relative to the repository
root in development and to `sys._MEIPASS` in a PyInstaller bundle; the installer
spec puts `resources/` and `models/` at the same relative places. Per-user data
(users, settings, history, audit, logs) lives in the platform's user data folder,
or in `XRAY_DESKTOP_HOME` when that is set (tests, portable installs).
"""

from __future__ import annotations

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
    """Per-user data folder, created on first use."""
    override = os.environ.get(ENV_HOME)
    if override:
        path = Path(override)
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir(APP_NAME, APP_AUTHOR))
    path.mkdir(parents=True, exist_ok=True)
    return path


def logs_dir() -> Path:
    path = data_home() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def max_steps() -> int | None:
    """Cap on optimisation steps per epoch (tests set it so training stays fast)."""
    value = os.environ.get(ENV_MAX_STEPS)
    return int(value) if value else None
