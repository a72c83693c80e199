"""Fit a model's explanation artefacts and record them: CAM layers in the registry, figures on the card.

`xray-desktop explain-eval` calls `run_explain_eval`. It is idempotent: the layer choice is seeded
and replaces `cam_layers`; the card's JSON gets an `explanations` object and its markdown one
section between markers, both replaced on every run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xray_desktop.atomic import atomic_write_text
from xray_desktop.errors import InputError
from xray_desktop.explain import METHODS
from xray_desktop.models.registry import ModelEntry, Registry
from xray_desktop.progress import Progress
from xray_desktop.services.explain_eval import (
    Film,
    evaluate_methods,
    format_table,
    list_films,
    load_films,
    summarise,
)

CHOICE_FILMS = 8  # films the layer choice measures on
SANITY_FILMS = 8
SECTION_START = "<!-- explain-eval: start -->"
SECTION_END = "<!-- explain-eval: end -->"


def run_explain_eval(
    task: str,
    folder: Path,
    *,
    model_id: str | None = None,
    registry: Registry | None = None,
    limit: int | None = 60,
    methods: Sequence[str] = METHODS,
    recipe: Path | None = None,
    choose_layer: bool = False,
    write_card: bool = False,
    progress: Progress | None = None,
    condition_maps: bool = False,
) -> dict[str, Any]:
    """Evaluate the methods on `folder`'s films (or, with `recipe`, on its internal test split under the
    data root `folder`), optionally choosing and saving the CAM layers first and writing the card."""
    from xray_desktop.explain.sanity import sanity_check
    from xray_desktop.services.providers import default_provider
    from xray_desktop.training.evaluate_model import pick_entry

    registry = registry or Registry.load()
    entry = pick_entry(registry, task, model_id)
    loaded = default_provider(registry, backend="tensorflow").load(entry)
    model = loaded.model  # type: ignore[union-attr]  # Keras
    eval_paths, choice_paths, data = _films(folder, recipe, limit)
    films, skipped = load_films(eval_paths, entry)
    if not films:
        raise InputError(f"{folder}: none of the films could be read")
    report: dict[str, Any] = {"model_id": entry.id, "task": task, "data": data, "n": len(films)}
    if choose_layer:
        from xray_desktop.explain.layer_choice import choose_layers

        choice_films, _ = load_films(choice_paths[:CHOICE_FILMS], entry)
        import numpy as np

        choice = choose_layers(model, np.stack([f.image for f in choice_films]), progress)
        entry.cam_layers = list(choice.layers)
        registry.save()
        report["layer_choice"] = choice.to_json()
    report["cam_layers"] = list(entry.cam_layers)
    threshold = None if condition_maps else registry.operating_point(entry)[1]
    report["maps"] = (
        "the condition's map on every film"
        if condition_maps
        else f"the decided class's map, as shown (threshold {threshold:.4f}, {registry.operating_point(entry)[0]})"
    )
    figures = evaluate_methods(model, entry, films, methods=methods, progress=progress, threshold=threshold)
    report["methods"] = summarise(figures)
    report["sanity"] = _sanity(sanity_check, model, entry, films[:SANITY_FILMS], methods)
    report["border_occlusion"] = _border_occlusion(registry, loaded, films)
    report["skipped"] = [{"path": p, "reason": r} for p, r in skipped]
    if write_card:
        report["card"] = write_card_figures(registry, entry, report)
    return report


def _films(folder: Path, recipe: Path | None, limit: int | None) -> tuple[list[Path], list[Path], str]:
    """(films to evaluate, films to choose layers on, what they are in words)."""
    if recipe is None:
        paths = list_films(folder, limit)
        return paths, paths, f"{folder} ({len(paths)} films)"
    from xray_desktop.training.data_plan import plan_data
    from xray_desktop.training.recipes import load_recipe

    plan = plan_data(load_recipe(recipe), Path(folder))
    test = [s.path for s in plan.split.test] or [s.path for s in plan.split.validation]
    words = plan.test_description if plan.split.test else plan.validation_description
    if limit is not None and len(test) > limit:
        import numpy as np

        test = [test[i] for i in sorted(np.random.default_rng(0).choice(len(test), size=limit, replace=False))]
    validation = [s.path for s in plan.split.validation]
    return test, validation, f"{words}; {len(test)} films used"


def _border_occlusion(registry: Registry, loaded: Any, films: Sequence[Film]) -> dict[str, Any]:
    """Blank the border bands and re-read every film, at the active operating point's threshold."""
    import numpy as np

    from xray_desktop.explain.audit import border_occlusion

    _, threshold = registry.operating_point(loaded.entry)
    return border_occlusion(loaded.predict, np.stack([f.image for f in films]), threshold).to_json()


def _sanity(check: Any, model: Any, entry: ModelEntry, films: Sequence[Film], methods: Sequence[str]) -> dict[str, Any]:
    """Every map method evaluated gets the test: the window warns on maps of a method that failed it."""
    import numpy as np

    images = np.stack([f.image for f in films])
    return {m: check(model, images, layers=entry.cam_layers or None, method=m).to_json() for m in methods}


def sanity_verdicts(sanity: dict[str, Any]) -> dict[str, Any]:
    """The registry's `map_sanity` from a report's `sanity`: each method's figure and verdict, no layer list."""
    keys = ("mean_spearman", "bound", "passed", "n")
    return {method: {k: result[k] for k in keys if k in result} for method, result in sanity.items()}


def write_card_figures(registry: Registry, entry: ModelEntry, report: dict[str, Any]) -> dict[str, str]:
    """Put the figures into the card's JSON (`explanations`) and markdown (one replaced section), and the
    sanity verdicts into the registry entry, which travels in a model package (the card's JSON does not)."""
    md_path = registry.card_path(entry)
    if md_path is None:
        raise InputError(f"model {entry.id!r} has no card to write the figures on")
    if isinstance(report.get("sanity"), dict):
        entry.map_sanity = sanity_verdicts(report["sanity"])
        registry.save()
    json_path = md_path.with_suffix(".json")
    written: dict[str, str] = {}
    if json_path.is_file():
        card = json.loads(json_path.read_text(encoding="utf-8"))
        card["explanations"] = {k: v for k, v in report.items() if k != "card"}
        card["cam_layers"] = list(entry.cam_layers)
        atomic_write_text(json_path, json.dumps(card, indent=2, ensure_ascii=False) + "\n")
        written["json"] = json_path.name
    text = md_path.read_text(encoding="utf-8") if md_path.is_file() else ""
    atomic_write_text(md_path, replace_section(text, render_section(report)))
    written["markdown"] = md_path.name
    return written


def replace_section(text: str, section: str) -> str:
    block = f"{SECTION_START}\n{section.rstrip()}\n{SECTION_END}\n"
    if SECTION_START in text and SECTION_END in text:
        head, rest = text.split(SECTION_START, 1)
        return head + block + rest.split(SECTION_END, 1)[1].lstrip("\n")
    return text.rstrip("\n") + "\n\n" + block


def render_section(report: dict[str, Any]) -> str:
    """The card's "Explanations" section: the methods table, the shortcut audit and the sanity check."""
    lines = [
        "## Explanations (explain-eval)",
        "",
        f"- Data: {report['data']} (n = {report['n']}); CAM layers: {', '.join(report['cam_layers']) or 'default'}",
        f"- Maps scored: {report.get('maps', 'the condition' + chr(39) + 's map on every film')}",
        "- Deletion AUC: lower is better (the probability of the map's class falls fast when the most-attributed "
        "blocks are replaced by a blurred fill); insertion AUC: higher is better; score = 0.5 + (insertion - "
        "deletion) / 2, a random map scores about 0.5. 95 % CIs by bootstrap over films.",
        "",
        "```",
        format_table(report),
        "```",
        "",
    ]
    gradcam = report["methods"].get("gradcam")
    if gradcam and "deletion_minus_random" in gradcam:
        diff = gradcam["deletion_minus_random"]
        verdict = "beats" if gradcam["beats_random_ci_excludes"] else "does NOT beat"
        lines.append(
            f"- Grad-CAM {verdict} the random map on deletion AUC: difference {diff['mean']:+.3f} "
            f"(95 % CI {diff['ci95'][0]:+.3f} to {diff['ci95'][1]:+.3f}); better on "
            f"{gradcam['beats_random_share'] * 100:.0f} % of films."
        )
        mass = gradcam["border_or_marker_mass"]
        lines.append(
            f"- Shortcut audit (Grad-CAM): {mass['mean'] * 100:.1f} % of map mass on the border bands (outer 8 %) "
            f"or detected film markers (border {gradcam['border_mass']['mean'] * 100:.1f} %, markers "
            f"{gradcam['marker_mass']['mean'] * 100:.1f} %); a uniform map puts 29.4 % on the borders."
        )
    occlusion = report.get("border_occlusion")
    if occlusion:
        lines.append(
            f"- Border occlusion (the model's side of the audit): with the border bands blanked, decisions change on "
            f"{occlusion['decisions_changed'] * 100:.1f} % of the {occlusion['n']} films, mean |ΔP| "
            f"{occlusion['mean_abs_delta']:.3f}. When this is small and the map's border mass is large, the mass is the map "
            "method's artefact, not a shortcut the model takes."
        )
    for method, sanity in report.get("sanity", {}).items():
        lines.append(
            f"- Sanity check ({method}, Adebayo et al. 2018): mean Spearman {sanity['mean_spearman']:.3f} between maps "
            f"of the trained model and of a copy with its top layers re-initialised (n = {sanity['n']}, bound "
            f"< {sanity['bound']}): {'passed' if sanity['passed'] else 'FAILED'}."
        )
    if "layer_choice" in report:
        measured = ", ".join(f"{k} {v:.3f}" for k, v in report["layer_choice"]["deletion_auc"].items())
        lines.append(f"- CAM layer chosen by deletion AUC on {report['layer_choice']['n']} films: {measured}.")
    return "\n".join(lines) + "\n"
