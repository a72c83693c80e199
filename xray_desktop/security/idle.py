"""Idle auto-lock as a Qt-free policy: the UI reports activity and asks, on a timer, whether to lock."""

from __future__ import annotations

import time
from collections.abc import Callable

DEFAULT_IDLE_MINUTES = 10.0


class IdleLock:
    """Locks after `minutes` without activity; `minutes <= 0` disables auto-lock.

    The window calls `activity()` from its event filter (key/mouse), polls `should_lock()` from a
    QTimer, shows the login dialog when it is True, and calls `unlocked()` after a successful login.
    """

    def __init__(self, minutes: float = DEFAULT_IDLE_MINUTES, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.minutes = float(minutes)
        self._last = clock()
        self._locked = False

    @property
    def enabled(self) -> bool:
        return self.minutes > 0

    @property
    def locked(self) -> bool:
        return self._locked

    def set_minutes(self, minutes: float) -> None:
        """Change the timeout (settings dialog); counts from the last activity."""
        self.minutes = float(minutes)

    def activity(self) -> None:
        """Any user input; ignored while locked (only a login unlocks)."""
        if not self._locked:
            self._last = self.clock()

    def seconds_left(self) -> float:
        """Seconds until the lock engages (inf when disabled, 0 when locked)."""
        if self._locked:
            return 0.0
        if not self.enabled:
            return float("inf")
        return max(0.0, self.minutes * 60.0 - (self.clock() - self._last))

    def should_lock(self) -> bool:
        """True once idle long enough; the lock then stays engaged until `unlocked()`."""
        if not self._locked and self.enabled and self.seconds_left() <= 0:
            self._locked = True
        return self._locked

    def lock_now(self) -> None:
        self._locked = True

    def unlocked(self) -> None:
        self._locked = False
        self._last = self.clock()
