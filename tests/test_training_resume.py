"""A run stopped part-way (the process killed mid-epoch) resumes from its last finished epoch and ends
where an uninterrupted run ends, within noise."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_training_loop import RECIPE, _write_toy_dataset

from xray_desktop.training.callbacks import cosine_rate
from xray_desktop.training.recipes import recipe_from_dict

pytestmark = pytest.mark.slow


class Killed(Exception):
    """Stands for the process being killed while epoch 2 finishes (before its state is written)."""


def _recipe(tmp_path: Path):
    import tomllib

    raw = tomllib.loads(RECIPE)
    raw.update(epochs=3, lr_schedule="cosine", learning_rate=3e-3)
    return recipe_from_dict(raw, source=tmp_path / "toy.toml")


def test_resume_after_a_kill_continues_from_the_last_epoch(tmp_path: Path) -> None:
    from xray_desktop.training.trainer import train

    data_root = tmp_path / "data"
    _write_toy_dataset(data_root)
    recipe = _recipe(tmp_path)

    whole = train(recipe, data_root, tmp_path / "whole")

    def kill_in_epoch_two(metrics: object) -> None:
        if metrics.epoch == 2:  # type: ignore[attr-defined]
            raise Killed()

    killed_epochs = []

    def record_then_kill(metrics: object) -> None:
        killed_epochs.append(metrics)
        kill_in_epoch_two(metrics)

    with pytest.raises(Killed):
        train(recipe, data_root, tmp_path / "split", on_epoch=record_then_kill)
    state = json.loads((tmp_path / "split" / "state.json").read_text())
    assert state["epoch"] == 1 and len(state["history"]) == 1
    assert (tmp_path / "split" / "last.keras").is_file() and (tmp_path / "split" / "best.keras").is_file()

    seen: list[int] = []
    resumed = train(recipe, data_root, tmp_path / "split", resume=True, on_epoch=lambda m: seen.append(m.epoch))
    assert seen == [2, 3]  # epoch 1 is not trained again
    assert [m.epoch for m in resumed.history] == [1, 2, 3]
    assert resumed.history[0] == killed_epochs[0]  # the finished epoch's record survives the kill
    # The schedule is a function of the epoch, so a resumed run follows the uninterrupted one exactly.
    rates = [m.learning_rate for m in resumed.history]
    assert rates == pytest.approx([m.learning_rate for m in whole.history], rel=1e-5)
    assert rates == pytest.approx([cosine_rate(3e-3, e, 3) for e in range(3)], rel=1e-5)
    # Same data, same schedule: the end points agree within the noise of a 2-batch epoch.
    assert resumed.history[-1].val_loss == pytest.approx(whole.history[-1].val_loss, abs=0.25)
    assert np.isfinite(resumed.history[-1].val_auc)
    assert resumed.seconds >= resumed.history[0].seconds  # wall time adds up across the two processes


def test_resume_without_a_previous_run_starts_fresh(tmp_path: Path) -> None:
    from xray_desktop.training.trainer import train

    data_root = tmp_path / "data"
    _write_toy_dataset(data_root)
    outcome = train(_recipe(tmp_path), data_root, tmp_path / "fresh", resume=True)
    assert [m.epoch for m in outcome.history] == [1, 2, 3]


def test_an_epoch_cancelled_part_way_is_not_recorded_and_is_trained_again_on_resume(tmp_path: Path) -> None:
    """Keras still validates and ends an epoch stopped after its first batch; that partial epoch must not
    reach the history, `history.csv` or `state.json`, or `--resume` would skip the rest of its films."""
    from xray_desktop.progress import Progress
    from xray_desktop.training.trainer import train

    data_root = tmp_path / "data"
    _write_toy_dataset(data_root)
    recipe = _recipe(tmp_path)
    progress = Progress()
    ended: list[int] = []

    def cancel_after_epoch_one(metrics: object) -> None:
        ended.append(metrics.epoch)  # type: ignore[attr-defined]
        progress.cancel()

    run = tmp_path / "run"
    outcome = train(recipe, data_root, run, progress=progress, on_epoch=cancel_after_epoch_one)
    assert outcome.cancelled and ended == [1]  # epoch 2 stopped after one of its two batches
    assert [m.epoch for m in outcome.history] == [1]
    state = json.loads((run / "state.json").read_text())
    assert state["epoch"] == 1 and len(state["history"]) == 1
    rows = (run / "history.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,") and [r.split(",")[0] for r in rows[1:]] == ["1"]

    seen: list[int] = []
    resumed = train(recipe, data_root, run, resume=True, on_epoch=lambda m: seen.append(m.epoch))
    assert seen == [2, 3]  # epoch 2 is trained again, whole
    assert [m.epoch for m in resumed.history] == [1, 2, 3]
    assert [r.split(",")[0] for r in (run / "history.csv").read_text().splitlines()[1:]] == ["1", "2", "3"]
