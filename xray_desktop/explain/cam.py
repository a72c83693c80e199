"""Grad-CAM, Grad-CAM++ and Score-CAM behind one interface.

Each `CamExplainer` compiles ONE `tf.function` that returns the prediction and the map
together, so explaining costs little more than predicting and no `keras.Model` is built
per call. Build one per (model, method) and keep it (the ModelManager caches them).

TensorFlow-only module: import it lazily (inside functions) from light code.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from xray_desktop.explain import METHODS
from xray_desktop.explain.graph import ExposedGraph, expose

EPSILON = 1e-7


class CamExplainer:
    """`explainer(batch) -> (raw probabilities (n,), maps (n, fh, fw) in [0, 1])` for one model and method.

    Maps are at the feature-map resolution; `imaging.preprocess.restore_map` brings them to the image.
    The score explained is the logit of the positive class when reachable (see `ExposedGraph`).

    Args:
        model: a Keras model with one (batch, h, w, c) input and one sigmoid output.
        method: "gradcam", "gradcam++" or "scorecam".
        scorecam_channels: Score-CAM masks only this many most-activated channels (cost = that many forwards).
        scorecam_chunk: forward passes per step inside Score-CAM (bounds memory).

    Raises:
        ValueError: unknown method, or a model with no 4-D feature map / not one output.
    """

    def __init__(self, model: Any, method: str = "gradcam", *, scorecam_channels: int = 32, scorecam_chunk: int = 16):
        if method not in METHODS:
            raise ValueError(f"unknown explanation method {method!r}; choose one of {', '.join(METHODS)}")
        self.method = method
        self.graph: ExposedGraph = expose(model)
        input_shape = tuple(model.inputs[0].shape[1:])
        if len(input_shape) != 3:
            raise ValueError(f"expected a (height, width, channels) input, got {input_shape}")
        self.input_shape = input_shape
        channels = int(self.graph.model.outputs[0].shape[-1])
        self._top_k = max(1, min(channels, scorecam_channels))
        self._chunk = max(1, min(self._top_k, scorecam_chunk))
        body = {"gradcam": self._gradcam, "gradcam++": self._gradcam_pp, "scorecam": self._scorecam}[method]
        batch = 1 if method == "scorecam" else None
        self._fn = tf.function(body, input_signature=[tf.TensorSpec((batch, *input_shape), tf.float32)])

    @property
    def target_layer(self) -> str:
        return "/".join(self.graph.target_path)

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        batch = np.asarray(batch, dtype=np.float32)
        if batch.ndim != 4 or tuple(batch.shape[1:]) != self.input_shape:
            raise ValueError(f"expected a batch of shape (n, {self.input_shape}), got {batch.shape}")
        if self.method == "scorecam":
            results = [self._fn(batch[i : i + 1]) for i in range(batch.shape[0])]
            probs = np.concatenate([r[0].numpy() for r in results]) if results else np.zeros(0, np.float32)
            maps = np.concatenate([r[1].numpy() for r in results]) if results else np.zeros((0, 1, 1), np.float32)
            return probs, maps
        probs, maps = self._fn(tf.constant(batch))
        return probs.numpy(), maps.numpy()

    # --- the compiled bodies -------------------------------------------------------------------

    def _forward(self, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        feature_map, source, prediction = self.graph.model([x], training=False)
        return feature_map, self._score(source, prediction), prediction[:, 0]

    def _score(self, source: tf.Tensor, prediction: tf.Tensor) -> tf.Tensor:
        if self.graph.score_kind == "dense":
            dense = self.graph.dense
            assert dense is not None  # expose() sets it whenever score_kind is "dense"
            return tf.matmul(source, tf.convert_to_tensor(dense.kernel))[:, 0] + tf.convert_to_tensor(dense.bias)[0]
        if self.graph.score_kind == "logit":
            return source[:, 0]
        return prediction[:, 0]

    def _gradients(self, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        with tf.GradientTape() as tape:
            tape.watch(x)  # frozen backbones have no watched variables; the input makes the path recorded
            feature_map, score, probability = self._forward(x)
        grads = tape.gradient(score, feature_map)
        return feature_map, grads, probability

    def _gradcam(self, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        feature_map, grads, probability = self._gradients(x)
        weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
        cam = tf.nn.relu(tf.reduce_sum(feature_map * weights, axis=-1))
        return probability, normalise_maps(cam)

    def _gradcam_pp(self, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        feature_map, grads, probability = self._gradients(x)
        g2 = tf.square(grads)
        g3 = g2 * grads
        total = tf.reduce_sum(feature_map, axis=(1, 2), keepdims=True)
        denominator = 2.0 * g2 + total * g3
        alpha = g2 / tf.where(denominator != 0.0, denominator, tf.ones_like(denominator))
        alpha_sum = tf.reduce_sum(alpha, axis=(1, 2), keepdims=True)
        alpha = alpha / tf.where(alpha_sum != 0.0, alpha_sum, tf.ones_like(alpha_sum))
        weights = tf.reduce_sum(alpha * tf.nn.relu(grads), axis=(1, 2), keepdims=True)
        cam = tf.nn.relu(tf.reduce_sum(feature_map * weights, axis=-1))
        return probability, normalise_maps(cam)

    def _scorecam(self, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        feature_map, _, probability = self._forward(x)
        activations = feature_map[0]  # (fh, fw, channels)
        top = tf.math.top_k(tf.reduce_mean(activations, axis=(0, 1)), k=self._top_k).indices
        chosen = tf.gather(activations, top, axis=-1)  # (fh, fw, k)
        masks = tf.image.resize(tf.transpose(chosen, (2, 0, 1))[..., None], self.input_shape[:2])  # (k, h, w, 1)
        masks = normalise_maps(masks[..., 0])[..., None]
        chunks = -(-self._top_k // self._chunk)
        padded = tf.concat([masks, tf.zeros((chunks * self._chunk - self._top_k, *masks.shape[1:]))], axis=0)
        grouped = tf.reshape(padded * x, (chunks, self._chunk, *self.input_shape))

        def probabilities(inputs: tf.Tensor) -> tf.Tensor:
            _, source, prediction = self.graph.model([inputs], training=False)
            if self.graph.score_kind == "probability":
                return prediction[:, 0]
            return tf.sigmoid(self._score(source, prediction))

        masked_p = tf.reshape(
            tf.map_fn(probabilities, grouped, fn_output_signature=tf.float32, parallel_iterations=1), (-1,)
        )[: self._top_k]
        baseline = probabilities(tf.zeros_like(x))  # confidence with everything masked (Score-CAM's CIC)
        weights = tf.nn.relu(masked_p - baseline)
        cam = tf.nn.relu(tf.reduce_sum(chosen * weights[None, None, :], axis=-1))[None]
        return probability, normalise_maps(cam)


def normalise_maps(maps: tf.Tensor) -> tf.Tensor:
    """Min-max each map of a (n, h, w) stack to [0, 1]; a flat map becomes all zeros, never NaN."""
    low = tf.reduce_min(maps, axis=(1, 2), keepdims=True)
    high = tf.reduce_max(maps, axis=(1, 2), keepdims=True)
    return (maps - low) / (high - low + EPSILON)
