"""A map method that failed the weight-randomisation check on the model (as its card records) is shown with a
warning naming the method and the figure; a method that passed, or a model without the check, gets none."""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np

from xray_desktop.models.registry import Registry
from xray_desktop.security.permissions import Role
from xray_desktop.services.analyze import analyze_image
from xray_desktop.services.map_sanity import sanity_warning
from xray_desktop.services.providers import default_provider
from xray_desktop.services.session import Session

SANITY = {
    "gradcam": {"method": "gradcam", "n": 8, "mean_spearman": 0.12, "bound": 0.5, "passed": True},
    "layercam": {"method": "layercam", "n": 8, "mean_spearman": 0.83, "bound": 0.5, "passed": False},
}


def _with_card(models_dir: Path, sanity: dict | None) -> Registry:
    registry = Registry.load(models_dir / "registry.json")
    entry = registry.get("tiny-pneumonia")
    entry.card = "tiny-pneumonia.md"
    registry.save()
    (models_dir / "tiny-pneumonia.md").write_text("# Tiny\n", encoding="utf-8")
    card = {"id": entry.id} if sanity is None else {"id": entry.id, "explanations": {"sanity": sanity}}
    (models_dir / "tiny-pneumonia.json").write_text(json.dumps(card), encoding="utf-8")
    return registry


def _film(folder: Path) -> Path:
    image = np.random.default_rng(4).uniform(0.0, 0.35, (96, 96))
    image[20:44, 50:74] = 0.95
    path = folder / "square.png"
    cv2.imwrite(str(path), (image * 255).astype(np.uint8))
    return path


def test_maps_of_a_method_that_failed_the_check_carry_the_warning(tiny_models_dir: Path, tmp_path: Path) -> None:
    registry = _with_card(tiny_models_dir, SANITY)
    session = Session("dr.test", Role.DOCTOR)
    manager = default_provider(registry)
    film = _film(tmp_path)
    [layercam] = analyze_image(session, film, manager=manager, tasks="pneumonia", method="layercam").results
    assert layercam.heatmap is not None
    assert "Layer-CAM failed the weight-randomisation check on this model" in (layercam.map_warning or "")
    assert "0.83" in layercam.map_warning and layercam.to_json()["map_warning"] == layercam.map_warning
    [gradcam] = analyze_image(session, film, manager=manager, tasks="pneumonia", method="gradcam").results
    assert "weight-randomisation" not in (gradcam.map_warning or "")


def test_no_warning_without_a_recorded_check_and_a_rewritten_card_is_read_again(tiny_models_dir: Path) -> None:
    registry = _with_card(tiny_models_dir, None)
    entry = registry.get("tiny-pneumonia")
    assert sanity_warning(registry, entry, "layercam") is None
    card = tiny_models_dir / "tiny-pneumonia.json"
    card.write_text(json.dumps({"explanations": {"sanity": SANITY}}), encoding="utf-8")
    stamp = card.stat().st_mtime_ns + 1_000_000
    os.utime(card, ns=(stamp, stamp))  # a new mtime even on a coarse clock
    assert "Layer-CAM" in (sanity_warning(registry, entry, "layercam") or "")
    assert sanity_warning(registry, entry, "gradcam") is None
