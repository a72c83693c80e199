"""Give a registered Keras model its ONNX inference graphs: export, check parity, record, or refuse.

One idempotent entry point, `ensure_onnx`, used by `xray-desktop models export-onnx`, by training
packaging, by model-package import and by the model manager when an old registry entry has no
graphs yet. A model whose graphs fail the parity check is refused: the graph files are removed,
the registry is left as it was and `OnnxExportError` carries the measured figures.
TensorFlow is imported here (export side only).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from xray_desktop.errors import ModelUnavailableError
from xray_desktop.models.registry import ModelEntry, Registry


class OnnxExportError(ModelUnavailableError):
    """The export failed or its graphs do not match the Keras model; `figures` says by how much."""

    def __init__(self, message: str, figures: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.figures = figures or {}


def ensure_onnx(
    registry: Registry,
    entry: ModelEntry,
    *,
    force: bool = False,
    films: list[Path] | None = None,
    model: Any | None = None,
    save: bool = True,
) -> ModelEntry:
    """The entry with verified ONNX graphs: exported and parity-checked unless already current.

    Already current = `entry.onnx` was made from this exact Keras file and both graph files match
    their checksums (nothing is rewritten then, unless `force`). Saves the registry when it changed.

    Raises:
        OnnxExportError: the export failed or the parity check refused it (figures attached).
        ModelUnavailableError: the Keras file itself is missing, damaged or of the wrong shape.
    """
    from xray_desktop.models.onnx_runtime import has_onnx, open_onnx

    models_dir = registry.models_dir
    if not force and has_onnx(entry):
        try:
            open_onnx(models_dir, entry, threads=1)
        except ModelUnavailableError:
            pass  # damaged or missing graph files: export again below
        else:
            return entry
    if model is None:
        model = _load_keras(registry, entry)
    from xray_desktop.training.onnx_export import export_files
    from xray_desktop.training.onnx_parity import check_parity, sample_films

    who = f"model {entry.id!r} ({entry.task})"
    try:
        info = export_files(model, entry, models_dir)
    except Exception as exc:  # tf2onnx/onnx raise many types; each means "no trustworthy graph"
        raise OnnxExportError(f"{who}: cannot be exported to ONNX ({type(exc).__name__}: {exc})") from None
    candidate = replace(entry, onnx=info)
    from xray_desktop.explain.onnx_cam import OnnxExplainer

    graphs = open_onnx(models_dir, candidate, explainers=OnnxExplainer)
    report = check_parity(model, graphs, candidate, films or sample_films(entry.task))
    if not report.passed:
        for name in (info["file"], info["forward_file"]):
            (models_dir / name).unlink(missing_ok=True)
        raise OnnxExportError(
            f"{who}: the ONNX graph does not match the Keras model, refused\n{report.describe()}", report.to_dict()
        )
    exported = replace(entry, onnx={**info, "parity": report.to_dict()})
    registry.add(exported)  # same id: stays active if it was
    if save:
        registry.save()
    return exported


def _load_keras(registry: Registry, entry: ModelEntry) -> Any:
    """Load the entry's Keras file through the manager's checks (checksum, signature)."""
    from xray_desktop.models.manager import LoadedModel, ModelManager

    loaded = ModelManager(registry, backend="tensorflow").load(entry)
    assert isinstance(loaded, LoadedModel)  # the tensorflow backend hands out Keras models
    return loaded.model
