"""Model packages (.xrm) as files: the layout, the manifest, and every check that needs no byte of a model.

A package is a zip holding the model file, its model card (when it has one), the population gate and ONNX
graphs (when the model has them) and `manifest.json` (the registry entry plus the size and sha256 of every
other member). Reading one trusts nothing in it: member names, sizes and the entry's schema are checked here,
so that both the preview (`inspect_package`) and the import (`model_package_import`) refuse the same things.
"""

from __future__ import annotations

import contextlib
import json
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from xray_desktop.errors import InputError, RegistryError
from xray_desktop.models.registry import ModelEntry
from xray_desktop.services import model_package_onnx as graphs

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


def model_member(entry: ModelEntry) -> str:
    """The member name of the entry's model file (folders dropped: a package is flat below each prefix)."""
    return MODEL_PREFIX + PurePosixPath(entry.file).name


def card_member(entry: ModelEntry) -> str | None:
    return CARD_PREFIX + entry.card if entry.card else None


def population_member(entry: ModelEntry) -> str | None:
    gate = entry.population_check.get("file")
    return POPULATION_PREFIX + PurePosixPath(gate).name if gate else None


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
        return model_member(self.entry)

    @property
    def card_member(self) -> str | None:
        return card_member(self.entry)

    @property
    def population_member(self) -> str | None:
        return population_member(self.entry)


def inspect_package(path: str | Path) -> PackageManifest:
    """Open a package and check its structure and manifest (not yet the members' bytes); for previews."""
    source = Path(path)
    with open_package(source) as archive:
        return read_manifest(source, archive)


@contextlib.contextmanager
def open_package(source: Path) -> Iterator[zipfile.ZipFile]:
    """The package as an open zip; a missing or unreadable file is an InputError that names it."""
    try:
        archive = zipfile.ZipFile(source)
    except FileNotFoundError:
        raise InputError(f"{source}: file not found") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{source}: not a model package (not a readable zip file: {exc})") from None
    with archive:
        yield archive


def read_manifest(source: Path, archive: zipfile.ZipFile) -> PackageManifest:
    """The manifest, once the member names, the entry, the checksums it repeats and the sizes all agree."""
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
    gate = population_member(entry)
    expected = {model_member(entry), *graphs.onnx_members(entry)} | {m for m in (card_member(entry), gate) if m}
    if set(members) != expected:
        raise InputError(f"{source}: the manifest lists {sorted(members)} but the entry needs {sorted(expected)}")
    if names - {MANIFEST_NAME} != expected:
        raise InputError(f"{source}: the package holds {sorted(names - {MANIFEST_NAME})}, expected {sorted(expected)}")
    if members[model_member(entry)].sha256 != entry.sha256:
        raise InputError(f"{source}: the manifest's checksum of the model differs from the entry's sha256")
    graphs.check_manifest_onnx(source, entry, {name: m.sha256 for name, m in members.items()})
    if gate and members[gate].sha256 != entry.population_check.get("sha256"):
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
