"""Expose a model's last convolutional feature map and its decision score in one graph.

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
    """`model(x) -> [feature_map, score_source, prediction]` plus how to turn score_source into a score.

    score_kind: "dense" (score = score_source @ dense.kernel + dense.bias, the logit of a sigmoid Dense),
    "logit" (score_source already is the logit) or "probability" (no logit reachable: score = prediction).
    The logit is preferred because the gradient of a saturated sigmoid is exactly zero in float32.
    """

    model: Any
    target_path: tuple[str, ...]
    score_kind: str
    dense: Any | None = None


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


def _output_shape(layer: Any) -> tuple[Any, ...]:
    try:
        return tuple(layer.output.shape)
    except (AttributeError, ValueError):  # a layer never called symbolically has no output
        return ()


def expose(model: Any, target_path: tuple[str, ...] | None = None) -> ExposedGraph:
    """Build the three-output view of `model` used by every explainer (once per model)."""
    path = target_path or find_target_layer(model)
    head = model.layers[-1]
    stash: dict[str, Any] = {}
    sigmoid = keras.activations.sigmoid
    if isinstance(head, keras.layers.Activation) and head.activation is sigmoid:
        score_kind = "logit"
    elif isinstance(head, keras.layers.Dense) and head.activation is sigmoid and head.units == 1:
        score_kind = "dense"
    else:
        score_kind = "probability"

    def on_call(layer: Any, *args: Any, **kwargs: Any) -> Any:
        if layer is head and score_kind != "probability":
            stash["score_source"] = args[0]
        return _call(layer, path, stash, *args, **kwargs)

    inputs, prediction = _rebuild(model, on_call)
    if "feature_map" not in stash:
        raise ValueError(f"layer {'/'.join(path)} is not on the path from the input to the output of {model.name!r}")
    score_source = stash.get("score_source", prediction)
    graph = keras.Model(inputs, [stash["feature_map"], score_source, prediction])
    return ExposedGraph(graph, path, score_kind, head if score_kind == "dense" else None)


def _call(layer: Any, path: tuple[str, ...], stash: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    if layer.name != path[0]:
        return layer(*args, **kwargs)
    if len(path) == 1:
        out = layer(*args, **kwargs)
        stash["feature_map"] = out
        return out
    inner_stash: dict[str, Any] = {}
    inner_inputs, inner_out = _rebuild(layer, lambda lyr, *a, **k: _call(lyr, path[1:], inner_stash, *a, **k))
    if "feature_map" not in inner_stash:
        raise ValueError(f"layer {'/'.join(path[1:])} is not on the output path of {layer.name!r}")
    view = keras.Model(inner_inputs, [inner_stash["feature_map"], inner_out])
    feature_map, out = view(*args, **kwargs)
    stash["feature_map"] = feature_map
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
