"""The engine boundary: what the services need from whatever runs the models.

Today `models.manager.ModelManager` (Keras) satisfies `ModelProvider`; another runtime (ONNX Runtime)
can sit behind the same two Protocols without the services changing. The services only ever ask a
provider for its registry (or swap it after an import), for a loaded and verified model (`load`),
and to warm models up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from xray_desktop.models.registry import ModelEntry, Registry
from xray_desktop.progress import Progress


class Explainer(Protocol):
    """`explainer(batch) -> (raw probabilities (n,), maps (n, fh, fw) in [0, 1])` for one model and method."""

    def __call__(self, batch: np.ndarray, /) -> tuple[np.ndarray, np.ndarray]: ...


ExplainerFactory = Callable[[Any, str, Sequence[str]], Explainer]
"""(the runtime's model object, method, the entry's `cam_layers`) -> an explainer; injected so `models`
never imports `explain`. Empty `cam_layers`: the explainer's default layer."""


class Predictor(Protocol):
    """One verified model ready to run: predictions through one compiled function, and its explainers."""

    @property
    def entry(self) -> ModelEntry: ...

    def predict_raw(self, batch: np.ndarray) -> np.ndarray: ...

    def predict(self, batch: np.ndarray) -> np.ndarray: ...

    def explainer(self, method: str) -> Explainer: ...


@dataclass
class WarmUpStatus:
    """What warming one task's model came to: "ready", "no model installed for <task>", or why it failed."""

    task: str
    model_id: str | None
    ok: bool
    message: str


class ModelProvider(Protocol):
    """Loads the models a registry names and hands out compiled predictors; never substitutes a bad one."""

    @property
    def registry(self) -> Registry: ...

    def set_registry(self, registry: Registry) -> None: ...

    def load(self, entry: ModelEntry) -> Predictor: ...

    def warm_up(self, tasks: Iterable[str] | None = None, progress: Progress | None = None) -> list[WarmUpStatus]: ...
