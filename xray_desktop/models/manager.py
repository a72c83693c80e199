"""Load, verify and cache the models the registry names; never substitute anything for a bad one.

Order of checks for every load: the file exists -> its SHA-256 matches the registry ->
Keras loads it (compile=False, safe_mode=True) -> its input shape is the registry's ->
it has one output of width 1. Any failure raises `ModelUnavailableError` naming the model,
the file and the reason; other tasks keep working. TensorFlow is imported on first load,
never when this module is imported, so the window can appear first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from xray_desktop.errors import ModelUnavailableError
from xray_desktop.gate_features import gate_features, with_gate_layer
from xray_desktop.models.backend import Exporter
from xray_desktop.models.checksum import sha256_file
from xray_desktop.models.loaded_common import LoadedCommon
from xray_desktop.models.onnx_runtime import OnnxModel
from xray_desktop.models.population_gate import gate_layer_of
from xray_desktop.models.provider import Explainer, ExplainerFactory, WarmUpStatus
from xray_desktop.models.registry import ModelEntry, Registry
from xray_desktop.progress import Progress
from xray_desktop.tasks import TASK_NAMES


@dataclass
class LoadedModel(LoadedCommon):
    """A verified Keras model with its registry entry, a compiled predict and cached explainers."""

    entry: ModelEntry
    model: Any
    path: Path
    load_seconds: float
    explainer_factory: ExplainerFactory | None = field(default=None, repr=False)
    _predict_fn: Any = field(default=None, repr=False)
    _explainers: dict[str, Explainer] = field(default_factory=dict, repr=False)
    _gate: Any = field(default=None, repr=False)  # the PopulationGate, read on first use
    _features_fns: dict[str | None, Any] = field(default_factory=dict, repr=False)  # gate layer -> compiled pass
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def predict_raw(self, batch: np.ndarray) -> np.ndarray:
        """(n, h, w, c) float32 -> (n,) uncalibrated probabilities, through one compiled function."""
        if self._predict_fn is None:
            import tensorflow as tf

            with self._lock:
                if self._predict_fn is None:
                    spec = tf.TensorSpec((None, *self.entry.spec.input_shape), tf.float32)
                    model = self.model
                    wrap = isinstance(model.input, list | tuple)  # call with the structure it was built with

                    def forward(x: Any) -> Any:
                        return model([x] if wrap else x, training=False)[:, 0]

                    self._predict_fn = tf.function(forward, input_signature=[spec])
        return np.asarray(self._predict_fn(np.asarray(batch, dtype=np.float32)).numpy())

    def features_for_gate(self, batch: np.ndarray, layer: str | None) -> tuple[np.ndarray, np.ndarray | None]:
        """Like `predict_with_features` for a gate reading `layer` (what fitting a new gate uses)."""
        with self._lock:
            if layer not in self._features_fns:
                from xray_desktop.models.features import compile_features

                self._features_fns[layer] = compile_features(self.model, self.entry.spec.input_shape, layer)
        fn = self._features_fns[layer]
        if fn is False:
            return self.predict_raw(batch), None
        probs, feats, acts = fn(np.asarray(batch, dtype=np.float32))
        return probs.numpy(), gate_features(feats.numpy(), None if acts is None else acts.numpy())

    backend = "tensorflow"

    def explainer(self, method: str) -> Explainer:
        """The cached explainer for `method` on the registry's `cam_layers` (built by the manager's factory)."""
        with self._lock:
            if method not in self._explainers:
                if self.explainer_factory is None:
                    raise ModelUnavailableError(f"model {self.entry.id!r}: this model manager computes no maps")
                explainer = self.explainer_factory(self.model, method, tuple(self.entry.cam_layers))
                self._explainers[method] = with_gate_layer(explainer, gate_layer_of(self.entry.population_check))
            return self._explainers[method]


Loaded = LoadedModel | OnnxModel  # what `load` hands out: Keras, or the exported ONNX graphs


class ModelManager:
    """Thread-safe cache of loaded Keras models, keyed by model id and checksum; a `ModelProvider`.

    `explainers` builds a map explainer for a loaded model and a method; the services pass
    `explain.cam.CamExplainer` (see `services.providers`), so this layer never imports `explain`.
    `backend`: "tensorflow" (Keras; export, training and their tests) or "onnxruntime" (the exported
    graphs; what `services.providers.default_provider` picks for analysis). `exporter(registry, entry)`
    makes the graphs of an entry that has none (training side, injected for the same reason).
    """

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        explainers: ExplainerFactory | None = None,
        backend: str = "tensorflow",
        threads: int | None = None,
        exporter: Exporter | None = None,
    ) -> None:
        from xray_desktop.models.backend import resolve_backend

        self._registry = registry
        self._explainers = explainers
        self.backend = resolve_backend(backend)
        self.threads = threads  # ONNX Runtime threads per model (None: $XRAY_DESKTOP_THREADS or the cores)
        self._exporter = exporter
        self._cache: dict[tuple[str, str], Loaded] = {}
        self._routers: dict[tuple[str, str], Any] = {}
        self._lock = threading.RLock()

    @property
    def registry(self) -> Registry:
        """The registry in use; loaded from the default location on first access."""
        with self._lock:
            if self._registry is None:
                self._registry = Registry.load()
            return self._registry

    def set_registry(self, registry: Registry) -> None:
        """Swap in an updated registry (after import/activate); cached models no longer named are dropped."""
        with self._lock:
            self._registry = registry
            keep = {(m.id, m.sha256) for m in registry.models}
            self._cache = {k: v for k, v in self._cache.items() if k in keep}

    def router(self) -> tuple[Any, str | None]:
        """The registry's body-part router (checksum verified, read once per sha256), or (None, why not)."""
        record = self.registry.router or {}
        if not record.get("file"):
            return None, None
        from xray_desktop.models.router import BodyPartRouter

        with self._lock:
            key = ("router", str(record.get("sha256")))
            if key not in self._routers:
                try:
                    self._routers[key] = BodyPartRouter.from_file(
                        self.registry.models_dir / record["file"], record.get("sha256")
                    )
                except ModelUnavailableError as exc:
                    return None, str(exc)
            return self._routers[key], None

    def is_loaded(self, model_id: str) -> bool:
        with self._lock:
            return any(key[0] == model_id for key in self._cache)

    def for_task(self, task: str) -> Loaded:
        """The active model for `task`, loaded and verified.

        Raises:
            ModelUnavailableError: no model installed for the task, or the model cannot be used.
        """
        entry = self.registry.active_entry(task)
        if entry is None:
            raise ModelUnavailableError(f"no model installed for {task}")
        return self.load(entry)

    def load(self, entry: ModelEntry) -> Loaded:
        """Load `entry` (or return the cached copy). Checks the checksum before Keras sees a byte."""
        key = (entry.id, entry.sha256)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                return cached
            loaded = self._load_verified(entry)
            self._cache[key] = loaded
            return loaded

    def unload(self, model_id: str | None = None) -> None:
        """Forget one cached model (or all), e.g. after its file was replaced."""
        with self._lock:
            self._cache = {k: v for k, v in self._cache.items() if model_id is not None and k[0] != model_id}

    def verify(self, entry: ModelEntry) -> Loaded:
        """Checksum and load `entry` afresh (bypassing the cache) and run one prediction; for `models verify`."""
        loaded = self._load_verified(entry)
        self._check_output(loaded)
        return loaded

    def warm_up(self, tasks: Iterable[str] | None = None, progress: Progress | None = None) -> list[WarmUpStatus]:
        """Load the active model of each task and trace its predict function, so the first analysis is fast.

        A failure for one task is reported in its status and never stops the others.
        """
        names = list(tasks) if tasks is not None else list(TASK_NAMES)
        statuses: list[WarmUpStatus] = []
        for done, task in enumerate(names):
            if progress is not None:
                progress.check_cancelled()
                progress.update(done, len(names), f"loading {task} model")
            entry = self.registry.active_entry(task)
            if entry is None:
                statuses.append(WarmUpStatus(task, None, False, f"no model installed for {task}"))
                continue
            try:
                self._check_output(self.load(entry))
            except ModelUnavailableError as exc:
                self.unload(entry.id)
                statuses.append(WarmUpStatus(task, entry.id, False, str(exc)))
            else:
                statuses.append(WarmUpStatus(task, entry.id, True, "ready"))
        if progress is not None:
            progress.update(len(names), len(names), "models ready")
        return statuses

    # --- internals ------------------------------------------------------------------------------

    def _load_verified(self, entry: ModelEntry) -> Loaded:
        path = self.registry.model_path(entry)
        who = f"model {entry.id!r} ({entry.task}, {path})"
        if not path.is_file():
            raise ModelUnavailableError(f"{who}: model file is missing")
        if path.suffix != ".keras":
            raise ModelUnavailableError(f"{who}: not a .keras model file")
        try:
            actual = sha256_file(path)
        except OSError as exc:
            raise ModelUnavailableError(f"{who}: cannot read the model file ({exc.strerror or exc})") from None
        if actual != entry.sha256:
            raise ModelUnavailableError(
                f"{who}: checksum mismatch (registry {entry.sha256[:12]}…, file {actual[:12]}…); "
                "the file was changed or damaged, so it is not loaded"
            )
        if self.backend == "onnxruntime":
            from xray_desktop.models.backend import load_onnx_model

            return load_onnx_model(self.registry, entry, self.threads, self._exporter, self._explainers)
        started = time.perf_counter()
        model = _keras_load(path, who)
        _check_signature(model, entry, who)
        return LoadedModel(
            entry=entry,
            model=model,
            path=path,
            load_seconds=time.perf_counter() - started,
            explainer_factory=self._explainers,
        )

    def _check_output(self, loaded: Loaded) -> None:
        """One prediction on a blank input: the output must be a finite probability."""
        who = f"model {loaded.entry.id!r} ({loaded.entry.task}, {loaded.path})"
        try:
            value = loaded.predict_raw(np.zeros((1, *loaded.entry.spec.input_shape), dtype=np.float32))
        except Exception as exc:  # any TF failure here means the model cannot run: report, don't crash
            raise ModelUnavailableError(f"{who}: fails to run ({type(exc).__name__}: {exc})") from None
        if value.shape != (1,) or not np.all(np.isfinite(value)) or not np.all((value >= 0) & (value <= 1)):
            raise ModelUnavailableError(f"{who}: output is not a probability (got {value!r})")


def _keras_load(path: Path, who: str) -> Any:
    import keras

    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for a corrupt zip/config; all mean "unusable"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelUnavailableError(
            f"{who}: cannot be loaded, the file is corrupt or not a Keras 3 model ({reason})"
        ) from None


def _check_signature(model: Any, entry: ModelEntry, who: str) -> None:
    inputs = getattr(model, "inputs", None) or []
    if len(inputs) != 1:
        raise ModelUnavailableError(f"{who}: expected one image input, the model has {len(inputs)}")
    shape = tuple(inputs[0].shape[1:])
    expected = entry.spec.input_shape
    if len(shape) != 3 or any(s is not None and s != e for s, e in zip(shape, expected, strict=True)):
        raise ModelUnavailableError(f"{who}: input shape {shape} does not match the registry's {expected}")
    outputs = getattr(model, "outputs", None) or []
    if len(outputs) != 1 or tuple(outputs[0].shape[1:]) != (1,):
        shapes = [tuple(o.shape[1:]) for o in outputs]
        raise ModelUnavailableError(f"{who}: expected one output of width 1 (P(condition)), got {shapes}")


def check_model_file(path: str | Path, entry: ModelEntry) -> None:
    """Raise `ModelUnavailableError` unless the file at `path` is `entry`'s model and runs.

    For files not yet in the models folder (a model package being imported): same checks as a
    load through the manager — checksum, Keras load, input/output shape, one finite probability.
    """
    path = Path(path)
    staging = Registry(path=path.parent / "registry.json", models=[], active_models={})
    manager = ModelManager(staging, backend="tensorflow")
    manager.verify(replace(entry, file=path.name))
