"""Model cards: a markdown page for people and a JSON twin for programs, written beside the model.

The card says what the model was trained on, how long, how it was validated,
what it measured (with the data and fingerprint), whether the target was met,
and the caveats — every number comes from the recorded evaluation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from xray_desktop.atomic import atomic_write_text

DISCLAIMER = "Research and teaching use only. Not a medical device; not for diagnosis or treatment decisions."


def write_card(prefix: Path, card: dict[str, Any]) -> tuple[str, str]:
    """Write `<prefix>.md` and `<prefix>.json`; returns their file names."""
    md_path = prefix.with_name(prefix.name + ".md")  # ids contain dots (v1.0.0)
    json_path = prefix.with_name(prefix.name + ".json")
    atomic_write_text(json_path, json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    atomic_write_text(md_path, render_markdown(card))
    return md_path.name, json_path.name


def render_markdown(card: dict[str, Any]) -> str:
    v = card["metrics"]["validation"]
    at05 = v["at_0_5"]
    prov = card["provenance"]
    target = card.get("target_auc")
    lines = [
        f"# {card['display_name']}",
        "",
        f"**{DISCLAIMER}**",
        "",
        f"- Model id: `{card['id']}` (version {card['version']}), task `{card['task']}`, backbone `{card['backbone']}`",
        f"- Input: {card['input_size'][0]}x{card['input_size'][1]} px, {card['channels']} channel(s), "
        f"resize `{card['preprocessing']['resize']}`, normalisation `{card['preprocessing']['normalisation']}`",
        f"- Output: P({card['labels'][1]}); labels {card['labels'][0]} / {card['labels'][1]}",
        f"- File: `{card['file']}` (sha256 `{card['sha256']}`)",
        "",
    ]
    if card.get("description"):
        lines += [card["description"], ""]
    lines += [
        "## Data",
        "",
        f"- Training data: `{prov['data']}` — {prov['train_images']} images used for training "
        f"({prov['excluded_demo_images']} demo-case images / demo patients' films kept out)",
        f"- Dataset summary: {'; '.join(prov['dataset_report'])}",
        f"- Validation: {v['data']} — n = {v['n']} ({v['n_pos']} positive); fingerprint `{v['data_fingerprint']}`",
        f"- Split: {prov['split']}",
        f"- Class map: {', '.join(f'{k} -> {val}' for k, val in prov['class_map'].items())}",
        "",
        "## Training",
        "",
        f"- Recipe: `{prov['recipe']}`; code version `{prov['code_version']}`; date {prov['date']}",
        f"- Trained for: {prov['trained_for']}; best epoch {prov['best_epoch']} (checkpoint chosen by validation AUC)",
        f"- Regimen: {_regimen(prov['regimen'])}; batch {prov['batch_size']}; class weights {prov['class_weights']}",
        f"- Augmentation: {prov['augmentation']}",
        f"- Initial weights: {prov['initial_weights']}",
        "",
        "## Validation results",
        "",
        "| metric | at the chosen threshold | at 0.5 |",
        "| --- | --- | --- |",
        f"| threshold (on calibrated p) | {v['threshold']:.4f} (Youden's J) | 0.5 |",
        f"| sensitivity | {v['sensitivity']:.4f} | {at05['sensitivity']:.4f} |",
        f"| specificity | {v['specificity']:.4f} | {at05['specificity']:.4f} |",
        f"| PPV | {v['ppv']:.4f} | {at05['ppv']:.4f} |",
        f"| NPV | {v['npv']:.4f} | {at05['npv']:.4f} |",
        f"| F1 | {v['f1']:.4f} | {at05['f1']:.4f} |",
        f"| accuracy | {v['accuracy']:.4f} | {at05['accuracy']:.4f} |",
        "",
        f"- ROC AUC: **{v['auc']:.4f}** (bootstrap 95 % CI {v['auc_ci95'][0]:.4f}–{v['auc_ci95'][1]:.4f})",
        f"- Confusion at the chosen threshold: TP {v['confusion']['tp']}, FP {v['confusion']['fp']}, "
        f"TN {v['confusion']['tn']}, FN {v['confusion']['fn']}",
        f"- Calibration: temperature T = {v['temperature']:.4f}; ECE {v['ece_before']:.4f} before, "
        f"{v['ece_after']:.4f} after temperature scaling",
    ]
    if v["ece_after"] > v["ece_before"]:
        lines.append(
            "- Temperature scaling minimises the log-loss, not the ECE, and has no bias term: it cannot undo the "
            "shift that class weighting and the class prevalence put into the outputs. Read the probability as a "
            "score and use the recorded threshold, not 0.5."
        )
    if target is not None:
        met = "met" if v["auc"] >= target else "NOT met"
        lines.append(f"- Target validation AUC ≥ {target:.2f}: **{met}** (AUC {v['auc']:.4f})")
    if card.get("per_class"):
        lines += ["", "Predicted positive rate by source class (chosen threshold):", ""]
        lines += ["| source class | n | predicted positive |", "| --- | --- | --- |"]
        lines += [f"| {k} | {n} | {rate:.3f} |" for k, (n, rate) in card["per_class"].items()]
    lines += [
        "",
        "The threshold and temperature were fitted on this same validation set, and the checkpoint was chosen by "
        "its AUC, so these figures are somewhat optimistic; AUC itself does not depend on T or the threshold.",
        "",
        "## Plots",
        "",
    ]
    lines += [f"![{kind}]({name})" for kind, name in card.get("plots", {}).items()]
    lines += ["", "## Caveats", ""]
    lines += [f"- {c}" for c in card.get("caveats", [])] or ["- None recorded."]
    lines += [
        "",
        "## Reproduce",
        "",
        "```",
        *card.get("reproduce", []),
        "```",
        "",
    ]
    return "\n".join(lines)


def _regimen(r: dict[str, Any]) -> str:
    return (
        f"`{r['name']}` ({r['epochs']} epochs planned, Adam lr {r['learning_rate']:g}, early stop after "
        f"{r['early_stop_patience']} epochs without a better validation AUC, lr halved after "
        f"{r['reduce_lr_patience']} without a better validation loss)"
    )
