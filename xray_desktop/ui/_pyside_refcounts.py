"""Guard against PySide6 6.12.0 on CPython 3.11 releasing references to None and True that it never took.

Measured here (tests/test_ui_pyside_refcounts.py): each call of a Qt method that returns
void (setText, setValue, processEvents, ...) drops one reference to None, and each
Signal.emit() drops one to True. CPython 3.12+ makes these singletons immortal, so
the bug is invisible there; on 3.11 their counts fall with every call until the
interpreter aborts with "deallocating None" (or crashes elsewhere) after some
thousands of GUI operations. We make them effectively immortal the way 3.12 does:
add 2**40 to their reference counts once, before any Qt call. That is harmless if
PySide is fixed, because these singletons are never freed anyway.
"""

from __future__ import annotations

import ctypes
import sys

RESERVE = 1 << 40


def immortalize_singletons() -> bool:
    """Top up the reference counts of None/True/False/Ellipsis/NotImplemented; True when applied."""
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    for obj in (None, True, False, Ellipsis, NotImplemented):
        count = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is the first field of every object
        if count.value < RESERVE:
            count.value += RESERVE
    return True
