"""Batch jobs that fail are audited as failed, heatmap names never collide, the CSV carries the plausibility
warnings, and an unwritable heatmap folder is one line with exit 3 (issue 15, defects 2 and 7)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from xray_desktop.cli import main
from xray_desktop.errors import EXIT_INPUT, InputError
from xray_desktop.models.manager import ModelManager
from xray_desktop.models.registry import Registry
from xray_desktop.progress import Progress
from xray_desktop.security.permissions import Role
from xray_desktop.services.batch import run_batch
from xray_desktop.services.providers import default_provider
from xray_desktop.services.session import Session


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def append(self, actor: str, event: str, details: dict[str, Any]) -> int:
        self.events.append((event, dict(details)))
        return len(self.events)


def _folder(tmp_path: Path, square_images, n: int = 4) -> Path:
    folder = tmp_path / "cases"
    (folder / "a").mkdir(parents=True)
    images, _, _ = square_images(n, size=48, seed=5)
    for i, image in enumerate(images):
        cv2.imwrite(str(folder / f"{i}.png"), (image * 255).astype(np.uint8))
    cv2.imwrite(str(folder / "a" / "b.png"), (images[0] * 255).astype(np.uint8))
    cv2.imwrite(str(folder / "a__b.png"), (images[1] * 255).astype(np.uint8))
    return folder


def _manager(models_dir: Path) -> ModelManager:
    return default_provider(Registry.load(models_dir / "registry.json"))


def test_a_batch_whose_csv_cannot_be_written_is_audited_as_failed(tiny_models_dir, tmp_path, square_images):
    recorder = Recorder()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot write the CSV"):
        run_batch(
            Session("dr", Role.DOCTOR, recorder),
            _folder(tmp_path, square_images),
            manager=_manager(tiny_models_dir),
            task="pneumonia",
            csv_path=blocker / "out.csv",
        )
    events = [e for e, _ in recorder.events]
    assert events == ["batch_started", "batch_failed"]
    assert recorder.events[-1][1]["error"]


def test_a_crashed_batch_is_audited_as_failed(tiny_models_dir, tmp_path, square_images):
    recorder = Recorder()

    def crash(event) -> None:
        raise RuntimeError("disk vanished")

    with pytest.raises(RuntimeError):
        run_batch(
            Session("dr", Role.DOCTOR, recorder),
            _folder(tmp_path, square_images),
            manager=_manager(tiny_models_dir),
            task="pneumonia",
            csv_path=tmp_path / "out.csv",
            progress=Progress(on_update=crash),
            batch_size=2,
        )
    event, details = recorder.events[-1]
    assert event == "batch_failed" and "disk vanished" in details["error"]


def test_heatmap_names_never_collide(tiny_models_dir, tmp_path, square_images):
    folder = _folder(tmp_path, square_images)
    summary = run_batch(
        Session("dr", Role.DOCTOR),
        folder,
        manager=_manager(tiny_models_dir),
        task="pneumonia",
        csv_path=tmp_path / "o.csv",
        heatmap_dir=tmp_path / "maps",
    )
    written = list((tmp_path / "maps").iterdir())
    assert summary.heatmaps == 6 and len(written) == 6


def test_the_csv_carries_plausibility_warnings(tiny_models_dir, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    photo[..., 2] = 250  # strongly coloured: not a radiograph
    cv2.imwrite(str(folder / "holiday.png"), photo)
    run_batch(
        Session("dr", Role.DOCTOR),
        folder,
        manager=_manager(tiny_models_dir),
        task="pneumonia",
        csv_path=tmp_path / "o.csv",
    )
    rows = list(csv.DictReader((tmp_path / "o.csv").open(newline="", encoding="utf-8")))
    assert rows[0]["error"] == "" and rows[0]["warnings"]


def test_cli_batch_with_an_unusable_heatmap_dir_is_one_line_exit_3(tiny_models_dir, tmp_path, square_images, capsys):
    blocker = tmp_path / "maps-file"
    blocker.write_text("x")
    argv = ["batch", str(_folder(tmp_path, square_images)), "--task", "pneumonia", "--csv", str(tmp_path / "o.csv")]
    assert main([*argv, "--heatmap-dir", str(blocker)]) == EXIT_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot write heatmaps" in err[0] and "Traceback" not in err[0]


def test_a_training_run_that_fails_is_audited_as_failed(tmp_path, tiny_models_dir):
    from conftest import REPO_ROOT

    from xray_desktop.services.training import run_training
    from xray_desktop.training.recipes import load_recipe

    recipe = load_recipe(REPO_ROOT / "training" / "recipes" / "pneumonia_small_cnn_128.toml")
    recorder = Recorder()
    empty = tmp_path / "no-images"
    empty.mkdir()
    with pytest.raises(Exception):  # noqa: B017 - whatever the trainer raises, the audit says "failed"
        run_training(Session("dr", Role.DOCTOR, recorder), recipe, empty, tmp_path / "run", models_dir=tiny_models_dir)
    events = [e for e, _ in recorder.events]
    assert events[0] == "training_started" and events[-1] == "training_failed"
    assert recorder.events[-1][1]["error"]
