"""Keep TensorFlow's native start-up chatter off stderr, so a CLI run's stderr carries only real problems.

TensorFlow 2.16+ logs through absl from C++ *while it is being imported* ("All log messages before
absl::InitializeLog() ...", "oneDNN custom operations are on ...", CPU feature notes), and ignores
`TF_CPP_MIN_LOG_LEVEL` for those lines. `install()` sets the documented variables and adds an import
hook that, for the one `import tensorflow`, points file descriptor 2 at a temporary file; if the import
fails, what was captured is written back to stderr, so a broken installation still explains itself.
Leaf module: imports nothing of ours, touches nothing until `install()` is called.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import logging
import os
import sys
import tempfile
import types
from collections.abc import Iterator, Sequence
from typing import Any

QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "ABSL_MIN_LOG_LEVEL": "3"}


@contextlib.contextmanager
def native_stderr_captured() -> Iterator[None]:
    """Send fd 2 to a temporary file for the duration; replay it to stderr only when the body raises."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, AttributeError, ValueError):  # no real fd 2 (a windowed bundle): nothing to hide
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            capture.seek(0)
            os.write(2, capture.read())
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, inner: importlib.abc.Loader) -> None:
        self._inner = inner

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self._inner.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        with native_stderr_captured():
            self._inner.exec_module(module)
        for name in ("tensorflow", "absl", "h5py"):
            logging.getLogger(name).setLevel(logging.ERROR)

    def __getattr__(self, name: str) -> Any:  # resource readers and the like come from the real loader
        return getattr(self._inner, name)


class _QuietTensorFlowFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "tensorflow":
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)  # once: the real finders locate the package
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


def install() -> None:
    """Set the quiet variables (unless the user set them) and hook the first `import tensorflow`."""
    for name, value in QUIET_ENV.items():
        os.environ.setdefault(name, value)
    if "tensorflow" in sys.modules or any(isinstance(f, _QuietTensorFlowFinder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _QuietTensorFlowFinder())
