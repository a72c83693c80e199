"""The training scripts' JSON reports: printed, and written atomically where `--out` names a file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from xray_desktop.atomic import atomic_write_text


def emit_report(report: dict[str, Any], out: Path | None) -> None:
    """Print `report` as indented JSON and, with `out`, write the same text there (never half-written)."""
    text = json.dumps(report, indent=2) + "\n"
    if out:
        atomic_write_text(out, text)
    print(text)
