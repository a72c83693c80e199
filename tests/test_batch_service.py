"""run_batch: one flushed CSV row per file, bad files recorded and skipped, cancel leaves a valid partial CSV."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest

from xray_desktop.errors import ModelUnavailableError, NotAllowedError
from xray_desktop.models.manager import ModelManager
from xray_desktop.models.registry import Registry
from xray_desktop.progress import Cancelled, Progress
from xray_desktop.security.permissions import Role
from xray_desktop.services.batch import CSV_COLUMNS, run_batch
from xray_desktop.services.providers import default_provider
from xray_desktop.services.session import Session

DOCTOR = Session("dr.batch", Role.DOCTOR)


def _manager(models_dir: Path) -> ModelManager:
    return default_provider(Registry.load(models_dir / "registry.json"))


def _folder(tmp_path: Path, square_images, n: int = 20) -> Path:
    folder = tmp_path / "cases"
    (folder / "sub").mkdir(parents=True)
    images, labels, _ = square_images(n, size=64, seed=21)
    for i, (image, label) in enumerate(zip(images, labels, strict=True)):
        target = folder / ("sub" if i % 3 == 0 else "") / f"case{i:03d}_{'pos' if label else 'neg'}.png"
        cv2.imwrite(str(target), (image * 255).astype(np.uint8))
    return folder


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames) == CSV_COLUMNS
        return list(reader)


def test_every_file_gets_one_row_with_a_correct_decision(tiny_models_dir, tmp_path, square_images):
    folder = _folder(tmp_path, square_images, n=20)
    summary = run_batch(
        DOCTOR, folder, manager=_manager(tiny_models_dir), task="pneumonia", csv_path=tmp_path / "o.csv"
    )
    rows = _rows(tmp_path / "o.csv")
    assert summary.total == summary.processed == len(rows) == 20 and summary.failed == 0
    assert {Path(r["path"]).name for r in rows} == {p.name for p in folder.rglob("*.png")}
    for row in rows:
        expected = "positive" if "_pos" in row["path"] else "negative"
        assert row["decision"] == expected, row
        assert row["model_id"] == "tiny-pneumonia" and float(row["threshold"]) == 0.5 and row["error"] == ""
        assert 0.0 <= float(row["probability"]) <= 1.0
    assert summary.positives == 10


def test_unreadable_files_are_recorded_with_their_error_and_skipped(tiny_models_dir, tmp_path, square_images):
    folder = _folder(tmp_path, square_images, n=4)
    (folder / "notes.txt").write_text("not an image")
    (folder / "truncated.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0")
    summary = run_batch(
        DOCTOR, folder, manager=_manager(tiny_models_dir), task="pneumonia", csv_path=tmp_path / "o.csv", jobs=2
    )
    rows = {Path(r["path"]).name: r for r in _rows(tmp_path / "o.csv")}
    assert summary.failed == 2 and summary.processed == 6
    assert rows["notes.txt"]["probability"] == "" and "not a recognised image" in rows["notes.txt"]["error"]
    assert rows["truncated.png"]["error"] != ""
    assert sum(1 for r in rows.values() if r["decision"]) == 4


def test_cancel_leaves_a_valid_partial_csv(tiny_models_dir, tmp_path, square_images):
    folder = _folder(tmp_path, square_images, n=40)
    progress = Progress()
    seen: list[int] = []

    def on_update(event) -> None:
        seen.append(event.done)
        if event.done >= 16:
            progress.cancel()

    progress.on_update = on_update
    with pytest.raises(Cancelled):
        run_batch(
            DOCTOR,
            folder,
            manager=_manager(tiny_models_dir),
            task="pneumonia",
            csv_path=tmp_path / "o.csv",
            progress=progress,
            batch_size=8,
        )
    rows = _rows(tmp_path / "o.csv")
    assert len(rows) == 16 and seen == [8, 16]
    assert all(r["decision"] in ("positive", "negative") for r in rows)


def test_heatmap_dir_gets_one_overlay_per_file(tiny_models_dir, tmp_path, square_images):
    folder = _folder(tmp_path, square_images, n=4)
    summary = run_batch(
        DOCTOR,
        folder,
        manager=_manager(tiny_models_dir),
        task="pneumonia",
        csv_path=tmp_path / "o.csv",
        heatmap_dir=tmp_path / "maps",
    )
    written = sorted(p.name for p in (tmp_path / "maps").iterdir())
    assert summary.heatmaps == 4 and len(written) == 4
    assert "sub__case000_pos__pneumonia.png" in written
    overlay = cv2.imread(str(tmp_path / "maps" / "sub__case000_pos__pneumonia.png"))
    assert overlay.shape == (64, 64, 3)


def test_no_model_or_no_permission_fails_before_any_file_is_read(tiny_models_dir, tmp_path, square_images):
    folder = _folder(tmp_path, square_images, n=2)
    with pytest.raises(ModelUnavailableError, match="no model installed for fracture"):
        run_batch(DOCTOR, folder, manager=_manager(tiny_models_dir), task="fracture", csv_path=tmp_path / "o.csv")
    with pytest.raises(NotAllowedError):
        run_batch(
            Session("student", Role.STUDENT),
            folder,
            manager=_manager(tiny_models_dir),
            task="pneumonia",
            csv_path=tmp_path / "o.csv",
        )
    assert not (tmp_path / "o.csv").exists()


def test_threshold_override_is_written_and_decides(tiny_models_dir, tmp_path, square_images):
    folder = _folder(tmp_path, square_images, n=8)
    run_batch(
        DOCTOR, folder, manager=_manager(tiny_models_dir), task="pneumonia", csv_path=tmp_path / "o.csv", threshold=1.0
    )
    rows = _rows(tmp_path / "o.csv")
    assert len(rows) == 8
    assert all(float(r["threshold"]) == 1.0 for r in rows)
    assert all(r["decision"] == "negative" for r in rows if float(r["probability"]) < 1.0)
