"""Choose a task's active operating point (screening / balanced / confirm): an administrator's setting.

It is stored in the registry beside `active_models`, so every analysis, batch and report reads the
same choice without it being passed around, and each change is audited.
"""

from __future__ import annotations

from xray_desktop.errors import InputError, ModelUnavailableError, RegistryError
from xray_desktop.models.registry import Registry
from xray_desktop.security.permissions import Permission
from xray_desktop.services.session import Session


def set_operating_point(session: Session, task: str, name: str, *, registry: Registry | None = None) -> Registry:
    """Make `name` the operating point that runs for `task`, save the registry and audit the change.

    Raises:
        NotAllowedError: not an administrator. ModelUnavailableError: no model or no such point.
    """
    session.require(Permission.MANAGE_MODELS)
    registry = registry if registry is not None else Registry.load()
    previous = registry.active_operating_points.get(task)
    try:
        registry.set_operating_point(task, name)
    except RegistryError as exc:
        raise ModelUnavailableError(str(exc)) from None
    try:
        registry.save()
    except OSError as exc:
        if previous is None:
            registry.active_operating_points.pop(task, None)
        else:
            registry.active_operating_points[task] = previous
        raise InputError(f"{registry.path}: cannot save the model registry ({exc.strerror or exc})") from None
    entry = registry.active_entry(task)
    _, threshold = registry.operating_point(entry) if entry is not None else (None, None)
    session.record(
        "operating_point_set",
        task=task,
        model_id=entry.id if entry else None,
        operating_point=name,
        threshold=threshold,
        previous=previous,
    )
    return registry
