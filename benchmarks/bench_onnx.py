"""ONNX Runtime against TensorFlow, side by side in one run, on every shipped (registered) model.

Per model, at batch 1 after warm-up (median of interleaved runs): predict, predict + Grad-CAM, and
batch-of-16 throughput (in-memory arrays) and `run_batch` over PNG files; then, each in a fresh
process: the RSS with every installed model resident (and one map computed by each), the cold CLI
`analyze --task all` on one film, and a bare `python -c "import tensorflow"`. The machine's load
average is recorded with the figures, because a shared machine makes every timing noisier.
Writes benchmarks/results/onnx_vs_tensorflow.json and prints a table with met/missed per target.
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
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results" / "onnx_vs_tensorflow.json"
FILM = REPO / "resources" / "samples" / "chest" / "PNEUMONIA__person516_virus_1033.jpeg"
BACKENDS = ("tensorflow", "onnxruntime")
QUICK = os.environ.get("XRAY_BENCH_QUICK") == "1"  # fewer repeats, for a loaded machine
RUNS = 7 if QUICK else 15
BATCH = 16
BATCH_FILES = 32 if QUICK else 48
COLD_REPEATS = 1 if QUICK else 3
TARGET_GRADCAM_RATIO = 0.5  # ONNX Runtime predict + Grad-CAM <= 0.5x TensorFlow's
TARGET_COLD_RATIO = 0.5  # cold analyze <= 0.5x a bare `import tensorflow`
TARGET_RSS_MB = 500.0
TARGET_BATCH_SPEEDUP = 2.0


def _seconds(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _cpu_seconds(fn: Any) -> float:
    """Process CPU time (all threads): on a shared machine far less noisy than wall time."""
    start = time.process_time()
    fn()
    return time.process_time() - start


def _load() -> dict[str, Any]:
    one, five, fifteen = os.getloadavg()
    return {"loadavg_1_5_15": [round(one, 2), round(five, 2), round(fifteen, 2)], "cpus": os.cpu_count()}


def measure_model(model_id: str, images: Path, work: Path) -> dict[str, Any]:
    """Both backends on one registered model, interleaved so outside load hits both alike."""
    import numpy as np

    from xray_desktop.models.registry import Registry
    from xray_desktop.security.permissions import Role
    from xray_desktop.services.batch import run_batch
    from xray_desktop.services.providers import default_provider
    from xray_desktop.services.session import Session

    registry = Registry.load(REPO / "models" / "registry.json")
    entry = registry.get(model_id)
    managers = {b: default_provider(registry, backend=b) for b in BACKENDS}
    loaded = {b: m.load(entry) for b, m in managers.items()}
    rng = np.random.default_rng(0)
    one = rng.random((1, *entry.spec.input_shape), dtype=np.float32)
    batch = rng.random((BATCH, *entry.spec.input_shape), dtype=np.float32)
    explainers = {b: loaded[b].explainer("gradcam") for b in BACKENDS}
    for b in BACKENDS:  # trace / warm every path once
        loaded[b].predict_raw(one)
        loaded[b].predict_raw(batch)
        explainers[b](one)
    keys = ("predict", "gradcam", "batch16", "predict_cpu", "gradcam_cpu")
    times: dict[str, dict[str, list[float]]] = {b: {k: [] for k in keys} for b in BACKENDS}
    for _ in range(RUNS):
        for b in BACKENDS:
            times[b]["predict"].append(_seconds(lambda b=b: loaded[b].predict_raw(one)))
            times[b]["gradcam"].append(_seconds(lambda b=b: explainers[b](one)))
            times[b]["batch16"].append(_seconds(lambda b=b: loaded[b].predict_raw(batch)))
            times[b]["predict_cpu"].append(_cpu_seconds(lambda b=b: loaded[b].predict_raw(one)))
            times[b]["gradcam_cpu"].append(_cpu_seconds(lambda b=b: explainers[b](one)))
    session = Session("benchmark", Role.DOCTOR)
    files_per_s = {}
    for b in BACKENDS:
        best = 0.0
        for _ in range(2):
            summary = run_batch(
                session, images, manager=managers[b], task=entry.task, csv_path=work / f"{b}.csv", jobs=2
            )
            best = max(best, summary.processed / summary.seconds)
        files_per_s[b] = round(best, 2)
    out: dict[str, Any] = {"model": model_id, "input": list(entry.spec.input_shape), "layer": entry.onnx.get("layers")}
    for b in BACKENDS:
        out[b] = {
            "predict_ms": round(statistics.median(times[b]["predict"]) * 1000, 2),
            "predict_gradcam_ms": round(statistics.median(times[b]["gradcam"]) * 1000, 2),
            "predict_cpu_ms": round(statistics.median(times[b]["predict_cpu"]) * 1000, 2),
            "predict_gradcam_cpu_ms": round(statistics.median(times[b]["gradcam_cpu"]) * 1000, 2),
            "batch16_images_per_s": round(BATCH / statistics.median(times[b]["batch16"]), 1),
            "run_batch_files_per_s": files_per_s[b],
        }
    ort, tf = out["onnxruntime"], out["tensorflow"]
    out["gradcam_ratio_onnx_over_tf"] = round(ort["predict_gradcam_ms"] / tf["predict_gradcam_ms"], 3)
    out["gradcam_cpu_ratio_onnx_over_tf"] = round(
        ort["predict_gradcam_cpu_ms"] / max(tf["predict_gradcam_cpu_ms"], 1e-6), 3
    )
    out["batch16_speedup"] = round(ort["batch16_images_per_s"] / tf["batch16_images_per_s"], 2)
    out["run_batch_speedup"] = round(ort["run_batch_files_per_s"] / tf["run_batch_files_per_s"], 2)
    return out


RSS_PROBE = r"""
import json, sys, numpy as np, psutil
from xray_desktop.models.registry import Registry
from xray_desktop.services.providers import default_provider
from xray_desktop.tasks import TASK_NAMES
registry = Registry.load(sys.argv[1])
manager = default_provider(registry, backend=sys.argv[2])
peak = 0
ids = []
for task in TASK_NAMES:
    entry = registry.active_entry(task)
    if entry is None:
        continue
    loaded = manager.load(entry)
    x = np.random.default_rng(0).random((1, *entry.spec.input_shape), dtype=np.float32)
    loaded.explainer("gradcam")(x)
    loaded.predict_raw(np.repeat(x, 16, axis=0))
    ids.append(entry.id)
    peak = max(peak, psutil.Process().memory_info().rss)
rss = psutil.Process().memory_info().rss
print(json.dumps({"models": ids, "rss_mb": round(rss / 2**20, 1), "peak_mb": round(max(peak, rss) / 2**20, 1),
                  "tensorflow_imported": "tensorflow" in sys.modules}))
"""


def resident_memory(backend: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", RSS_PROBE, str(REPO / "models" / "registry.json"), backend],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def cold_seconds(args: list[str], env: dict[str, str]) -> float:
    """Best of a few fresh processes (the OS file cache is warm after the first: that is the fair case)."""
    best = float("inf")
    for _ in range(COLD_REPEATS):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, check=True)
        best = min(best, time.perf_counter() - start)
    return round(best, 3)


def cold_start(home: Path) -> dict[str, Any]:
    env = {**os.environ, "XRAY_DESKTOP_HOME": str(home), "TF_CPP_MIN_LOG_LEVEL": "2"}
    analyze = ["-m", "xray_desktop", "analyze", str(FILM), "--task", "all", "--json"]
    figures = {
        "import_tensorflow_s": cold_seconds(["-c", "import tensorflow"], env),
        "analyze_onnxruntime_s": cold_seconds(analyze, {**env, "XRAY_DESKTOP_BACKEND": "onnxruntime"}),
        "analyze_tensorflow_s": cold_seconds(analyze, {**env, "XRAY_DESKTOP_BACKEND": "tensorflow"}),
    }
    figures["analyze_onnx_over_import_tf"] = round(figures["analyze_onnxruntime_s"] / figures["import_tensorflow_s"], 3)
    return figures


def write_images(folder: Path, count: int) -> None:
    import cv2
    import numpy as np

    rng = np.random.default_rng(2)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        cv2.imwrite(str(folder / f"img{i:04d}.png"), (rng.random((256, 256)) * 255).astype(np.uint8))


def _models(registry: Any) -> list[Any]:
    """Every registered model, or with XRAY_BENCH_MODELS=active only the active ones (a quicker run)."""
    if os.environ.get("XRAY_BENCH_MODELS") == "active":
        return [e for e in (registry.active_entry(t) for t in registry.active_models) if e is not None]
    return list(registry.models)


def main() -> dict[str, Any]:
    from xray_desktop.models.registry import Registry

    registry = Registry.load(REPO / "models" / "registry.json")
    before = _load()
    with tempfile.TemporaryDirectory(prefix="xray-bench-onnx-") as tmp:
        work = Path(tmp)
        write_images(work / "images", BATCH_FILES)
        models = [measure_model(m.id, work / "images", work) for m in _models(registry)]
        memory = {b: resident_memory(b) for b in BACKENDS}
        cold = cold_start(work / "home")
    result = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(), **before},
        "load_after": _load(),
        "note": "shared machine: other processes (model training) ran throughout; see loadavg",
        "models": models,
        "resident": memory,
        "cold_cli": cold,
        "targets": {
            "gradcam_ratio_max": TARGET_GRADCAM_RATIO,
            "cold_ratio_max": TARGET_COLD_RATIO,
            "resident_mb_max": TARGET_RSS_MB,
            "batch_speedup_min": TARGET_BATCH_SPEEDUP,
        },
    }
    met = {
        "gradcam_ratio": all(m["gradcam_ratio_onnx_over_tf"] <= TARGET_GRADCAM_RATIO for m in models),
        "cold_ratio": cold["analyze_onnx_over_import_tf"] <= TARGET_COLD_RATIO,
        "resident_rss": memory["onnxruntime"]["peak_mb"] <= TARGET_RSS_MB,
        "batch_speedup": all(m["run_batch_speedup"] >= TARGET_BATCH_SPEEDUP for m in models),
    }
    result["met"] = met
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(table(result))
    return result


def table(result: dict[str, Any]) -> str:
    rows = [
        "| model | backend | predict ms (CPU ms) | predict+Grad-CAM ms (CPU ms) | batch-16 img/s | run_batch files/s |",
        "|---|---|---|---|---|---|",
    ]
    for m in result["models"]:
        for b in BACKENDS:
            f = m[b]
            rows.append(
                f"| {m['model']} | {b} | {f['predict_ms']} ({f['predict_cpu_ms']}) | "
                f"{f['predict_gradcam_ms']} ({f['predict_gradcam_cpu_ms']}) | "
                f"{f['batch16_images_per_s']} | {f['run_batch_files_per_s']} |"
            )
    mem, cold = result["resident"], result["cold_cli"]
    rows.append("")
    rows.append(
        f"all models resident: onnxruntime {mem['onnxruntime']['rss_mb']} MB (peak {mem['onnxruntime']['peak_mb']}), "
        f"tensorflow {mem['tensorflow']['rss_mb']} MB (peak {mem['tensorflow']['peak_mb']})"
    )
    rows.append(
        f"cold analyze --task all: onnxruntime {cold['analyze_onnxruntime_s']} s, tensorflow {cold['analyze_tensorflow_s']} s; "
        f"bare import tensorflow {cold['import_tensorflow_s']} s"
    )
    rows.append("targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in result["met"].items()))
    rows.append(
        f"load average before/after: {result['machine']['loadavg_1_5_15']} / {result['load_after']['loadavg_1_5_15']}"
    )
    return "\n".join(rows)


if __name__ == "__main__":
    main()
