"""Choose which registered model runs for a task, and keep files in a shared models folder readable by all.

Activation is audited and verified: a model whose file fails its checksum never becomes the one that runs.
`share_like_folder` lives here because both activation and import save the registry into the models folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from xray_desktop.errors import InputError, ModelUnavailableError
from xray_desktop.models.checksum import sha256_file
from xray_desktop.models.registry import Registry
from xray_desktop.security.permissions import Permission
from xray_desktop.services.session import Session


def activate_model(session: Session, task: str, model_id: str | None, *, registry: Registry | None = None) -> Registry:
    """Make `model_id` the model that runs for `task` (None: no model for it), verify it, save, and audit.

    The model must pass its checksum before it becomes active, so activation can never select a damaged file.
    """
    session.require(Permission.MANAGE_MODELS)
    registry = registry if registry is not None else Registry.load()
    if model_id is not None:
        entry = registry.get(model_id)
        path = registry.model_path(entry)
        if not path.is_file() or sha256_file(path) != entry.sha256:
            raise ModelUnavailableError(f"model {model_id!r}: {path} is missing or does not match its sha256")
    previous = registry.active_models.get(task)
    registry.activate(task, model_id)
    try:
        registry.save()
        share_like_folder(registry.path)
    except OSError as exc:
        registry.active_models[task] = previous
        raise InputError(f"{registry.path}: cannot save the model registry ({exc.strerror or exc})") from None
    session.record("model_activate", task=task, model_id=model_id, previous=previous)
    return registry


def share_like_folder(path: Path) -> None:
    """Give a file written into the models folder the folder's read (and group-write) permission bits.

    Atomic writes create 0600 files; in a models folder shared by several accounts (a per-machine
    installation, XRAY_DESKTOP_MODELS) that would hide the registry and models from everyone but the
    administrator who imported them. Windows has no mode bits: the folder's inherited ACL applies there.
    """
    if os.name != "posix":
        return
    folder_mode = path.parent.stat().st_mode
    os.chmod(path, 0o600 | (folder_mode & 0o044) | (folder_mode & 0o020))
