"""Model builders: one sigmoid output = P(condition), input (H, W, C) float32.

TensorFlow-only module (imported by the trainer, never by light modules). Keras
application backbones are built with `weights=None`, or loaded from a LOCAL
weights file; nothing is ever downloaded.
"""

from __future__ import annotations

from pathlib import Path

import keras
from keras import layers

from xray_desktop.errors import InputError

# Moving statistics that follow the weights quickly: with from-scratch training at lr 1e-3 the Keras
# default (0.99) lags so far behind that validation outputs saturate for the first epochs.
BN_MOMENTUM = 0.9


def build_model(
    backbone: str, input_size: tuple[int, int], channels: int, weights: str | Path | None = None, seed: int = 0
) -> keras.Model:
    """Build an uncompiled binary classifier; `weights` is a local .h5/.weights.h5 file for the backbone."""
    keras.utils.set_random_seed(seed)
    shape = (int(input_size[0]), int(input_size[1]), int(channels))
    if backbone in ("small_cnn", "resnet_small"):
        if weights:
            raise InputError(f"{backbone} has no pretrained weights; drop --weights")
        return _small_cnn(shape) if backbone == "small_cnn" else _resnet_small(shape)
    if backbone in _APPLICATIONS:
        return _application(backbone, shape, weights)
    raise InputError(f"unknown backbone {backbone!r}; choose small_cnn, resnet_small, {', '.join(_APPLICATIONS)}")


def _small_cnn(shape: tuple[int, int, int]) -> keras.Model:
    """A strided stem + four double-conv blocks + global pooling: ~0.4 s per batch of 32 at 128 px on 2 CPU cores."""
    inputs = keras.Input(shape=shape, name="image")
    x = layers.Conv2D(24, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(inputs)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, name="stem_bn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
    for index, filters in enumerate((24, 48, 96, 192)):
        for conv in (1, 2):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"block{index}_conv{conv}")(x)
            x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"block{index}_bn{conv}")(x)
            x = layers.Activation("relu", name=f"block{index}_relu{conv}")(x)
        if index < 3:
            x = layers.MaxPooling2D(name=f"block{index}_pool")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(0.3, name="dropout")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="probability")(x)
    return keras.Model(inputs, outputs, name="small_cnn")


def _residual_block(x: keras.KerasTensor, filters: int, stride: int, name: str) -> keras.KerasTensor:
    """A pre-activation-free basic block (conv-bn-relu-conv-bn + shortcut), ResNet-18 style."""
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv1")(x)
    y = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn1")(y)
    y = layers.Activation("relu", name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn2")(y)
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False, name=f"{name}_proj")(x)
        shortcut = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_proj_bn")(shortcut)
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.Activation("relu", name=f"{name}_out")(y)


def _resnet_small(shape: tuple[int, int, int]) -> keras.Model:
    """A narrow ResNet: stride-4 stem, then stages at 1/4, 1/8, 1/16 (the 14x14 CAM layer at 224 px), 1/32.

    About 0.4 GFLOPs at 224 px, so hours of CPU training give tens of epochs; the 1/16 stage
    (`stage3_out`) keeps enough resolution for maps that can separate a marker from a lung.
    """
    inputs = keras.Input(shape=shape, name="image")
    x = layers.Conv2D(24, 3, strides=2, padding="same", use_bias=False, name="stem_conv1")(inputs)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, name="stem_bn1")(x)
    x = layers.Activation("relu", name="stem_relu1")(x)
    x = layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False, name="stem_conv2")(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, name="stem_bn2")(x)
    x = layers.Activation("relu", name="stem_relu2")(x)
    for stage, (filters, stride) in enumerate(((32, 1), (64, 2), (128, 2), (192, 2)), start=1):
        x = _residual_block(x, filters, stride, f"stage{stage}_block1")
        x = _residual_block(x, filters, 1, f"stage{stage}_block2")
        x = layers.Identity(name=f"stage{stage}_out")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(0.3, name="dropout")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="probability")(x)
    return keras.Model(inputs, outputs, name="resnet_small")


_APPLICATIONS = {
    "mobilenetv2": keras.applications.MobileNetV2,
    "efficientnetb0": keras.applications.EfficientNetB0,
    "densenet121": keras.applications.DenseNet121,
}


def _application(name: str, shape: tuple[int, int, int], weights: str | Path | None) -> keras.Model:
    """A keras.applications backbone as a nested model; 1-channel inputs are repeated to the 3 it expects."""
    if weights is not None and not Path(weights).is_file():
        raise InputError(f"{weights}: weights file not found (weights are only ever read from a local file)")
    app_shape = (shape[0], shape[1], 3)
    factory = _APPLICATIONS[name]
    base = factory(include_top=False, weights=None, input_shape=app_shape, pooling=None)
    for layer in base.layers:  # keras.applications use 0.999: far too slow for short CPU runs
        if isinstance(layer, layers.BatchNormalization):
            layer.momentum = BN_MOMENTUM
    if weights is not None:
        try:
            base.load_weights(str(weights))
        except Exception as exc:  # a mismatched file must fail loudly, never half-load
            raise InputError(f"{weights}: cannot load as {name} weights ({exc})") from None
    inputs = keras.Input(shape=shape, name="image")
    x = inputs
    if shape[2] == 1:
        x = layers.Concatenate(name="grey_to_rgb")([x, x, x])
    # keras.applications expect [-1, 1] (MobileNetV2) or ImageNet scaling; our inputs are [0, 1].
    x = layers.Rescaling(2.0, offset=-1.0, name="to_minus1_1")(x)
    x = base(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(0.3, name="dropout")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="probability")(x)
    return keras.Model(inputs, outputs, name=f"{name}_classifier")
