"""Shared fixtures. Every test gets its own data folder, so none touches a real user's files.

Helpers: add fixtures here by appending (never rewrite the file); keep each fixture documented.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point XRAY_DESKTOP_HOME at a fresh folder and cap training steps for every test."""
    home = tmp_path / "xray_home"
    monkeypatch.setenv("XRAY_DESKTOP_HOME", str(home))
    monkeypatch.setenv("XRAY_DESKTOP_MAX_STEPS", "2")
    return home


@pytest.fixture
def dicom_mono1() -> Path:
    """Real CR chest DICOM: 10-bit MONOCHROME1, no preamble/file meta, no extension."""
    return FIXTURES / "dicom" / "CR-MONO1-10-chest"


@pytest.fixture
def dicom_modality_lut() -> Path:
    """Real CR dental DICOM: JPEG Lossless with a Modality LUT Sequence."""
    return FIXTURES / "dicom" / "CR-ModalitySequenceLUT.dcm"
