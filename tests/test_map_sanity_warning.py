"""A map method that failed the weight-randomisation check on the model (as its registry entry records, written
there by explain-eval with the card) is shown with a warning naming the method and the figure; a method that
passed, or a model without the check, gets none. The verdicts travel with the model in a package."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np

from xray_desktop.models.registry import Registry
from xray_desktop.security.permissions import Role
from xray_desktop.services.analyze import analyze_image
from xray_desktop.services.batch import run_batch
from xray_desktop.services.explain_fit import write_card_figures
from xray_desktop.services.map_sanity import sanity_warning
from xray_desktop.services.model_package_export import export_package
from xray_desktop.services.model_package_import import import_package
from xray_desktop.services.providers import default_provider
from xray_desktop.services.session import Session

ADMIN = Session("it-admin", Role.ADMIN)
LAYERS = ["block1_conv2", "probability"]
SANITY = {
    "gradcam": {"method": "gradcam", "randomised_layers": LAYERS, "n": 8, "mean_spearman": 0.12, "bound": 0.5,
                "passed": True},
    "layercam": {"method": "layercam", "randomised_layers": LAYERS, "n": 8, "mean_spearman": 0.83, "bound": 0.5,
                 "passed": False},
}  # fmt: skip
REPORT = {"data": "test films", "n": 8, "cam_layers": [], "methods": {}, "sanity": SANITY}


def _checked(models_dir: Path) -> Registry:
    """The tiny pneumonia model with a card, after explain-eval wrote its figures (sanity included)."""
    registry = Registry.load(models_dir / "registry.json")
    entry = registry.get("tiny-pneumonia")
    entry.card = "tiny-pneumonia.md"
    (models_dir / "tiny-pneumonia.md").write_text("# Tiny\n", encoding="utf-8")
    (models_dir / "tiny-pneumonia.json").write_text(json.dumps({"id": entry.id}), encoding="utf-8")
    write_card_figures(registry, entry, REPORT)
    return Registry.load(models_dir / "registry.json")


def _film(folder: Path) -> Path:
    image = np.random.default_rng(4).uniform(0.0, 0.35, (96, 96))
    image[20:44, 50:74] = 0.95
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "square.png"
    cv2.imwrite(str(path), (image * 255).astype(np.uint8))
    return path


def test_explain_eval_records_each_methods_verdict_in_the_registry_entry(tiny_models_dir: Path) -> None:
    entry = _checked(tiny_models_dir).get("tiny-pneumonia")
    assert entry.map_sanity == {
        "gradcam": {"mean_spearman": 0.12, "bound": 0.5, "passed": True, "n": 8},
        "layercam": {"mean_spearman": 0.83, "bound": 0.5, "passed": False, "n": 8},
    }
    card = json.loads((tiny_models_dir / "tiny-pneumonia.json").read_text(encoding="utf-8"))
    assert card["explanations"]["sanity"] == SANITY  # the card keeps the full record, layers included


def test_maps_of_a_method_that_failed_the_check_carry_the_warning(tiny_models_dir: Path, tmp_path: Path) -> None:
    registry = _checked(tiny_models_dir)
    session = Session("dr.test", Role.DOCTOR)
    manager = default_provider(registry)
    film = _film(tmp_path)
    [layercam] = analyze_image(session, film, manager=manager, tasks="pneumonia", method="layercam").results
    assert layercam.heatmap is not None
    assert "Layer-CAM failed the weight-randomisation check on this model" in (layercam.map_warning or "")
    assert "0.83" in layercam.map_warning and layercam.to_json()["map_warning"] == layercam.map_warning
    [gradcam] = analyze_image(session, film, manager=manager, tasks="pneumonia", method="gradcam").results
    assert "weight-randomisation" not in (gradcam.map_warning or "")


def test_no_warning_for_a_model_whose_maps_were_never_checked(tiny_models_dir: Path) -> None:
    entry = Registry.load(tiny_models_dir / "registry.json").get("tiny-pneumonia")
    assert entry.map_sanity == {}
    assert sanity_warning(entry, "layercam") is None


def test_a_model_imported_as_a_package_keeps_its_verdicts_and_warns(tiny_models_dir: Path, tmp_path: Path) -> None:
    source = _checked(tiny_models_dir)
    package = export_package(ADMIN, "tiny-pneumonia", tmp_path / "tiny.xrm", registry=source)
    target = Registry.empty(tmp_path / "station" / "registry.json")
    imported = import_package(ADMIN, package, activate=True, registry=target)
    assert imported.map_sanity == source.get("tiny-pneumonia").map_sanity
    assert not (target.models_dir / "tiny-pneumonia.json").exists()  # the card's JSON does not travel
    [layercam] = analyze_image(
        Session("dr.test", Role.DOCTOR),
        _film(tmp_path / "films"),
        manager=default_provider(Registry.load(target.path)),
        tasks="pneumonia",
        method="layercam",
    ).results
    assert "Layer-CAM failed the weight-randomisation check" in (layercam.map_warning or "")


def test_a_batch_with_heatmaps_puts_the_map_warning_in_the_csv(tiny_models_dir: Path, tmp_path: Path) -> None:
    registry = _checked(tiny_models_dir)
    folder = _film(tmp_path / "films").parent
    rows = {}
    for method in ("layercam", "gradcam"):
        out = tmp_path / f"{method}.csv"
        run_batch(
            Session("dr.test", Role.DOCTOR),
            folder,
            manager=default_provider(registry),
            task="pneumonia",
            csv_path=out,
            heatmap_dir=tmp_path / f"maps_{method}",
            method=method,
        )
        with out.open(encoding="utf-8") as handle:
            [rows[method]] = list(csv.DictReader(handle))
    assert "Layer-CAM failed the weight-randomisation check" in rows["layercam"]["warnings"]
    assert "weight-randomisation" not in rows["gradcam"]["warnings"]
