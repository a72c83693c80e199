"""Analysis history: kept encrypted, listed newest first, per user, re-openable, safe across threads and restarts."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from reports_support import RecordingAudit, analysis, session

from xray_desktop.errors import InputError, NotAllowedError, StoreError
from xray_desktop.results import AnalysisResult, TaskStatus
from xray_desktop.security.permissions import Role
from xray_desktop.services.history import HistoryService
from xray_desktop.storage.database import DB_FILE_NAME


def test_history_survives_restart_and_reopens_the_case(tmp_path: Path, isolated_home: Path) -> None:
    audit = RecordingAudit()
    doctor = session(Role.DOCTOR, "dr.who", audit)
    case = analysis(tmp_path, "patient_case.png")
    entry = HistoryService().record_analysis(doctor, case)
    assert audit.names() == ["history_add"]

    again = HistoryService()  # a "restart": new objects on the same home
    listed = again.list_history(doctor)
    assert [e.id for e in listed] == [entry.id]
    reopened = again.get(doctor, entry.id)
    assert reopened.path == case.path
    assert reopened.image_sha256 == case.image_sha256
    results = {r.task: r for r in reopened.task_results()}
    assert results["pneumonia"].probability == pytest.approx(0.8731)
    assert results["pneumonia"].decision is True
    assert results["pneumonia"].model_sha256 == case.results[0].model_sha256
    assert results["fracture"].status is TaskStatus.NOT_INSTALLED
    assert "pneumonia 0.87 positive" in reopened.summary()
    as_analysis = reopened.to_analysis(case.image)
    assert as_analysis.image_sha256 == case.image_sha256
    assert as_analysis.result_for("cardiomegaly").label == "Normal"


def test_path_and_results_are_not_stored_in_clear(tmp_path: Path, isolated_home: Path) -> None:
    HistoryService().record_analysis(session(), analysis(tmp_path, "jane_doe_chest.png"))
    with sqlite3.connect(isolated_home / DB_FILE_NAME) as conn:
        dump = "\n".join(conn.iterdump())
    assert "jane_doe" not in dump
    assert "densenet121" not in dump


def test_newest_first_and_limit(tmp_path: Path) -> None:
    service = HistoryService()
    doctor = session()
    ids = [service.record_analysis(doctor, analysis(tmp_path, f"c{i}.png", seed=i)).id for i in range(4)]
    assert [e.id for e in service.list_history(doctor, limit=3)] == ids[::-1][:3]


def test_users_see_their_own_cases_and_admins_see_all(tmp_path: Path) -> None:
    service = HistoryService()
    alice, bob = session(Role.DOCTOR, "alice"), session(Role.STUDENT, "bob")
    a = service.record_analysis(alice, analysis(tmp_path, "a.png", seed=1))
    b = service.record_analysis(bob, analysis(tmp_path, "b.png", seed=2))
    assert [e.id for e in service.list_history(bob)] == [b.id]
    assert {e.id for e in service.list_history(session(Role.ADMIN))} == {a.id, b.id}
    with pytest.raises(NotAllowedError):
        service.get(bob, a.id)
    with pytest.raises(InputError, match="does not exist"):
        service.get(alice, "nope")


def test_same_image_found_by_hash(tmp_path: Path) -> None:
    service = HistoryService()
    doctor = session()
    first = service.record_analysis(doctor, analysis(tmp_path, "x.png", seed=5))
    service.record_analysis(doctor, analysis(tmp_path, "y.png", seed=6))
    second = service.record_analysis(doctor, analysis(tmp_path, "x_again.png", seed=5))
    found = service.for_image(doctor, first.image_sha256)
    assert [e.id for e in found] == [second.id, first.id]


def test_failed_load_is_kept_too() -> None:
    service = HistoryService()
    entry = service.record_analysis(session(), AnalysisResult(path="/data/broken.png", error="truncated file"))
    assert service.get(session(), entry.id).error == "truncated file"
    assert "truncated file" in entry.summary()


def test_concurrent_writers_and_readers(tmp_path: Path) -> None:
    service = HistoryService()
    doctor = session()
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        try:
            for i in range(5):
                service.record_analysis(doctor, analysis(tmp_path, f"t{seed}_{i}.png", seed=seed * 10 + i))
                service.list_history(doctor, limit=5)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(service.list_history(doctor, limit=100)) == 20


def test_tampered_record_is_refused(tmp_path: Path, isolated_home: Path) -> None:
    service = HistoryService()
    entry = service.record_analysis(session(), analysis(tmp_path))
    with sqlite3.connect(isolated_home / DB_FILE_NAME) as conn:
        (blob,) = conn.execute("SELECT payload FROM history WHERE id = ?", (entry.id,)).fetchone()
        conn.execute("UPDATE history SET payload = ? WHERE id = ?", (blob[:-1] + bytes([blob[-1] ^ 1]), entry.id))
    with pytest.raises(StoreError, match=entry.id):
        service.get(session(), entry.id)
