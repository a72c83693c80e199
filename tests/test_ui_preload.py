"""The models' ONNX Runtime sessions load on a model thread while the login dialog is open."""

from __future__ import annotations

from pathlib import Path

import pytest
from ui_support import PNEUMONIA_SAMPLE

from xray_desktop.security.permissions import Role
from xray_desktop.services.session import Session


@pytest.mark.slow
def test_sessions_preload_before_login_and_the_window_engine_keeps_them(qtbot, tiny_models_dir: Path) -> None:
    from xray_desktop.progress import Progress
    from xray_desktop.ui.engine import AnalyzeJob, LoadJob
    from xray_desktop.ui.preload import SessionPreload

    preload = SessionPreload()
    assert preload.start()  # nobody has logged in yet
    qtbot.waitUntil(lambda: preload.report is not None, timeout=60000)
    assert preload.report.ready == ["pneumonia"], preload.report
    engine = preload.engine  # what the window gets after the login
    preload.stop()
    assert engine.manager.is_loaded("tiny-pneumonia")  # loaded during the login, still loaded after it
    loaded = LoadJob(Path(PNEUMONIA_SAMPLE)).run(engine, Progress())
    outcome = AnalyzeJob(Session("dr-login", Role.DOCTOR), loaded.radiograph, tasks=["pneumonia"]).run(
        engine, Progress()
    )
    assert outcome.analysis.results[0].probability is not None
    assert outcome.coloured
