"""Explainability: class-activation maps (TensorFlow, in `cam`) and their rendering (NumPy/OpenCV, in `overlay`).

Importing this package does not import TensorFlow; `xray_desktop.explain.cam` does.
"""

from xray_desktop.cam_methods import MARKER_WARNING, METHOD_NAMES, METHODS, faithfulness_text

__all__ = ["MARKER_WARNING", "METHODS", "METHOD_NAMES", "faithfulness_text"]
