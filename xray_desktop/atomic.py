"""Atomic file writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike[str], mode: str = "w", *, permissions: int | None = None, **kwargs: object
) -> Iterator[IO]:
    """Open a temporary file beside `path`; on success fsync it and rename it over `path`.

    On any exception the temporary file is removed and `path` is untouched. The new file keeps the
    old file's permissions, else gets `permissions`, else the usual umask-based default (mkstemp's
    0600 would make shared files such as the model registry unreadable to other users).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.chmod(tmp_name, _permissions_for(target, permissions))
        with os.fdopen(fd, mode, **kwargs) as handle:  # type: ignore[call-overload]
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
        _fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, permissions: int | None = None) -> None:
    with atomic_open(path, "wb", permissions=permissions) as handle:
        handle.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str, *, permissions: int | None = None) -> None:
    with atomic_open(path, "w", permissions=permissions, encoding="utf-8") as handle:
        handle.write(text)


def _permissions_for(target: Path, requested: int | None) -> int:
    if requested is not None:
        return requested
    try:
        return target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def check_writable_folder(folder: str | os.PathLike[str]) -> Path:
    """Create `folder` if needed and prove a file can be written there, before any work is done.

    Raises OSError (with the folder in its message) so callers turn it into their one-line error.
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    fd, probe = tempfile.mkstemp(prefix=".write-check.", dir=target)
    os.close(fd)
    os.unlink(probe)
    return target
