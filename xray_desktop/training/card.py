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
    """The card for people. Headline figures are the internal test's where the model has one."""
    metrics = card["metrics"]
    v = metrics["validation"]
    t = metrics.get("test")
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
    if card.get("population"):
        pop = card["population"]
        lines += [f"- Population the model is for: {', '.join(f'{k} {val}' for k, val in pop.items())}", ""]
    lines += [
        "## Data",
        "",
        f"- Training data: `{prov['data']}` — {prov['train_images']} images used for training "
        f"({prov['excluded_demo_images']} demo-case images / demo patients' films kept out)",
        f"- Dataset summary: {'; '.join(prov['dataset_report'])}",
        f"- Validation (checkpoint, calibration, operating points): {v['data']} — n = {v['n']} ({v['n_pos']} positive); "
        f"fingerprint `{v['data_fingerprint']}`",
    ]
    if t:
        lines.append(
            f"- Internal test (touched once, for the figures below): {t['data']} — n = {t['n']} ({t['n_pos']} positive); "
            f"fingerprint `{t['data_fingerprint']}`"
        )
    lines += [
        f"- Split: {prov['split']}",
        f"- Class map: {', '.join(f'{k} -> {val}' for k, val in prov['class_map'].items())}",
        "",
        "## Training",
        "",
        f"- Recipe: `{prov['recipe']}`; code version `{prov['code_version']}`; date {prov['date']}",
    ]
    if prov.get("members"):
        lines += [f"- Trained for: {prov['trained_for']}", "", *_members(prov["members"])]
    else:
        lines += [
            f"- Trained for: {prov['trained_for']}; best epoch {prov['best_epoch']} (checkpoint chosen by validation AUC)",
            f"- Regimen: {_regimen(prov['regimen'])}; batch {prov['batch_size']}; class weights {prov['class_weights']}",
            f"- Augmentation: {prov['augmentation']}",
            f"- Initial weights: {prov['initial_weights']}",
            "",
        ]
    if prov.get("history"):
        lines += ["Learning curve (per epoch):", "", "| epoch | loss | val loss | val AUC | lr | minutes |"]
        lines += ["| --- | --- | --- | --- | --- | --- |"]
        lines += [
            f"| {m['epoch']} | {m['loss']:.4f} | {m['val_loss']:.4f} | {m['val_auc']:.4f} | "
            f"{m['learning_rate']:.2g} | {m['seconds'] / 60:.1f} |"
            for m in prov["history"]
        ]
        lines.append("")
    head, head_name = (t, "Internal test") if t else (v, "Validation")
    lines += _results_section(head, f"{head_name} results (headline)")
    lines += _operating_points(card.get("operating_points") or [])
    lines += _calibration(card, head)
    if target is not None:
        met = "met" if head["auc"] >= target else "NOT met"
        lines.append(f"- Target {head_name.lower()} AUC ≥ {target:.2f}: **{met}** (AUC {head['auc']:.4f})")
    if card.get("per_class"):
        lines += ["", f"Predicted positive rate by source class ({head_name.lower()}, default operating point):", ""]
        lines += ["| source class | n | predicted positive |", "| --- | --- | --- |"]
        lines += [f"| {k} | {n} | {rate:.3f} |" for k, (n, rate) in card["per_class"].items()]
    lines.append("")
    if t:
        lines += _results_section(v, "Validation results (secondary: these films chose the checkpoint and threshold)")
    else:
        lines += [
            "The threshold and calibration were fitted on this same validation set, and the checkpoint was chosen by "
            "its AUC, so these figures are somewhat optimistic; there is no internal test split.",
            "",
        ]
    for section in card.get("sections", []):  # added later by the population gate and the map audit
        lines += [f"## {section['title']}", "", *section["lines"], ""]
    lines += ["## Plots", ""]
    lines += [f"![{kind}]({name})" for kind, name in card.get("plots", {}).items()]
    lines += ["", "## Caveats", ""]
    lines += [f"- {c}" for c in card.get("caveats", [])] or ["- None recorded."]
    lines += ["", "## Reproduce", "", "```", *card.get("reproduce", []), "```", ""]
    return "\n".join(lines)


def _results_section(m: dict[str, Any], title: str) -> list[str]:
    at05 = m["at_0_5"]
    return [
        f"## {title}",
        "",
        "| metric | at the default operating point | at 0.5 |",
        "| --- | --- | --- |",
        f"| threshold (on calibrated p) | {m['threshold']:.4f} | 0.5 |",
        f"| sensitivity | {m['sensitivity']:.4f} | {at05['sensitivity']:.4f} |",
        f"| specificity | {m['specificity']:.4f} | {at05['specificity']:.4f} |",
        f"| PPV | {m['ppv']:.4f} | {at05['ppv']:.4f} |",
        f"| NPV | {m['npv']:.4f} | {at05['npv']:.4f} |",
        f"| F1 | {m['f1']:.4f} | {at05['f1']:.4f} |",
        f"| accuracy | {m['accuracy']:.4f} | {at05['accuracy']:.4f} |",
        "",
        f"- ROC AUC: **{m['auc']:.4f}** (bootstrap 95 % CI {m['auc_ci95'][0]:.4f}–{m['auc_ci95'][1]:.4f}), n = {m['n']}",
        f"- Confusion at the default operating point: TP {m['confusion']['tp']}, FP {m['confusion']['fp']}, "
        f"TN {m['confusion']['tn']}, FN {m['confusion']['fn']}",
        f"- ECE {m['ece_before']:.4f} raw, {m['ece_after']:.4f} as shipped",
        "",
    ]


def _operating_points(points: list[dict[str, Any]]) -> list[str]:
    if not points:
        return []
    lines = [
        "## Operating points (chosen on validation; an admin picks the active one per task)",
        "",
        "| name | threshold | rule | validation sens / spec | internal test sens / spec |",
        "| --- | --- | --- | --- | --- |",
    ]
    for op in points:
        val, test = op["validation"], op.get("test")
        test_text = f"{test['sensitivity']:.3f} / {test['specificity']:.3f}" if test else "—"
        lines.append(
            f"| {op['name']} | {op['threshold']:.4f} | {op['rule']} | "
            f"{val['sensitivity']:.3f} / {val['specificity']:.3f} | {test_text} |"
        )
    return [*lines, ""]


def _calibration(card: dict[str, Any], head: dict[str, Any]) -> list[str]:
    choice = card.get("calibration_choice")
    if not choice:
        if "temperature" not in head:
            return []
        return [
            f"- Calibration: temperature T = {head['temperature']:.4f}; ECE {head['ece_before']:.4f} before, "
            f"{head['ece_after']:.4f} after",
        ]
    losses = ", ".join(f"{k} {val:.4f}" for k, val in choice["cv_log_loss"].items())
    shipped = choice["calibration"]["method"]
    return [
        f"- Calibration shipped: **{shipped}** — {choice['reason']}.",
        f"- Candidates (5-fold cross-validated log-loss on validation): {losses}.",
    ]


def _members(members: list[dict[str, Any]]) -> list[str]:
    """The ensemble's members with their own figures (on the same validation and test films as this card)."""
    lines = ["| member | input | validation AUC | internal test AUC | trained |", "| --- | --- | --- | --- | --- |"]
    for m in members:
        val, test = m.get("validation_auc"), m.get("test_auc")
        lines.append(
            f"| `{m['id']}` | {m['input_size'][0]} px | {val if val is None else f'{val:.4f}'} | "
            f"{test if test is None else f'{test:.4f}'} | {m.get('trained_for') or ''} |"
        )
    return [*lines, ""]


def _regimen(r: dict[str, Any]) -> str:
    return (
        f"`{r['name']}` ({r['epochs']} epochs planned, Adam lr {r['learning_rate']:g}, early stop after "
        f"{r['early_stop_patience']} epochs without a better validation AUC, lr halved after "
        f"{r['reduce_lr_patience']} without a better validation loss)"
    )
