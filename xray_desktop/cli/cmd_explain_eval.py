"""`xray-desktop explain-eval FOLDER --task T [--model ID] [--recipe R] [--choose-layer] [--write-card] [--json]`.

Each explanation method (and a random map) on FOLDER's films: mean deletion/insertion AUC with bootstrap
95 % CIs, time per film, map mass on borders and markers, and the weight-randomisation sanity check.
With --recipe, FOLDER is the data root and the recipe's internal test split is used (layers are chosen
on its validation split). --choose-layer writes the measured `cam_layers` into the registry;
--write-card puts the figures on the model card. Both are safe to repeat.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from xray_desktop.errors import EXIT_OK
from xray_desktop.explain import METHODS
from xray_desktop.tasks import TASK_NAMES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("explain-eval", help="measure how faithful each explanation method is")
    parser.add_argument("folder", type=Path, metavar="FOLDER", help="folder of films (or the data root with --recipe)")
    parser.add_argument("--task", required=True, choices=TASK_NAMES)
    parser.add_argument("--model", default=None, help="model id (default: the task's active model)")
    parser.add_argument("--recipe", type=Path, default=None, help="use this recipe's internal test split")
    parser.add_argument("--limit", type=int, default=60, help="films to use at most (seeded sample; default 60)")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--choose-layer", action="store_true", help="choose the CAM layers and save them")
    parser.add_argument("--write-card", action="store_true", help="write the figures on the model card")
    parser.add_argument(
        "--condition-maps",
        action="store_true",
        help="score the condition's map on every film (default: the decided class's map, as the window shows it)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON report to this file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from xray_desktop.atomic import atomic_write_text
    from xray_desktop.services.explain_eval import format_table
    from xray_desktop.services.explain_fit import render_section, run_explain_eval

    report = run_explain_eval(
        args.task,
        args.folder,
        model_id=args.model,
        limit=args.limit,
        methods=args.methods,
        recipe=args.recipe,
        choose_layer=args.choose_layer,
        write_card=args.write_card,
        condition_maps=args.condition_maps,
    )
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if args.out is not None:
        atomic_write_text(args.out, text + "\n")
    if args.json:
        print(text)
        return EXIT_OK
    print(f"model {report['model_id']} on {report['data']}")
    print(format_table(report))
    print(render_section(report).split("```", 2)[2].strip())
    return EXIT_OK
