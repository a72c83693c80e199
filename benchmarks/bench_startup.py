"""Start-up time of the window, measured in a fresh process (`python -m benchmarks`, or run this file).

Two numbers, both from just before the process is spawned: until the window is
shown (target 1.5 s) and until the first analysis of a bundled sample is on
screen (target 6 s; it includes importing TensorFlow and loading the installed
models). Uses the models that are installed (`models/registry.json`, or
`XRAY_DESKTOP_MODELS`); the result file records which, because with no model
installed "first result" is only the "no model installed" answer.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "startup.json"
SAMPLE = REPO / "resources" / "samples" / "chest" / "PNEUMONIA__person1177_virus_1999.jpeg"
TARGET_WINDOW_S = 1.5
TARGET_FIRST_RESULT_S = 6.0
RUNS = 3


def measure_once(scratch: Path, index: int) -> dict[str, float]:
    timings = scratch / f"timings{index}.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TF_CPP_MIN_LOG_LEVEL": "2"}
    env["XRAY_DESKTOP_HOME"] = str(scratch / "home")  # never touches a real user's data or audit log
    command = [sys.executable, "-m", "xray_desktop", "gui", "--open", str(SAMPLE)]
    command += ["--screenshot", str(scratch / f"shot{index}.png"), "--timings", str(timings)]
    start = time.time()
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"gui exited with {proc.returncode}: {proc.stderr.strip()[-500:]}")
    stamps = json.loads(timings.read_text(encoding="utf-8"))
    return {"window_shown_s": stamps["window_shown"] - start, "first_result_s": stamps["first_result"] - start}


def import_tensorflow_seconds() -> float:
    """The floor under "first result": importing TensorFlow alone in a fresh process, measured the same way."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    start = time.time()
    subprocess.run([sys.executable, "-c", "import tensorflow"], env=env, capture_output=True, check=True, timeout=600)
    return time.time() - start


def installed_models() -> dict[str, str | None]:
    sys.path.insert(0, str(REPO))
    from xray_desktop.models.registry import Registry
    from xray_desktop.tasks import TASK_NAMES

    registry = Registry.load()
    return {task: (entry.id if (entry := registry.active_entry(task)) else None) for task in TASK_NAMES}


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="xray-bench-startup-") as scratch:
        measure_once(Path(scratch), 0)  # warm the OS file cache; not counted
        runs = [measure_once(Path(scratch), i) for i in range(1, RUNS + 1)]
    tf_import = import_tensorflow_seconds()
    window = statistics.median(r["window_shown_s"] for r in runs)
    first = statistics.median(r["first_result_s"] for r in runs)
    result = {
        "benchmark": "startup",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "load_average_1min": round(os.getloadavg()[0], 2),
        "import_tensorflow_alone_s": round(tf_import, 3),
        "sample": str(SAMPLE.relative_to(REPO)),
        "active_models": installed_models(),
        "runs": runs,
        "median_window_shown_s": round(window, 3),
        "median_first_result_s": round(first, 3),
        "target_window_shown_s": TARGET_WINDOW_S,
        "target_first_result_s": TARGET_FIRST_RESULT_S,
        "window_target_met": window <= TARGET_WINDOW_S,
        "first_result_target_met": first <= TARGET_FIRST_RESULT_S,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(
        f"startup: window shown {window:.2f} s (target {TARGET_WINDOW_S} s: "
        f"{'met' if result['window_target_met'] else 'MISSED'}); first result {first:.2f} s "
        f"(target {TARGET_FIRST_RESULT_S} s: {'met' if result['first_result_target_met'] else 'MISSED'}); "
        f"median of {RUNS} runs on {os.cpu_count()} CPUs (load {os.getloadavg()[0]:.1f}; importing TensorFlow "
        f"alone took {tf_import:.2f} s) -> {RESULTS.relative_to(REPO)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
