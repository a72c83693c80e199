"""Errors that reach users, each with the CLI exit code it maps to.

Every message names the file (or model, or user) and the reason in plain words,
because it is shown as-is in a dialog or on stderr.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_MODEL = 4
EXIT_NOT_ALLOWED = 5


class XRayError(Exception):
    """Base class for errors that are shown to a user instead of a traceback."""

    exit_code = 1


class UsageError(XRayError):
    exit_code = EXIT_USAGE


class ImageLoadError(XRayError):
    """An input file could not be turned into a Radiograph."""

    exit_code = EXIT_INPUT

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class InputError(XRayError):
    """Any other unusable input file (bad CSV, bad settings file, bad model package)."""

    exit_code = EXIT_INPUT


class ModelUnavailableError(XRayError):
    """A model is missing, corrupt, mismatched or incompatible. Never replaced by a fallback."""

    exit_code = EXIT_MODEL


class RegistryError(ModelUnavailableError):
    """The registry file itself is missing or does not follow the schema."""


class NotAllowedError(XRayError):
    """Authentication failed or the logged-in role lacks a permission."""

    exit_code = EXIT_NOT_ALLOWED


class StoreError(XRayError):
    """The encrypted store is tampered, truncated or keyed wrongly; it is left untouched."""

    exit_code = EXIT_INPUT
