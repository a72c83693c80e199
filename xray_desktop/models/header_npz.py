"""Fitted data stored with a model (population gate, body-part router): one `.npz` with a JSON header.

Both files are written and read the same way, so both refuse a missing, changed or unreadable file with
the same words; what each header and array means stays with its owner.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from xray_desktop.errors import ModelUnavailableError
from xray_desktop.models.checksum import sha256_file


def header_npz_bytes(header: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> bytes:
    """The file's bytes: `header` as UTF-8 JSON in a uint8 array named "header", next to `arrays`."""
    buffer = io.BytesIO()
    packed: dict[str, Any] = {"header": np.frombuffer(json.dumps(header).encode(), dtype=np.uint8), **arrays}
    np.savez_compressed(buffer, **packed)
    return buffer.getvalue()


def read_header_npz(path: Path, sha256: str | None, what: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(header, arrays) of the file at `path`, its checksum checked first when `sha256` is given.

    Raises:
        ModelUnavailableError: missing, changed (checksum) or unreadable file; `what` names it in the message.
    """
    if not path.is_file():
        raise ModelUnavailableError(f"{what} {path.name} is missing")
    if sha256 is not None and sha256_file(path) != sha256:
        raise ModelUnavailableError(f"{what} {path.name}: checksum mismatch; not used")
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(bytes(data["header"]).decode())
            arrays = {k: np.asarray(data[k]) for k in data.files if k != "header"}
    except Exception as exc:  # a truncated zip, bad JSON or a missing header all mean "not usable"
        raise unreadable(path, what, exc) from None
    return header, arrays


def unreadable(path: Path, what: str, exc: BaseException) -> ModelUnavailableError:
    """The error for a file that opened but does not hold what its owner needs."""
    return ModelUnavailableError(f"{what} {path.name} is unreadable ({exc})")
