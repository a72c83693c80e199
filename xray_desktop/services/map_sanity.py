"""Which map methods failed the weight-randomisation check on a model, read from its registry entry.

`explain-eval` runs the check (Adebayo et al. 2018) on every method and records each verdict in the entry's
`map_sanity` (and on the card). A method that failed draws nearly the same map whatever the model learnt, so its
maps on that model are shown with a warning (window, PDF, `analyze`, the batch CSV), not silently like a checked
one. The verdicts live in the entry, not only on the card, so a model imported as a package keeps them.
"""

from __future__ import annotations

from xray_desktop.cam_methods import METHOD_NAMES
from xray_desktop.models.registry import ModelEntry


def sanity_warning(entry: ModelEntry, method: str) -> str | None:
    """The warning for `method`'s maps on `entry`, or None (passed, or never checked: the card says which)."""
    result = entry.map_sanity.get(method)
    if not isinstance(result, dict) or result.get("passed", True):
        return None
    name = METHOD_NAMES.get(method, method)
    rho = float(result.get("mean_spearman", float("nan")))
    return (
        f"{name} failed the weight-randomisation check on this model (ρ {rho:.2f} with its top layers scrambled, "
        f"bound {result.get('bound', 0.5)}): the map shows little of what the model learnt; prefer Grad-CAM"
    )
