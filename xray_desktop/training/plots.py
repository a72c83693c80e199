"""ROC curve, confusion matrix and reliability diagram as PNGs for the model card (matplotlib Agg)."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display, no Qt: safe in workers, CI and the CLI

import matplotlib.pyplot as plt
import numpy as np

from xray_desktop.atomic import atomic_write_bytes
from xray_desktop.training.evaluation import Evaluation
from xray_desktop.training.roc import roc_curve


def save_plots(
    y: np.ndarray, p_raw: np.ndarray, p_cal: np.ndarray, evaluation: Evaluation, prefix: Path
) -> dict[str, str]:
    """Write `<prefix>_roc.png`, `_confusion.png`, `_reliability.png`; returns {kind: file name}."""
    out = {}
    for kind, draw in (
        ("roc", lambda ax: _roc(ax, y, p_cal, evaluation)),
        ("confusion", lambda ax: _confusion(ax, evaluation)),
        ("reliability", lambda ax: _reliability(ax, y, p_raw, p_cal, evaluation)),
    ):
        fig, ax = plt.subplots(figsize=(4.2, 4.0), dpi=100)
        out[kind] = _write_figure(fig, partial(draw, ax), prefix, kind)
    return out


def _write_figure(fig: Any, draw: Callable[[], None], prefix: Path, kind: str) -> str:
    """Draw `fig`, write it as `<prefix>_<kind>.png` (atomically) and return the file name.

    The figure is closed even when drawing fails: pyplot keeps every open figure alive otherwise.
    """
    try:
        draw()
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
    finally:
        plt.close(fig)
    path = prefix.with_name(f"{prefix.name}_{kind}.png")
    atomic_write_bytes(path, buffer.getvalue())
    return path.name


def _roc(ax: plt.Axes, y: np.ndarray, p: np.ndarray, ev: Evaluation) -> None:
    fpr, tpr, _ = roc_curve(y, p)
    ax.plot(fpr, tpr, lw=2, label=f"AUC {ev.auc:.3f} (95% CI {ev.auc_ci95[0]:.3f}-{ev.auc_ci95[1]:.3f})")
    ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=1)
    t = ev.at_threshold
    ax.scatter([1 - t.specificity], [t.sensitivity], c="red", zorder=3, label=f"threshold {t.threshold:.3f}")
    ax.set(xlabel="1 - specificity", ylabel="sensitivity", title=f"ROC (n={ev.n})", xlim=(0, 1), ylim=(0, 1.01))
    ax.legend(loc="lower right", fontsize=8)


def _confusion(ax: plt.Axes, ev: Evaluation) -> None:
    c = ev.at_threshold.confusion
    grid = np.array([[c["tn"], c["fp"]], [c["fn"], c["tp"]]])
    ax.imshow(grid, cmap="Blues")
    for (i, j), value in np.ndenumerate(grid):
        ax.text(j, i, str(value), ha="center", va="center", color="black", fontsize=14)
    ax.set_xticks([0, 1], ["predicted neg", "predicted pos"])
    ax.set_yticks([0, 1], ["actual neg", "actual pos"])
    ax.set_title(f"Confusion at threshold {ev.at_threshold.threshold:.3f}")


def _reliability(ax: plt.Axes, y: np.ndarray, p_raw: np.ndarray, p_cal: np.ndarray, ev: Evaluation) -> None:
    edges = np.linspace(0, 1, 11)
    for p, name in (
        (p_raw, f"raw (ECE {ev.ece_before:.3f})"),
        (p_cal, f"{_calibration_name(ev)} (ECE {ev.ece_after:.3f})"),
    ):
        which = np.clip(np.digitize(p, edges[1:-1], right=True), 0, 9)
        xs = [p[which == b].mean() for b in range(10) if (which == b).any()]
        ys = [y[which == b].mean() for b in range(10) if (which == b).any()]
        ax.plot(xs, ys, marker="o", label=name)
    ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=1)
    ax.set(xlabel="predicted P(condition)", ylabel="observed frequency", title="Reliability", xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="upper left", fontsize=8)


def _calibration_name(ev: Evaluation) -> str:
    method = (ev.calibration or {}).get("method", "temperature")
    return f"T={ev.temperature:.2f}" if method == "temperature" else f"calibrated: {method}"


def save_learning_curve(history: list[dict], prefix: Path) -> dict[str, str]:
    """`<prefix>_learning.png`: loss and AUC per epoch, training and validation (the card's learning curve)."""
    if not history:
        return {}
    epochs = [m["epoch"] for m in history]
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.0, 3.4), dpi=100)

    def draw() -> None:
        left.plot(epochs, [m["loss"] for m in history], marker="o", label="train")
        left.plot(epochs, [m["val_loss"] for m in history], marker="o", label="validation")
        left.set(xlabel="epoch", ylabel="loss (class-weighted BCE)", title="Loss")
        right.plot(epochs, [m["auc"] for m in history], marker="o", label="train (augmented)")
        right.plot(epochs, [m["val_auc"] for m in history], marker="o", label="validation")
        right.set(xlabel="epoch", ylabel="AUC", title="AUC")
        for ax in (left, right):
            ax.legend(fontsize=8)
            ax.grid(alpha=0.3)

    return {"learning": _write_figure(fig, draw, prefix, "learning")}
