"""Load a sample list once into memory at the model's input size, through the app's own loader.

Every image goes through `imaging.loader.load_radiograph` and
`imaging.preprocess.prepare_input` exactly as at inference, resized with a "unit"
spec and kept as one greyscale plane; `model_input` later applies the model's
real spec (same size, so the resize is an exact copy) after any augmentation.
Arrays are cached on disk by the file list fingerprint + spec so a second run
or `evaluate` does not decode thousands of JPEGs again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from xray_desktop.atomic import atomic_open
from xray_desktop.errors import ImageLoadError
from xray_desktop.imaging.loader import load_radiograph
from xray_desktop.imaging.preprocess import prepare_input
from xray_desktop.preprocess_spec import PreprocessSpec
from xray_desktop.progress import Progress
from xray_desktop.training.datasets import Sample
from xray_desktop.training.splits import samples_fingerprint


@dataclass
class LoadedImages:
    """Greyscale planes (n, h, w) float32 in [0, 1] at the input size, labels, and what could not be read."""

    planes: np.ndarray
    labels: np.ndarray
    samples: list[Sample]
    unreadable: list[tuple[str, str]]


def plane_spec(spec: PreprocessSpec) -> PreprocessSpec:
    """The spec that produces the stored planes: same size and resize mode, one channel, [0, 1]."""
    return PreprocessSpec(spec.input_size, channels=1, resize=spec.resize, normalisation="unit")


def model_input(plane: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """A stored plane -> the model's input, through the same `prepare_input` inference uses."""
    return prepare_input(plane, spec)


def load_images(
    samples: list[Sample], spec: PreprocessSpec, cache_dir: Path | None = None, progress: Progress | None = None
) -> LoadedImages:
    """Decode and resize every sample; unreadable files are dropped and listed, never silently."""
    unit = plane_spec(spec)
    cache_file = _cache_file(cache_dir, samples, unit) if cache_dir else None
    if cache_file is not None and cache_file.is_file():
        cached = _read_cache(cache_file, samples)
        if cached is not None:
            return cached
    planes: list[np.ndarray] = []
    kept: list[Sample] = []
    unreadable: list[tuple[str, str]] = []
    for index, sample in enumerate(samples):
        if progress is not None:
            progress.check_cancelled()
            if index % 200 == 0:
                progress.update(index, len(samples), f"loading images ({index}/{len(samples)})")
        try:
            pixels = load_radiograph(sample.path).pixels
            planes.append(prepare_input(pixels, unit)[:, :, 0])
            kept.append(sample)
        except ImageLoadError as exc:
            unreadable.append((str(sample.path), exc.reason))
        except ValueError as exc:
            unreadable.append((str(sample.path), str(exc)))
    h, w = unit.input_size
    array = np.stack(planes).astype(np.float32) if planes else np.zeros((0, h, w), np.float32)
    loaded = LoadedImages(array, np.array([s.label for s in kept], dtype=np.float32), kept, unreadable)
    if cache_file is not None:
        _write_cache(cache_file, loaded)
    return loaded


def _cache_file(cache_dir: Path, samples: list[Sample], spec: PreprocessSpec) -> Path:
    key = hashlib.sha256((samples_fingerprint(samples) + json.dumps(spec.to_dict())).encode()).hexdigest()[:20]
    return Path(cache_dir) / f"planes-{key}.npz"


def _read_cache(path: Path, samples: list[Sample]) -> LoadedImages | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            planes = data["planes"]
            kept_keys = [str(k) for k in data["kept"]]
            unreadable = [tuple(str(v) for v in row) for row in data["unreadable"].reshape(-1, 2)]
    except (OSError, KeyError, ValueError):
        return None  # a damaged cache is rebuilt, never trusted
    by_key = {f"{s.path}": s for s in samples}
    if any(k not in by_key for k in kept_keys) or len(kept_keys) != len(planes):
        return None
    kept = [by_key[k] for k in kept_keys]
    labels = np.array([s.label for s in kept], dtype=np.float32)
    return LoadedImages(planes, labels, kept, [(a, b) for a, b in unreadable])


def _write_cache(path: Path, loaded: LoadedImages) -> None:
    with atomic_open(path, "wb") as handle:
        np.savez(
            handle,
            planes=loaded.planes,
            kept=np.array([str(s.path) for s in loaded.samples]),
            unreadable=np.array(loaded.unreadable, dtype=str).reshape(-1, 2),
        )
