"""The one way to hop to the GUI thread (what superqt's `ensure_main_thread` does, in a few lines).

Services call their subscribers on whatever thread made the change; widgets may only be touched
on the GUI thread. `call_on_gui_thread(fn)` queues `fn` to the GUI thread's event loop from any
thread (and still queues it when called on the GUI thread, so the caller's frame finishes first).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal, Slot


class _Dispatcher(QObject):
    call = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.call.connect(self._run, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _run(self, fn: Callable[[], object]) -> None:
        fn()


_dispatcher: _Dispatcher | None = None
_lock = threading.Lock()


def call_on_gui_thread(fn: Callable[[], object]) -> None:
    """Run `fn` soon on the GUI thread, whichever thread calls this."""
    global _dispatcher
    with _lock:
        if _dispatcher is None:
            app = QCoreApplication.instance()
            if app is None:
                raise RuntimeError("call_on_gui_thread needs a running QApplication")
            _dispatcher = _Dispatcher()
            _dispatcher.moveToThread(app.thread())
        dispatcher = _dispatcher
    dispatcher.call.emit(fn)
