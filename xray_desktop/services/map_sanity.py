"""Which map methods failed the weight-randomisation check on a model, read from its card.

`explain-eval` runs the check (Adebayo et al. 2018) on every method and writes it on the model card. A method
that failed draws nearly the same map whatever the model learnt, so its maps on that model are shown with a
warning (window, PDF, `analyze`), not silently like a checked one.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from xray_desktop.cam_methods import METHOD_NAMES
from xray_desktop.models.registry import ModelEntry, Registry


def sanity_warning(registry: Registry, entry: ModelEntry, method: str) -> str | None:
    """The warning for `method`'s maps on `entry`, or None (passed, or never checked: the card says which)."""
    card = registry.card_path(entry)
    if card is None:
        return None
    path = card.with_suffix(".json")
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return None
    result = _sanity_results(path, stamp).get(method)
    if not isinstance(result, dict) or result.get("passed", True):
        return None
    name = METHOD_NAMES.get(method, method)
    rho = float(result.get("mean_spearman", float("nan")))
    return (
        f"{name} failed the weight-randomisation check on this model (ρ {rho:.2f} with its top layers scrambled, "
        f"bound {result.get('bound', 0.5)}): the map shows little of what the model learnt; prefer Grad-CAM"
    )


@lru_cache(maxsize=16)
def _sanity_results(path: Path, stamp: int) -> dict[str, Any]:
    """The card's `explanations.sanity` ({} when unreadable); `stamp` (mtime) re-reads a rewritten card."""
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    sanity = (card.get("explanations") or {}).get("sanity") if isinstance(card, dict) else None
    return sanity if isinstance(sanity, dict) else {}
