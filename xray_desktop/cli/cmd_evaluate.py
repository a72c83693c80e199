"""`xray-desktop evaluate --task T (--recipe R | --data DIR)`: measure a registered model on labelled data."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from xray_desktop.errors import EXIT_OK, UsageError
from xray_desktop.tasks import TASK_NAMES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("evaluate", help="measure a model on labelled images (AUC, sensitivity, ...)")
    parser.add_argument("--task", required=True, choices=TASK_NAMES)
    parser.add_argument("--model", default=None, help="model id (default: the task's active model)")
    parser.add_argument("--data", type=Path, default=None, help="labelled folder/CSV, or the data root with --recipe")
    parser.add_argument("--recipe", type=Path, default=None, help="rebuild this recipe's split (reproduces the card)")
    parser.add_argument(
        "--split",
        default="validation",
        choices=("validation", "test", "train"),
        help="with --recipe: which part of its split (test = the internal test behind the card's headline figures)",
    )
    parser.add_argument("--class-map", default=None, help="e.g. NORMAL=0,PNEUMONIA=1 (default: the model's)")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from xray_desktop.training.evaluate_model import evaluate_model
    from xray_desktop.training.recipes import load_recipe

    if args.recipe is None and args.data is None:
        raise UsageError("evaluate needs --data DIR or --recipe R")
    recipe = load_recipe(args.recipe) if args.recipe else None
    result = evaluate_model(
        args.task,
        model_id=args.model,
        recipe=recipe,
        data=args.data,
        split=args.split,
        class_map=_class_map(args.class_map),
    )
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return EXIT_OK
    ev = result.evaluation
    t = ev.at_threshold
    print(f"model {result.entry.id} on {result.data} (fingerprint {result.fingerprint})")
    print(f"n={ev.n} ({ev.n_pos} positive)")
    print(f"AUC {ev.auc:.4f} (95% CI {ev.auc_ci95[0]:.4f}-{ev.auc_ci95[1]:.4f})")
    print(
        f"at threshold {t.threshold:.4f}: sensitivity {t.sensitivity:.4f}, specificity {t.specificity:.4f}, "
        f"PPV {t.ppv:.4f}, NPV {t.npv:.4f}, F1 {t.f1:.4f}, accuracy {t.accuracy:.4f}"
    )
    a = ev.at_0_5
    print(f"at 0.5: sensitivity {a.sensitivity:.4f}, specificity {a.specificity:.4f}, F1 {a.f1:.4f}")
    c = t.confusion
    print(f"confusion: TP {c['tp']}, FP {c['fp']}, TN {c['tn']}, FN {c['fn']}")
    method = (ev.calibration or {}).get("method", "temperature")
    print(f"ECE {ev.ece_before:.4f} raw, {ev.ece_after:.4f} calibrated ({method})")
    if result.matches_card is not None:
        print("same data as the model card: " + ("yes" if result.matches_card else "NO (figures not comparable)"))
    if result.unreadable:
        print(f"{len(result.unreadable)} unreadable files skipped, e.g. {result.unreadable[0][0]}")
    return EXIT_OK


def _class_map(text: str | None) -> dict[str, int] | None:
    if not text:
        return None
    mapping: dict[str, int] = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        if not name or value not in ("0", "1"):
            raise UsageError(f"--class-map: expected NAME=0 or NAME=1, got {part!r}")
        mapping[name.strip()] = int(value)
    return mapping
