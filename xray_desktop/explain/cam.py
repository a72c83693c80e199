"""Grad-CAM, Grad-CAM++, Layer-CAM (two layers fused) and Score-CAM behind one interface.

Each `CamExplainer` compiles ONE `tf.function` that returns the prediction together with the
activations and gradients of its CAM layers, so explaining costs one forward and one backward
pass and no `keras.Model` is built per call. The map arithmetic itself is NumPy, in `cam_math`
(shared with the ONNX Runtime path). Build one per (model, method, layers) and keep it.

TensorFlow-only module: import it lazily (inside functions) from light code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from xray_desktop.explain import METHODS, cam_math
from xray_desktop.explain.graph import ExposedGraph, expose, feature_layers, find_target_layer, resolve_layer
from xray_desktop.gate_features import gate_features

EPSILON = 1e-7


class CamExplainer:
    """`explainer(batch) -> (raw probabilities (n,), maps (n, fh, fw) in [0, 1])` for one model and method.

    Maps are at the feature-map resolution; `imaging.preprocess.restore_map` brings them to the image.
    The score explained is the logit of the positive class when reachable (see `ExposedGraph`).

    Args:
        model: a Keras model with one (batch, h, w, c) input and one sigmoid output.
        method: "gradcam", "gradcam++", "layercam" or "scorecam".
        layers: CAM layer names (the registry's `cam_layers`; first = the single-layer methods' layer,
            Layer-CAM fuses the first two). None: the last 4-D feature map (Layer-CAM adds the one before).
        scorecam_channels: Score-CAM masks only this many most-activated channels (cost = that many forwards).
        scorecam_chunk: forward passes per step inside Score-CAM (bounds memory).

    Raises:
        ValueError: unknown method, or a model with no 4-D feature map / not one output.
    """

    def __init__(
        self,
        model: Any,
        method: str = "gradcam",
        *,
        layers: Sequence[str] | None = None,
        scorecam_channels: int = 32,
        scorecam_chunk: int = 16,
    ):
        if method not in METHODS:
            raise ValueError(f"unknown explanation method {method!r}; choose one of {', '.join(METHODS)}")
        self.method = method
        self.gate_layer: str | None = None  # the population gate's feature layer (set by the model wrapper)
        self.graph: ExposedGraph = expose(model, cam_paths(model, method, layers))
        input_shape = tuple(model.inputs[0].shape[1:])
        if len(input_shape) != 3:
            raise ValueError(f"expected a (height, width, channels) input, got {input_shape}")
        self.input_shape = input_shape
        channels = int(self.graph.model.outputs[0].shape[-1])
        self._top_k = max(1, min(channels, scorecam_channels))
        self._chunk = max(1, min(self._top_k, scorecam_chunk))
        body = self._scorecam if method == "scorecam" else self._gradients
        batch = 1 if method == "scorecam" else None
        self._fn = tf.function(body, input_signature=[tf.TensorSpec((batch, *input_shape), tf.float32)])

    @property
    def target_layer(self) -> str:
        return "/".join(self.graph.target_path)

    @property
    def target_layers(self) -> list[str]:
        return ["/".join(p) for p in self.graph.target_paths]

    def activations_and_gradients(self, batch: np.ndarray) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """(raw probabilities (n,), activations per CAM layer, gradients of the logit per CAM layer)."""
        if self.method == "scorecam":
            raise ValueError("Score-CAM uses forward passes, not gradients")
        probs, acts, grads, _ = self._fn(tf.constant(self._check(batch)))
        return probs.numpy(), [a.numpy() for a in acts], [g.numpy() for g in grads]

    def _check(self, batch: np.ndarray) -> np.ndarray:
        batch = np.asarray(batch, dtype=np.float32)
        if batch.ndim != 4 or tuple(batch.shape[1:]) != self.input_shape:
            raise ValueError(f"expected a batch of shape (n, {self.input_shape}), got {batch.shape}")
        return batch

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        probs, maps, _ = self.explain(batch)
        return probs, maps

    @property
    def has_features(self) -> bool:
        """Whether the penultimate features (the head Dense's input) come out of the same pass."""
        return self.graph.score_kind == "dense"

    def explain(
        self, batch: np.ndarray, decide: Callable[[float], bool] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Like calling it, plus the population gate's features (n, d) of the same pass (None if unreachable).

        The gate reads the penultimate features and, when it names one (`gate_layer`), the first CAM
        layer's statistics; so checking a film costs no second model call. `decide(raw p) -> positive?` makes
        each map the decided class's (`cam_math.decided_gradients`); without it, the condition's.
        """
        batch = self._check(batch)
        if self.method == "scorecam":
            results = [self._fn(batch[i : i + 1]) for i in range(batch.shape[0])]
            if not results:
                return np.zeros(0, np.float32), np.zeros((0, 1, 1), np.float32), None
            probs = np.concatenate([r[0].numpy() for r in results])
            maps = np.concatenate(
                [
                    _scorecam_map(r[1].numpy(), r[2].numpy(), r[3].numpy(), decide is None or decide(float(p)))
                    for r, p in zip(results, probs, strict=True)
                ]
            )
            source = np.concatenate([r[4].numpy() for r in results])
            first = np.concatenate([r[5].numpy() for r in results])
            return probs, maps, self._gate_features(source, first)
        probs, acts, grads, source = self._fn(tf.constant(batch))
        probs, acts, grads = probs.numpy(), [a.numpy() for a in acts], [g.numpy() for g in grads]
        if decide is None:
            maps = cam_math.cam(self.method, acts, grads)
        else:  # per film: each film's own decision picks the class its map explains
            maps = np.concatenate(
                [
                    cam_math.cam(
                        self.method,
                        [a[i : i + 1] for a in acts],
                        cam_math.decided_gradients([g[i : i + 1] for g in grads], probs[i], decide),
                    )
                    for i in range(len(probs))
                ]
            )
        return probs, maps, self._gate_features(source.numpy(), acts[0])

    def _gate_features(self, source: np.ndarray, first_layer: np.ndarray) -> np.ndarray | None:
        if not self.has_features:
            return None
        if self.gate_layer is None:
            return gate_features(source)
        if self.graph.target_paths[0][-1] != self.gate_layer:
            return None  # the gate reads another layer than this explainer's: no verdict rather than a wrong one
        return gate_features(source, first_layer)

    # --- the compiled bodies -------------------------------------------------------------------

    def _forward(self, x: tf.Tensor) -> tuple[list[tf.Tensor], tf.Tensor, tf.Tensor, tf.Tensor]:
        *feature_maps, source, prediction = self.graph.model([x], training=False)
        return feature_maps, self._score(source, prediction), prediction[:, 0], source

    def _score(self, source: tf.Tensor, prediction: tf.Tensor) -> tf.Tensor:
        if self.graph.score_kind == "dense":
            dense = self.graph.dense
            assert dense is not None  # expose() sets it whenever score_kind is "dense"
            return tf.matmul(source, tf.convert_to_tensor(dense.kernel))[:, 0] + tf.convert_to_tensor(dense.bias)[0]
        if self.graph.score_kind == "logit":
            return source[:, 0]
        return prediction[:, 0]

    def _gradients(self, x: tf.Tensor) -> tuple[tf.Tensor, list[tf.Tensor], list[tf.Tensor], tf.Tensor]:
        with tf.GradientTape() as tape:
            tape.watch(x)  # frozen backbones have no watched variables; the input makes the path recorded
            feature_maps, score, probability, source = self._forward(x)
        grads = tape.gradient(score, feature_maps)
        grads = [tf.zeros_like(f) if g is None else g for f, g in zip(feature_maps, grads, strict=True)]
        return probability, feature_maps, grads, source  # source: the penultimate features (population gate)

    def _scorecam(self, x: tf.Tensor) -> tuple[tf.Tensor, ...]:
        feature_maps, _, probability, source = self._forward(x)
        activations = feature_maps[0][0]  # (fh, fw, channels)
        top = tf.math.top_k(tf.reduce_mean(activations, axis=(0, 1)), k=self._top_k).indices
        chosen = tf.gather(activations, top, axis=-1)  # (fh, fw, k)
        masks = tf.image.resize(tf.transpose(chosen, (2, 0, 1))[..., None], self.input_shape[:2])  # (k, h, w, 1)
        masks = normalise_maps(masks[..., 0])[..., None]
        chunks = -(-self._top_k // self._chunk)
        padded = tf.concat([masks, tf.zeros((chunks * self._chunk - self._top_k, *masks.shape[1:]))], axis=0)
        grouped = tf.reshape(padded * x, (chunks, self._chunk, *self.input_shape))

        def probabilities(inputs: tf.Tensor) -> tf.Tensor:
            *_, source, prediction = self.graph.model([inputs], training=False)
            if self.graph.score_kind == "probability":
                return prediction[:, 0]
            return tf.sigmoid(self._score(source, prediction))

        masked_p = tf.reshape(
            tf.map_fn(probabilities, grouped, fn_output_signature=tf.float32, parallel_iterations=1), (-1,)
        )[: self._top_k]
        baseline = probabilities(tf.zeros_like(x))  # confidence with everything masked (Score-CAM's CIC)
        # The weighting is NumPy (`_scorecam_map`), so one pass serves either class's map.
        return probability, chosen, masked_p, baseline, source, feature_maps[0]


def _scorecam_map(chosen: np.ndarray, masked_p: np.ndarray, baseline: np.ndarray, positive: bool) -> np.ndarray:
    """Score-CAM's weighting (the same as `onnx_cam.scorecam`): each kept channel by how much its mask raises
    P(positive) over the blank image, or P(negative) for the negative class's map; (1, fh, fw) in [0, 1]."""
    gain = masked_p - baseline if positive else baseline - masked_p
    weights = np.maximum(gain, 0.0).astype(np.float32)
    return cam_math.normalise(np.maximum((chosen * weights[None, None, :]).sum(axis=-1), 0.0)[None])


def normalise_maps(maps: tf.Tensor) -> tf.Tensor:
    """Min-max each map of a (n, h, w) stack to [0, 1]; a flat map becomes all zeros, never NaN."""
    low = tf.reduce_min(maps, axis=(1, 2), keepdims=True)
    high = tf.reduce_max(maps, axis=(1, 2), keepdims=True)
    return (maps - low) / (high - low + EPSILON)


def cam_paths(model: Any, method: str, layers: Sequence[str] | None) -> list[tuple[str, ...]]:
    """The layer paths `method` needs: one layer, or two for Layer-CAM (the named ones, else sensible defaults)."""
    paths = [resolve_layer(model, name) for name in (layers or [])] or [find_target_layer(model)]
    if method != "layercam":
        return paths[:1]
    if len(paths) >= 2:
        return paths[:2]
    partner = partner_layer(model, paths[0])
    return paths if partner is None else [paths[0], partner]


def partner_layer(model: Any, first: tuple[str, ...]) -> tuple[str, ...] | None:
    """The second Layer-CAM layer: the last feature map when `first` is not it, else the last one at a finer grid,
    at `first`'s nesting depth (an ensemble's members sit one level down and feed its joined map; none of
    their layers is a partner, so the ensemble's Layer-CAM reads its one joined layer)."""
    layers = [(p, s) for p, s in feature_layers(model) if len(p) == len(first)]
    last = find_target_layer(model)
    if first != last:
        return last
    size = dict(layers).get(first, (0, 0, 0))
    finer = [p for p, s in layers if s[0] * s[1] > size[0] * size[1] and s[0] * 8 <= _input_side(model)]
    return finer[-1] if finer else None


def _input_side(model: Any) -> int:
    shape = model.inputs[0].shape
    return int(min(shape[1], shape[2]))
