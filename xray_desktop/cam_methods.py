"""The explanation methods by id and display name: a value list that settings, results and explain all share."""

METHODS: tuple[str, ...] = ("gradcam", "gradcam++", "layercam", "scorecam")
METHOD_NAMES: dict[str, str] = {
    "gradcam": "Grad-CAM",
    "gradcam++": "Grad-CAM++",
    "layercam": "Layer-CAM",
    "scorecam": "Score-CAM",
}
MARKER_WARNING = "this map points at a film marker, not at anatomy"


def faithfulness_text(score: float | None, random_score: float | None) -> str:
    """'faithfulness 0.71 — a random map scores 0.50' (or '' when the map was not checked)."""
    if score is None:
        return ""
    text = f"faithfulness {score:.2f}"
    return text if random_score is None else f"{text} — a random map scores {random_score:.2f}"
