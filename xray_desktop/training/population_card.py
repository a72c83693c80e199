"""The population check's section and figure in a model card, replaced in place on every refit."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

START, END = "<!-- population-check -->", "<!-- /population-check -->"


def write_card_section(
    registry: Any, entry: Any, inside: np.ndarray, proxies: np.ndarray, check: dict[str, Any]
) -> Path | None:
    """Draw the distance histogram beside the model and put (or replace) the card's section; returns the card."""
    figure = f"{Path(entry.file).stem}_population.png"
    _histogram(registry.models_dir / figure, inside, proxies, float(check["threshold"]))
    card = registry.card_path(entry)
    if card is None or not card.is_file():
        return None
    text = card.read_text(encoding="utf-8")
    section = card_section(entry, check, figure)
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    text = pattern.sub(lambda _m: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
    card.write_text(text, encoding="utf-8")
    return card


def card_section(entry: Any, check: dict[str, Any], figure: str) -> str:
    population = entry.population or {}
    ages = population.get("age_years")
    lines = [
        START,
        "## Population check",
        "",
        "Every result says whether the film is one this model knows (`in` / `outside` / `unknown`) and why.",
        "",
        f"- Training population: ages {ages[0]}–{ages[1]} years" if ages else "- Training population: ages not stated",
        f"- Views: {', '.join(population.get('views', [])) or 'not stated'}; sites: {', '.join(population.get('sites', [])) or 'not stated'}",
        f"- Feature gate: {check['method']} distance on {check['dimension']} features ({check['features']}), "
        f"fitted on {check['fitted_on']}",
        f"- Threshold: {check['threshold']:.2f}× the usual distance, set on {check['threshold_set_on']} "
        f"(flags {check['validation_flagged']:.1%} of them)",
        "- Method chosen by measurement (AUROC against proxy outsiders: another body part's training films "
        "and generated non-radiographs):",
    ]
    for method, figures in check["selection"].items():
        lines.append(
            f"  - {method}: AUROC {figures['proxy_auroc']:.3f}, proxies flagged {figures['proxy_flagged']:.1%}"
        )
    lines += ["", f"![population distances]({figure})", END]
    return "\n".join(lines)


def _histogram(path: Path, inside: np.ndarray, outside: np.ndarray, threshold: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.2), dpi=100)
    ax = fig.add_subplot()
    top = float(np.quantile(np.concatenate([inside, outside]), 0.98)) if len(outside) else float(inside.max())
    bins = [float(b) for b in np.linspace(0, max(top, threshold * 1.5), 50)]
    ax.hist(np.clip(inside, 0, bins[-1]), bins=bins, alpha=0.7, density=True, label="validation films (in)")
    ax.hist(np.clip(outside, 0, bins[-1]), bins=bins, alpha=0.6, density=True, label="proxy outsiders")
    ax.axvline(threshold, color="k", linestyle="--", label=f"threshold {threshold:.2f}×")
    ax.set_xlabel("distance / usual distance")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
