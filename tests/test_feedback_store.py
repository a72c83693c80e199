"""Feedback: recorded with the analysis, found again by image hash, exported to CSV by admins only."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest
from reports_support import RecordingAudit, analysis, session

from xray_desktop.errors import NotAllowedError, UsageError
from xray_desktop.security.permissions import Role
from xray_desktop.services.feedback import CSV_COLUMNS, FeedbackService
from xray_desktop.storage.database import DB_FILE_NAME
from xray_desktop.storage.feedback import Verdict


def test_feedback_is_stored_and_found_by_image_hash_after_restart(tmp_path: Path) -> None:
    audit = RecordingAudit()
    doctor = session(Role.DOCTOR, "dr.a", audit)
    case = analysis(tmp_path)
    entry = FeedbackService().record(doctor, case, "pneumonia", Verdict.DISAGREE, comment="  consolidation absent ")
    assert entry.correct_label == "Normal"  # disagreeing with a positive answer means Normal
    assert entry.model_id == "pneumonia-densenet121-v1"
    assert audit.names() == ["feedback"]

    found = FeedbackService().for_image(session(Role.DOCTOR, "dr.a"), case.image_sha256)
    assert len(found) == 1
    got = found[0]
    assert (got.username, got.task, got.verdict, got.comment) == (
        "dr.a",
        "pneumonia",
        Verdict.DISAGREE,
        "consolidation absent",
    )
    assert got.model_probability == pytest.approx(0.8731)
    assert FeedbackService().for_image(session(), "0" * 64) == []


def test_agree_and_unsure_labels(tmp_path: Path) -> None:
    service, case = FeedbackService(), analysis(tmp_path)
    assert service.record(session(), case, "pneumonia", "agree").correct_label == "Pneumonia"
    assert service.record(session(), case, "cardiomegaly", "agree").correct_label == "Normal"
    assert service.record(session(), case, "pneumonia", "unsure").correct_label is None
    assert (
        service.record(session(), case, "pneumonia", "unsure", correct_label="Pneumonia").correct_label == "Pneumonia"
    )


def test_bad_feedback_is_refused(tmp_path: Path) -> None:
    service, case = FeedbackService(), analysis(tmp_path)
    with pytest.raises(UsageError, match="not a label of pneumonia"):
        service.record(session(), case, "pneumonia", "disagree", correct_label="Fracture")
    with pytest.raises(UsageError, match="no fracture answer"):
        service.record(session(), case, "fracture", "agree")
    with pytest.raises(UsageError, match="must be one of"):
        service.record(session(), case, "pneumonia", "maybe")
    with pytest.raises(NotAllowedError):
        service.record(session(Role.STUDENT), case, "pneumonia", "agree")


def test_comment_and_label_are_not_stored_in_clear(tmp_path: Path, isolated_home: Path) -> None:
    FeedbackService().record(
        session(), analysis(tmp_path, "smith_john.png"), "pneumonia", "agree", comment="left lower lobe"
    )
    with sqlite3.connect(isolated_home / DB_FILE_NAME) as conn:
        dump = "\n".join(conn.iterdump())
    assert "left lower lobe" not in dump and "smith_john" not in dump


def test_admin_exports_csv_for_retraining(tmp_path: Path) -> None:
    service = FeedbackService()
    case = analysis(tmp_path)
    service.record(session(Role.DOCTOR, "dr.a"), case, "pneumonia", "disagree", comment='=HYPERLINK("x")')
    service.record(session(Role.DOCTOR, "dr.b"), case, "cardiomegaly", "agree")
    with pytest.raises(NotAllowedError, match="export feedback"):
        service.export_csv(session(Role.DOCTOR), tmp_path / "fb.csv")

    rows_written = service.export_csv(session(Role.ADMIN), tmp_path / "fb.csv")
    with (tmp_path / "fb.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows_written == len(rows) == 2
    assert tuple(rows[0]) == CSV_COLUMNS
    first = rows[0]
    assert (first["username"], first["task"], first["verdict"], first["correct_label"]) == (
        "dr.a",
        "pneumonia",
        "disagree",
        "Normal",
    )
    assert first["image_sha256"] == case.image_sha256
    assert first["image_path"] == case.path
    assert first["model_id"] == "pneumonia-densenet121-v1"
    assert first["model_probability"] == "0.873100"
    assert first["comment"].startswith("'=")  # spreadsheet formula neutralised


def test_feedback_is_visible_only_to_its_author_and_to_admins(tmp_path: Path) -> None:
    case = analysis(tmp_path)
    FeedbackService().record(session(Role.ADMIN, "boss"), case, "pneumonia", Verdict.AGREE, comment="obvious lobar")
    FeedbackService().record(session(Role.DOCTOR, "dr.b"), case, "pneumonia", Verdict.UNSURE, comment="mine")
    assert FeedbackService().for_image(session(Role.STUDENT, "stud"), case.image_sha256) == []
    [own] = FeedbackService().for_image(session(Role.DOCTOR, "dr.b"), case.image_sha256)
    assert own.comment == "mine"
    assert len(FeedbackService().for_image(session(Role.ADMIN, "other-admin"), case.image_sha256)) == 2
