"""The whole training loop on a tiny generated dataset: discover -> split -> train -> evaluate -> package ->
load through the ModelManager -> analyze, plus cancellation and the CLI's exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from xray_desktop.cli import main as cli_main
from xray_desktop.models.manager import ModelManager
from xray_desktop.models.registry import Registry
from xray_desktop.progress import Progress
from xray_desktop.results import TaskStatus
from xray_desktop.security.permissions import Role
from xray_desktop.services.analyze import analyze_image
from xray_desktop.services.session import Session
from xray_desktop.training.recipes import load_recipe

pytestmark = pytest.mark.slow

RECIPE = """
name = "toy_pneumonia"
task = "pneumonia"
display_name = "Toy pneumonia model (test)"
data = "toy/train"
class_map = { clear = 0, cloudy = 1 }
group_rule = "regex"
group_pattern = "^(patient\\\\d+)_"
validation_fraction = 0.3
seed = 7
backbone = "small_cnn"
input_size = [32, 32]
channels = 1
regimen = "quick"
epochs = 2
batch_size = 8
version = "0.0.1"
target_auc = 0.5

[augmentation]
rotate_deg = 10.0
hflip = false
"""


def _write_toy_dataset(root: Path) -> None:
    """Two classes of 48x48 greyscale PNGs, 3 films per patient; 'cloudy' films carry a bright blob."""
    rng = np.random.default_rng(0)
    for cls, bright in (("clear", False), ("cloudy", True)):
        folder = root / "toy" / "train" / cls
        folder.mkdir(parents=True)
        for patient in range(8):
            for film in range(3):
                image = rng.normal(0.35, 0.08, (48, 48))
                if bright:
                    image[12:36, 12:36] += 0.4
                pid = patient + (100 if bright else 0)
                Image.fromarray((np.clip(image, 0, 1) * 255).astype(np.uint8)).save(folder / f"patient{pid}_{film}.png")


@pytest.fixture
def toy(tmp_path: Path) -> dict[str, Path]:
    data_root = tmp_path / "data"
    _write_toy_dataset(data_root)
    recipe = tmp_path / "toy.toml"
    recipe.write_text(RECIPE, encoding="utf-8")
    models = tmp_path / "models"
    models.mkdir()
    Registry.empty(models / "registry.json").save()
    return {"data_root": data_root, "recipe": recipe, "models": models, "runs": tmp_path / "runs"}


def test_train_package_load_analyze_and_evaluate_reproduces_card(toy: dict[str, Path]) -> None:
    from xray_desktop.services.training import train_and_package
    from xray_desktop.training.evaluate_model import evaluate_model

    session = Session("admin", Role.ADMIN)
    recipe = load_recipe(toy["recipe"])
    epochs_seen: list[int] = []
    updates: list[int] = []
    result = train_and_package(
        session,
        recipe,
        toy["data_root"],
        activate=True,
        run_dir=toy["runs"] / "r1",
        models_dir=toy["models"],
        progress=Progress(on_update=lambda e: updates.append(e.done)),
        on_epoch=lambda m: epochs_seen.append(m.epoch),
    )
    assert epochs_seen == [1, 2]
    assert updates and max(updates) <= 2 * 2  # XRAY_DESKTOP_MAX_STEPS=2 caps each epoch at 2 batches

    registry = Registry.load(toy["models"] / "registry.json")
    entry = registry.active_entry("pneumonia")
    assert entry is not None and entry.id == recipe.model_id
    assert (toy["models"] / entry.file).is_file()
    validation = entry.validation
    assert validation["n"] == result.packaged.evaluation.n > 0
    assert 0 < entry.threshold < 1
    assert entry.effective_calibration["method"] in ("none", "temperature", "platt")
    assert [op["name"] for op in entry.operating_points] == ["screening", "balanced", "confirm"] or len(
        entry.operating_points
    ) == 3
    assert entry.provenance["class_map"] == {"clear": 0, "cloudy": 1}
    card = (toy["models"] / entry.card).read_text(encoding="utf-8")
    assert "Not a medical device" in card and f"{validation['auc']:.4f}" in card
    for kind in ("roc", "confusion", "reliability"):
        assert (toy["models"] / f"{entry.id}_{kind}.png").read_bytes()[:4] == b"\x89PNG"

    manager = ModelManager(registry)
    image = next((toy["data_root"] / "toy" / "train" / "cloudy").glob("*.png"))
    analysis = analyze_image(session, image, manager=manager, tasks=["pneumonia"], explain=False)
    task_result = analysis.result_for("pneumonia")
    assert task_result is not None and task_result.status == TaskStatus.OK
    assert 0.0 <= task_result.probability <= 1.0
    assert task_result.decision == (task_result.probability >= entry.threshold)

    again = evaluate_model("pneumonia", recipe=recipe, data=toy["data_root"], registry=registry)
    assert again.matches_card is True
    recorded = again.evaluation.to_metrics(validation["data"], validation["data_fingerprint"])
    for key in ("auc", "auc_ci95", "sensitivity", "specificity", "threshold", "confusion", "ece_after", "n"):
        assert recorded[key] == validation[key], key


def test_cancel_between_batches_keeps_best_checkpoint(toy: dict[str, Path]) -> None:
    from xray_desktop.training.trainer import train

    recipe = load_recipe(toy["recipe"])
    batches: list[int] = []
    progress = Progress(on_update=lambda e: batches.append(e.done))

    def cancel_after_first_epoch(metrics: object) -> None:
        progress.cancel()

    outcome = train(recipe, toy["data_root"], toy["runs"] / "r2", progress=progress, on_epoch=cancel_after_first_epoch)
    # 2 epochs x 2 batches uncancelled; cancelled after epoch 1, training stops after the next batch.
    assert [b for b in batches if b > 0][-1] == 3
    assert outcome.cancelled
    assert outcome.checkpoint.is_file() and outcome.best_epoch is not None
    record = json.loads((toy["runs"] / "r2" / "run.json").read_text())
    assert record["cancelled"] is True


def test_cli_train_and_evaluate_exit_codes(
    toy: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XRAY_DESKTOP_MODELS", str(toy["models"]))
    train = ["train", "--recipe", str(toy["recipe"]), "--data-root", str(toy["data_root"])]
    assert cli_main([*train, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "48 images, 16 groups" in out and "validation fingerprint" in out
    assert cli_main([*train, "--run-dir", str(toy["runs"] / "cli")]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "validation AUC" in out and "registered (not active" in out
    registry = Registry.load(toy["models"] / "registry.json")
    model_id = load_recipe(toy["recipe"]).model_id
    assert registry.find(model_id) is not None and registry.active_entry("pneumonia") is None

    assert (
        cli_main(
            [
                "evaluate",
                "--task",
                "pneumonia",
                "--model",
                model_id,
                "--recipe",
                str(toy["recipe"]),
                "--data",
                str(toy["data_root"]),
                "--json",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["same_data_as_card"] is True
    assert report["metrics"]["auc"] == registry.get(model_id).validation["auc"]
    folder = str(toy["data_root"] / "toy" / "train")
    assert cli_main(["evaluate", "--task", "pneumonia", "--model", model_id, "--data", folder, "--json"]) == 0
    everything = json.loads(capsys.readouterr().out)
    assert everything["metrics"]["n"] == 48 and everything["same_data_as_card"] is False
    assert cli_main(["evaluate", "--task", "pneumonia", "--model", model_id, "--data", folder, "--class-map", "x"]) == 2

    assert cli_main([*train, "--run-dir", str(toy["runs"] / "cli2")]) == 3  # never overwrites silently
    assert "already registered" in capsys.readouterr().err
    assert not (toy["runs"] / "cli2").exists()  # refused before training
    assert cli_main([*train, "--activate"]) == 2  # activating needs an administrator
    assert "--admin" in capsys.readouterr().err
    assert cli_main(["train", "--recipe", str(toy["recipe"]) + ".missing"]) == 3
    assert "recipe file not found" in capsys.readouterr().err
    assert cli_main(["train", "--recipe", str(toy["recipe"]), "--data-root", str(toy["runs"] / "nope")]) == 3
    assert cli_main(["evaluate", "--task", "pneumonia"]) == 2
    assert cli_main(["evaluate", "--task", "cardiomegaly", "--data", str(toy["data_root"])]) == 4
    assert "no model installed for cardiomegaly" in capsys.readouterr().err
