"""XRay Desktop: an offline, explainable X-ray analysis workstation (research and teaching only)."""

__version__ = "0.1.0"

DISCLAIMER = "Research and teaching use only — not a medical device"
