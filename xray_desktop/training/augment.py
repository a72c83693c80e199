"""Training-time augmentation with albumentations, on [0, 1] greyscale planes.

Flips are off for chest films (the heart is on the left; a flipped film is a
different anatomy), allowed for knees. Validation images are never augmented.
Border blanking and fake markers are there so that a burned-in "R", a ruler or
the film's framing cannot stand in for anatomy: both classes get them equally.
"""

from __future__ import annotations

from dataclasses import dataclass

import albumentations as A
import cv2
import numpy as np

from xray_desktop.training.recipes import Augmentation

_MARKER_TEXTS = ("R", "L", "AP", "PA", "SUPINE", "PORTABLE", "R.", "L.", "X")


@dataclass
class Augmenter:
    """The albumentations pipeline plus the marker-aware steps it has no transform for."""

    pipeline: A.Compose
    settings: Augmentation
    rng: np.random.Generator


def build_augmenter(settings: Augmentation, seed: int, size: tuple[int, int] | None = None) -> Augmenter:
    """An augmenter for float32 HxW planes in [0, 1]; `size` (h, w) enables the random resized crop."""
    steps: list[A.BasicTransform] = []
    if settings.clahe:
        steps.append(A.CLAHE(clip_limit=2.0, tile_grid_size=(8, 8), p=0.5))
    if settings.hflip:
        steps.append(A.HorizontalFlip(p=0.5))
    if settings.crop_scale and size is not None:
        steps.append(
            A.RandomResizedCrop(size=size, scale=(settings.crop_scale, 1.0), ratio=(0.85, 1.18), p=settings.probability)
        )
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
    if settings.blur_sharpen:
        steps.append(
            A.OneOf(
                [A.GaussianBlur(blur_limit=(3, 5), p=1.0), A.Sharpen(alpha=(0.1, 0.4), lightness=(0.9, 1.1), p=1.0)],
                p=settings.blur_sharpen,
            )
        )
    if settings.noise_std > 0:
        steps.append(A.GaussNoise(std_range=(0.0, settings.noise_std), p=0.3))
    return Augmenter(A.Compose(steps, seed=seed), settings, np.random.default_rng(seed))


def augment_plane(augmenter: Augmenter, plane: np.ndarray) -> np.ndarray:
    """Apply the pipeline to one plane and clip back into [0, 1]."""
    settings, rng = augmenter.settings, augmenter.rng
    if settings.clahe:
        image = (np.clip(plane, 0, 1) * 255).astype(np.uint8)  # CLAHE needs 8-bit input
        out = augmenter.pipeline(image=image)["image"].astype(np.float32) / 255.0
    else:
        out = augmenter.pipeline(image=plane)["image"]
    out = np.clip(out, 0.0, 1.0).astype(np.float32)
    if settings.gamma and rng.random() < settings.probability:
        out = np.power(out, rng.uniform(1.0 - settings.gamma, 1.0 + settings.gamma)).astype(np.float32)
    if settings.border_blank and rng.random() < settings.border_blank:
        out = blank_borders(out, rng)
    if settings.marker_paste and rng.random() < settings.marker_paste:
        out = paste_marker(out, rng)
    if settings.jpeg_quality_min and rng.random() < 0.3:
        out = jpeg_recompress(out, int(rng.integers(settings.jpeg_quality_min, 96)))
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def blank_borders(plane: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Fill 1-3 of the border bands (4-12 % of the side) or corners (10-22 %) with black, grey or the mean."""
    out = plane.copy()
    h, w = out.shape
    for _ in range(int(rng.integers(1, 4))):
        fill = float(rng.choice([0.0, float(out.mean()), rng.uniform(0.0, 1.0)]))
        region = int(rng.integers(0, 8))
        band_h, band_w = max(1, int(h * rng.uniform(0.04, 0.12))), max(1, int(w * rng.uniform(0.04, 0.12)))
        box_h, box_w = max(1, int(h * rng.uniform(0.10, 0.22))), max(1, int(w * rng.uniform(0.10, 0.22)))
        slices = [
            (slice(0, band_h), slice(None)),
            (slice(h - band_h, h), slice(None)),
            (slice(None), slice(0, band_w)),
            (slice(None), slice(w - band_w, w)),
            (slice(0, box_h), slice(0, box_w)),
            (slice(0, box_h), slice(w - box_w, w)),
            (slice(h - box_h, h), slice(0, box_w)),
            (slice(h - box_h, h), slice(w - box_w, w)),
        ]
        out[slices[region]] = fill
    return out


def paste_marker(plane: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Paint a bright (sometimes dark) laterality/text marker near a random edge, as film markers appear."""
    out = plane.copy()
    h, w = out.shape
    text = str(rng.choice(_MARKER_TEXTS))
    scale = float(rng.uniform(0.25, 0.7)) * h / 128.0
    thickness = max(1, round(scale * 2))
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    margin_x = max(1, int(w * 0.15) - tw)
    margin_y = max(1, int(h * 0.15) - th)
    x = int(rng.integers(0, margin_x)) if rng.random() < 0.5 else max(0, w - tw - int(rng.integers(0, margin_x)))
    y = th + int(rng.integers(0, margin_y)) if rng.random() < 0.5 else max(th, h - int(rng.integers(0, margin_y)))
    value = float(rng.uniform(0.85, 1.0)) if rng.random() < 0.8 else float(rng.uniform(0.0, 0.1))
    if rng.random() < 0.5:  # markers often sit on a contrasting box
        pad = max(1, thickness)
        out[max(0, y - th - pad) : min(h, y + pad), max(0, x - pad) : min(w, x + tw + pad)] = 1.0 - value
    mask = np.zeros((h, w), np.uint8)  # putText draws only on 8-bit images: draw a mask, blend the value
    cv2.putText(mask, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, thickness, cv2.LINE_AA)
    alpha = mask.astype(np.float32) / 255.0
    return out * (1.0 - alpha) + value * alpha


def jpeg_recompress(plane: np.ndarray, quality: int) -> np.ndarray:
    """Encode and decode as 8-bit JPEG, as a film exported by another system would be."""
    ok, encoded = cv2.imencode(
        ".jpg", (np.clip(plane, 0, 1) * 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        return plane
    return cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE).astype(np.float32) / 255.0  # type: ignore[union-attr]
