"""Explanation speed on resnet_small at 224 px (weights from a seeded init: speed does not depend on training).

Measures, after warm-up (median of several runs, one film, batch 1):
- predict latency, and Grad-CAM on the 14x14 `stage3_out` and Layer-CAM on stage3_out + stage4_out
  (prediction, activations and gradients in one compiled pass, NumPy maths after);
- "Check this map": deletion + insertion curves for the map and the random maps, one batched
  forward pass per curve (target <= 3 s on this machine).
Writes benchmarks/results/explain.json and prints a table with met/missed for each target.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

RESULTS = Path(__file__).resolve().parent / "results" / "explain.json"
SIZE = 224
RUNS = 5
CHECK_TARGET_S = 3.0


def _median(fn: Any, runs: int = RUNS) -> float:
    fn()  # warm-up (traces the compiled function)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> dict[str, Any]:
    import numpy as np

    from xray_desktop.explain import faithfulness
    from xray_desktop.explain.cam import CamExplainer
    from xray_desktop.explain.layer_choice import predictor
    from xray_desktop.training.backbones import build_model

    model = build_model("resnet_small", (SIZE, SIZE), 1, seed=0)
    image = np.random.default_rng(0).random((1, SIZE, SIZE, 1)).astype(np.float32)
    predict = predictor(model)
    gradcam = CamExplainer(model, "gradcam", layers=["stage3_out"])
    layercam = CamExplainer(model, "layercam", layers=["stage3_out", "stage4_out"])
    _, maps = gradcam(image)
    figures = {
        "predict_s": _median(lambda: predict(image)),
        "gradcam_stage3_s": _median(lambda: gradcam(image)),
        "layercam_stage3_stage4_s": _median(lambda: layercam(image)),
        "check_map_s": _median(lambda: faithfulness.check_map(predict, image[0], maps[0]), runs=3),
        "map_shape": list(maps.shape[1:]),
        "curve_points": faithfulness.STEPS + 1,
        "random_maps": faithfulness.RANDOM_MAPS,
        "forward_passes_per_check": 2 * (1 + faithfulness.RANDOM_MAPS),
    }
    figures["check_map_target_s"] = CHECK_TARGET_S
    figures["check_map_met"] = figures["check_map_s"] <= CHECK_TARGET_S
    figures["machine"] = f"{platform.machine()} {os.cpu_count()} CPUs (load {os.getloadavg()[0]:.1f})"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"{'measure':<34} {'value':>10}")
    for key in ("predict_s", "gradcam_stage3_s", "layercam_stage3_stage4_s", "check_map_s"):
        print(f"{key:<34} {figures[key]:>9.3f}s")
    verdict = "met" if figures["check_map_met"] else "MISSED"
    print(f"check this map <= {CHECK_TARGET_S:g} s at {SIZE} px: {verdict} ({figures['machine']})")
    return figures


if __name__ == "__main__":
    main()
