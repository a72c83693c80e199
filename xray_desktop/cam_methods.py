"""The explanation methods by id and display name: a value list that settings, results and explain all share."""

METHODS: tuple[str, ...] = ("gradcam", "gradcam++", "scorecam")
METHOD_NAMES: dict[str, str] = {"gradcam": "Grad-CAM", "gradcam++": "Grad-CAM++", "scorecam": "Score-CAM"}
