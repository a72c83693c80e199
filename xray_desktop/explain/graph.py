"""Expose a model's feature maps (the CAM layers) and its decision score in one graph.

A classifier often wraps a whole backbone (a Functional DenseNet121 or MobileNetV2) as
one layer, so the feature map Grad-CAM needs lives inside a nested graph that
`keras.Model(model.inputs, inner_layer.output)` cannot reach. We rebuild the outer
graph once per model, re-using (never copying or editing) its layers, and call the
backbone through a small two-output view of itself. The shared model is untouched.

TensorFlow/Keras only: imported by the explainers, never by light modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras


@dataclass
class ExposedGraph:
    """`model(x) -> [*feature_maps, score_source, prediction]` plus how to turn score_source into a score.

    One feature map per entry of `target_paths` (the first is the default CAM layer).
    score_kind: "dense" (score = score_source @ dense.kernel + dense.bias, the logit of a sigmoid Dense),
    "logit" (score_source already is the logit) or "probability" (no logit reachable: score = prediction).
    The logit is preferred because the gradient of a saturated sigmoid is exactly zero in float32.
    """

    model: Any
    target_paths: tuple[tuple[str, ...], ...]
    score_kind: str
    dense: Any | None = None

    @property
    def target_path(self) -> tuple[str, ...]:
        return self.target_paths[0]


def find_target_layer(model: Any) -> tuple[str, ...]:
    """Names from the outer model down to the last layer with a 4-D output (the last feature map).

    Nested models are searched from the end, so the feature map inside a backbone is found.

    Raises:
        ValueError: no layer outputs a 4-D tensor (e.g. a dense-only model).
    """
    path = _search(model)
    if path is None:
        raise ValueError(f"model {model.name!r} has no layer with a 4-D (batch, h, w, channels) output to explain")
    return path


def _search(model: Any) -> tuple[str, ...] | None:
    for layer in reversed(model.layers):
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.Model):
            inner = _search(layer)
            if inner is not None:
                return (layer.name, *inner)
            continue
        if len(_output_shape(layer)) == 4:
            return (layer.name,)
    return None


_NOT_FEATURE_MAPS = (keras.layers.Permute, keras.layers.Reshape, keras.layers.Dense)


def flat_layers(model: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every leaf layer as (path, layer), nested backbones expanded in place, in the model's layer order."""
    out: list[tuple[tuple[str, ...], Any]] = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.Model):
            out.extend(flat_layers(layer, (*prefix, layer.name)))
        else:
            out.append(((*prefix, layer.name), layer))
    return out


def feature_layers(model: Any) -> list[tuple[tuple[str, ...], tuple[int, int, int]]]:
    """(path, (h, w, channels)) of every leaf layer with a 4-D output, in order (CAM layer candidates)."""
    found = []
    for path, layer in flat_layers(model):
        if isinstance(layer, _NOT_FEATURE_MAPS):  # axis shuffles and per-axis mixing (an ensemble's resize)
            continue
        shape = _output_shape(layer)
        if len(shape) == 4 and all(isinstance(v, int) for v in shape[1:]):
            found.append((path, (int(shape[1]), int(shape[2]), int(shape[3]))))
    return found


def resolve_layer(model: Any, name: str) -> tuple[str, ...]:
    """A registry layer name ("stage3_out", or "backbone/conv5_block16_concat" inside a nested model) -> path.

    Raises:
        ValueError: no layer of that name with a 4-D output (the message lists some that exist).
    """
    wanted = tuple(part for part in name.split("/") if part)
    candidates = feature_layers(model)
    for path, _shape in candidates:
        if path == wanted or (len(wanted) == 1 and path[-1] == wanted[0]):
            return path
    known = ", ".join("/".join(p) for p, _ in candidates[-6:])
    raise ValueError(f"model {model.name!r} has no 4-D layer named {name!r}; the last ones are: {known}")


def _output_shape(layer: Any) -> tuple[Any, ...]:
    try:
        return tuple(layer.output.shape)
    except (AttributeError, ValueError):  # a layer never called symbolically has no output
        return ()


def expose(model: Any, target_paths: Any = None) -> ExposedGraph:
    """Build the view of `model` used by every explainer (once per model and layer set).

    `target_paths`: None (the last feature map), one path tuple, or a sequence of path tuples.
    """
    if target_paths is None:
        paths: tuple[tuple[str, ...], ...] = (find_target_layer(model),)
    elif target_paths and isinstance(target_paths[0], str):
        paths = (tuple(target_paths),)
    else:
        paths = tuple(tuple(p) for p in target_paths)
    head = model.layers[-1]
    stash: dict[tuple[str, ...], Any] = {}
    sigmoid = keras.activations.sigmoid
    if isinstance(head, keras.layers.Activation) and head.activation is sigmoid:
        score_kind = "logit"
    elif isinstance(head, keras.layers.Dense) and head.activation is sigmoid and head.units == 1:
        score_kind = "dense"
    else:
        score_kind = "probability"

    def on_call(layer: Any, *args: Any, **kwargs: Any) -> Any:
        if layer is head and score_kind != "probability":
            stash[("__score_source__",)] = args[0]
        return _call(layer, paths, stash, *args, **kwargs)

    inputs, prediction = _rebuild(model, on_call)
    for path in paths:
        if path not in stash:
            raise ValueError(
                f"layer {'/'.join(path)} is not on the path from the input to the output of {model.name!r}"
            )
    score_source = stash.get(("__score_source__",), prediction)
    graph = keras.Model(inputs, [*(stash[p] for p in paths), score_source, prediction])
    return ExposedGraph(graph, paths, score_kind, head if score_kind == "dense" else None)


def _call(
    layer: Any, paths: tuple[tuple[str, ...], ...], stash: dict[tuple[str, ...], Any], *args: Any, **kwargs: Any
) -> Any:
    mine = [p for p in paths if p[0] == layer.name]
    if not mine:
        return layer(*args, **kwargs)
    deeper = tuple(dict.fromkeys(p[1:] for p in mine if len(p) > 1))
    if deeper:
        inner: dict[tuple[str, ...], Any] = {}
        inner_inputs, inner_out = _rebuild(layer, lambda lyr, *a, **k: _call(lyr, deeper, inner, *a, **k))
        for path in deeper:
            if path not in inner:
                raise ValueError(f"layer {'/'.join(path)} is not on the output path of {layer.name!r}")
        view = keras.Model(inner_inputs, [*(inner[p] for p in deeper), inner_out])
        outputs = view(*args, **kwargs)
        for path, tensor in zip(deeper, outputs[:-1], strict=True):
            stash[(layer.name, *path)] = tensor
        out = outputs[-1]
    else:
        out = layer(*args, **kwargs)
    if (layer.name,) in mine:
        stash[(layer.name,)] = out
    return out


def _rebuild(model: Any, on_call: Any) -> tuple[list[Any], Any]:
    """Re-trace `model` on fresh inputs, calling each (shared) layer through `on_call`: (inputs, output)."""
    if isinstance(model, keras.Sequential):
        inputs = [keras.Input(shape=tuple(model.inputs[0].shape[1:]), dtype=model.inputs[0].dtype)]
        x = inputs[0]
        for layer in model.layers:
            x = on_call(layer, x)
        return inputs, x
    clone = keras.models.clone_model(model, clone_function=lambda layer: layer, call_function=on_call)
    if len(clone.outputs) != 1:
        raise ValueError(f"model {model.name!r} has {len(clone.outputs)} outputs; one sigmoid output is expected")
    return list(clone.inputs), clone.outputs[0]
