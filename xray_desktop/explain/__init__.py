"""Explainability: class-activation maps (TensorFlow, in `cam`) and their rendering (NumPy/OpenCV, in `overlay`).

Importing this package does not import TensorFlow; `xray_desktop.explain.cam` does.
"""

METHODS: tuple[str, ...] = ("gradcam", "gradcam++", "scorecam")
METHOD_NAMES: dict[str, str] = {"gradcam": "Grad-CAM", "gradcam++": "Grad-CAM++", "scorecam": "Score-CAM"}
