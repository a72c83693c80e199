"""Known answers that can fail: every shipped (active) model on the bundled held-out sample films lands on the
expected side of its threshold, except the misses listed in samples.json with their reasons; and the
self-test's verdict turns FAIL when a model answers a known case wrong."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from xray_desktop.models.manager import ModelManager
from xray_desktop.models.registry import Registry
from xray_desktop.paths import registry_path, samples_dir
from xray_desktop.radiograph import Radiograph
from xray_desktop.results import AnalysisResult, TaskResult, TaskStatus
from xray_desktop.security.permissions import Role
from xray_desktop.services.analyze import analyze_image
from xray_desktop.services.selftest import CheckStatus, judge_analysis
from xray_desktop.services.session import Session
from xray_desktop.tasks import tasks_for_body_part

pytestmark = pytest.mark.slow
SESSION = Session("teacher", Role.DOCTOR)


def _cases() -> list[dict]:
    index = json.loads((samples_dir() / "samples.json").read_text(encoding="utf-8"))
    return [c for c in index["cases"] if c.get("truth")]


@pytest.fixture(scope="module")
def shipped() -> ModelManager:
    return ModelManager(Registry.load(registry_path()))


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["file"])
def test_shipped_models_answer_the_sample_cases(case: dict, shipped: ModelManager) -> None:
    tasks = [t for t in tasks_for_body_part(case["body_part"]) if t in case["truth"]]
    analysis = analyze_image(SESSION, samples_dir() / case["file"], manager=shipped, tasks=tasks, explain=False)
    misses = case.get("expected_misses") or {}
    for task, truth in case["truth"].items():
        result = analysis.result_for(task)
        assert result is not None and result.status is TaskStatus.OK, result
        if result.model_id in misses:
            assert bool(result.decision) != bool(truth), f"{result.model_id} no longer misses {case['file']}: drop it"
            continue
        assert bool(result.decision) == bool(truth), (
            f"{result.model_id} on {case['file']}: p={result.probability:.3f} at threshold {result.threshold:.3f} "
            f"({result.operating_point}) says {'positive' if result.decision else 'negative'}, truth {truth}"
        )


def _analysis(decision: bool) -> AnalysisResult:
    image = Radiograph(np.zeros((16, 16), np.float32), Path("case.png"), "PNG", 8, "MONOCHROME2", "0" * 64)
    result = TaskResult("pneumonia", TaskStatus.OK, model_id="m1", probability=0.9 if decision else 0.1, threshold=0.5)
    result.decision, result.label = decision, "Pneumonia" if decision else "Normal"
    result.heatmap = np.zeros((16, 16), np.float32)
    return AnalysisResult(path="case.png", image=image, results=[result])


def test_selftest_fails_a_wrong_known_answer_and_passes_a_listed_miss() -> None:
    assert judge_analysis("s", _analysis(True), {"pneumonia": 1}).status is CheckStatus.PASS
    wrong = judge_analysis("s", _analysis(True), {"pneumonia": 0})
    assert wrong.status is CheckStatus.FAIL and "answered positive" in wrong.detail and "truth negative" in wrong.detail
    listed = judge_analysis("s", _analysis(True), {"pneumonia": 0}, {"m1": "portable film, heavy marker"})
    assert listed.status is CheckStatus.PASS and "expected miss: portable film" in listed.detail
    other_model = judge_analysis("s", _analysis(True), {"pneumonia": 0}, {"m2": "another model's miss"})
    assert other_model.status is CheckStatus.FAIL
