"""tf.data input pipelines over in-memory planes (TensorFlow-only module).

Batches are assembled in NumPy (albumentations for training, `prepare_input`
for every image) inside `tf.numpy_function`, so the model sees exactly what
inference would feed it. `max_batches` caps an epoch (XRAY_DESKTOP_MAX_STEPS).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from xray_desktop.preprocess_spec import PreprocessSpec
from xray_desktop.training.arrays import model_input
from xray_desktop.training.augment import augment_plane, build_augmenter
from xray_desktop.training.recipes import Augmentation


def make_dataset(
    planes: np.ndarray,
    labels: np.ndarray,
    spec: PreprocessSpec,
    batch_size: int,
    training: bool,
    seed: int,
    augmentation: Augmentation | None = None,
    max_batches: int | None = None,
) -> tf.data.Dataset:
    """Batches of (inputs (b, h, w, c) float32, labels (b, 1) float32); shuffled + augmented when training."""
    augmenter = (
        build_augmenter(augmentation, seed, spec.input_size) if (training and augmentation is not None) else None
    )

    def assemble(indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        images = []
        for i in indices:
            plane = planes[int(i)]
            if augmenter is not None:
                plane = augment_plane(augmenter, plane)
            images.append(model_input(plane, spec))
        return np.stack(images).astype(np.float32), labels[indices].reshape(-1, 1).astype(np.float32)

    shape = (None, *spec.input_shape)
    dataset = tf.data.Dataset.range(len(planes))
    if training:
        dataset = dataset.shuffle(len(planes), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    if max_batches:
        dataset = dataset.take(max_batches)

    def to_tensors(indices: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        x, y = tf.numpy_function(assemble, [indices], [tf.float32, tf.float32], stateful=training)
        x.set_shape(shape)
        y.set_shape((None, 1))
        return x, y

    return dataset.map(to_tensors, num_parallel_calls=1).prefetch(2)


def predict_planes(model: object, planes: np.ndarray, spec: PreprocessSpec, batch_size: int = 64) -> np.ndarray:
    """Raw model probabilities for planes (no augmentation, no cap), shape (n,)."""
    outputs = []
    for start in range(0, len(planes), batch_size):
        batch = np.stack([model_input(p, spec) for p in planes[start : start + batch_size]])
        outputs.append(np.asarray(model(batch, training=False)).reshape(-1))  # type: ignore[operator]
    return np.concatenate(outputs) if outputs else np.zeros(0, np.float32)
