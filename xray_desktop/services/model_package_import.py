"""Import a model package (.xrm): verify every byte, install the files, register the model, or change nothing.

Import trusts nothing in the package: member names, sizes, checksums, the entry's schema and the model itself
are all checked *before* the models folder or the registry is touched; files are copied to temporary names in
the models folder and renamed into place, and the registry is saved (atomically) last, so a failure at any
point leaves no half-imported model behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from xray_desktop import paths
from xray_desktop.errors import InputError, XRayError
from xray_desktop.models.registry import ModelEntry, Registry
from xray_desktop.security.permissions import Permission
from xray_desktop.services import model_package_onnx as graphs
from xray_desktop.services.model_activation import activate_model, share_like_folder
from xray_desktop.services.model_package_format import PackageMember, open_package, read_manifest
from xray_desktop.services.session import Session

_CHUNK = 1 << 20

ModelCheck = Callable[[Path, ModelEntry], None]


def import_package(
    session: Session,
    path: str | Path,
    *,
    activate: bool = False,
    registry: Registry | None = None,
    check_model: ModelCheck | None = None,
) -> ModelEntry:
    """Verify the package at `path` completely, then install its model and register it; return the entry.

    `check_model(path, entry)` must raise unless the extracted model loads and fits its entry; the default
    loads it through the ModelManager. Importing the same package twice is a no-op; a package whose model id
    is already registered with different bytes is refused (remove that model first).
    """
    session.require(Permission.MANAGE_MODELS)
    source = Path(path)
    if registry is None:
        registry = Registry.load() if paths.registry_path().exists() else Registry.empty(paths.registry_path())
    check = check_model if check_model is not None else load_check
    models_dir = registry.models_dir

    with open_package(source) as archive:
        manifest = read_manifest(source, archive)
        entry = manifest.entry
        existing = registry.find(entry.id)
        if existing is not None:
            if existing.sha256 == entry.sha256 and registry.model_path(existing).is_file():
                if activate and registry.active_models.get(entry.task) != entry.id:
                    activate_model(session, entry.task, entry.id, registry=registry)
                return existing
            raise InputError(
                f"{source}: a different model with id {entry.id!r} is already installed; remove it first "
                "or export the new one under a new id"
            )
        targets = {manifest.model_member: models_dir / entry.file}
        if manifest.card_member is not None:
            targets[manifest.card_member] = models_dir / entry.card  # type: ignore[operator]
        targets.update({m: models_dir / name for m, (name, _sha) in graphs.onnx_members(entry).items()})
        if manifest.population_member is not None:
            targets[manifest.population_member] = models_dir / entry.population_check["file"]
        _refuse_clashes(source, registry, targets)

        models_dir.mkdir(parents=True, exist_ok=True)
        staged: dict[str, Path] = {}
        try:
            for name in targets:
                suffix = targets[name].suffix  # Keras picks the loader by extension: keep it on the temporary name
                staged[name] = _extract_verified(source, archive, manifest.members[name], models_dir, suffix)
            try:
                check(staged[manifest.model_member], entry)
            except XRayError as exc:
                raise InputError(f"{source}: the model does not load or does not fit its entry: {exc}") from None
            placed = _place(staged, targets)
        finally:
            for tmp in staged.values():
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()

    before = (list(registry.models), dict(registry.active_models))
    try:
        entry = graphs.graphs_for_import(registry, entry)
        registry.add(entry, activate=activate)
        registry.save()
        for path in (*placed, registry.path):
            share_like_folder(path)
    except BaseException as exc:
        for target in placed:  # the registry never saw them: take them away again
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
        registry.models, registry.active_models = before  # the caller's in-memory registry matches the disk
        if isinstance(exc, OSError):
            raise InputError(f"{registry.path}: cannot save the model registry ({exc.strerror or exc})") from None
        raise
    session.record("model_import", model_id=entry.id, task=entry.task, path=str(source), sha256=entry.sha256)
    return entry


def load_check(model_file: Path, entry: ModelEntry) -> None:
    """Default model check: the file must load through the ModelManager and match the entry's input and output."""
    from xray_desktop.models.backend import tensorflow_installed
    from xray_desktop.models.manager import check_model_file

    if tensorflow_installed():  # a reading station checks the ONNX graphs once they are placed
        check_model_file(model_file, entry)


def _refuse_clashes(source: Path, registry: Registry, targets: dict[str, Path]) -> None:
    """Never overwrite a file that another registered model (or its card) relies on."""
    owned: dict[Path, str] = {}
    for other in registry.models:
        owned[registry.model_path(other).resolve()] = other.id
        card = registry.card_path(other)
        if card is not None:
            owned[card.resolve()] = other.id
    for target in targets.values():
        owner = owned.get(target.resolve())
        if owner is not None:
            raise InputError(f"{source}: {target.name} would replace a file of installed model {owner!r}; refused")


def _extract_verified(source: Path, archive: zipfile.ZipFile, member: PackageMember, folder: Path, suffix: str) -> Path:
    """Copy one member to a temporary file in `folder`, checking its size and sha256 on the way."""
    fd, tmp_name = tempfile.mkstemp(prefix=".import-", suffix=suffix, dir=folder)
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    written = 0
    try:
        with os.fdopen(fd, "wb") as out, archive.open(member.name) as src:
            written = _copy_hashing(src, out, digest, member.size)
            out.flush()
            os.fsync(out.fileno())
    except zipfile.BadZipFile as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"{source}: {member.name} is damaged ({exc})") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if written != member.size or digest.hexdigest() != member.sha256:
        tmp.unlink(missing_ok=True)
        raise InputError(f"{source}: {member.name} does not match its sha256 in the manifest (damaged or altered)")
    return tmp


def _copy_hashing(src: IO[bytes], out: IO[bytes], digest: Any, limit: int) -> int:
    written = 0
    while chunk := src.read(_CHUNK):
        written += len(chunk)
        if written > limit:  # more bytes than declared: stop before writing them
            break
        digest.update(chunk)
        out.write(chunk)
    return written


def _place(staged: dict[str, Path], targets: dict[str, Path]) -> list[Path]:
    """Rename each verified temporary file onto its final name; undo the ones already placed on failure."""
    placed: list[Path] = []
    try:
        for name, tmp in staged.items():
            target = targets[name]
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
            placed.append(target)
    except OSError as exc:
        for target in placed:
            target.unlink(missing_ok=True)
        raise InputError(f"{targets[name].parent}: cannot install the model there ({exc.strerror or exc})") from None
    return placed
