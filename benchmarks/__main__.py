"""Run every `benchmarks/bench_*.py` module's `main()` in name order; `python -m benchmarks NAME...` runs some.

Each writes its numbers to benchmarks/results/<name>.json and prints a table. Exit status 1 if any
benchmark raised (a missed target is reported, not an error).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback
from pathlib import Path


def main(argv: list[str]) -> int:
    folder = Path(__file__).resolve().parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(folder)]) if m.name.startswith("bench_"))
    wanted = {a if a.startswith("bench_") else f"bench_{a}" for a in argv}
    failed = False
    for name in names:
        if wanted and name not in wanted:
            continue
        print(f"== {name}", flush=True)
        try:
            importlib.import_module(f"benchmarks.{name}").main()
        except Exception:
            traceback.print_exc()
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
