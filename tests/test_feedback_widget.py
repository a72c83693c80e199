"""The feedback widget saves through the service, pre-selects labels, shows earlier feedback, respects roles."""

from __future__ import annotations

from pathlib import Path

from reports_support import analysis, session

from xray_desktop.security.permissions import Role
from xray_desktop.services.feedback import FeedbackService
from xray_desktop.storage.feedback import Verdict
from xray_desktop.ui.feedback_widget import FeedbackWidget


def test_disagree_saves_with_the_opposite_label_and_emits(qtbot, tmp_path: Path) -> None:
    service = FeedbackService()
    widget = FeedbackWidget(service, session(Role.DOCTOR, "dr.q"))
    qtbot.addWidget(widget)
    case = analysis(tmp_path)
    widget.set_analysis(case, history_id="h1")
    assert [widget.task_combo.itemData(i) for i in range(widget.task_combo.count())] == ["pneumonia", "cardiomegaly"]

    widget.verdict_buttons[Verdict.DISAGREE].click()
    assert widget.label_combo.currentData() == "Normal"  # the model said Pneumonia
    widget.comment_edit.setPlainText("no consolidation")
    with qtbot.waitSignal(widget.saved, timeout=2000) as blocker:
        widget.save_button.click()
    entry = blocker.args[0]
    assert (entry.verdict, entry.correct_label, entry.comment, entry.history_id) == (
        Verdict.DISAGREE,
        "Normal",
        "no consolidation",
        "h1",
    )
    stored = service.for_image(session(Role.DOCTOR, "dr.q"), case.image_sha256)
    assert [e.id for e in stored] == [entry.id]
    assert "no consolidation" in widget.previous_label.text()
    assert widget.current_verdict() is None  # form cleared for the next one


def test_save_without_a_verdict_asks_for_one(qtbot, tmp_path: Path) -> None:
    service = FeedbackService()
    widget = FeedbackWidget(service, session())
    qtbot.addWidget(widget)
    widget.set_analysis(analysis(tmp_path))
    assert widget.save() is None
    assert "Choose Agree" in widget.status_label.text()
    assert service.for_image(session(), analysis(tmp_path).image_sha256) == []


def test_earlier_feedback_shows_when_the_same_image_is_opened_again(qtbot, tmp_path: Path) -> None:
    service = FeedbackService()
    service.record(session(Role.DOCTOR, "dr.earlier"), analysis(tmp_path), "pneumonia", "agree", comment="clear case")
    widget = FeedbackWidget(service, session(Role.DOCTOR, "dr.earlier"))
    qtbot.addWidget(widget)
    widget.set_analysis(analysis(tmp_path, "renamed_copy.png"))  # same pixels, same hash
    assert "dr.earlier" in widget.previous_label.text() and "clear case" in widget.previous_label.text()


def test_a_student_sees_neither_the_admins_comment_nor_may_give_feedback(qtbot, tmp_path: Path) -> None:
    service = FeedbackService()
    service.record(session(Role.ADMIN, "boss"), analysis(tmp_path), "pneumonia", "agree", comment="lobar, obvious")
    widget = FeedbackWidget(service, session(Role.STUDENT, "stud"))
    qtbot.addWidget(widget)
    widget.set_analysis(analysis(tmp_path))
    assert "lobar" not in widget.previous_label.text() and "boss" not in widget.previous_label.text()
    assert not widget.save_button.isEnabled()  # students cannot give feedback
    assert "cannot give feedback" in widget.status_label.text()
