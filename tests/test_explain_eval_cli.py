"""`explain-eval` (table, JSON, layer choice into the registry, figures on the card, idempotent) and
`analyze --check-map` / the single-film marker warning, on the tiny square model."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from xray_desktop.cli import main
from xray_desktop.explain import MARKER_WARNING
from xray_desktop.models.registry import Registry


def _films(folder: Path, n: int = 6) -> Path:
    from conftest import make_square_images

    folder.mkdir(parents=True, exist_ok=True)
    images, labels, _ = make_square_images(n, seed=41)
    for i, (image, label) in enumerate(zip(images, labels, strict=True)):
        cv2.imwrite(str(folder / f"{'pos' if label else 'neg'}_{i}.png"), (image * 255).astype(np.uint8))
    return folder


def test_explain_eval_chooses_layers_writes_the_card_and_repeats_cleanly(tiny_models_dir, tmp_path, capsys):
    registry = Registry.load(tiny_models_dir / "registry.json")
    registry.models[0].card = "tiny-pneumonia.md"
    registry.save()
    (tiny_models_dir / "tiny-pneumonia.json").write_text(json.dumps({"id": "tiny-pneumonia"}))
    folder = _films(tmp_path / "films")
    args = ["explain-eval", str(folder), "--task", "pneumonia", "--methods", "gradcam", "layercam"]
    for _ in range(2):
        assert main([*args, "--choose-layer", "--write-card", "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
    assert Registry.load(tiny_models_dir / "registry.json").models[0].cam_layers == ["last_conv"]
    assert report["n"] == 6 and set(report["methods"]) == {"gradcam", "layercam", "random"}
    gradcam, random = report["methods"]["gradcam"], report["methods"]["random"]
    assert gradcam["deletion_auc"]["mean"] < random["deletion_auc"]["mean"]
    low, high = gradcam["deletion_auc"]["ci95"]
    assert low <= gradcam["deletion_auc"]["mean"] <= high
    assert gradcam["seconds_per_film"] > 0 and report["sanity"]["gradcam"]["passed"]
    card = json.loads((tiny_models_dir / "tiny-pneumonia.json").read_text())
    assert card["explanations"]["methods"]["gradcam"] == gradcam and card["cam_layers"] == ["last_conv"]
    markdown = (tiny_models_dir / "tiny-pneumonia.md").read_text()
    assert markdown.count("## Explanations (explain-eval)") == 1 and "Sanity check (gradcam" in markdown
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Grad-CAM" in out and "Random map" in out and "deletion AUC" in out


def test_check_map_puts_the_faithfulness_into_the_json(tiny_models_dir, tmp_path, capsys):
    image = np.random.default_rng(1).uniform(0.0, 0.35, (64, 64))
    image[24:40, 24:40] = 0.95
    path = tmp_path / "centre.png"
    cv2.imwrite(str(path), (image * 255).astype(np.uint8))
    assert main(["analyze", str(path), "--task", "pneumonia", "--json", "--check-map"]) == 0
    result = json.loads(capsys.readouterr().out)[0]["results"][0]
    assert result["map_faithfulness"] > result["map_random_baseline"] + 0.2
    assert result["map_warning"] is None
    assert main(["analyze", str(path), "--task", "pneumonia", "--check-map"]) == 0
    assert "a random map scores" in capsys.readouterr().out


def test_a_map_on_the_film_edge_gets_the_marker_warning(tiny_models_dir, tmp_path, capsys):
    image = np.random.default_rng(2).uniform(0.0, 0.35, (64, 64))
    image[0:12, 0:12] = 0.95  # the evidence sits in the corner, where burned-in markers are
    path = tmp_path / "corner.png"
    cv2.imwrite(str(path), (image * 255).astype(np.uint8))
    assert main(["analyze", str(path), "--task", "pneumonia", "--heatmap-dir", str(tmp_path / "maps")]) == 0
    assert f"map warning: {MARKER_WARNING}" in capsys.readouterr().out
