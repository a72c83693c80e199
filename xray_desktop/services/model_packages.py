"""Model packages (.xrm): move a registered model between offline machines with checksums that travel along.

A package is a zip holding the model file, its model card (when it has one) and `manifest.json` (the
registry entry plus the size and sha256 of every other member). Import trusts nothing in it: member names,
sizes, checksums, the entry's schema and the model itself are all checked *before* the models folder or the
registry is touched; files are copied to temporary names in the models folder and renamed into place, and the
registry is saved (atomically) last, so a failure at any point leaves no half-imported model behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from xray_desktop import __version__, paths
from xray_desktop.atomic import atomic_open
from xray_desktop.errors import InputError, ModelUnavailableError, RegistryError, UsageError, XRayError
from xray_desktop.models.checksum import sha256_file
from xray_desktop.models.registry import ModelEntry, Registry
from xray_desktop.security.permissions import Permission
from xray_desktop.services import model_package_onnx as graphs
from xray_desktop.services.session import Session

PACKAGE_SUFFIX = ".xrm"
PACKAGE_FORMAT = "xray-desktop-model-package"
PACKAGE_FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
MODEL_PREFIX = "model/"
CARD_PREFIX = "card/"
POPULATION_PREFIX = "population/"  # the fitted population gate (.npz), when the model has one

# Bounds that stop a hostile or broken package before it fills the disk (a zip bomb declares small sizes).
MAX_MEMBERS = 8  # a package holds 3 (manifest, model, card); a few more get a precise refusal
MAX_MANIFEST_BYTES = 1 << 20
MAX_CARD_BYTES = 4 << 20
MAX_MODEL_BYTES = 2 << 30
_CHUNK = 1 << 20

ModelCheck = Callable[[Path, ModelEntry], None]


@dataclass(frozen=True)
class PackageMember:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class PackageManifest:
    """What a package says about itself, after every structural check has passed."""

    entry: ModelEntry
    members: dict[str, PackageMember]
    created_at: str = ""
    created_by: str = ""
    app_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def model_member(self) -> str:
        return MODEL_PREFIX + PurePosixPath(self.entry.file).name

    @property
    def card_member(self) -> str | None:
        return CARD_PREFIX + self.entry.card if self.entry.card else None

    @property
    def population_member(self) -> str | None:
        gate = self.entry.population_check.get("file")
        return POPULATION_PREFIX + PurePosixPath(gate).name if gate else None


def export_package(session: Session, model_id: str, out_path: str | Path, *, registry: Registry | None = None) -> Path:
    """Write the registered model `model_id` as a package at `out_path` (atomically) and return the path.

    Refuses to export a model whose file no longer matches its recorded checksum, so a package never
    carries a damaged model with a checksum that would make it look sound.
    """
    session.require(Permission.MANAGE_MODELS)
    out = Path(out_path)
    if out.suffix.lower() != PACKAGE_SUFFIX:
        raise UsageError(f"{out}: a model package file name must end in {PACKAGE_SUFFIX}")
    registry = registry if registry is not None else Registry.load()
    entry = registry.get(model_id)
    model_file = registry.model_path(entry)
    if not model_file.is_file():
        raise ModelUnavailableError(f"model {entry.id!r}: file {model_file} is missing")
    actual = sha256_file(model_file)
    if actual != entry.sha256:
        raise ModelUnavailableError(
            f"model {entry.id!r}: {model_file} does not match its recorded sha256 (damaged or replaced); not exported"
        )
    sources = {MODEL_PREFIX + PurePosixPath(entry.file).name: model_file}
    card_file = registry.card_path(entry)
    if card_file is not None:
        if not card_file.is_file():
            raise ModelUnavailableError(f"model {entry.id!r}: model card {card_file} is missing")
        sources[CARD_PREFIX + entry.card] = card_file  # type: ignore[operator]
    sources.update(graphs.onnx_sources(registry, entry))
    gate = entry.population_check.get("file")
    if gate:
        gate_file = registry.models_dir / gate
        if not gate_file.is_file() or sha256_file(gate_file) != entry.population_check.get("sha256"):
            raise ModelUnavailableError(f"model {entry.id!r}: population check {gate_file} is missing or changed")
        sources[POPULATION_PREFIX + PurePosixPath(gate).name] = gate_file

    members = {name: {"size": src.stat().st_size, "sha256": sha256_file(src)} for name, src in sources.items()}
    manifest = {
        "format": PACKAGE_FORMAT,
        "format_version": PACKAGE_FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "created_by": session.username,
        "app_version": __version__,
        "entry": entry.to_dict(),
        "members": members,
    }
    try:
        with atomic_open(out, "wb") as handle, zipfile.ZipFile(handle, "w") as archive:
            archive.writestr(MANIFEST_NAME, json.dumps(manifest, indent=2, ensure_ascii=False), zipfile.ZIP_DEFLATED)
            for name, src in sources.items():
                # A .keras file is already a zip: storing it again compressed would only cost time.
                method = zipfile.ZIP_STORED if name.startswith(MODEL_PREFIX) else zipfile.ZIP_DEFLATED
                archive.write(src, name, compress_type=method)
    except OSError as exc:
        raise InputError(f"{out}: the model package cannot be written ({exc.strerror or exc})") from None
    session.record("model_export", model_id=entry.id, path=str(out), sha256=sha256_file(out))
    return out


def inspect_package(path: str | Path) -> PackageManifest:
    """Open a package and check its structure and manifest (not yet the members' bytes); for previews."""
    source = Path(path)
    with _open_zip(source) as archive:
        return _read_manifest(source, archive)


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

    with _open_zip(source) as archive:
        manifest = _read_manifest(source, archive)
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


@contextlib.contextmanager
def _open_zip(source: Path):  # type: ignore[no-untyped-def]
    try:
        archive = zipfile.ZipFile(source)
    except FileNotFoundError:
        raise InputError(f"{source}: file not found") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{source}: not a model package (not a readable zip file: {exc})") from None
    with archive:
        yield archive


def _read_manifest(source: Path, archive: zipfile.ZipFile) -> PackageManifest:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise InputError(f"{source}: too many files in the package ({len(infos)}; at most {MAX_MEMBERS})")
    names: set[str] = set()
    for info in infos:
        _check_member_name(source, info)
        if info.filename in names:
            raise InputError(f"{source}: {info.filename!r} appears twice in the package")
        names.add(info.filename)
    if MANIFEST_NAME not in names:
        raise InputError(f"{source}: not a model package ({MANIFEST_NAME} is missing)")
    info = archive.getinfo(MANIFEST_NAME)
    if info.file_size > MAX_MANIFEST_BYTES:
        raise InputError(f"{source}: {MANIFEST_NAME} is implausibly large ({info.file_size} bytes)")
    try:
        data = json.loads(_read_bounded(archive, info, MAX_MANIFEST_BYTES).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{source}: {MANIFEST_NAME} is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != PACKAGE_FORMAT:
        raise InputError(f"{source}: not an XRay Desktop model package (wrong format marker)")
    if data.get("format_version") != PACKAGE_FORMAT_VERSION:
        raise InputError(
            f"{source}: package format version {data.get('format_version')!r} is not supported "
            f"(this program reads version {PACKAGE_FORMAT_VERSION})"
        )
    try:
        entry = ModelEntry.from_dict(data.get("entry") or {}, "entry")
    except RegistryError as exc:
        raise InputError(f"{source}: the model entry is invalid: {exc}") from None
    members = _parse_members(source, data.get("members"))
    expected = {MODEL_PREFIX + PurePosixPath(entry.file).name, *graphs.onnx_members(entry)}
    if entry.card:
        expected.add(CARD_PREFIX + entry.card)
    gate = entry.population_check.get("file")
    if gate:
        expected.add(POPULATION_PREFIX + PurePosixPath(gate).name)
    if set(members) != expected:
        raise InputError(f"{source}: the manifest lists {sorted(members)} but the entry needs {sorted(expected)}")
    if names - {MANIFEST_NAME} != expected:
        raise InputError(f"{source}: the package holds {sorted(names - {MANIFEST_NAME})}, expected {sorted(expected)}")
    model = members[MODEL_PREFIX + PurePosixPath(entry.file).name]
    if model.sha256 != entry.sha256:
        raise InputError(f"{source}: the manifest's checksum of the model differs from the entry's sha256")
    graphs.check_manifest_onnx(source, entry, {name: m.sha256 for name, m in members.items()})
    if gate and members[POPULATION_PREFIX + PurePosixPath(gate).name].sha256 != entry.population_check.get("sha256"):
        raise InputError(f"{source}: the population check's checksum differs from the entry's population_check")
    for name, member in members.items():
        info = archive.getinfo(name)
        prefixes = (MODEL_PREFIX, graphs.ONNX_PREFIX, POPULATION_PREFIX)
        limit = MAX_MODEL_BYTES if name.startswith(prefixes) else MAX_CARD_BYTES
        if member.size > limit or info.file_size > limit:
            raise InputError(f"{source}: {name} is larger than the {limit:,} bytes allowed")
        if info.file_size != member.size:
            raise InputError(f"{source}: {name} is {info.file_size} bytes but the manifest says {member.size}")
    return PackageManifest(
        entry=entry,
        members=members,
        created_at=str(data.get("created_at", "")),
        created_by=str(data.get("created_by", "")),
        app_version=str(data.get("app_version", "")),
        extra={k: v for k, v in data.items() if k not in {"format", "format_version", "entry", "members"}},
    )


def _check_member_name(source: Path, info: zipfile.ZipInfo) -> None:
    """Refuse anything that could land outside a folder when extracted (zip-slip) or is not a plain file."""
    name = info.filename
    pure = PurePosixPath(name)
    unsafe = (
        not name
        or "\\" in name
        or name.startswith("/")
        or ":" in name
        or pure.is_absolute()
        or any(part in ("", ".", "..") for part in name.split("/"))
    )
    if unsafe:
        raise InputError(f"{source}: refused unsafe path {name!r} in the package")
    file_type = stat.S_IFMT(info.external_attr >> 16)  # 0 when the writer recorded no Unix file type
    if info.is_dir() or file_type not in (0, stat.S_IFREG):
        raise InputError(f"{source}: refused {name!r}: only plain files may be in a package")
    if info.flag_bits & 0x1:
        raise InputError(f"{source}: refused {name!r}: encrypted members are not supported")


def _parse_members(source: Path, raw: Any) -> dict[str, PackageMember]:
    if not isinstance(raw, dict):
        raise InputError(f"{source}: the manifest has no members list")
    members: dict[str, PackageMember] = {}
    for name, value in raw.items():
        size = value.get("size") if isinstance(value, dict) else None
        sha = value.get("sha256") if isinstance(value, dict) else None
        valid_sha = isinstance(sha, str) and len(sha) == 64 and all(c in "0123456789abcdef" for c in sha)
        if not (isinstance(size, int) and not isinstance(size, bool) and size >= 0 and valid_sha):
            raise InputError(f"{source}: the manifest's record for {name!r} needs a size and a sha256")
        members[name] = PackageMember(name=name, size=size, sha256=sha)  # type: ignore[arg-type]
    return members


def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    with archive.open(info) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"{archive.filename}: {info.filename} is larger than declared")
    return data


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
