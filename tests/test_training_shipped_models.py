"""The shipped models' registry entries describe exactly the committed files, cards and data splits."""

from __future__ import annotations

from pathlib import Path

import pytest

from xray_desktop.models.checksum import sha256_file
from xray_desktop.models.registry import Registry
from xray_desktop.training.data_plan import plan_data
from xray_desktop.training.recipes import load_recipe

REPO = Path(__file__).resolve().parent.parent
REGISTRY = Registry.load(REPO / "models" / "registry.json")
TRAINED = [m for m in REGISTRY.models if m.provenance.get("recipe", "").startswith("training/recipes/")]
DATA_ROOT = REPO.parent / "shared" / "data"


@pytest.mark.parametrize("entry", TRAINED, ids=[m.id for m in TRAINED])
def test_shipped_model_file_card_and_metrics_match_the_registry(entry) -> None:
    path = REGISTRY.model_path(entry)
    assert path.stat().st_size <= 30 * 1024 * 1024
    assert sha256_file(path) == entry.sha256
    card = (REGISTRY.models_dir / entry.card).read_text(encoding="utf-8")
    validation = entry.validation
    assert f"{validation['auc']:.4f}" in card and validation["data_fingerprint"] in card
    assert "Not a medical device" in card
    assert validation["threshold"] == pytest.approx(entry.threshold, abs=1e-4)
    test = entry.metrics.get("test")
    if test is not None:
        assert f"{test['auc']:.4f}" in card and test["data_fingerprint"] in card and "Internal test" in card
        assert [op["name"] for op in entry.operating_points] == ["screening", "balanced", "confirm"]
        assert all("test" in op for op in entry.operating_points)
    assert (REPO / entry.provenance["recipe"]).is_file()


@pytest.mark.skipif(not DATA_ROOT.is_dir(), reason="the shared training data is not next to the repository")
@pytest.mark.parametrize("entry", TRAINED, ids=[m.id for m in TRAINED])
def test_recipe_rebuilds_the_validation_split_the_card_reports(entry) -> None:
    recipe = load_recipe(REPO / entry.provenance["recipe"])
    assert recipe.model_id == entry.id
    plan = plan_data(recipe, DATA_ROOT)
    assert plan.split.fingerprint == entry.validation["data_fingerprint"]
    assert len(plan.split.validation) == entry.validation["n"]
    train_groups = {s.group for s in plan.split.train}
    assert train_groups.isdisjoint({s.group for s in plan.split.validation})
    test = entry.metrics.get("test")
    if test is not None:  # three-way recipes: the card's headline figures are the internal test's
        assert plan.split.test_fingerprint == test["data_fingerprint"] and len(plan.split.test) == test["n"]
        assert train_groups.isdisjoint({s.group for s in plan.split.test})
