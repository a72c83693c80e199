"""Idle auto-lock for the window: user input counts as activity; a timer asks the Qt-free policy when to lock."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer

from xray_desktop.security.idle import IdleLock

ACTIVITY_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)


class IdleGuard(QObject):
    """Install on the QApplication; calls `on_lock()` once the idle time has passed."""

    def __init__(self, lock: IdleLock, on_lock: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lock = lock
        self._on_lock = on_lock
        self._locking = False
        self.timer = QTimer(self)
        self.timer.setInterval(5000)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in ACTIVITY_EVENTS:
            self.lock.activity()
        return False

    def check(self) -> None:
        if not self._locking and self.lock.should_lock():
            self._locking = True
            try:
                self._on_lock()
            finally:
                self._locking = False
