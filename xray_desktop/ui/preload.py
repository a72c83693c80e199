"""Load the models' ONNX Runtime sessions on a model thread while the login dialog is open.

The login takes the user seconds; opening every installed model's sessions takes a fraction
of that, so the first film opened after login is analysed at once. The preload shares its
engine (and so its loaded models) with the window; the window's own model thread takes over
after login and the preload thread is stopped. Only for ONNX Runtime: TensorFlow keeps its
models on the one thread that loaded them.
"""

from __future__ import annotations

from xray_desktop.ui.engine import AnalysisEngine, WarmUpJob
from xray_desktop.ui.worker import ModelThread


class SessionPreload:
    """`start()` before the login; pass `engine` to the window after it; `stop()` once the window has its thread.

    No session is needed: loading is nobody's action; each analysis job carries the session it runs for.
    """

    def __init__(self, engine: AnalysisEngine | None = None) -> None:
        self.engine = engine or AnalysisEngine()
        self.thread: ModelThread | None = None
        self.report: object = None

    def start(self) -> bool:
        """Queue the warm-up on a model thread; False (nothing started) when the backend is not ONNX Runtime."""
        from xray_desktop.models.backend import resolve_backend

        if resolve_backend() != "onnxruntime":
            return False
        self.thread = ModelThread(self.engine)
        self.thread.submit(WarmUpJob(), on_result=self._done, on_failed=self._done)
        return True

    def _done(self, value: object) -> None:
        self.report = value

    def stop(self, wait_ms: int = 30000) -> None:
        """Let the current model finish loading, then end the preload thread (the rest loads on the window's)."""
        if self.thread is not None:
            self.thread.shutdown(wait_ms)
            self.thread = None
