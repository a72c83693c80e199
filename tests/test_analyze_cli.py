"""`xray-desktop analyze` and `xray-desktop models`: JSON shape and exit codes (3 bad file, 4 model unavailable)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from conftest import write_model_entry

from xray_desktop.cli import main


def _png(folder: Path, name: str, square: bool) -> Path:
    image = np.random.default_rng(len(name)).uniform(0.0, 0.35, (80, 80))
    if square:
        image[10:30, 40:60] = 0.95
    path = folder / name
    cv2.imwrite(str(path), (image * 255).astype(np.uint8))
    return path


def test_json_lists_each_file_and_a_bad_file_gives_exit_3(tiny_models_dir, tmp_path, capsys):
    good = _png(tmp_path, "pos.png", square=True)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    code = main(["analyze", str(good), str(bad), "--task", "pneumonia", "--json"])
    out, err = capsys.readouterr()
    assert code == 3
    first, second = json.loads(out)
    assert first["path"] == str(good) and first["error"] is None
    result = first["results"][0]
    assert result["task"] == "pneumonia" and result["model_id"] == "tiny-pneumonia"
    assert result["decision"] == "positive" and result["threshold"] == 0.5 and 0.5 <= result["probability"] <= 1
    assert second["path"] == str(bad) and "bad.png" in second["error"] and second["results"] == []
    assert "bad.png" in err and "Traceback" not in err


def test_text_output_and_overlays_for_good_files_exit_0(tiny_models_dir, tmp_path, capsys):
    files = [_png(tmp_path, "a.png", True), _png(tmp_path, "b.png", False)]
    code = main(["analyze", *map(str, files), "--task", "pneumonia", "--heatmap-dir", str(tmp_path / "maps")])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "pneumonia: P=" in out and "-> positive (Pneumonia)" in out and "-> negative (Normal)" in out
    assert "not a medical device" in out
    assert sorted(p.name for p in (tmp_path / "maps").iterdir()) == [
        "a__pneumonia__gradcam.png",
        "b__pneumonia__gradcam.png",
    ]


def test_named_task_without_a_model_exits_4_but_auto_does_not(tiny_models_dir, tmp_path, capsys):
    path = _png(tmp_path, "case.png", True)
    assert main(["analyze", str(path), "--task", "fracture", "--json"]) == 4
    report = json.loads(capsys.readouterr().out)[0]["results"][0]
    assert report["status"] == "not_installed" and report["message"] == "no model installed for fracture"
    assert main(["analyze", str(path), "--task", "all", "--json"]) == 0


def test_broken_model_exits_4_and_says_why(tiny_models_dir, tmp_path, capsys):
    (tiny_models_dir / "tiny-pneumonia.keras").write_bytes(b"tampered")
    assert main(["analyze", str(_png(tmp_path, "case.png", True)), "--task", "pneumonia", "--json"]) == 4
    result = json.loads(capsys.readouterr().out)[0]["results"][0]
    assert result["status"] == "unavailable" and "checksum mismatch" in result["message"]


def test_report_flag_writes_a_pdf(tiny_models_dir, tmp_path, capsys):
    from pypdf import PdfReader

    out_pdf = tmp_path / "report.pdf"
    code = main(["analyze", str(_png(tmp_path, "case.png", True)), "--task", "pneumonia", "--report", str(out_pdf)])
    assert code == 0
    assert len(PdfReader(out_pdf).pages) >= 1


def test_models_list_show_and_verify(tiny_models_dir, tiny_square_model, capsys):
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "tiny-pneumonia" in out and "no model installed" in out and "64 generated square images" in out
    assert main(["models", "show", "tiny-pneumonia", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["active"] is True and shown["sha256"] == shown["sha256"].lower() and len(shown["sha256"]) == 64
    assert main(["models", "show", "ghost"]) == 4
    assert main(["models", "verify"]) == 0
    assert "ok" in capsys.readouterr().out
    write_model_entry(tiny_models_dir, tiny_square_model, "cardiomegaly", "broken")
    (tiny_models_dir / "broken.keras").write_bytes(b"corrupted")
    assert main(["models", "verify"]) == 4
    out = capsys.readouterr().out
    assert "FAILED" in out and "checksum mismatch" in out
