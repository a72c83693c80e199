"""Generated images that are not chest, knee or limb radiographs: the router's and the benchmark's negatives.

No data set of "everything else" ships with the project, so we draw the kinds of wrong input seen in
practice: colour photos and noise, gradients, flat frames, text and screenshots, CT- and MR-like slices,
and radiographs of other parts (mammogram-, angiogram-like). Deterministic for a seed, so a benchmark can
draw films the router never saw (another seed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import cv2
import numpy as np

Image = tuple[np.ndarray, np.ndarray | None]  # (grey HxW float32 [0,1], colour HxWx3 or None)


def _size(rng: np.random.Generator) -> tuple[int, int]:
    side = int(rng.integers(128, 640))
    aspect = float(rng.uniform(0.7, 1.5))
    return max(96, int(side * aspect)), side


def _smooth(rng: np.random.Generator, h: int, w: int, channels: int, grain: int) -> np.ndarray:
    base = rng.random((grain, grain, channels)).astype(np.float32)
    return cv2.resize(base, (w, h), interpolation=cv2.INTER_CUBIC).reshape(h, w, channels).clip(0, 1)


def _grey(colour: np.ndarray) -> np.ndarray:
    return (colour @ np.array([0.299, 0.587, 0.114], dtype=np.float32)).astype(np.float32)


def _colourful(colour: np.ndarray) -> Image:
    colour = colour.astype(np.float32).clip(0, 1)
    return _grey(colour), colour


def colour_noise(rng: np.random.Generator) -> Image:
    h, w = _size(rng)
    noise = rng.random((h, w, 3)).astype(np.float32)
    if rng.random() < 0.5:
        noise = np.asarray(cv2.GaussianBlur(noise, (0, 0), float(rng.uniform(1, 6))), dtype=np.float32)
    return _colourful(noise)


def photo_like(rng: np.random.Generator) -> Image:
    h, w = _size(rng)
    image = _smooth(rng, h, w, 3, int(rng.integers(3, 12)))
    image += 0.15 * _smooth(rng, h, w, 3, int(rng.integers(20, 60))) - 0.075
    image = image.clip(0, 1)
    if rng.random() < 0.3:  # a grey photo: the colour check alone cannot catch it
        grey = _grey(image)
        return grey, None
    return _colourful(image)


def gradient(rng: np.random.Generator) -> Image:
    h, w = _size(rng)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if rng.random() < 0.5:
        angle = rng.uniform(0, np.pi)
        ramp = xx * np.cos(angle) + yy * np.sin(angle)
    else:
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        ramp = np.hypot(yy - cy, xx - cx)
    ramp = (ramp - ramp.min()) / (np.ptp(ramp) + 1e-6)
    if rng.random() < 0.5:
        a, b = rng.random(3), rng.random(3)
        return _colourful(ramp[..., None] * a + (1 - ramp[..., None]) * b)
    return (ramp + rng.normal(0, 0.01, ramp.shape)).astype(np.float32).clip(0, 1), None


def flat(rng: np.random.Generator) -> Image:
    h, w = _size(rng)
    level = float(rng.uniform(0, 1))
    grey = np.full((h, w), level, dtype=np.float32) + rng.normal(0, float(rng.uniform(0, 0.03)), (h, w))
    return grey.astype(np.float32).clip(0, 1), None


def text(rng: np.random.Generator) -> Image:
    h, w = _size(rng)
    dark_on_light = rng.random() < 0.7
    image = np.full((h, w), 255 if dark_on_light else 0, dtype=np.uint8)
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,:%"))
    y = int(rng.integers(15, 40))
    while y < h:
        line = "".join(rng.choice(letters, int(rng.integers(5, 40))))
        scale = float(rng.uniform(0.4, 1.2))
        ink = 0 if dark_on_light else 255
        cv2.putText(image, line, (int(rng.integers(0, 30)), y), int(rng.integers(0, 8)), scale, ink, 1, cv2.LINE_AA)
        y += int(rng.integers(18, 50))
    return image.astype(np.float32) / 255.0, None


def ct_slice(rng: np.random.Generator) -> Image:
    side = int(rng.integers(256, 600))
    image = np.zeros((side, side), dtype=np.float32)
    c = side // 2
    axes = (int(side * rng.uniform(0.3, 0.45)), int(side * rng.uniform(0.22, 0.38)))
    cv2.ellipse(image, (c, c), axes, 0, 0, 360, float(rng.uniform(0.35, 0.55)), -1)
    cv2.ellipse(image, (c, c), axes, 0, 0, 360, float(rng.uniform(0.7, 1.0)), int(rng.integers(2, 8)))
    if rng.random() < 0.6:  # thorax: two dark lungs, a spine
        for sign in (-1, 1):
            centre = (c + sign * axes[0] // 2, c - axes[1] // 8)
            lung = (axes[0] // 3, int(axes[1] * 0.6))
            cv2.ellipse(image, centre, lung, 0, 0, 360, float(rng.uniform(0.02, 0.12)), -1)
        cv2.circle(image, (c, c + int(axes[1] * 0.7)), max(4, side // 25), 1.0, -1)
    else:  # abdomen / head: organs as grey blobs
        for _ in range(int(rng.integers(2, 7))):
            centre = (
                c + int(rng.integers(-axes[0] // 2, axes[0] // 2)),
                c + int(rng.integers(-axes[1] // 2, axes[1] // 2)),
            )
            cv2.circle(image, centre, int(rng.integers(8, max(9, side // 8))), float(rng.uniform(0.3, 0.8)), -1)
    image += rng.normal(0, 0.03, image.shape).astype(np.float32)
    return image.clip(0, 1), None


def mr_slice(rng: np.random.Generator) -> Image:
    side = int(rng.integers(192, 512))
    image = np.zeros((side, side), dtype=np.float32)
    c = side // 2
    axes = (int(side * rng.uniform(0.3, 0.42)), int(side * rng.uniform(0.35, 0.45)))
    texture = _smooth(rng, side, side, 1, int(rng.integers(12, 40)))[..., 0]
    mask = np.zeros_like(image)
    cv2.ellipse(mask, (c, c), axes, 0, 0, 360, 1.0, -1)
    image = (mask * (0.3 + 0.5 * texture)).astype(np.float32)
    cv2.ellipse(image, (c, c), axes, 0, 0, 360, float(rng.uniform(0.8, 1.0)), int(rng.integers(3, 10)))
    image += rng.normal(0, 0.02, image.shape).astype(np.float32)
    return image.clip(0, 1), None


def mammogram_like(rng: np.random.Generator) -> Image:
    h, w = int(rng.integers(300, 640)), int(rng.integers(200, 480))
    image = np.zeros((h, w), dtype=np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    left = rng.random() < 0.5
    x0 = 0 if left else w
    radius = np.hypot((xx - x0) / (w * rng.uniform(0.6, 0.95)), (yy - h / 2) / (h * 0.48))
    breast = (radius < 1).astype(np.float32)
    texture = _smooth(rng, h, w, 1, int(rng.integers(15, 50)))[..., 0]
    image = breast * (0.35 + 0.5 * texture * (1 - radius.clip(0, 1) * 0.6))
    return (image + rng.normal(0, 0.015, image.shape)).astype(np.float32).clip(0, 1), None


def angiogram_like(rng: np.random.Generator) -> Image:
    side = int(rng.integers(256, 600))
    image = 0.55 + 0.2 * _smooth(rng, side, side, 1, 6)[..., 0]
    for _ in range(int(rng.integers(4, 14))):
        points = np.cumsum(rng.normal(0, side / 12, (8, 2)), axis=0) + rng.uniform(0, side, 2)
        cv2.polylines(image, [points.astype(np.int32)], False, float(rng.uniform(0.05, 0.3)), int(rng.integers(2, 9)))
    blurred = np.asarray(cv2.GaussianBlur(image.astype(np.float32), (0, 0), 1.2), dtype=np.float32)
    return (blurred + rng.normal(0, 0.02, image.shape)).astype(np.float32).clip(0, 1), None


def pattern(rng: np.random.Generator) -> Image:
    h, w = _size(rng)
    yy, xx = np.mgrid[0:h, 0:w]
    period = int(rng.integers(4, 60))
    if rng.random() < 0.5:
        grey = (((yy // period) + (xx // period)) % 2).astype(np.float32)
    else:
        grey = (0.5 + 0.5 * np.sin(xx * 2 * np.pi / period + yy * rng.uniform(-0.3, 0.3))).astype(np.float32)
    return grey, None


KINDS: dict[str, Callable[[np.random.Generator], Image]] = {
    "colour_noise": colour_noise,
    "photo_like": photo_like,
    "gradient": gradient,
    "flat": flat,
    "text": text,
    "ct_slice": ct_slice,
    "mr_slice": mr_slice,
    "mammogram_like": mammogram_like,
    "angiogram_like": angiogram_like,
    "pattern": pattern,
}


def generate(count: int, seed: int) -> Iterator[tuple[str, np.ndarray, np.ndarray | None]]:
    """`count` negatives cycling through every kind: (kind, grey, colour or None)."""
    rng = np.random.default_rng(seed)
    names = list(KINDS)
    for i in range(count):
        kind = names[i % len(names)]
        grey, colour = KINDS[kind](rng)
        yield kind, np.ascontiguousarray(grey, dtype=np.float32), colour
