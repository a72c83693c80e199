"""Export a registered model as a package (.xrm), so it can travel to an offline machine with its checksums.

Every file is checked against the checksum the registry records *before* it goes into the package, so a
package never carries a damaged model under a checksum that would make it look sound. The layout is
`model_package_format`'s; the package file is written atomically.
"""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from xray_desktop import __version__
from xray_desktop.atomic import atomic_open
from xray_desktop.errors import InputError, ModelUnavailableError, UsageError
from xray_desktop.models.checksum import sha256_file
from xray_desktop.models.registry import Registry
from xray_desktop.security.permissions import Permission
from xray_desktop.services import model_package_onnx as graphs
from xray_desktop.services.model_package_format import (
    MANIFEST_NAME,
    MODEL_PREFIX,
    PACKAGE_FORMAT,
    PACKAGE_FORMAT_VERSION,
    PACKAGE_SUFFIX,
    card_member,
    model_member,
    population_member,
)
from xray_desktop.services.session import Session


def export_package(session: Session, model_id: str, out_path: str | Path, *, registry: Registry | None = None) -> Path:
    """Write the registered model `model_id` as a package at `out_path` (atomically) and return the path.

    Refuses when any file no longer matches its recorded checksum (see the module's docstring for why).
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
    sources = {model_member(entry): model_file}
    card, card_file = card_member(entry), registry.card_path(entry)
    if card is not None and card_file is not None:
        if not card_file.is_file():
            raise ModelUnavailableError(f"model {entry.id!r}: model card {card_file} is missing")
        sources[card] = card_file
    sources.update(graphs.onnx_sources(registry, entry))
    gate = population_member(entry)
    if gate is not None:
        gate_file = registry.models_dir / entry.population_check["file"]
        if not gate_file.is_file() or sha256_file(gate_file) != entry.population_check.get("sha256"):
            raise ModelUnavailableError(f"model {entry.id!r}: population check {gate_file} is missing or changed")
        sources[gate] = gate_file

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
