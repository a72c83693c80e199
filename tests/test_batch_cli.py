"""`xray-desktop batch`: CSV written, progress on stderr, exit 3 when a file was unusable, 4 without a model."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np

from xray_desktop.cli import main


def _folder(tmp_path: Path, square_images) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    images, _, _ = square_images(18, size=48, seed=31)
    for i, image in enumerate(images):
        cv2.imwrite(str(folder / f"{i:02d}.png"), (image * 255).astype(np.uint8))
    return folder


def test_batch_writes_the_csv_and_draws_progress(tiny_models_dir, tmp_path, square_images, capsys):
    folder = _folder(tmp_path, square_images)
    code = main(["batch", str(folder), "--task", "pneumonia", "--csv", str(tmp_path / "out.csv"), "--jobs", "2"])
    _, err = capsys.readouterr()
    assert code == 0
    with (tmp_path / "out.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 18
    assert "16/18 files" in err and "18/18 files" in err and "18 files, 9 positive, 0 unusable" in err


def test_batch_exit_codes(tiny_models_dir, tmp_path, square_images, capsys):
    folder = _folder(tmp_path, square_images)
    (folder / "junk.bin").write_bytes(b"\0" * 10)
    assert main(["batch", str(folder), "--task", "pneumonia", "--csv", str(tmp_path / "a.csv")]) == 3
    assert main(["batch", str(folder), "--task", "fracture", "--csv", str(tmp_path / "b.csv")]) == 4
    assert main(["batch", str(tmp_path / "missing"), "--task", "pneumonia", "--csv", str(tmp_path / "c.csv")]) == 3
    err = capsys.readouterr().err
    assert "no model installed for fracture" in err and "missing: not a folder" in err and "Traceback" not in err
