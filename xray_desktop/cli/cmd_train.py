"""`xray-desktop train --recipe R.toml`: train, evaluate, write the model + card, register it."""

from __future__ import annotations

import argparse
import math
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from xray_desktop.cli.admin_credentials import admin_username
from xray_desktop.errors import EXIT_OK, InputError, UsageError

if TYPE_CHECKING:
    from xray_desktop.services.session import Session


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="train a model from a recipe and register it")
    parser.add_argument(
        "--recipe", required=True, type=Path, help="training recipe (TOML), e.g. training/recipes/*.toml"
    )
    parser.add_argument("--data-root", type=Path, default=None, help="folder the recipe's data paths are relative to")
    parser.add_argument(
        "--activate", action="store_true", help="make the new model the active one (administrator credentials)"
    )
    parser.add_argument("--admin", metavar="USER", help="administrator to act as for --activate")
    parser.add_argument("--password-stdin", action="store_true", help="read the administrator's password from stdin")
    parser.add_argument("--weights", type=Path, default=None, help="LOCAL pretrained backbone weights file")
    parser.add_argument("--run-dir", type=Path, default=None, help="where checkpoints and logs go")
    parser.add_argument("--from-run", type=Path, default=None, help="package an earlier run folder instead of training")
    parser.add_argument("--models-dir", type=Path, default=None, help="models folder (default: the app's)")
    parser.add_argument("--replace", action="store_true", help="overwrite a registered model with the same id")
    parser.add_argument("--dry-run", action="store_true", help="only report the data and the split, train nothing")
    parser.add_argument("--distribute", action="store_true", help="use MirroredStrategy / TF_CONFIG multi-worker")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from xray_desktop.models.backend import TRAINING_NEEDS_FULL_INSTALL, tensorflow_installed
    from xray_desktop.progress import Cancelled, Progress
    from xray_desktop.services.training import package_existing_run, train_and_package
    from xray_desktop.training.data_plan import default_data_root
    from xray_desktop.training.recipes import load_recipe

    recipe = load_recipe(args.recipe)
    if not args.dry_run and not tensorflow_installed():
        raise UsageError(TRAINING_NEEDS_FULL_INSTALL)
    data_root = args.data_root or default_data_root()
    if not Path(data_root).is_dir():
        raise InputError(f"{data_root}: data root not found (use --data-root)")
    if args.dry_run:
        return _dry_run(recipe, Path(data_root))
    session = _session(args)
    if args.from_run:
        result = package_existing_run(
            session,
            recipe,
            args.from_run,
            data_root,
            activate=args.activate,
            models_dir=args.models_dir,
            replace=args.replace,
        )
    else:
        strategy = None
        if args.distribute:
            from xray_desktop.training.distribute import strategy_from_environment

            strategy = strategy_from_environment()
        progress = Progress(on_update=_bar)
        # Ctrl-C stops between batches; the best checkpoint so far is still evaluated and registered.
        previous = signal.signal(signal.SIGINT, lambda *_: progress.cancel())
        try:
            result = train_and_package(
                session,
                recipe,
                data_root,
                activate=args.activate,
                weights=args.weights,
                run_dir=args.run_dir,
                models_dir=args.models_dir,
                progress=progress,
                on_epoch=_epoch_line,
                strategy=strategy,
                replace=args.replace,
            )
        except Cancelled:
            print("xray-desktop: training cancelled before the first epoch finished; nothing saved", file=sys.stderr)
            return 130
        finally:
            signal.signal(signal.SIGINT, previous)
        if result.cancelled:
            print("\ntraining stopped early on request; the best checkpoint so far was packaged", file=sys.stderr)
    packaged = result.packaged
    ev = packaged.evaluation
    print(f"model {packaged.entry.id} -> {packaged.model_path}")
    print(f"card  {packaged.card_path}")
    print(
        f"validation AUC {ev.auc:.4f} (95% CI {ev.auc_ci95[0]:.4f}-{ev.auc_ci95[1]:.4f}), "
        f"threshold {ev.at_threshold.threshold:.4f}: sensitivity {ev.at_threshold.sensitivity:.4f}, "
        f"specificity {ev.at_threshold.specificity:.4f}; n={ev.n}"
    )
    if packaged.target_met is not None:
        print(f"target AUC {recipe.target_auc}: {'met' if packaged.target_met else 'NOT met'}")
    print("activated" if args.activate else "registered (not active; use --activate or `models activate`)")
    return EXIT_OK


def _dry_run(recipe: object, data_root: Path) -> int:
    """Counts, imbalance, unreadable files, duplicates and the split, without TensorFlow."""
    from xray_desktop.training.data_plan import plan_data

    plan = plan_data(recipe, data_root)  # type: ignore[arg-type]
    for line in plan.report.lines():
        print(line)
    if plan.validation_report is not None:
        for line in plan.validation_report.lines():
            print(line)
    split = plan.split
    for name, part in (("train", split.train), ("validation", split.validation)):
        positives = sum(s.label for s in part)
        print(f"{name}: {len(part)} images ({positives} positive), {len({s.group for s in part})} groups")
    print(f"split: {split.rule}; validation fingerprint {split.fingerprint}")
    print(f"demo cases (and their patients' films) kept out of training: {plan.excluded_samples}")
    return EXIT_OK


def _session(args: argparse.Namespace) -> Session:
    """Training runs as the OS account (doctor rights, audited); activating a model needs an administrator."""
    from xray_desktop.services.auth import PasswordInput, cli_login, cli_session

    if not args.activate:
        return cli_session()
    if not args.admin:
        raise UsageError("--activate needs --admin USER (activating a model is an administrator's decision)")
    admin_username(args)  # no terminal and no --password-stdin: say so instead of EOFError
    return cli_login(args.admin, PasswordInput(args.password_stdin).secret(f"Password for {args.admin}"))


def _bar(event: object) -> None:
    done, total, message = event.done, event.total, event.message  # type: ignore[attr-defined]
    if total and (done == total or done % 20 == 0):
        print(f"\r[{done}/{total}] {message}", end="", file=sys.stderr, flush=True)


def _epoch_line(m: object) -> None:
    def f(v: float) -> str:
        return "n/a" if math.isnan(v) else f"{v:.4f}"

    print(
        f"\repoch {m.epoch}/{m.epochs}: loss {f(m.loss)}, val_loss {f(m.val_loss)}, val_auc {f(m.val_auc)} "  # type: ignore[attr-defined]
        f"({m.seconds:.0f} s)",  # type: ignore[attr-defined]
        file=sys.stderr,
        flush=True,
    )
