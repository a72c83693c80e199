"""Analysis never imports TensorFlow: analyze, batch, evaluate, self-test and the window's jobs, each in a fresh process.

The shipped models carry ONNX graphs, so every one of these runs on ONNX Runtime; a module that
imported TensorFlow on the way would show up in `sys.modules` at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "resources" / "samples"
CHECK = "\nassert 'tensorflow' not in sys.modules, sorted(m for m in sys.modules if m.startswith(('tensorflow', 'keras')))\n"
CHECK += "print('NO_TENSORFLOW', 'onnxruntime' in sys.modules)\n"


def _run(code: str, home: Path, timeout: float = 300) -> str:
    env = {**os.environ, "XRAY_DESKTOP_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("XRAY_DESKTOP_MODELS", None)
    env.pop("XRAY_DESKTOP_BACKEND", None)
    done = subprocess.run(
        [sys.executable, "-c", "import sys\n" + textwrap.dedent(code) + CHECK],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert "NO_TENSORFLOW True" in done.stdout, done.stdout[-2000:]
    return done.stdout


def _cli(args: list[str]) -> str:
    return f"from xray_desktop.cli import main\nrc = main({args!r})\nassert rc == 0, rc\n"


def test_analyze_without_tensorflow(tmp_path: Path) -> None:
    film = str(SAMPLES / "chest" / "PNEUMONIA__person516_virus_1033.jpeg")
    out = _run(_cli(["analyze", film, "--task", "all", "--json", "--heatmap-dir", str(tmp_path / "maps")]), tmp_path)
    assert '"probability"' in out
    assert list((tmp_path / "maps").glob("*.png"))


def test_batch_without_tensorflow(tmp_path: Path) -> None:
    csv = tmp_path / "out.csv"
    _run(
        _cli(
            [
                "batch",
                str(SAMPLES / "chest"),
                "--task",
                "pneumonia",
                "--csv",
                str(csv),
                "--heatmap-dir",
                str(tmp_path / "h"),
            ]
        ),
        tmp_path,
    )
    rows = csv.read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("path,task,probability") and len(rows) == 1 + len(list((SAMPLES / "chest").iterdir()))


def test_evaluate_without_tensorflow(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for film in (SAMPLES / "chest").iterdir():
        label = film.name.split("__")[0]
        (data / label).mkdir(parents=True, exist_ok=True)
        shutil.copy(film, data / label / film.name)
    out = _run(
        _cli(["evaluate", "--task", "pneumonia", "--data", str(data), "--class-map", "NORMAL=0,PNEUMONIA=1", "--json"]),
        tmp_path,
    )
    assert '"auc"' in out


def test_self_test_without_tensorflow(tmp_path: Path) -> None:
    out = _run(_cli(["self-test", "--no-gui"]), tmp_path, timeout=600)
    assert "SELF-TEST PASSED" in out


def test_window_jobs_without_tensorflow(tmp_path: Path) -> None:
    """The window module and its model-thread jobs (warm-up, open, analyse, report) stay on ONNX Runtime."""
    film = SAMPLES / "chest" / "PNEUMONIA__person516_virus_1033.jpeg"
    code = f"""
        import xray_desktop.ui.main_window  # everything the window imports
        from pathlib import Path
        from xray_desktop.progress import Progress
        from xray_desktop.services.auth import cli_session
        from xray_desktop.ui.engine import AnalysisEngine, AnalyzeJob, LoadJob, ReportJob, WarmUpJob
        session = cli_session()
        engine = AnalysisEngine()
        report = WarmUpJob().run(engine, Progress())
        assert report.ready and not report.problems, report
        loaded = LoadJob(Path({str(film)!r})).run(engine, Progress())
        for method in ("gradcam", "gradcam++", "scorecam"):
            outcome = AnalyzeJob(session, loaded.radiograph, method=method, tasks="chest").run(engine, Progress())
            assert outcome.coloured, method
        ReportJob(session, outcome.analysis, Path({str(tmp_path / "r.pdf")!r})).run(engine, Progress())
    """
    _run(code, tmp_path)
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF-")
