"""Nothing the program does opens a network connection: analysis, explanation, reports, model packages, self-test.

Every socket constructor and name lookup is replaced by a tripwire that records the attempt *and* raises. The
tests assert on the record, not only on the absence of an exception, because library code sometimes swallows a
failed connection (a "check for updates" in a try/except would otherwise go unnoticed).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from xray_desktop.paths import samples_dir
from xray_desktop.security.permissions import Role
from xray_desktop.services.session import Session

DOCTOR = Session("dr", Role.DOCTOR)
ADMIN = Session("it-admin", Role.ADMIN)


class NetworkAttempt(AssertionError):
    """Raised by the tripwire; an AssertionError so a broad `except Exception` in library code cannot hide it."""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Forbid socket creation and DNS for the test; yields the list of attempts (must stay empty)."""
    attempts: list[str] = []

    def tripwire(name: str):  # type: ignore[no-untyped-def]
        def refuse(*args: object, **kwargs: object) -> None:
            attempts.append(f"{name}{args!r}")
            raise NetworkAttempt(f"network use attempted: {name}{args!r}")

        return refuse

    for name in ("socket", "create_connection", "getaddrinfo", "gethostbyname", "create_server", "fromfd"):
        monkeypatch.setattr(socket, name, tripwire(name))
    yield attempts


def test_the_tripwire_catches_a_real_connection_attempt(no_network: list[str]) -> None:
    """Control: without this, a tripwire that never fires would make every test below pass vacuously."""
    import urllib.request

    with pytest.raises((NetworkAttempt, OSError)):
        urllib.request.urlopen("http://192.0.2.1/", timeout=1)  # TEST-NET-1: never routable
    assert no_network, "urllib reached the network without going through the patched socket module"


@pytest.mark.slow
def test_analysis_with_heatmap_and_a_pdf_report_make_no_network_connection(
    tiny_models_dir: Path, tmp_path: Path, no_network: list[str]
) -> None:
    from xray_desktop.results import TaskStatus
    from xray_desktop.services.analyze import analyze_image
    from xray_desktop.services.providers import default_provider
    from xray_desktop.services.report import export_report

    manager = default_provider()
    analyses = [
        analyze_image(DOCTOR, samples_dir() / name, manager=manager, tasks="pneumonia", method=method)
        for name, method in (
            ("chest/PNEUMONIA__person516_virus_1033.jpeg", "gradcam"),
            ("dicom/CR-MONO1-10-chest", "gradcam++"),
        )
    ]
    for analysis in analyses:
        result = analysis.result_for("pneumonia")
        assert result is not None and result.status is TaskStatus.OK, result
        assert result.heatmap is not None
    pdf = export_report(DOCTOR, analyses, tmp_path / "report.pdf")

    assert pdf.read_bytes().startswith(b"%PDF-")
    assert no_network == []


@pytest.mark.slow
def test_model_package_export_and_import_make_no_network_connection(
    tiny_models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: list[str]
) -> None:
    from xray_desktop.models.registry import Registry
    from xray_desktop.services.model_package_export import export_package
    from xray_desktop.services.model_package_import import import_package

    package = export_package(ADMIN, "tiny-pneumonia", tmp_path / "tiny.xrm")
    target = tmp_path / "other_models"
    monkeypatch.setenv("XRAY_DESKTOP_MODELS", str(target))
    entry = import_package(ADMIN, package, activate=True)  # includes the Keras load check

    assert Registry.load(target / "registry.json").active_entry("pneumonia").id == entry.id
    assert no_network == []


@pytest.mark.slow
def test_the_self_test_makes_no_network_connection(tiny_models_dir: Path, no_network: list[str]) -> None:
    from xray_desktop.services.selftest import CheckStatus, run_self_test

    report = run_self_test(DOCTOR, gui=False)

    # The tiny square-trained test models answer real films at random, so the known-answer checks may fail;
    # every other check (checksums, loading, maps, the PDF) must pass with the network unplugged.
    failures = [c for c in report.checks if c.status is CheckStatus.FAIL]
    assert all("answered" in c.detail and "truth" in c.detail for c in failures), report.table()
    assert any(c.status is CheckStatus.PASS and c.name == "pdf report" for c in report.checks), report.table()
    assert no_network == []
