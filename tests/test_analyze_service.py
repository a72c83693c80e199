"""analyze_image / analyze_radiograph: every requested task gets a result, a reason, or "no model installed"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from conftest import write_model_entry

from xray_desktop.errors import UsageError
from xray_desktop.models.calibration import calibrate
from xray_desktop.models.manager import ModelManager
from xray_desktop.models.registry import Registry
from xray_desktop.results import TaskStatus
from xray_desktop.security.permissions import Role
from xray_desktop.services.analyze import analyze_image, analyze_radiograph
from xray_desktop.services.providers import default_provider
from xray_desktop.services.session import Session


class RecordingAudit:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any]]] = []

    def append(self, actor: str, event: str, details: dict[str, Any]) -> None:
        self.events.append((actor, event, details))


@pytest.fixture
def session() -> Session:
    return Session("dr.test", Role.DOCTOR, audit=RecordingAudit())


def _manager(models_dir: Path) -> ModelManager:
    return default_provider(Registry.load(models_dir / "registry.json"))


def _square_png(folder: Path, name: str, square: bool, size: int = 96) -> tuple[Path, tuple[int, int, int, int]]:
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    image = rng.uniform(0.0, 0.35, (size, size))
    box = (50, 20, size // 4, size // 4)
    if square:
        x, y, w, h = box
        image[y : y + h, x : x + w] = 0.95
    path = folder / name
    cv2.imwrite(str(path), (image * 255).astype(np.uint8))
    return path, box


def test_positive_image_gets_probability_decision_and_a_map_on_the_square(tiny_models_dir, tmp_path, session):
    path, (x, y, w, h) = _square_png(tmp_path, "positive.png", square=True)
    result = analyze_image(session, path, manager=_manager(tiny_models_dir), tasks="pneumonia")
    assert result.error is None and result.image is not None
    [task] = result.results
    assert task.status is TaskStatus.OK and task.model_id == "tiny-pneumonia"
    assert task.probability > 0.9 and task.decision is True and task.label == "Pneumonia" and task.threshold == 0.5
    assert task.validation_auc is not None and task.validation_data == "64 generated square images"
    assert task.heatmap.shape == (96, 96) and task.heatmap.dtype == np.float32
    peak_y, peak_x = np.unravel_index(np.argmax(task.heatmap), task.heatmap.shape)
    assert x - 4 <= peak_x < x + w + 4 and y - 4 <= peak_y < y + h + 4
    assert task.method == "gradcam" and task.predict_seconds > 0
    actor, event, details = session.audit.events[-1]
    assert (actor, event) == ("dr.test", "analysis")
    assert details["image_sha256"] == result.image_sha256 and details["path"] == str(path)
    assert details["results"][0]["model_sha256"] == task.model_sha256
    assert details["results"][0]["decision"] == "positive"


def test_negative_image_can_hide_its_map(tiny_models_dir, tmp_path, session):
    path, _ = _square_png(tmp_path, "negative.png", square=False)
    manager = _manager(tiny_models_dir)
    shown = analyze_image(session, path, manager=manager, tasks="pneumonia").results[0]
    hidden = analyze_image(session, path, manager=manager, tasks="pneumonia", hide_map_when_negative=True).results[0]
    assert shown.decision is False and shown.label == "Normal" and shown.heatmap is not None
    assert hidden.decision is False and hidden.heatmap is None and hidden.probability == shown.probability


def test_all_tasks_report_not_installed_or_unavailable_without_stopping_the_rest(
    tiny_models_dir, tiny_square_model, tmp_path, session
):
    write_model_entry(tiny_models_dir, tiny_square_model, "cardiomegaly", "broken-cardio")
    (tiny_models_dir / "broken-cardio.keras").write_bytes(b"not a model")
    path, _ = _square_png(tmp_path, "case.png", square=True)
    result = analyze_image(session, path, manager=_manager(tiny_models_dir), tasks="all", explain=False)
    by_task = {r.task: r for r in result.results}
    assert list(by_task) == ["pneumonia", "cardiomegaly", "osteoarthritis", "osteoporosis", "fracture"]
    assert by_task["pneumonia"].status is TaskStatus.OK and by_task["pneumonia"].heatmap is None
    assert by_task["cardiomegaly"].status is TaskStatus.UNAVAILABLE
    assert "checksum mismatch" in by_task["cardiomegaly"].message and by_task["cardiomegaly"].probability is None
    assert by_task["fracture"].status is TaskStatus.NOT_INSTALLED
    assert by_task["fracture"].message == "no model installed for fracture"


def test_unreadable_file_becomes_an_error_not_an_exception(tiny_models_dir, tmp_path, session):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    result = analyze_image(session, bad, manager=_manager(tiny_models_dir), tasks="pneumonia")
    assert result.error is not None and "broken.png" in result.error and result.results == []


def test_temperature_from_the_registry_calibrates_the_probability(
    tiny_models_dir, tiny_square_model, tmp_path, session
):
    path, _ = _square_png(tmp_path, "case.png", square=True)
    manager = _manager(tiny_models_dir)
    raw = analyze_image(session, path, manager=manager, tasks="pneumonia", explain=False).results[0].probability
    write_model_entry(tiny_models_dir, tiny_square_model, "pneumonia", "tiny-pneumonia-t3", temperature=3.0)
    calibrated = analyze_image(session, path, manager=_manager(tiny_models_dir), tasks="pneumonia", explain=False)
    assert calibrated.results[0].probability == pytest.approx(float(calibrate(raw, 3.0)), abs=1e-6)
    assert calibrated.results[0].probability < raw


def test_fracture_maps_come_with_attention_boxes_around_the_evidence(
    tiny_models_dir, tiny_square_model, tmp_path, session
):
    write_model_entry(tiny_models_dir, tiny_square_model, "fracture", "tiny-fracture")
    path, (x, y, w, h) = _square_png(tmp_path, "wrist.png", square=True)
    result = analyze_image(session, path, manager=_manager(tiny_models_dir), tasks=["fracture"], method="gradcam++")
    boxes = result.results[0].boxes
    assert boxes, "a positive fracture result must show at least one box"
    bx, by, bw, bh = boxes[0]
    assert bx <= x + w and x <= bx + bw and by <= y + h and y <= by + bh  # the largest box overlaps the square


def test_auto_uses_the_dicom_body_part(tiny_models_dir, dicom_mono1, session):
    from xray_desktop.imaging.loader import load_radiograph

    radiograph = load_radiograph(dicom_mono1)
    result = analyze_radiograph(session, radiograph, manager=_manager(tiny_models_dir), tasks="auto", explain=False)
    assert [r.task for r in result.results] == ["pneumonia", "cardiomegaly"]
    assert result.results[0].status is TaskStatus.OK and result.results[1].status is TaskStatus.NOT_INSTALLED


def test_unknown_task_or_method_is_a_usage_error(tiny_models_dir, tmp_path, session):
    path, _ = _square_png(tmp_path, "case.png", square=True)
    with pytest.raises(UsageError, match="unknown task 'elbow'"):
        analyze_image(session, path, manager=_manager(tiny_models_dir), tasks="elbow")
    with pytest.raises(UsageError, match="unknown explanation method 'lime'"):
        analyze_image(session, path, manager=_manager(tiny_models_dir), tasks="pneumonia", method="lime")


def test_a_colour_photo_is_analysed_but_flagged(tiny_models_dir, tmp_path, session):
    photo = np.zeros((96, 96, 3), np.uint8)
    photo[..., 2] = 220  # strongly red
    photo[::2, ::2, 1] = 120
    cv2.imwrite(str(tmp_path / "photo.png"), photo)
    result = analyze_image(session, tmp_path / "photo.png", manager=_manager(tiny_models_dir), tasks="pneumonia")
    assert any("colour" in w for w in result.warnings)


def test_admin_threshold_override_replaces_the_registry_threshold_and_says_so(tiny_models_dir, tmp_path, session):
    path, _ = _square_png(tmp_path, "override.png", square=True)
    plain = analyze_image(session, path, manager=_manager(tiny_models_dir), tasks="pneumonia").results[0]
    assert plain.threshold_source == "registry" and plain.decision is True
    strict = min(1.0, plain.probability + 1e-3)  # just above this image's probability: the decision must flip
    overridden = analyze_image(
        session, path, manager=_manager(tiny_models_dir), tasks="pneumonia", threshold_overrides={"pneumonia": strict}
    ).results[0]
    assert overridden.threshold == strict and overridden.threshold_source == "admin override"
    assert overridden.probability == pytest.approx(plain.probability)
    assert overridden.decision is False and overridden.label == "Normal"
    assert overridden.to_json()["threshold_source"] == "admin override"


def test_body_part_names_select_that_part_and_unknown_part_warns(tiny_models_dir, tmp_path, session):
    from xray_desktop.services.analyze import UNKNOWN_BODY_PART_WARNING, resolve_tasks

    assert resolve_tasks("chest", None) == ["pneumonia", "cardiomegaly"]
    assert resolve_tasks("knee", None) == ["osteoarthritis", "osteoporosis"]
    assert resolve_tasks("limb", None) == ["fracture"]
    assert resolve_tasks("auto", "CHEST") == ["pneumonia", "cardiomegaly"]
    path, _ = _square_png(tmp_path, "nobodypart.png", square=True)
    manager = _manager(tiny_models_dir)
    guessed = analyze_image(session, path, manager=manager, tasks="auto")
    assert UNKNOWN_BODY_PART_WARNING in guessed.warnings and len(guessed.results) == 5
    chosen = analyze_image(session, path, manager=manager, tasks="chest")
    assert UNKNOWN_BODY_PART_WARNING not in chosen.warnings
    assert [r.task for r in chosen.results] == ["pneumonia", "cardiomegaly"]
