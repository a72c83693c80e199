"""`xray-desktop models fit-population ID --recipe R` and `models fit-router`: fit what a model knows, store it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from xray_desktop.errors import EXIT_OK, InputError


def add_population_actions(actions: argparse._SubParsersAction) -> None:
    fit = actions.add_parser(
        "fit-population",
        help="fit a model's population check on its recipe's training films (idempotent)",
        description="Embed the recipe's training films, fit the gate, set its threshold on validation, "
        "store it beside the model, record its sha256 in the registry and its figures in the card.",
    )
    fit.add_argument("model_id", metavar="ID")
    fit.add_argument("--recipe", required=True, help="the recipe the model was trained with")
    fit.add_argument("--data-root", default=None, help="data root (default ../shared/data)")
    fit.set_defaults(func=run_fit)
    router = actions.add_parser("fit-router", help="fit the body-part router on the data root and register it")
    router.add_argument("--data-root", default=None, help="data root (default ../shared/data)")
    router.add_argument(
        "--age-only",
        action="store_true",
        help="keep the registered body-part weights and fit only the chest age-group head",
    )
    router.set_defaults(func=run_fit_router)


def run_fit(args: argparse.Namespace) -> int:
    from xray_desktop.cli.cmd_batch import TextBar
    from xray_desktop.models.registry import Registry
    from xray_desktop.progress import Progress
    from xray_desktop.training.data_plan import default_data_root
    from xray_desktop.training.population_fit import fit_population

    registry = Registry.load()
    root = Path(args.data_root) if args.data_root else default_data_root()
    text_bar = TextBar(interactive=sys.stderr.isatty())
    check = fit_population(registry, args.model_id, args.recipe, root, progress=Progress(on_update=text_bar.draw))
    text_bar.finish()
    print(json.dumps(check, indent=2))
    return EXIT_OK


def run_fit_router(args: argparse.Namespace) -> int:
    from xray_desktop.models.registry import Registry
    from xray_desktop.models.router import BodyPartRouter
    from xray_desktop.training.data_plan import default_data_root
    from xray_desktop.training.router_fit import build_router, fit_age_head, install_router

    root = Path(args.data_root) if args.data_root else default_data_root()
    registry = Registry.load()
    if args.age_only:
        if not registry.router:
            raise InputError("no body-part router is registered: run `models fit-router` without --age-only")
        router = BodyPartRouter.from_file(registry.models_dir / registry.router["file"], registry.router["sha256"])
        errors: list = []
    else:
        router, metrics = build_router(root)
        errors = metrics["errors"]
    fit_age_head(router, root)
    print(json.dumps(install_router(router, registry), indent=2))
    print(json.dumps(errors, indent=2))
    return EXIT_OK
