"""Train one recipe into a run folder without packaging (used for the long shipped-model runs).

SIGTERM or SIGINT cancels between batches and keeps the best checkpoint, so a run can be
stopped at a deadline and still packaged with `xray-desktop train --from-run RUN_DIR`.
Usage: python training/launch_run.py RECIPE.toml RUN_DIR [DATA_ROOT]
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from xray_desktop.progress import Progress
from xray_desktop.training.data_plan import default_data_root
from xray_desktop.training.recipes import load_recipe
from xray_desktop.training.trainer import train


def main() -> int:
    recipe = load_recipe(sys.argv[1])
    run_dir = Path(sys.argv[2])
    data_root = Path(sys.argv[3]) if len(sys.argv) > 3 else default_data_root()
    progress = Progress()
    signal.signal(signal.SIGTERM, lambda *_: progress.cancel())
    signal.signal(signal.SIGINT, lambda *_: progress.cancel())
    outcome = train(
        recipe,
        data_root,
        run_dir,
        progress=progress,
        on_epoch=lambda m: print(m, flush=True),
        cache_dir=Path("training/runs/cache"),
    )
    print(f"done: {outcome.epochs_run} epochs, best {outcome.best_epoch}, {outcome.seconds:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
