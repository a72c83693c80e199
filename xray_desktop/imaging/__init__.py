"""Loading images into Radiograph values, DICOM metadata and plausibility checks (no Qt, no TensorFlow).

Importing this package costs only numpy: PIL and pydicom load on the first image of their kind.
"""

from xray_desktop.imaging.dicom import DicomMetadata
from xray_desktop.imaging.loader import SUPPORTED_SUFFIXES, load_radiograph
from xray_desktop.imaging.quality import Plausibility, assess_plausibility
from xray_desktop.radiograph import Radiograph

__all__ = [
    "SUPPORTED_SUFFIXES",
    "DicomMetadata",
    "Plausibility",
    "Radiograph",
    "assess_plausibility",
    "load_radiograph",
]
