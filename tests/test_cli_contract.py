"""The CLI contract (issue 15, defect 7): file-system errors are one line with exit 3, heatmap names never
collide, admin commands without a terminal say which options they need, "nothing analysed" is never exit 0,
and stderr is silent when nothing failed."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from xray_desktop.cli import main
from xray_desktop.errors import EXIT_INPUT, EXIT_MODEL, EXIT_USAGE

REPO = Path(__file__).resolve().parent.parent


def _png(folder: Path, name: str = "1.png") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    image = np.random.default_rng(3).uniform(0.0, 0.35, (64, 64))
    image[10:30, 20:40] = 0.95
    cv2.imwrite(str(folder / name), (image * 255).astype(np.uint8))
    return folder / name


def _one_error_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_analyze_with_an_unusable_heatmap_dir_is_one_line_exit_3(tiny_models_dir, tmp_path, capsys):
    blocker = tmp_path / "maps"
    blocker.write_text("a file, not a folder")
    code = main(["analyze", str(_png(tmp_path / "in")), "--task", "pneumonia", "--heatmap-dir", str(blocker)])
    assert code == EXIT_INPUT
    assert "cannot write heatmaps" in _one_error_line(capsys.readouterr().err)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_analyze_with_a_read_only_heatmap_dir_is_one_line_exit_3(tiny_models_dir, tmp_path, capsys):
    maps = tmp_path / "maps"
    maps.mkdir()
    maps.chmod(0o500)
    code = main(["analyze", str(_png(tmp_path / "in")), "--task", "pneumonia", "--heatmap-dir", str(maps)])
    assert code == EXIT_INPUT and "cannot write heatmaps" in _one_error_line(capsys.readouterr().err)


def test_any_os_error_reaching_main_is_one_line_exit_3(tiny_models_dir, tmp_path, capsys):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    out_pdf = blocker / "report.pdf"
    code = main(["analyze", str(_png(tmp_path / "in")), "--task", "pneumonia", "--json", "--report", str(out_pdf)])
    assert code == EXIT_INPUT
    assert str(blocker) in _one_error_line(capsys.readouterr().err)


def test_two_inputs_with_the_same_name_get_two_heatmaps(tiny_models_dir, tmp_path, capsys):
    first, second = _png(tmp_path / "x"), _png(tmp_path / "y")
    maps = tmp_path / "maps"
    assert main(["analyze", str(first), str(second), "--task", "pneumonia", "--heatmap-dir", str(maps)]) == 0
    assert len(list(maps.iterdir())) == 2


def test_nothing_analysed_is_not_success(tiny_models_dir, tmp_path, capsys):
    path = _png(tmp_path / "in")
    assert main(["analyze", str(path), "--task", "knee", "--json"]) == EXIT_MODEL  # no knee model installed
    assert main(["analyze", str(path), "--task", "fracture", "--json"]) == EXIT_MODEL
    assert main(["analyze", str(path), "--task", "all", "--json"]) == 0  # pneumonia ran


@pytest.mark.parametrize(
    "argv",
    [
        ["users", "list"],
        ["settings", "import", "settings.json"],
        ["feedback", "export", "--csv", "out.csv"],
        ["audit", "export", "--csv", "out.csv"],
        ["models", "activate", "pneumonia", "tiny-pneumonia"],
        ["users", "list", "--admin", "it-admin"],
    ],
)
def test_admin_commands_without_a_terminal_say_what_they_need(argv, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(argv) == EXIT_USAGE
    line = _one_error_line(capsys.readouterr().err)
    assert "--admin" in line and "--password-stdin" in line and "EOFError" not in line


def test_stderr_is_silent_when_nothing_failed(tiny_models_dir, tmp_path):
    env = dict(os.environ)
    for name in ("TF_CPP_MIN_LOG_LEVEL", "ABSL_MIN_LOG_LEVEL"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "xray_desktop", "analyze", str(_png(tmp_path / "in")), "--task", "pneumonia", "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["results"][0]["status"] == "ok"
    assert done.stderr == ""


def test_a_batch_over_an_empty_folder_is_not_success(tiny_models_dir, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["batch", str(empty), "--task", "pneumonia", "--csv", str(tmp_path / "o.csv")]) == EXIT_INPUT
    assert "no files to analyse" in capsys.readouterr().err


def test_train_on_a_reading_station_says_it_needs_the_full_install(tmp_path, capsys, monkeypatch):
    """Not "data root not found": without TensorFlow the one line says what install training needs."""
    from xray_desktop.errors import EXIT_USAGE
    from xray_desktop.models import backend

    monkeypatch.setattr(backend, "tensorflow_installed", lambda: False)
    recipe = Path(__file__).resolve().parents[1] / "training" / "recipes" / "pneumonia_small_cnn_128.toml"
    code = main(["train", "--recipe", str(recipe), "--data-root", str(tmp_path / "nowhere")])
    assert code == EXIT_USAGE
    assert "needs the full install" in capsys.readouterr().err
