"""Training-time augmentation with albumentations, on [0, 1] greyscale planes.

Flips are off for chest films (the heart is on the left; a flipped film is a
different anatomy), allowed for knees. Validation images are never augmented.
"""

from __future__ import annotations

import albumentations as A
import cv2
import numpy as np

from xray_desktop.training.recipes import Augmentation


def build_augmenter(settings: Augmentation, seed: int) -> A.Compose:
    """An albumentations pipeline for float32 HxW planes in [0, 1]."""
    steps: list[A.BasicTransform] = []
    if settings.clahe:
        steps.append(A.CLAHE(clip_limit=2.0, tile_grid_size=(8, 8), p=0.5))
    if settings.hflip:
        steps.append(A.HorizontalFlip(p=0.5))
    steps.append(
        A.Affine(
            scale=(1.0 - settings.zoom, 1.0 + settings.zoom),
            rotate=(-settings.rotate_deg, settings.rotate_deg),
            translate_percent=(-0.05, 0.05),
            border_mode=cv2.BORDER_CONSTANT,
            fill=0,
            p=settings.probability,
        )
    )
    if settings.brightness or settings.contrast:
        steps.append(
            A.RandomBrightnessContrast(
                brightness_limit=settings.brightness, contrast_limit=settings.contrast, p=settings.probability
            )
        )
    if settings.noise_std > 0:
        steps.append(A.GaussNoise(std_range=(0.0, settings.noise_std), p=0.3))
    return A.Compose(steps, seed=seed)


def augment_plane(augmenter: A.Compose, plane: np.ndarray) -> np.ndarray:
    """Apply the pipeline to one plane and clip back into [0, 1]."""
    if any(isinstance(t, A.CLAHE) for t in augmenter.transforms):
        image = (np.clip(plane, 0, 1) * 255).astype(np.uint8)  # CLAHE needs 8-bit input
        out = augmenter(image=image)["image"].astype(np.float32) / 255.0
    else:
        out = augmenter(image=plane)["image"]
    return np.clip(out, 0.0, 1.0).astype(np.float32)
