"""Self-test: proof, on the machine where the program is installed, that the installation works end to end.

IT staff run it after installing (Start menu "Self-test", `xray-desktop self-test`, or the bundled
`xray-desktop-cli self-test`). It reads the registry, verifies the checksum of every registered model and
loads and runs every active one, analyses every bundled sample case, writes a PDF report to a temporary
folder and (optionally) starts the window offscreen on a sample and saves a screenshot. Each step is one
row of a pass/fail table. A task with no model installed is a normal state, reported as "not installed".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from xray_desktop import paths
from xray_desktop.errors import XRayError
from xray_desktop.models.provider import ModelProvider
from xray_desktop.results import AnalysisResult, TaskStatus
from xray_desktop.services.session import Session
from xray_desktop.tasks import TASK_NAMES, tasks_for_body_part

GUI_TIMEOUT_S = 300.0


class CheckStatus(StrEnum):
    PASS = "pass"
    FAIL = "FAIL"
    NOT_INSTALLED = "not installed"


@dataclass
class Check:
    """One row of the table: what was checked, how it went, why, and how long it took."""

    name: str
    status: CheckStatus
    detail: str = ""
    seconds: float = 0.0


@dataclass
class SelfTestReport:
    checks: list[Check] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """True when nothing failed; "not installed" and "skipped" rows are not failures."""
        return bool(self.checks) and all(c.status is not CheckStatus.FAIL for c in self.checks)

    def count(self, status: CheckStatus) -> int:
        return sum(c.status is status for c in self.checks)

    def summary(self) -> str:
        counts = ", ".join(f"{self.count(s)} {s.value}" for s in CheckStatus if self.count(s))
        verdict = "SELF-TEST PASSED" if self.passed else "SELF-TEST FAILED"
        return f"{verdict}: {counts} in {self.seconds:.1f} s"

    def table(self) -> str:
        """The pass/fail table as plain text (one row per check, then the summary line)."""
        width = max([len("check")] + [len(c.name) for c in self.checks])
        rows = [format_row(c, width) for c in self.checks]
        return "\n".join([table_header(width), *rows, self.summary()])


def table_header(width: int = 40) -> str:
    return f"{'check':<{width}}  {'result':<13}  {'time':>7}  detail\n" + "-" * (width + 40)


def format_row(check: Check, width: int = 40) -> str:
    return f"{check.name:<{width}}  {check.status.value:<13}  {check.seconds:>6.1f}s  {check.detail}"


def run_self_test(
    session: Session,
    *,
    manager: ModelProvider | None = None,
    samples_file: Path | None = None,
    work_dir: Path | None = None,
    gui: bool = False,
    on_check: Callable[[Check], None] | None = None,
    earlier: Sequence[Check] = (),
) -> SelfTestReport:
    """Run every check and return the report; a failing check never stops the ones after it.

    `manager` defaults to a ModelManager on the installed registry; `samples_file` to the bundled
    `samples.json`; `work_dir` (for the report and screenshot) to a temporary folder removed afterwards.
    `earlier` are checks the caller already ran (e.g. `data_folder_check`), put first in the table.
    """
    started = time.perf_counter()
    report = SelfTestReport(checks=list(earlier))

    def add(check: Check) -> None:
        report.checks.append(check)
        if on_check is not None:
            on_check(check)

    with _work_folder(work_dir) as folder:
        manager = manager if manager is not None else _default_manager(add)
        if manager is not None:
            for check in model_checks(manager):
                add(check)
        for_report: list[AnalysisResult] = []  # two cases at most: full-size images and maps are large
        for check, analysis in sample_checks(session, manager, samples_file or paths.samples_dir() / "samples.json"):
            add(check)
            if analysis is not None:
                for_report = _keep_for_report(for_report, analysis)
        add(report_check(session, for_report, folder / "self-test-report.pdf"))
        if gui:
            add(gui_check(_first_sample(samples_file), folder / "self-test-window.png"))
    report.seconds = time.perf_counter() - started
    session.record(
        "self_test", passed=report.passed, failed=[c.name for c in report.checks if c.status is CheckStatus.FAIL]
    )
    return report


def _keep_for_report(kept: list[AnalysisResult], new: AnalysisResult, limit: int = 2) -> list[AnalysisResult]:
    """Prefer cases where a model produced a result, so the test report shows a probability and a map."""

    def has_result(a: AnalysisResult) -> bool:
        return any(r.status is TaskStatus.OK for r in a.results)

    ranked = sorted([*kept, new], key=lambda a: not has_result(a))  # stable: earlier cases first
    return ranked[:limit]


def data_folder_check() -> tuple[Check, Any | None]:
    """The per-user data folder must be writable and its data key readable; returns the audit log to attach."""
    started = time.perf_counter()
    try:
        from xray_desktop.security.keys import load_data_key
        from xray_desktop.services.audit import open_audit_log

        home = paths.data_home()
        key = load_data_key(home)
        audit = open_audit_log(home, key)
    except (XRayError, OSError) as exc:
        return Check("data folder", CheckStatus.FAIL, str(exc), time.perf_counter() - started), None
    where = "data key in the OS keyring" if key.source == "keyring" else "data key in a key file (no OS keyring)"
    return Check("data folder", CheckStatus.PASS, f"{home}; {where}", time.perf_counter() - started), audit


def _default_manager(add: Callable[[Check], None]) -> ModelProvider | None:
    from xray_desktop.models.registry import Registry
    from xray_desktop.services.providers import default_provider

    started = time.perf_counter()
    try:
        registry = Registry.load()
    except XRayError as exc:
        add(Check("model registry", CheckStatus.FAIL, str(exc), time.perf_counter() - started))
        return None
    detail = f"{paths.registry_path()}: {len(registry.models)} model(s)"
    add(Check("model registry", CheckStatus.PASS, detail, time.perf_counter() - started))
    return default_provider(registry)


def model_checks(manager: ModelProvider) -> Iterator[Check]:
    """Per task: load, verify and run the active model; per other registered model: its checksum."""
    from xray_desktop.models.checksum import sha256_file

    registry = manager.registry
    for task in TASK_NAMES:
        entry = registry.active_entry(task)
        name = f"model {task}"
        if entry is None:
            yield Check(name, CheckStatus.NOT_INSTALLED, f"no model installed for {task}")
            continue
        started = time.perf_counter()
        warmed = manager.warm_up([task])[0]  # checksum, Keras load, input/output shape, one prediction
        seconds = time.perf_counter() - started
        if warmed.ok:
            detail = f"{entry.id} (version {entry.version}): sha256 verified, loaded, ran one prediction"
            yield Check(name, CheckStatus.PASS, detail, seconds)
        else:
            yield Check(name, CheckStatus.FAIL, warmed.message, seconds)
    active = {m for m in registry.active_models.values() if m}
    for entry in registry.models:
        if entry.id in active:
            continue
        started = time.perf_counter()
        path = registry.model_path(entry)
        try:
            ok = sha256_file(path) == entry.sha256
            detail = "sha256 verified (inactive)" if ok else f"{path}: does not match its recorded sha256"
        except OSError as exc:
            ok, detail = False, f"{path}: cannot be read ({exc.strerror or exc})"
        status = CheckStatus.PASS if ok else CheckStatus.FAIL
        yield Check(f"checksum {entry.id}", status, detail, time.perf_counter() - started)


def sample_checks(
    session: Session, manager: ModelProvider | None, samples_file: Path
) -> Iterator[tuple[Check, AnalysisResult | None]]:
    """Analyse every sample case with the tasks of its body part; the image must load and each model run."""
    started = time.perf_counter()
    try:
        cases = _read_cases(samples_file)
    except XRayError as exc:
        yield Check("sample cases", CheckStatus.FAIL, str(exc), time.perf_counter() - started), None
        return
    from xray_desktop.services.analyze import analyze_image

    for case in cases:
        path = samples_file.parent / case["file"]
        name = f"sample {case['file']}"
        tasks = list(tasks_for_body_part(case.get("body_part")) or TASK_NAMES)
        started = time.perf_counter()
        try:
            if manager is None:
                from xray_desktop.imaging.loader import load_radiograph

                image = load_radiograph(path)
                analysis = AnalysisResult(path=str(path), image=image)
            else:
                analysis = analyze_image(session, path, manager=manager, tasks=tasks, explain=True)
        except XRayError as exc:
            yield Check(name, CheckStatus.FAIL, str(exc), time.perf_counter() - started), None
            continue
        check = judge_analysis(name, analysis, case.get("truth") or {}, case.get("expected_misses") or {})
        check.seconds = time.perf_counter() - started
        yield check, analysis if analysis.error is None else None


def judge_analysis(
    name: str, analysis: AnalysisResult, truth: dict[str, int], expected_misses: dict[str, str] | None = None
) -> Check:
    """PASS when the image loaded, every installed model produced a probability and a map of the image's size,
    and every known answer landed on the right side of its threshold. A wrong answer FAILs unless the case
    lists it for that model id in `expected_misses` (with the reason), so a worse model cannot pass quietly."""
    expected_misses = expected_misses or {}
    if analysis.error is not None or analysis.image is None:
        return Check(name, CheckStatus.FAIL, analysis.error or "the image was not loaded")
    image = analysis.image
    parts: list[str] = [f"{image.format} {image.width}x{image.height}"]
    failures: list[str] = []
    for result in analysis.results:
        if result.status is TaskStatus.NOT_INSTALLED:
            parts.append(f"{result.task}: not installed")
        elif result.status is TaskStatus.UNAVAILABLE:
            failures.append(result.message)
        elif result.probability is None or not 0.0 <= result.probability <= 1.0:
            failures.append(f"{result.task}: no probability")
        elif result.heatmap is None or result.heatmap.shape != image.pixels.shape[:2]:
            failures.append(f"{result.task}: no heatmap of the image's size")
        else:
            known = truth.get(result.task)
            expected = "" if known is None else f", truth {'positive' if known else 'negative'}"
            parts.append(f"{result.task}: p={result.probability:.2f} {result.label}{expected}")
            if known is not None and bool(result.decision) != bool(known):
                reason = expected_misses.get(result.model_id or "")
                if reason:
                    parts[-1] += f" (expected miss: {reason})"
                else:
                    failures.append(
                        f"{result.task}: answered {'positive' if result.decision else 'negative'} "
                        f"(p={result.probability:.3f}, threshold {result.threshold:.3f}), truth "
                        f"{'positive' if known else 'negative'}"
                    )
    if failures:
        return Check(name, CheckStatus.FAIL, "; ".join(failures))
    return Check(name, CheckStatus.PASS, "; ".join(parts))


def report_check(session: Session, analyses: Sequence[AnalysisResult], out: Path) -> Check:
    """Write a PDF report of `analyses` (run_self_test passes two samples) and check that it is a whole PDF."""
    started = time.perf_counter()
    if not analyses:
        return Check("pdf report", CheckStatus.FAIL, "no sample could be analysed, so there is nothing to report")
    from xray_desktop.services.report import export_report

    chosen = list(analyses)
    try:
        export_report(session, chosen, out)
        data = out.read_bytes()
    except (XRayError, OSError) as exc:
        return Check("pdf report", CheckStatus.FAIL, str(exc), time.perf_counter() - started)
    if not (data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]):
        return Check("pdf report", CheckStatus.FAIL, f"{out}: not a complete PDF file", time.perf_counter() - started)
    detail = f"{len(chosen)} case(s), {len(data) / 1024:.0f} KiB"
    return Check("pdf report", CheckStatus.PASS, detail, time.perf_counter() - started)


def gui_command(image: Path, screenshot: Path) -> list[str]:
    """How to start the window on `image` and save a screenshot: the bundled windowed executable when frozen."""
    if getattr(sys, "frozen", False):
        exe = Path(sys.executable).with_name("xray-desktop" + (".exe" if os.name == "nt" else ""))
        if exe.exists():
            return [str(exe), "--open", str(image), "--screenshot", str(screenshot)]
        return [sys.executable, "gui", "--open", str(image), "--screenshot", str(screenshot)]
    return [sys.executable, "-m", "xray_desktop", "gui", "--open", str(image), "--screenshot", str(screenshot)]


def gui_check(image: Path | None, screenshot: Path, timeout_s: float = GUI_TIMEOUT_S) -> Check:
    """Start the window offscreen (a separate process, as a user would) and check the screenshot it saves."""
    name = "window (offscreen)"
    if image is None:
        return Check(name, CheckStatus.FAIL, "no sample image to open")
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.perf_counter()
    try:
        done = subprocess.run(
            gui_command(image, screenshot), env=env, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        return Check(name, CheckStatus.FAIL, f"no screenshot within {timeout_s:.0f} s", time.perf_counter() - started)
    except OSError as exc:
        return Check(name, CheckStatus.FAIL, f"cannot start the window: {exc}", time.perf_counter() - started)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no message"]
        return Check(name, CheckStatus.FAIL, f"exit code {done.returncode}: {last[0]}", seconds)
    try:
        from PIL import Image

        with Image.open(screenshot) as shot:
            size = shot.size
            extrema = shot.convert("L").getextrema()
    except (OSError, ValueError) as exc:
        return Check(name, CheckStatus.FAIL, f"{screenshot}: no readable screenshot ({exc})", seconds)
    if extrema[0] == extrema[1]:
        return Check(name, CheckStatus.FAIL, f"the screenshot is one flat colour {size[0]}x{size[1]}", seconds)
    return Check(name, CheckStatus.PASS, f"window rendered {size[0]}x{size[1]} with {image.name}", seconds)


def _read_cases(samples_file: Path) -> list[dict[str, Any]]:
    from xray_desktop.errors import InputError

    try:
        data = json.loads(samples_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{samples_file}: cannot read the sample index ({exc})") from None
    cases = data.get("cases") if isinstance(data, dict) else None
    if not isinstance(cases, list) or not all(isinstance(c, dict) and isinstance(c.get("file"), str) for c in cases):
        raise InputError(f"{samples_file}: 'cases' must be a list of objects with a 'file'")
    return cases


def _first_sample(samples_file: Path | None) -> Path | None:
    index = samples_file or paths.samples_dir() / "samples.json"
    try:
        cases = _read_cases(index)
    except XRayError:
        return None
    return index.parent / cases[0]["file"] if cases else None


@contextmanager
def _work_folder(work_dir: Path | None) -> Iterator[Path]:
    if work_dir is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
        yield work_dir
        return
    with tempfile.TemporaryDirectory(prefix="xray-desktop-selftest-") as tmp:
        yield Path(tmp)
