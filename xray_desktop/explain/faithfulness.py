"""How much a map can be believed: deletion and insertion curves, their AUCs, and the same for a random map.

Deletion removes the most-attributed blocks first and watches P(condition) fall; insertion starts from a
flat film and reveals the most-attributed blocks first. Removed blocks are imputed from the blocks still
there (ROAD, Rong et al. 2022: the fill keeps local brightness, so removal adds no sharp black square the
model reacts to, and carries none of the removed content). Each curve is ONE batched forward pass. The score is 0.5 + (insertion AUC - deletion AUC) / 2: a random map scores about 0.5
(for a random order both curves are mirror images in expectation), a perfect map close to 1.
NumPy/OpenCV only: the model enters as a `predict(batch) -> probabilities` callable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from xray_desktop.progress import Progress

Predict = Callable[[np.ndarray], np.ndarray]
GRID = 16  # blocks per side: 14 px blocks at 224 px, 8 px at 128 px
STEPS = 12  # points per curve after the first (one forward pass of STEPS + 1 films per curve)
RANDOM_MAPS = 2  # random orders averaged for the baseline (each costs two forward passes)


@dataclass
class Curves:
    """One map's deletion and insertion curves over the fraction of blocks removed/revealed."""

    fractions: np.ndarray
    deletion: np.ndarray
    insertion: np.ndarray

    @property
    def deletion_auc(self) -> float:
        return auc(self.fractions, self.deletion)

    @property
    def insertion_auc(self) -> float:
        return auc(self.fractions, self.insertion)

    @property
    def score(self) -> float:
        return float(np.clip(0.5 + (self.insertion_auc - self.deletion_auc) / 2.0, 0.0, 1.0))


@dataclass
class MapCheck:
    """The map's curves and the random maps' on the same film; `score` vs `random_score` is what users see."""

    curves: Curves
    random: list[Curves]
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return self.curves.score

    @property
    def random_score(self) -> float:
        return float(np.mean([c.score for c in self.random]))

    @property
    def random_deletion_auc(self) -> float:
        return float(np.mean([c.deletion_auc for c in self.random]))

    @property
    def random_insertion_auc(self) -> float:
        return float(np.mean([c.insertion_auc for c in self.random]))


def auc(x: np.ndarray, y: np.ndarray) -> float:
    """Trapezoid area under y(x) for x in [0, 1]."""
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))


def impute(image: np.ndarray, keep: np.ndarray, sigma: float) -> np.ndarray:
    """`image` where `keep` is 1; elsewhere a smooth fill interpolated from the KEPT pixels only.

    Normalised convolution (blur(image * keep) / blur(keep)), in the spirit of ROAD's neighbour
    imputation: a removed block takes its neighbours' local brightness, so no sharp black square
    appears and none of the removed block's own content leaks back into the fill. Far from any
    kept pixel the fill is the kept pixels' mean (the film's mean when nothing is kept). The fill is
    smooth, so it is computed at a quarter of the resolution (16x cheaper) and scaled back.
    """
    h, w, channels = image.shape
    keep = keep.astype(np.float32)
    small_size = (max(4, w // 4), max(4, h // 4))
    small_keep = cv2.resize(keep, small_size, interpolation=cv2.INTER_AREA)
    small_sum = cv2.resize(image * keep[..., None], small_size, interpolation=cv2.INTER_AREA).reshape(
        small_size[1], small_size[0], channels
    )
    s = sigma / 4.0
    weighted = cv2.GaussianBlur(small_sum, (0, 0), sigmaX=s, sigmaY=s).reshape(small_sum.shape)
    weight = cv2.GaussianBlur(small_keep, (0, 0), sigmaX=s, sigmaY=s)
    kept = float(keep.sum())
    flat = image.reshape(-1, channels)
    mean = (flat * keep.reshape(-1, 1)).sum(0) / kept if kept > 0 else flat.mean(0)
    fill_small = np.where((weight < 1e-3)[..., None], mean, weighted / np.maximum(weight, 1e-3)[..., None])
    fill = cv2.resize(fill_small.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR).reshape(h, w, channels)
    return np.asarray(image * keep[..., None] + fill * (1.0 - keep[..., None]), dtype=np.float32)


def block_scores(heatmap: np.ndarray, grid: int = GRID) -> np.ndarray:
    """A map of any resolution -> (grid, grid) mean attribution per block."""
    heatmap = np.nan_to_num(np.asarray(heatmap, dtype=np.float32))
    small = heatmap.shape[0] < grid or heatmap.shape[1] < grid
    return cv2.resize(heatmap, (grid, grid), interpolation=cv2.INTER_LINEAR if small else cv2.INTER_AREA)


def block_order(heatmap: np.ndarray, grid: int = GRID, seed: int = 0) -> np.ndarray:
    """Block indices, most attributed first; ties (flat regions) in a seeded random order, not raster order."""
    scores = block_scores(heatmap, grid).ravel()
    jitter = np.random.default_rng(seed).random(scores.size)
    return np.lexsort((jitter, -scores))


def _block_masks(shape: tuple[int, int], order: np.ndarray, grid: int, steps: int) -> np.ndarray:
    """(steps + 1, h, w) float masks: 1 where a block is already removed at each step."""
    h, w = shape
    rows = np.minimum((np.arange(h) * grid) // h, grid - 1)
    cols = np.minimum((np.arange(w) * grid) // w, grid - 1)
    block_of_pixel = rows[:, None] * grid + cols[None, :]
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    pixel_rank = rank[block_of_pixel]
    counts = np.round(np.linspace(0, order.size, steps + 1)).astype(np.int64)
    return np.asarray(pixel_rank[None] < counts[:, None, None], dtype=np.float32)


def curve_inputs(
    image: np.ndarray, order: np.ndarray, grid: int = GRID, steps: int = STEPS
) -> tuple[np.ndarray, np.ndarray]:
    """The deletion and insertion batches (each (steps + 1, h, w, c)) for one block order."""
    image = np.asarray(image, dtype=np.float32)
    masks = _block_masks(image.shape[:2], order, grid, steps)  # 1 = removed (deletion) / revealed (insertion)
    sigma = 1.5 * max(image.shape[0], image.shape[1]) / grid
    deletion = np.stack([impute(image, 1.0 - m, sigma) for m in masks])
    insertion = np.stack([impute(image, m, sigma) for m in masks])
    return deletion.astype(np.float32), insertion.astype(np.float32)


def curves(predict: Predict, image: np.ndarray, order: np.ndarray, grid: int = GRID, steps: int = STEPS) -> Curves:
    deletion, insertion = curve_inputs(image, order, grid, steps)
    fractions = np.linspace(0.0, 1.0, steps + 1)
    return Curves(fractions, np.asarray(predict(deletion), np.float64), np.asarray(predict(insertion), np.float64))


def random_order(grid: int = GRID, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).permutation(grid * grid)


def check_map(
    predict: Predict,
    image: np.ndarray,
    heatmap: np.ndarray,
    *,
    grid: int = GRID,
    steps: int = STEPS,
    random_maps: int = RANDOM_MAPS,
    seed: int = 0,
    progress: Progress | None = None,
) -> MapCheck:
    """Score `heatmap` (any resolution, over the model input `image` (h, w, c)) against random maps.

    `progress` is updated after each curve pair and checked for cancellation between them.
    """
    started = time.perf_counter()
    total = 1 + random_maps
    orders = [block_order(heatmap, grid, seed)] + [random_order(grid, seed + 1 + k) for k in range(random_maps)]
    done: list[Curves] = []
    for index, order in enumerate(orders):
        if progress is not None:
            progress.check_cancelled()
            progress.update(index, total, "checking the map" if index == 0 else "scoring random maps")
        done.append(curves(predict, image, order, grid, steps))
    if progress is not None:
        progress.update(total, total, "map checked")
    return MapCheck(done[0], done[1:], time.perf_counter() - started)
