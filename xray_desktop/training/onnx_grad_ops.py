"""Exact ONNX forms of the TensorFlow gradient ops that tf2onnx cannot convert on its own.

tf2onnx converts forward ops only. A Grad-CAM graph also holds the backward ops of the
layers between the CAM layer and the logit; with a static batch dimension the shape ops fold
away and these remain. Each handler rewrites one TF node into a few ONNX nodes that compute
the same values (tests/test_onnx_export.py checks each against TensorFlow's own gradient).
An op with no exact form here (an overlapping max pool, say) fails the export with its name.

Export side only: imported by `onnx_export`, never by the analysis path.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import TensorProto
from tf2onnx import utils

FLOAT = TensorProto.FLOAT


class UnsupportedGradientError(ValueError):
    """A gradient op this module has no exact ONNX form for (the export is refused)."""


def _const(ctx: Any, value: np.ndarray | float | list[int], dtype: Any = np.float32) -> str:
    return ctx.make_const(utils.make_name("grad_const"), np.asarray(value, dtype=dtype)).output[0]


def _node(ctx: Any, op: str, inputs: list[str], **attr: Any) -> str:
    return ctx.make_node(op, inputs, attr=attr).output[0]


def _become(ctx: Any, node: Any, op: str, inputs: list[str], **attr: Any) -> None:
    """Turn the TF node into the last ONNX node of its replacement (it keeps its name and outputs)."""
    for key in list(node.attr):
        del node.attr[key]
    node.type = op
    node.domain = ""
    ctx.replace_inputs(node, inputs)
    for key, value in attr.items():
        node.set_attr(key, value)


def relu_grad(ctx: Any, node: Any, name: str, args: Any) -> None:
    """ReluGrad(g, features) = g · (features > 0)."""
    grad, features = node.input[0], node.input[1]
    mask = _node(ctx, "Cast", [_node(ctx, "Greater", [features, _const(ctx, 0.0)])], to=FLOAT)
    _become(ctx, node, "Mul", [grad, mask])


def relu6_grad(ctx: Any, node: Any, name: str, args: Any) -> None:
    """Relu6Grad(g, features) = g · (0 < features < 6)."""
    grad, features = node.input[0], node.input[1]
    above = _node(ctx, "Greater", [features, _const(ctx, 0.0)])
    below = _node(ctx, "Less", [features, _const(ctx, 6.0)])
    mask = _node(ctx, "Cast", [_node(ctx, "And", [above, below])], to=FLOAT)
    _become(ctx, node, "Mul", [grad, mask])


def sigmoid_grad(ctx: Any, node: Any, name: str, args: Any) -> None:
    """SigmoidGrad(y, dy) = dy · y · (1 − y)."""
    y, dy = node.input[0], node.input[1]
    one_minus = _node(ctx, "Sub", [_const(ctx, 1.0), y])
    _become(ctx, node, "Mul", [_node(ctx, "Mul", [dy, y]), one_minus])


def _window(node: Any, input_shape: list[int]) -> tuple[int, int, int, int]:
    """(kh, kw, out_h, out_w) of a non-overlapping NHWC pool, or UnsupportedGradientError."""
    ksize = list(node.get_attr_value("ksize"))
    strides = list(node.get_attr_value("strides"))
    padding = node.get_attr_value("padding")
    padding = padding.decode() if isinstance(padding, bytes) else str(padding)
    data_format = node.get_attr_value("data_format", b"NHWC")
    data_format = data_format.decode() if isinstance(data_format, bytes) else str(data_format)
    if data_format != "NHWC" or len(ksize) != 4 or ksize[0] != 1 or ksize[3] != 1:
        raise UnsupportedGradientError(f"{node.type} {node.name}: only NHWC spatial pooling is supported")
    kh, kw = int(ksize[1]), int(ksize[2])
    if [kh, kw] != [int(strides[1]), int(strides[2])]:
        raise UnsupportedGradientError(
            f"{node.type} {node.name}: overlapping windows (ksize {ksize}, strides {strides})"
        )
    if len(input_shape) != 4 or any(d is None or d < 0 for d in input_shape):
        raise UnsupportedGradientError(f"{node.type} {node.name}: needs a static input shape, got {input_shape}")
    height, width = int(input_shape[1]), int(input_shape[2])
    if padding == "SAME" and (height % kh or width % kw):
        raise UnsupportedGradientError(f"{node.type} {node.name}: SAME padding on {height}x{width} with {kh}x{kw}")
    return kh, kw, height // kh, width // kw


def _become_input_sized(ctx: Any, node: Any, value: str, shape: list[int], window: tuple[int, int, int, int]) -> None:
    """Turn `node` into the pool's input-sized gradient: `value` (blocks of kh x kw per output cell) reshaped
    to (1, out_h*kh, out_w*kw, c), then padded with zeros for the rows/columns a VALID pool dropped."""
    kh, kw, out_h, out_w = window
    full = [value, _const(ctx, [1, out_h * kh, out_w * kw, int(shape[3])], np.int64)]
    extra_h, extra_w = int(shape[1]) - out_h * kh, int(shape[2]) - out_w * kw
    if extra_h == 0 and extra_w == 0:
        _become(ctx, node, "Reshape", full)
    else:
        pads = _const(ctx, [0, 0, 0, 0, 0, extra_h, extra_w, 0], np.int64)
        _become(ctx, node, "Pad", [_node(ctx, "Reshape", full), pads])


def max_pool_grad(ctx: Any, node: Any, name: str, args: Any) -> None:
    """MaxPoolGrad(x, y, g): g goes to the FIRST maximum of each window (row-major), like TensorFlow."""
    x, grad = node.input[0], node.input[2]
    shape = ctx.get_shape(x)
    kh, kw, out_h, out_w = _window(node, shape)
    channels = int(shape[3])
    crop = _node(
        ctx,
        "Slice",
        [
            x,
            _const(ctx, [0, 0], np.int64),
            _const(ctx, [out_h * kh, out_w * kw], np.int64),
            _const(ctx, [1, 2], np.int64),
        ],
    )
    blocks = _node(ctx, "Reshape", [crop, _const(ctx, [1, out_h, kh, out_w, kw, channels], np.int64)])
    blocks = _node(ctx, "Transpose", [blocks], perm=[0, 1, 3, 5, 2, 4])
    flat = _node(ctx, "Reshape", [blocks, _const(ctx, [1, out_h, out_w, channels, kh * kw], np.int64)])
    first = _node(ctx, "ArgMax", [flat], axis=-1, keepdims=1, select_last_index=0)
    onehot = _node(ctx, "Equal", [first, _const(ctx, np.arange(kh * kw), np.int64)])
    routed = _node(
        ctx,
        "Mul",
        [_node(ctx, "Cast", [onehot], to=FLOAT), _node(ctx, "Unsqueeze", [grad, _const(ctx, [-1], np.int64)])],
    )
    routed = _node(ctx, "Reshape", [routed, _const(ctx, [1, out_h, out_w, channels, kh, kw], np.int64)])
    routed = _node(ctx, "Transpose", [routed], perm=[0, 1, 4, 2, 5, 3])
    _become_input_sized(ctx, node, routed, shape, (kh, kw, out_h, out_w))


def avg_pool_grad(ctx: Any, node: Any, name: str, args: Any) -> None:
    """AvgPoolGrad(input_shape, g), kernel = stride: nearest upsampling of g divided by the window size."""
    grad = node.input[1]
    shape_node = node.inputs[0]
    if not shape_node.is_const():
        raise UnsupportedGradientError(f"AvgPoolGrad {node.name}: the input shape is not a constant")
    shape = [int(v) for v in shape_node.get_tensor_value(as_list=True)]
    kh, kw, out_h, out_w = _window(node, shape)
    channels = shape[3]
    spread = _node(ctx, "Unsqueeze", [grad, _const(ctx, [2, 4], np.int64)])
    spread = _node(ctx, "Expand", [spread, _const(ctx, [1, out_h, kh, out_w, kw, channels], np.int64)])
    spread = _node(ctx, "Mul", [spread, _const(ctx, 1.0 / (kh * kw))])
    _become_input_sized(ctx, node, spread, shape, (kh, kw, out_h, out_w))


def shape_n(ctx: Any, node: Any, name: str, args: Any) -> None:
    """ShapeN of statically shaped tensors (a conv's backprop asks for them): constants."""
    dtype = utils.map_onnx_to_numpy_type(ctx.get_dtype(node.output[0]))
    for source, output in zip(list(node.input), list(node.output), strict=True):
        shape = ctx.get_shape(source)
        if shape is None or any(d is None or d < 0 for d in shape):
            raise UnsupportedGradientError(f"ShapeN {node.name}: {source} has no static shape ({shape})")
        ctx.replace_all_inputs(output, _const(ctx, list(shape), dtype))
    ctx.remove_node(node.name)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def conv2d_backprop_input(ctx: Any, node: Any, name: str, args: Any) -> None:
    """Conv2DBackpropInput: a plain Conv with the flipped kernel at stride 1, else a pad-free ConvTranspose,
    then cropped (and zero-padded) to the input size.

    tf2onnx's own conversion gives negative pads for a strided 1x1 projection (ResNet shortcuts),
    which ONNX Runtime rejects; the full transposed convolution covers the padded input, and the
    rows no window touched get zero gradient, exactly as TensorFlow computes.
    """
    sizes_node, weights, grad = node.inputs[0], node.input[1], node.input[2]
    if not sizes_node.is_const():
        raise UnsupportedGradientError(f"Conv2DBackpropInput {node.name}: the input size is not a constant")
    sizes = [int(v) for v in sizes_node.get_tensor_value(as_list=True)]
    kernel, out_shape = ctx.get_shape(weights), ctx.get_shape(grad)
    strides = [int(v) for v in node.get_attr_value("strides")]
    dilations = [int(v) for v in node.get_attr_value("dilations", [1, 1, 1, 1])]
    padding = _text(node.get_attr_value("padding"))
    if _text(node.get_attr_value("data_format", b"NHWC")) != "NHWC" or dilations != [1, 1, 1, 1]:
        raise UnsupportedGradientError(f"Conv2DBackpropInput {node.name}: only NHWC without dilation is supported")
    if padding not in ("SAME", "VALID") or kernel is None or out_shape is None or min(kernel + out_shape[1:3]) < 0:
        raise UnsupportedGradientError(
            f"Conv2DBackpropInput {node.name}: padding {padding}, shapes {kernel} {out_shape}"
        )
    starts, ends, extra, pads = [], [], [], []
    for axis in (0, 1):
        size, k, stride, out = sizes[axis + 1], int(kernel[axis]), strides[axis + 1], int(out_shape[axis + 1])
        covered = (out - 1) * stride + k  # the length the pad-free transposed convolution produces
        top = max(covered - size, 0) // 2 if padding == "SAME" else 0
        end = min(covered, top + size)
        starts.append(top)
        ends.append(end)
        extra.append(top + size - end)
        pads.append((k - 1 - top, k - 1 - (covered - end)))  # the crop as a stride-1 Conv's pads
    dy = _node(ctx, "Transpose", [grad], perm=[0, 3, 1, 2])
    if strides[1:3] == [1, 1] and not any(extra) and min(min(p) for p in pads) >= 0:
        _become_correlation(ctx, node, dy, weights, [pads[0][0], pads[1][0], pads[0][1], pads[1][1]])
        return
    w = _node(ctx, "Transpose", [weights], perm=[3, 2, 0, 1])
    full = _node(ctx, "ConvTranspose", [dy, w], strides=strides[1:3], pads=[0, 0, 0, 0])
    value = _node(
        ctx, "Slice", [full, _const(ctx, starts, np.int64), _const(ctx, ends, np.int64), _const(ctx, [2, 3], np.int64)]
    )
    if any(extra):
        value = _node(ctx, "Pad", [value, _const(ctx, [0, 0, 0, 0, 0, 0, extra[0], extra[1]], np.int64)])
    _become(ctx, node, "Transpose", [value], perm=[0, 2, 3, 1])


def _become_correlation(ctx: Any, node: Any, dy: str, weights: str, pads: list[int]) -> None:
    """A stride-1 input gradient as a plain Conv of dy with the spatially flipped, transposed kernel.

    The same values as the transposed convolution (its "full" output is a correlation with the flipped
    kernel padded by k - 1), cropped by the pads instead of a Slice: ONNX Runtime's Conv is several
    times faster than its ConvTranspose, and this is most of a Grad-CAM graph's backward pass.
    """
    transposed = _node(ctx, "Transpose", [weights], perm=[2, 3, 0, 1])  # HWIO -> (in, out, h, w)
    lowest = np.iinfo(np.int64).min
    flipped = _node(
        ctx,
        "Slice",
        [
            transposed,
            _const(ctx, [-1, -1], np.int64),
            _const(ctx, [lowest, lowest], np.int64),
            _const(ctx, [2, 3], np.int64),
            _const(ctx, [-1, -1], np.int64),
        ],
    )
    value = _node(ctx, "Conv", [dy, flipped], pads=pads)
    _become(ctx, node, "Transpose", [value], perm=[0, 2, 3, 1])


HANDLERS: dict[str, tuple[Any, list[Any]]] = {
    "ReluGrad": (relu_grad, []),
    "Relu6Grad": (relu6_grad, []),
    "SigmoidGrad": (sigmoid_grad, []),
    "MaxPoolGrad": (max_pool_grad, []),
    "AvgPoolGrad": (avg_pool_grad, []),
    "ShapeN": (shape_n, []),
    "Conv2DBackpropInput": (conv2d_backprop_input, []),
}
