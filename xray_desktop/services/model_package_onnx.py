"""The ONNX graphs inside a model package: which members, where they go, and how import checks them.

A package of a model with exported graphs carries both graph files under `onnx/`, with their
sizes and checksums in the manifest like every other member, so a reading station (no TensorFlow)
can import and run it. A package from before the graphs existed still imports: the full install
exports the graphs right after, a reading station names the command that makes them.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from xray_desktop.errors import InputError, ModelUnavailableError
from xray_desktop.models.checksum import sha256_file
from xray_desktop.models.registry import ModelEntry, Registry

ONNX_PREFIX = "onnx/"


def onnx_members(entry: ModelEntry) -> dict[str, tuple[str, str]]:
    """member name -> (file name in the models folder, sha256) for the entry's graphs ({} when none)."""
    info = entry.onnx
    pairs = [(info.get("file"), info.get("sha256")), (info.get("forward_file"), info.get("forward_sha256"))]
    return {ONNX_PREFIX + PurePosixPath(f).name: (str(f), str(s)) for f, s in pairs if f and s}


def onnx_sources(registry: Registry, entry: ModelEntry) -> dict[str, Path]:
    """The graph files to put in a package, each checked against its recorded checksum first."""
    sources: dict[str, Path] = {}
    for member, (name, sha) in onnx_members(entry).items():
        path = registry.models_dir / name
        if not path.is_file() or sha256_file(path) != sha:
            raise ModelUnavailableError(
                f"model {entry.id!r}: ONNX graph {path} is missing or does not match its sha256"
            )
        sources[member] = path
    return sources


def check_manifest_onnx(source: Path, entry: ModelEntry, checksums: dict[str, str]) -> None:
    """The manifest's checksum of each graph member must be the one the entry records."""
    for member, (_name, sha) in onnx_members(entry).items():
        if checksums.get(member) != sha:
            raise InputError(f"{source}: the manifest's checksum of {member} differs from the entry's onnx record")


def check_installed_onnx(registry: Registry, entry: ModelEntry) -> None:
    """Open the just-placed graphs and run one prediction (raises InputError: the import is undone)."""
    if not onnx_members(entry):
        return
    import numpy as np

    from xray_desktop.models.onnx_runtime import open_onnx

    try:
        model = open_onnx(registry.models_dir, entry, threads=1)
        value = model.predict_raw(np.zeros((1, *entry.spec.input_shape), np.float32))
    except (ModelUnavailableError, ValueError) as exc:
        raise InputError(f"model {entry.id!r}: its ONNX graph does not run: {exc}") from None
    if value.shape != (1,) or not 0.0 <= float(value[0]) <= 1.0:
        raise InputError(f"model {entry.id!r}: its ONNX graph does not output a probability (got {value!r})")


def graphs_for_import(registry: Registry, entry: ModelEntry) -> ModelEntry:
    """Before the entry is registered: check the packaged graphs, or (full install) export them now.

    Raises InputError when packaged graphs do not run, or when the export's parity check refuses the
    model; the import is then undone. A Keras file that cannot be loaded is the model check's business.
    """
    from xray_desktop.models.backend import tensorflow_installed

    if onnx_members(entry):
        check_installed_onnx(registry, entry)
        return entry
    if not tensorflow_installed():
        return entry  # the manager names the re-export command when the model is first used
    from xray_desktop.training.onnx_register import OnnxExportError, ensure_onnx

    try:
        return ensure_onnx(registry, entry, save=False)
    except OnnxExportError as exc:
        raise InputError(str(exc)) from None
    except ModelUnavailableError:
        return entry
