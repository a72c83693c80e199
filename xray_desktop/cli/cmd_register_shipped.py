"""`xray-desktop register-shipped MODELS_DIR`: the installer's upgrade step for a shared models folder.

Adds the models this release ships (from the program's own models folder) that MODELS_DIR lacks; an
administrator's imported models and active choices stay as they are. Run by `install.sh` on upgrade,
as the account that owns MODELS_DIR; it changes files only, so it needs no XRay Desktop login.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from xray_desktop.errors import EXIT_INPUT, EXIT_OK, InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "register-shipped", help="add the models shipped with this release to a shared models folder (upgrades)"
    )
    parser.add_argument("models_dir", metavar="MODELS_DIR", type=Path)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from xray_desktop.paths import install_root
    from xray_desktop.services.shipped_models import register_shipped

    shipped = install_root() / "models" / "registry.json"
    if not args.models_dir.is_dir():
        raise InputError(f"{args.models_dir}: not a folder")
    if shipped.resolve() == (args.models_dir / "registry.json").resolve():
        print("the models folder is the program's own: nothing to register")
        return EXIT_OK
    result = register_shipped(shipped, args.models_dir)
    for model_id in result.added:
        active = " (now active)" if model_id in result.activated else ""
        print(f"registered shipped model {model_id}{active}")
    for line in result.skipped:
        print(f"not registered: {line}")
    if not result.added and not result.skipped:
        print(f"{args.models_dir}: every shipped model is registered already")
    return EXIT_INPUT if result.skipped else EXIT_OK
