"""Export a registered Keras model as two ONNX inference graphs, so analysis never needs TensorFlow.

* the CAM graph (batch 1): probability, logit, embedding (the `gap` output, or the head's input),
  and for every CAM layer its activations and the gradient of the logit with respect to them;
  Grad-CAM, Grad-CAM++ and any multi-layer method are then plain numpy after one call;
* the forward graph (any batch): probability, logit, embedding and the default CAM layer's
  activations, for batches, Score-CAM and faithfulness curves.

The gradient is traced by TensorFlow with a static batch so the shape ops fold to constants;
the backward ops tf2onnx lacks are converted by `onnx_grad_ops`. Nothing here is specific to
one network: the CAM layers come from the registry entry (`cam_layers`, first = default) or the
last 4-D layer found automatically. Export side only (TensorFlow, tf2onnx, onnx).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from xray_desktop.explain.cam import cam_paths
from xray_desktop.explain.graph import expose
from xray_desktop.models.registry import ModelEntry

OPSET = 17
CAM_SUFFIX = ".cam.onnx"
FORWARD_SUFFIX = ".forward.onnx"
EMBEDDING_LAYER = "gap"


@dataclass
class InferenceFunctions:
    """The two traced functions and what their outputs are called (the ONNX output names)."""

    cam: Any  # tf.function (1, h, w, c) -> (probability, logit, embedding, act_0, grad_0, act_1, grad_1, ...)
    forward: Any  # tf.function (n, h, w, c) -> (probability, logit, embedding, act_0)
    cam_outputs: list[str]
    forward_outputs: list[str]
    layers: list[str]  # "/"-joined layer paths, first = default
    score_kind: str  # "dense", "logit" or "probability" (see explain.graph.ExposedGraph)


def cam_layer_paths(model: Any, entry: ModelEntry | None = None) -> list[tuple[str, ...]]:
    """The registry's `cam_layers` (first = default), or the layers `CamExplainer` picks by itself: the last
    4-D layer and, for Layer-CAM, its partner (so both paths fuse the same two maps)."""
    names = list(entry.cam_layers) if entry is not None and entry.cam_layers else []
    if names:
        return [tuple(str(name).split("/")) for name in names]
    return cam_paths(model, "layercam", None)


def _score_kind(head: Any) -> str:
    sigmoid = keras.activations.sigmoid
    if isinstance(head, keras.layers.Activation) and head.activation is sigmoid:
        return "logit"
    if isinstance(head, keras.layers.Dense) and head.activation is sigmoid and head.units == 1:
        return "dense"
    return "probability"


def _view(model: Any, paths: list[tuple[str, ...]]) -> tuple[Any, str, Any]:
    """A keras.Model x -> [act_0, ..., embedding, score_source, prediction]; (view, score_kind, head)."""
    head = model.layers[-1]
    kind = _score_kind(head)
    if all(len(p) == 1 for p in paths) and not isinstance(model, keras.Sequential):
        acts = [model.get_layer(p[0]).output for p in paths]
        try:
            embedding = model.get_layer(EMBEDDING_LAYER).output
        except ValueError:
            embedding = head.input
        source = head.input if kind != "probability" else model.outputs[0]
        return keras.Model(model.inputs, [*acts, embedding, source, model.outputs[0]]), kind, head
    if len(paths) != 1:
        raise ValueError(f"model {model.name!r}: several CAM layers are only supported at the top level, got {paths}")
    exposed = expose(model, paths[0])
    feature_map, source, prediction = exposed.model.outputs
    return keras.Model(exposed.model.inputs, [feature_map, source, source, prediction]), exposed.score_kind, head


def build_functions(model: Any, paths: list[tuple[str, ...]]) -> InferenceFunctions:
    """Trace the CAM (batch 1, with gradients) and forward (any batch) functions of `model`."""
    view, kind, head = _view(model, paths)
    count = len(paths)
    shape = tuple(int(d) for d in model.inputs[0].shape[1:])

    def score_of(source: Any, prediction: Any) -> Any:
        if kind == "dense":
            return tf.matmul(source, tf.convert_to_tensor(head.kernel))[:, 0] + tf.convert_to_tensor(head.bias)[0]
        return source[:, 0] if kind == "logit" else prediction[:, 0]

    def cam(image: Any) -> tuple[Any, ...]:
        with tf.GradientTape() as tape:
            tape.watch(image)
            outputs = view([image], training=False)
            acts, embedding, source, prediction = outputs[:count], outputs[count], outputs[-2], outputs[-1]
            score = score_of(source, prediction)
        grads = tape.gradient(score, acts)
        pairs = [t for pair in zip(acts, grads, strict=True) for t in pair]
        return (prediction[:, 0], score, embedding, *pairs)

    def forward(image: Any) -> tuple[Any, ...]:
        outputs = view([image], training=False)
        return outputs[-1][:, 0], score_of(outputs[-2], outputs[-1]), outputs[count], outputs[0]

    layer_outputs = [name for i in range(count) for name in (f"activations_{i}", f"gradients_{i}")]
    return InferenceFunctions(
        cam=tf.function(cam, input_signature=[tf.TensorSpec((1, *shape), tf.float32, name="image")]),
        forward=tf.function(forward, input_signature=[tf.TensorSpec((None, *shape), tf.float32, name="image")]),
        cam_outputs=["probability", "logit", "embedding", *layer_outputs],
        forward_outputs=["probability", "logit", "embedding", "activations_0"],
        layers=["/".join(p) for p in paths],
        score_kind=kind,
    )


def convert(function: Any, output_names: list[str], path: Path) -> None:
    """tf2onnx-convert one traced function, name its outputs, and write it to `path`."""
    import onnx
    import tf2onnx

    from xray_desktop.training.onnx_grad_ops import HANDLERS

    proto, _ = tf2onnx.convert.from_function(
        function, input_signature=function.input_signature, opset=OPSET, custom_op_handlers=dict(HANDLERS)
    )
    if len(proto.graph.output) != len(output_names):
        raise ValueError(f"expected {len(output_names)} outputs, the converted graph has {len(proto.graph.output)}")
    for output, new in zip(proto.graph.output, output_names, strict=True):  # Identity nodes keep the order valid
        proto.graph.node.append(onnx.helper.make_node("Identity", [output.name], [new], name=f"output_{new}"))
        output.name = new
    onnx.checker.check_model(proto)
    from xray_desktop.atomic import atomic_write_bytes

    atomic_write_bytes(path, proto.SerializeToString())


def export_files(model: Any, entry: ModelEntry, models_dir: Path) -> dict[str, Any]:
    """Write `<file stem>.cam.onnx` and `<file stem>.forward.onnx` beside the model; the registry's `onnx` dict.

    Raises:
        ValueError: the model has no CAM layer, or a gradient op has no exact ONNX form (named).
    """
    from xray_desktop.models.checksum import sha256_file

    functions = build_functions(model, cam_layer_paths(model, entry))
    stem = Path(entry.file).with_suffix("").as_posix()
    cam_file, forward_file = stem + CAM_SUFFIX, stem + FORWARD_SUFFIX
    convert(functions.cam, functions.cam_outputs, models_dir / cam_file)
    convert(functions.forward, functions.forward_outputs, models_dir / forward_file)
    import onnx
    import tf2onnx

    return {
        "file": cam_file,
        "sha256": sha256_file(models_dir / cam_file),
        "forward_file": forward_file,
        "forward_sha256": sha256_file(models_dir / forward_file),
        "opset": OPSET,
        "outputs": functions.cam_outputs,
        "forward_outputs": functions.forward_outputs,
        "layers": functions.layers,
        "score": functions.score_kind,
        "source_sha256": entry.sha256,
        "exporter": f"tf2onnx {tf2onnx.__version__}, onnx {onnx.__version__}, tensorflow {tf.__version__}",
    }
