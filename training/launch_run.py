"""Train one recipe into a run folder without packaging (used for the long shipped-model runs).

SIGTERM or SIGINT cancels between batches and keeps the best checkpoint, so a run can be
stopped at a deadline and still packaged with `xray-desktop train --from-run RUN_DIR`.
`--resume` continues a stopped (or killed) run from its last finished epoch.
It trains through `services.training.run_training` as the OS account, so the audit log records
`training_started` exactly as for `xray-desktop train` and the wizard.
Usage: python training/launch_run.py RECIPE.toml RUN_DIR [--data-root DIR] [--resume] [--replace]
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from xray_desktop.progress import Progress
from xray_desktop.services.auth import cli_session
from xray_desktop.services.training import run_training
from xray_desktop.training.data_plan import default_data_root
from xray_desktop.training.recipes import load_recipe


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipe")
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--data-root", type=Path, default=None)
    parser.add_argument("--resume", action="store_true", help="continue from run_dir/last.keras and state.json")
    parser.add_argument("--replace", action="store_true", help="train even though the model id is registered")
    args = parser.parse_args()
    recipe = load_recipe(args.recipe)
    progress = Progress()
    signal.signal(signal.SIGTERM, lambda *_: progress.cancel())
    signal.signal(signal.SIGINT, lambda *_: progress.cancel())
    outcome = run_training(
        cli_session(),
        recipe,
        args.data_root or default_data_root(),
        args.run_dir,
        progress=progress,
        on_epoch=lambda m: print(m, flush=True),
        cache_dir=Path("training/runs/cache"),
        resume=args.resume,
        replace=args.replace,
    )
    print(f"done: {outcome.epochs_run} epochs, best {outcome.best_epoch}, {outcome.seconds:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
