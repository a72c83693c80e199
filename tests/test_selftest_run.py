"""Self-test: passes on a sound installation, names what is broken on a damaged one, and never calls a missing
model a failure."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from xray_desktop.cli import main
from xray_desktop.models.registry import Registry
from xray_desktop.paths import samples_dir
from xray_desktop.security.permissions import Role
from xray_desktop.services.selftest import Check, CheckStatus, SelfTestReport, gui_check, run_self_test
from xray_desktop.services.session import Session

SESSION = Session("it", Role.DOCTOR)
CASES = ["chest/PNEUMONIA__person1177_virus_1999.jpeg", "knee/KL0__9006140L.png", "dicom/CR-MONO1-10-chest"]


@pytest.fixture
def few_samples(tmp_path: Path) -> Path:
    """A samples.json with three real bundled cases (chest JPEG, knee PNG, DICOM), to keep the run short."""
    folder = tmp_path / "samples"
    index = json.loads((samples_dir() / "samples.json").read_text(encoding="utf-8"))
    cases = [c for c in index["cases"] if c["file"] in CASES]
    for case in cases:
        (folder / case["file"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(samples_dir() / case["file"], folder / case["file"])
    (folder / "samples.json").write_text(json.dumps({"cases": cases}), encoding="utf-8")
    return folder / "samples.json"


def _by_name(report: SelfTestReport) -> dict[str, Check]:
    return {c.name: c for c in report.checks}


@pytest.mark.slow
def test_a_sound_installation_passes_with_missing_tasks_reported_as_not_installed(
    tiny_models_dir: Path, few_samples: Path, tmp_path: Path
) -> None:
    report = run_self_test(SESSION, samples_file=few_samples, work_dir=tmp_path / "out")
    checks = _by_name(report)

    assert report.passed, report.table()
    assert checks["model pneumonia"].status is CheckStatus.PASS
    assert "tiny-pneumonia" in checks["model pneumonia"].detail
    for task in ("cardiomegaly", "osteoarthritis", "osteoporosis", "fracture"):
        assert checks[f"model {task}"].status is CheckStatus.NOT_INSTALLED
    chest = checks["sample chest/PNEUMONIA__person1177_virus_1999.jpeg"]
    assert chest.status is CheckStatus.PASS
    assert "pneumonia: p=" in chest.detail and "truth positive" in chest.detail
    assert checks["sample dicom/CR-MONO1-10-chest"].status is CheckStatus.PASS
    assert checks["pdf report"].status is CheckStatus.PASS
    assert (tmp_path / "out" / "self-test-report.pdf").read_bytes().startswith(b"%PDF-")
    assert "SELF-TEST PASSED" in report.table()


@pytest.mark.slow
def test_a_model_file_changed_after_registration_fails_the_model_and_its_samples(
    tiny_models_dir: Path, few_samples: Path
) -> None:
    model_file = tiny_models_dir / "tiny-pneumonia.keras"
    model_file.write_bytes(model_file.read_bytes()[:-10] + b"0123456789")

    report = run_self_test(SESSION, samples_file=few_samples)
    checks = _by_name(report)

    assert not report.passed
    assert checks["model pneumonia"].status is CheckStatus.FAIL
    assert "checksum mismatch" in checks["model pneumonia"].detail
    assert checks["sample chest/PNEUMONIA__person1177_virus_1999.jpeg"].status is CheckStatus.FAIL
    assert checks["sample knee/KL0__9006140L.png"].status is CheckStatus.PASS  # knee tasks have no model: fine
    assert "SELF-TEST FAILED" in report.table()


def test_an_inactive_registered_model_has_its_checksum_verified(
    tiny_models_dir: Path, few_samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = Registry.load(tiny_models_dir / "registry.json")
    registry.activate("pneumonia", None)
    registry.save()
    (tiny_models_dir / "tiny-pneumonia.keras").write_bytes(b"damaged")

    report = run_self_test(SESSION, samples_file=few_samples)
    check = _by_name(report)["checksum tiny-pneumonia"]
    assert check.status is CheckStatus.FAIL
    assert "sha256" in check.detail
    assert _by_name(report)["model pneumonia"].status is CheckStatus.NOT_INSTALLED


def test_a_missing_sample_file_fails_naming_it(
    tmp_path: Path, few_samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "models"
    Registry.empty(empty / "registry.json").save()
    monkeypatch.setenv("XRAY_DESKTOP_MODELS", str(empty))
    (few_samples.parent / "knee" / "KL0__9006140L.png").unlink()

    report = run_self_test(SESSION, samples_file=few_samples)
    check = _by_name(report)["sample knee/KL0__9006140L.png"]
    assert check.status is CheckStatus.FAIL
    assert "KL0__9006140L.png" in check.detail
    assert not report.passed


def test_a_broken_registry_fails_but_the_samples_are_still_checked(
    tmp_path: Path, few_samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "registry.json").write_text('{"schema_version": 1, "models": "oops"}', encoding="utf-8")
    monkeypatch.setenv("XRAY_DESKTOP_MODELS", str(folder))

    report = run_self_test(SESSION, samples_file=few_samples)
    checks = _by_name(report)
    assert checks["model registry"].status is CheckStatus.FAIL
    assert "models" in checks["model registry"].detail
    assert checks["sample knee/KL0__9006140L.png"].status is CheckStatus.PASS
    assert not report.passed


def test_the_cli_prints_the_table_and_exits_0_on_the_bundled_samples_with_no_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "models"
    Registry.empty(empty / "registry.json").save()
    monkeypatch.setenv("XRAY_DESKTOP_MODELS", str(empty))

    code = main(["self-test", "--no-gui"])

    out = capsys.readouterr().out
    assert code == 0, out
    assert "model fracture" in out and "not installed" in out
    assert "sample dicom/CR-MONO1-10-chest" in out
    assert "SELF-TEST PASSED" in out


def test_the_cli_exits_1_when_a_check_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XRAY_DESKTOP_MODELS", str(tmp_path / "no-such-folder"))
    assert main(["self-test", "--no-gui"]) == 1
    out = capsys.readouterr().out
    assert "model registry not found" in out
    assert "SELF-TEST FAILED" in out


@pytest.mark.slow
def test_the_window_starts_offscreen_on_a_sample_and_saves_a_screenshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "models"
    Registry.empty(empty / "registry.json").save()
    monkeypatch.setenv("XRAY_DESKTOP_MODELS", str(empty))
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")

    check = gui_check(samples_dir() / CASES[0], tmp_path / "shot.png", timeout_s=240)

    assert check.status is CheckStatus.PASS, check.detail
    assert (tmp_path / "shot.png").stat().st_size > 1000


def test_a_window_that_cannot_start_is_a_failure_not_a_hang(tmp_path: Path) -> None:
    check = gui_check(tmp_path / "missing.png", tmp_path / "shot.png", timeout_s=120)
    assert check.status is CheckStatus.FAIL
    assert "exit code" in check.detail and "missing.png" in check.detail


def test_the_report_gets_the_first_cases_that_have_a_model_result() -> None:
    from xray_desktop.results import AnalysisResult, TaskResult, TaskStatus
    from xray_desktop.services.selftest import _keep_for_report

    def case(name: str, status: TaskStatus) -> AnalysisResult:
        return AnalysisResult(path=name, results=[TaskResult("pneumonia", status)])

    kept: list[AnalysisResult] = []
    for analysis in (
        case("knee-none", TaskStatus.NOT_INSTALLED),
        case("chest-1", TaskStatus.OK),
        case("chest-2", TaskStatus.OK),
        case("chest-3", TaskStatus.OK),
    ):
        kept = _keep_for_report(kept, analysis)
    assert [a.path for a in kept] == ["chest-1", "chest-2"]
    assert [a.path for a in _keep_for_report([], case("knee-none", TaskStatus.NOT_INSTALLED))] == ["knee-none"]


def test_the_data_folder_row_says_where_the_data_key_is(isolated_home: Path) -> None:
    from xray_desktop.services.selftest import data_folder_check

    check, audit = data_folder_check()
    assert check.status is CheckStatus.PASS
    assert str(isolated_home) in check.detail and "OS keyring" in check.detail  # the tests' in-memory keyring
    assert audit is not None
