"""An averaged ensemble of registered models as ONE Keras graph, so everything downstream (the registry,
the ONNX export, Grad-CAM, the population gate, packages) treats it as any other model.

Why one graph and not N models averaged at run time: one file, one checksum, one export, one parity check,
and a map of the ensemble's own decision. The graph is exact, not an approximation:

* each member keeps its input size: the film is prepared at the largest member's size and shrunk in the
  graph by an area average (the same weights as OpenCV's INTER_AREA, which `prepare_input` uses);
* each member's last feature map is brought to the finest member's grid by the transpose of an area
  average, whose columns all sum to the same value, so global average pooling of the enlarged map equals
  that of the original; the maps are concatenated into `ensemble_features`, the Grad-CAM layer;
* one sigmoid Dense on the concatenated `gap` holds each member's head divided by N, so its logit is the
  mean of the members' logits, and its input is the population gate's embedding.

TensorFlow/Keras only (training side).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import layers

from xray_desktop.atomic import atomic_write_text
from xray_desktop.errors import InputError
from xray_desktop.models.checksum import sha256_file
from xray_desktop.models.registry import ModelEntry, Registry
from xray_desktop.training.data_plan import plan_data
from xray_desktop.training.recipes import Recipe

CAM_LAYER = "ensemble_features"
EMBEDDING_LAYER = "gap"


def area_matrix(n_out: int, n_in: int) -> np.ndarray:
    """(n_out, n_in): row j averages the input cells that output cell j covers, by overlap (INTER_AREA)."""
    scale = n_in / n_out
    weights = np.zeros((n_out, n_in), np.float64)
    for j in range(n_out):
        low, high = j * scale, (j + 1) * scale
        for i in range(int(np.floor(low)), min(n_in, int(np.ceil(high)))):
            weights[j, i] = max(0.0, min(high, i + 1) - max(low, i))
    return (weights / scale).astype(np.float32)


def resize_matrix(n_out: int, n_in: int) -> np.ndarray:
    """Shrink by area average; enlarge by its transpose scaled so each output row sums to 1 (the mean is kept)."""
    if n_out <= n_in:
        return area_matrix(n_out, n_in)
    return (area_matrix(n_in, n_out).T * (n_out / n_in)).astype(np.float32)


def _resize(x: Any, size: tuple[int, int], name: str) -> Any:
    """(n, h, w, c) -> (n, *size, c) as two fixed matrix products (plain MatMul in ONNX, no resize op)."""
    h_in, w_in = int(x.shape[1]), int(x.shape[2])
    along_w = layers.Dense(size[1], use_bias=False, trainable=False, name=f"{name}_w")
    along_h = layers.Dense(size[0], use_bias=False, trainable=False, name=f"{name}_h")
    y = along_w(layers.Permute((1, 3, 2), name=f"{name}_to_w")(x))  # (n, h, c, w')
    y = along_h(layers.Permute((2, 3, 1), name=f"{name}_to_h")(y))  # (n, c, w', h')
    along_w.set_weights([resize_matrix(size[1], w_in).T])
    along_h.set_weights([resize_matrix(size[0], h_in).T])
    return layers.Permute((3, 2, 1), name=f"{name}_back")(y)  # (n, h', w', c)


def _parts(member: Any, where: str) -> tuple[Any, Any]:
    """(the member's `gap` layer, its sigmoid Dense head); refuses a model of another shape."""
    try:
        gap = member.get_layer(EMBEDDING_LAYER)
    except ValueError:
        raise InputError(
            f"{where}: no `{EMBEDDING_LAYER}` layer; only gap + sigmoid Dense models can be averaged"
        ) from None
    head = member.layers[-1]
    sigmoid = keras.activations.sigmoid
    if not (isinstance(head, layers.Dense) and head.units == 1 and head.activation is sigmoid):
        raise InputError(f"{where}: the last layer is not a one-unit sigmoid Dense")
    if not isinstance(gap, layers.GlobalAveragePooling2D) or len(gap.input.shape) != 4:
        raise InputError(f"{where}: `{EMBEDDING_LAYER}` is not a global average pooling of a feature map")
    return gap, head


def build_ensemble(members: list[Any], names: list[str] | None = None) -> Any:
    """One Keras model whose logit is the mean of `members`' logits (see the module docstring)."""
    if len(members) < 2:
        raise InputError("an ensemble needs at least two members")
    names = names or [m.name for m in members]
    sizes = [(int(m.inputs[0].shape[1]), int(m.inputs[0].shape[2])) for m in members]
    channels = {int(m.inputs[0].shape[-1]) for m in members}
    if len(channels) != 1:
        raise InputError(f"ensemble members take different channel counts: {sorted(channels)}")
    size = max(sizes, key=lambda s: s[0] * s[1])
    image = keras.Input((*size, channels.pop()), name="image")
    features, heads = [], []
    for k, (member, name) in enumerate(zip(members, names, strict=True)):
        gap, head = _parts(member, name)
        x = image if sizes[k] == size else _resize(image, sizes[k], f"member{k}_input")
        trunk = keras.Model(member.inputs, gap.input, name=f"member{k}")
        features.append(trunk(x))
        heads.append(head)
    grid = max(((int(f.shape[1]), int(f.shape[2])) for f in features), key=lambda s: s[0] * s[1])
    features = [
        f if (int(f.shape[1]), int(f.shape[2])) == grid else _resize(f, grid, f"member{k}_features")
        for k, f in enumerate(features)
    ]
    joined = layers.Concatenate(name=CAM_LAYER)(features)
    pooled = layers.GlobalAveragePooling2D(name=EMBEDDING_LAYER)(joined)
    dense = layers.Dense(1, activation="sigmoid", name="probability")
    outputs = dense(pooled)
    count = len(members)
    kernel = np.concatenate([np.asarray(h.kernel) / count for h in heads]).astype(np.float32)
    bias = np.mean([np.asarray(h.bias) for h in heads], axis=0).astype(np.float32)
    dense.set_weights([kernel, bias])
    return keras.Model(image, outputs, name="ensemble")


@dataclass
class AssembledRun:
    """What `services.training.run_training` returns for an ensemble recipe (nothing is trained)."""

    checkpoint: Path
    seconds: float
    members: list[dict[str, Any]]
    cancelled: bool = False


def member_entries(recipe: Recipe, registry: Registry) -> list[ModelEntry]:
    """The recipe's members, each registered, for the recipe's task, with one preprocessing between them.

    Raises InputError before anything is built.
    """
    where = str(recipe.source or recipe.name)
    entries = []
    for model_id in recipe.members:
        entry = registry.find(model_id)
        if entry is None:
            raise InputError(f"{where}: member {model_id!r} is not registered")
        if entry.task != recipe.task:
            raise InputError(f"{where}: member {model_id!r} is a {entry.task} model, the recipe is {recipe.task}")
        entries.append(entry)
    for key in ("resize", "normalisation"):
        values = {e.preprocessing[key] for e in entries}
        if len(values) != 1:
            raise InputError(f"{where}: members differ in preprocessing {key}: {sorted(values)}")
    largest = max((tuple(e.input_size) for e in entries), key=lambda s: s[0] * s[1])
    if tuple(recipe.input_size) != largest:
        raise InputError(f"{where}: input_size must be the largest member's, {list(largest)}")
    return entries


def check_same_films(recipe: Recipe, entries: list[ModelEntry], data_root: Path) -> None:
    """Every member must have been validated and tested on exactly the recipe's films, so the ensemble's
    threshold and calibration are chosen on films no member trained on, and its test is untouched."""
    plan = plan_data(recipe, data_root)
    wanted = {"validation_fingerprint": plan.split.fingerprint, "test_fingerprint": plan.split.test_fingerprint}
    for entry in entries:
        for key, value in wanted.items():
            if entry.provenance.get(key) != value:
                raise InputError(
                    f"{recipe.source or recipe.name}: member {entry.id!r} has {key} "
                    f"{entry.provenance.get(key)!r}, the recipe's split gives {value!r}; "
                    "members must come from the same split"
                )


def assemble(recipe: Recipe, run_dir: Path, data_root: Path, models_dir: Path) -> AssembledRun:
    """Build the ensemble from checksum-verified members into `run_dir` (best.keras + run.json), ready for
    `packaging.package_run` like any trained run."""
    started = time.monotonic()
    registry = Registry.load(models_dir / "registry.json")
    entries = member_entries(recipe, registry)
    check_same_films(recipe, entries, data_root)
    members = []
    for entry in entries:
        path = registry.models_dir / entry.file
        if not path.is_file() or sha256_file(path) != entry.sha256:
            raise InputError(f"{path}: member file is missing or does not match its sha256")
        members.append(keras.saving.load_model(path, compile=False, safe_mode=True))
    model = build_ensemble(members, [e.id for e in entries])
    run_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = run_dir / "best.keras"
    model.save(checkpoint)
    described = [_member_record(e) for e in entries]
    seconds = time.monotonic() - started
    record = {
        "recipe": str(recipe.source) if recipe.source else recipe.name,
        "checkpoint": checkpoint.name,
        "regimen": None,
        "history": [],
        "seconds": seconds,
        "cancelled": False,
        "members": described,
        "best_epoch": None,
    }
    atomic_write_text(run_dir / "run.json", json.dumps(record, indent=2) + "\n")
    return AssembledRun(checkpoint, seconds, described)


def _member_record(entry: ModelEntry) -> dict[str, Any]:
    test = entry.metrics.get("test")
    return {
        "id": entry.id,
        "sha256": entry.sha256,
        "input_size": list(entry.input_size),
        "validation_auc": entry.validation.get("auc"),
        "test_auc": test.get("auc") if isinstance(test, dict) else None,
        "trained_for": entry.provenance.get("trained_for"),
    }
