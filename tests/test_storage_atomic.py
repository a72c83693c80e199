"""Atomic writes: the old file survives a failed write; permissions are kept or set, never surprising."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from xray_desktop.atomic import atomic_open, atomic_write_bytes, atomic_write_text


def test_failed_write_leaves_previous_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "registry.json"
    atomic_write_text(target, "old")
    with pytest.raises(RuntimeError), atomic_open(target, "w") as handle:
        handle.write("half-writ")
        raise RuntimeError("crash in the middle")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["registry.json"]


def test_new_file_is_readable_by_others_like_a_normal_file(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "model.keras", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "model.keras").stat().st_mode) == 0o644


def test_existing_permissions_are_kept_and_explicit_ones_win(tmp_path: Path) -> None:
    kept = tmp_path / "kept"
    kept.write_text("a")
    kept.chmod(0o640)
    atomic_write_text(kept, "b")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    secret = tmp_path / "secret"
    atomic_write_bytes(secret, b"k", permissions=0o600)
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
