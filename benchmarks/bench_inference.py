"""Inference speed and memory on DenseNet121@224 and MobileNetV2@128 (weights=None: speed does not depend on training).

Measures, per backbone, at batch size 1 after warm-up (median of 12 interleaved runs):
- predict latency (the app's compiled forward pass),
- predict + Grad-CAM latency (the app's one compiled function) and its ratio to predict (target <= 1.1, issue 14),
- the naive Grad-CAM of the keras.io example (a new keras.Model + eager GradientTape per call) in the same
  run, and our speed-up over it (target >= 3),
- run_batch throughput over PNG files on disk (batches of 16, 2 loader threads) vs raw `model.predict`
  throughput on in-memory arrays (target >= 0.8), alternated and best of 2 each,
and, in a fresh process, the RSS with all five tasks' models loaded through the ModelManager.
Writes benchmarks/results/inference.json and prints a table with met/missed for each target.
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

RESULTS = Path(__file__).resolve().parent / "results" / "inference.json"
BACKBONES = {"densenet121": (224, "imagenet"), "mobilenetv2": (128, "minus_one_one")}
TASK_BACKBONES = {  # which backbone each task's model uses in the memory measurement
    "pneumonia": "densenet121",
    "cardiomegaly": "mobilenetv2",
    "osteoarthritis": "densenet121",
    "osteoporosis": "mobilenetv2",
    "fracture": "densenet121",
}
LATENCY_RUNS = 12
NAIVE_RUNS = 4
BATCH_FILES = 96
THROUGHPUT_REPEATS = 2
TARGET_RATIO = 1.1
TARGET_SPEEDUP = 3.0
TARGET_BATCH = 0.8


def build_classifier(backbone: str, size: int) -> Any:
    """A classifier the way training builds one: backbone (weights=None) -> global pooling -> sigmoid."""
    import keras

    inputs = keras.Input((size, size, 3))
    if backbone == "densenet121":
        base = keras.applications.DenseNet121(include_top=False, weights=None, input_tensor=inputs)
    else:
        base = keras.applications.MobileNetV2(include_top=False, weights=None, input_tensor=inputs)
    x = keras.layers.GlobalAveragePooling2D()(base.output)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs, name=f"{backbone}_{size}")


def naive_gradcam(model: Any, image: Any, last_conv_layer_name: str) -> Any:
    """The keras.io Grad-CAM example, as written there: a new model and an eager tape on every call."""
    import keras
    import tensorflow as tf

    grad_model = keras.models.Model(model.inputs, [model.get_layer(last_conv_layer_name).output, model.output])
    with tf.GradientTape() as tape:
        last_conv_layer_output, preds = grad_model([image])
        class_channel = preds[:, 0]
    grads = tape.gradient(class_channel, last_conv_layer_output)
    pooled_grads = tf.reduce_mean(grads, axis=(0, 1, 2))
    heatmap = last_conv_layer_output[0] @ pooled_grads[..., tf.newaxis]
    heatmap = tf.squeeze(heatmap)
    heatmap = tf.maximum(heatmap, 0) / (tf.math.reduce_max(heatmap) + 1e-7)
    return heatmap.numpy(), float(preds[0, 0])


def _seconds(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _entry_for(model_id: str, task: str, backbone: str, size: int, normalisation: str) -> Any:
    from xray_desktop.models.registry import ModelEntry

    return ModelEntry(
        id=model_id,
        task=task,
        display_name=f"benchmark {backbone}@{size} (untrained: timing only)",
        version="bench",
        backbone=backbone,
        file=f"{model_id}.keras",
        sha256="0" * 64,
        input_size=(size, size),
        channels=3,
        preprocessing={"resize": "stretch", "normalisation": normalisation},
        labels=("Normal", task.capitalize()),
        threshold=0.5,
        provenance={"recipe": "benchmarks/bench_inference.py", "data": "none (weights=None)"},
    )


def measure_backbone(backbone: str, models_dir: Path, images_dir: Path) -> dict[str, Any]:
    import numpy as np

    from xray_desktop.explain.graph import find_target_layer
    from xray_desktop.models.registry import Registry
    from xray_desktop.security.permissions import Role
    from xray_desktop.services.batch import run_batch
    from xray_desktop.services.providers import default_provider
    from xray_desktop.services.session import Session

    size, normalisation = BACKBONES[backbone]
    model = build_classifier(backbone, size)
    staged = models_dir / f"staged-{backbone}.keras"
    model.save(staged)
    registry = Registry.load(models_dir / "registry.json")
    entry = registry.install_file(staged, _entry_for(f"bench-{backbone}", "pneumonia", backbone, size, normalisation))
    registry.activate("pneumonia", entry.id)
    manager = default_provider(registry, backend="tensorflow")  # this benchmark measures TensorFlow (bench_onnx: both)
    loaded = manager.load(entry)
    x = np.random.default_rng(0).random((1, size, size, 3)).astype(np.float32)

    explainer = loaded.explainer("gradcam")
    for _ in range(2):  # trace and warm both compiled functions
        loaded.predict_raw(x)
        explainer(x)
    predict_times, explain_times = [], []
    for _ in range(LATENCY_RUNS):  # interleaved, so load from other processes hits both alike
        predict_times.append(_seconds(lambda: loaded.predict_raw(x)))
        explain_times.append(_seconds(lambda: explainer(x)))
    predict_s, explain_s = statistics.median(predict_times), statistics.median(explain_times)
    probability, maps = explainer(x)
    assert not np.isnan(maps).any()

    last_conv = find_target_layer(loaded.model)[-1]
    naive_gradcam(loaded.model, x, last_conv)  # first call pays one-time costs; the example pays the rest each call
    naive_s = statistics.median(_seconds(lambda: naive_gradcam(loaded.model, x, last_conv)) for _ in range(NAIVE_RUNS))
    naive_map, naive_p = naive_gradcam(loaded.model, x, last_conv)
    # keras.io scales by the max, we min-max normalise: compare the maps' shapes by correlation
    map_correlation = float(np.corrcoef(naive_map.ravel(), maps[0].ravel())[0, 1]) if naive_map.std() > 0 else None

    arrays = np.random.default_rng(1).random((BATCH_FILES, size, size, 3)).astype(np.float32)
    loaded.model.predict(arrays[:16], batch_size=16, verbose=0)
    session = Session("benchmark", Role.DOCTOR)
    csv_path = models_dir / f"batch-{backbone}.csv"
    raw_fps = batch_fps = 0.0
    for _ in range(THROUGHPUT_REPEATS):  # alternated; best of each, like timeit, to discount other load
        raw_s = _seconds(lambda: loaded.model.predict(arrays, batch_size=16, verbose=0))
        raw_fps = max(raw_fps, BATCH_FILES / raw_s)
        summary = run_batch(session, images_dir, manager=manager, task="pneumonia", csv_path=csv_path, jobs=2)
        batch_fps = max(batch_fps, summary.processed / summary.seconds)

    return {
        "backbone": backbone,
        "input": [size, size, 3],
        "target_layer": "/".join(find_target_layer(loaded.model)),
        "predict_ms": round(predict_s * 1000, 2),
        "predict_gradcam_ms": round(explain_s * 1000, 2),
        "gradcam_over_predict": round(explain_s / predict_s, 3),
        "naive_gradcam_ms": round(naive_s * 1000, 2),
        "speedup_vs_naive": round(naive_s / explain_s, 2),
        "naive_map_correlation": None if map_correlation is None else round(map_correlation, 4),
        "naive_probability_matches": bool(abs(naive_p - float(probability[0])) < 1e-4),
        "batch_files": summary.processed,
        "batch_failed": summary.failed,
        "run_batch_files_per_s": round(batch_fps, 2),
        "raw_predict_images_per_s": round(raw_fps, 2),
        "batch_over_raw": round(batch_fps / raw_fps, 3),
    }


def write_images(folder: Path, count: int) -> None:
    """Greyscale 256x256 PNGs: decoded, preprocessed and resized by run_batch like real files."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(2)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        cv2.imwrite(str(folder / f"img{i:04d}.png"), (rng.random((256, 256)) * 255).astype(np.uint8))


def memory_with_all_models(models_dir: Path) -> dict[str, Any]:
    """Load every task's model through the ModelManager in a fresh process; report its RSS."""
    import shutil

    from xray_desktop.models.registry import Registry

    registry = Registry.load(models_dir / "registry.json")
    for task, backbone in TASK_BACKBONES.items():
        source = registry.model_path(registry.get(f"bench-{backbone}"))
        model_id = f"mem-{task}"
        copy = models_dir / f"staged-{model_id}.keras"
        shutil.copyfile(source, copy)
        size, normalisation = BACKBONES[backbone]
        registry.install_file(copy, _entry_for(model_id, task, backbone, size, normalisation), activate=True)
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_inference", "--rss", str(models_dir)],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _rss_child(models_dir: str) -> None:
    import resource

    import psutil

    from xray_desktop.models.manager import ModelManager
    from xray_desktop.models.registry import Registry

    process = psutil.Process()
    baseline = process.memory_info().rss
    start = time.perf_counter()
    statuses = ModelManager(Registry.load(Path(models_dir) / "registry.json"), backend="tensorflow").warm_up()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "models_loaded": sum(s.ok for s in statuses),
                "tasks": {s.task: s.message for s in statuses},
                "warm_up_s": round(time.perf_counter() - start, 1),
                "rss_before_mb": round(baseline / 2**20, 1),
                "rss_after_mb": round(process.memory_info().rss / 2**20, 1),
                "peak_rss_mb": round(peak_kib / 1024, 1),
            }
        )
    )


def main() -> dict[str, Any]:
    import keras
    import tensorflow as tf

    from xray_desktop.models.registry import Registry

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="xray-bench-") as tmp:
        root = Path(tmp)
        models_dir = root / "models"
        Registry.empty(models_dir / "registry.json").save()
        write_images(root / "images", BATCH_FILES)
        rows = [measure_backbone(name, models_dir, root / "images") for name in BACKBONES]
        memory = memory_with_all_models(models_dir)
    results = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "device": "CPU" if not tf.config.list_physical_devices("GPU") else "GPU",
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "python": platform.python_version(),
        },
        "targets": {
            "gradcam_over_predict_max": TARGET_RATIO,
            "speedup_min": TARGET_SPEEDUP,
            "batch_over_raw_min": TARGET_BATCH,
        },
        "backbones": rows,
        "memory_all_five_models": memory,
        "seconds": round(time.perf_counter() - started, 1),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print_table(results)
    return results


def print_table(results: dict[str, Any]) -> None:
    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    machine = results["machine"]
    print(f"inference benchmark on {machine['device']} ({machine['cpu_count']} cores), TF {machine['tensorflow']}")
    header = f"{'backbone':<12} {'predict':>9} {'+gradcam':>9} {'ratio':>12} {'naive':>9} {'speed-up':>14} {'batch/s':>8} {'raw/s':>7} {'batch/raw':>14}"
    print(header)
    for row in results["backbones"]:
        print(
            f"{row['backbone'] + '@' + str(row['input'][0]):<12} {row['predict_ms']:>7.1f}ms {row['predict_gradcam_ms']:>7.1f}ms "
            f"{row['gradcam_over_predict']:>5.2f} {verdict(row['gradcam_over_predict'] <= TARGET_RATIO):>6} "
            f"{row['naive_gradcam_ms']:>7.1f}ms {row['speedup_vs_naive']:>6.1f}x {verdict(row['speedup_vs_naive'] >= TARGET_SPEEDUP):>6} "
            f"{row['run_batch_files_per_s']:>8.1f} {row['raw_predict_images_per_s']:>7.1f} "
            f"{row['batch_over_raw']:>7.2f} {verdict(row['batch_over_raw'] >= TARGET_BATCH):>6}"
        )
    memory = results["memory_all_five_models"]
    print(
        f"all five tasks' models loaded ({memory['models_loaded']}): RSS {memory['rss_after_mb']:.0f} MB "
        f"(peak {memory['peak_rss_mb']:.0f} MB, {memory['rss_before_mb']:.0f} MB before loading)"
    )
    print(
        f"targets: +gradcam <= {TARGET_RATIO}x predict; >= {TARGET_SPEEDUP}x faster than naive; batch >= {TARGET_BATCH}x raw"
    )
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--rss":
        _rss_child(sys.argv[2])
    else:
        main()
