"""Every error a user meets ends in one readable dialog; unexpected ones are logged with their traceback."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import QMessageBox, QWidget

from xray_desktop.errors import XRayError
from xray_desktop.paths import logs_dir, private_file
from xray_desktop.privacy import RedactPathsFilter

log = logging.getLogger("xray_desktop.ui")


def describe(exc: BaseException) -> str:
    """Known errors already name the file and reason; anything else gets its type and a pointer to the log."""
    if isinstance(exc, XRayError):
        return str(exc)
    return f"Unexpected error ({type(exc).__name__}): {exc}\n\nDetails were written to {log_file()}."


def log_file() -> str:
    return str(logs_dir() / "xray-desktop.log")


def configure_logging() -> None:
    """Log to the per-user logs folder (IT staff find it there); idempotent."""
    root = logging.getLogger("xray_desktop")
    if any(getattr(h, "_xray", False) for h in root.handlers):
        return
    handler = logging.FileHandler(private_file(Path(log_file())), encoding="utf-8")  # owner-only (0600)
    handler.addFilter(RedactPathsFilter())  # INFO and above: file names, never the folders above them
    handler._xray = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def show_error(parent: QWidget | None, title: str, exc: BaseException | str) -> None:
    """One modal message; the program carries on afterwards."""
    if isinstance(exc, BaseException):
        if not isinstance(exc, XRayError):
            log.error("%s: %s", title, "".join(traceback.format_exception(exc)))
        text = describe(exc)
    else:
        text = exc
    QMessageBox.critical(parent, title, text)


def install_excepthook(parent_getter: Callable[[], QWidget | None]) -> None:
    """Route exceptions that escape a Qt slot on the GUI thread to a dialog instead of stderr only."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, exc, tb)
            return
        log.error("unhandled: %s", "".join(traceback.format_exception(kind, exc, tb)))
        try:
            show_error(parent_getter(), "Error", exc)
        except Exception:  # the dialog itself failed: fall back to the previous hook
            previous(kind, exc, tb)

    sys.excepthook = hook
