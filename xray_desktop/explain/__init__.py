"""Explainability: class-activation maps (TensorFlow, in `cam`) and their rendering (NumPy/OpenCV, in `overlay`).

Importing this package does not import TensorFlow; `xray_desktop.explain.cam` does.
"""

from xray_desktop.cam_methods import METHOD_NAMES, METHODS

__all__ = ["METHODS", "METHOD_NAMES"]
