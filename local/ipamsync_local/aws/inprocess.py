"""Handlers run in this process: serial mode (every function), and ``handler_overrides`` (a Python
callable standing in for a function's handler, in both modes).

* **Loading.** A function's handler module is loaded from its ``CodeUri`` as the Lambda runtime
  would (the function directory first on ``sys.path`` while it is imported; the layer's
  ``ContentUri`` — ``src/`` — importable), under a private module name so the five ``app.py``
  files do not collide.
* **One execution environment.** In serial mode all functions share this process, so they share
  the layer's modules: Powertools' ``Metrics``/``Logger`` singletons, the SOLIDserver client cache
  in ``ipamsync.runtime.container``. Lambda never runs two invocations in one execution environment
  at once, and Powertools' metric set is not thread-safe, so handler bodies run one at a time
  (:data:`SANDBOX`, one process-wide lock). An overridden function in parallel mode runs under a
  lock of its own (one invocation of it at a time, others alongside).
* **Output.** A handler's ``print`` output (Powertools' EMF metrics) goes to the service's log
  stream: :func:`output_to` points ``sys.stdout`` at it for the calling thread only, so several
  in-process handlers may run at once without taking each other's output.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from .template import FunctionSpec

Handler = Callable[[Any, Any], Any]

#: Serial mode's process-wide "execution environment": one handler body at a time.
SANDBOX = threading.RLock()


def load_handler(spec: FunctionSpec, layer_dirs: list[Path]) -> tuple[Handler, ModuleType]:
    module_path, _, attr = spec.handler.rpartition(".")
    if not module_path:
        raise ValueError(f"{spec.logical_id}: handler {spec.handler!r} is not module.function")
    file = spec.code_uri.joinpath(*module_path.split(".")).with_suffix(".py")
    if not file.is_file():
        raise FileNotFoundError(f"{spec.logical_id}: {file} not found (CodeUri + Handler)")
    for layer in layer_dirs:
        if str(layer) not in sys.path:
            sys.path.append(str(layer))
    name = f"ipamsync_local_fn_{spec.short_name}"
    module_spec = importlib.util.spec_from_file_location(name, file)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    sys.path.insert(0, str(spec.code_uri))
    try:
        sys.modules[name] = module
        module_spec.loader.exec_module(module)
    finally:
        try:
            sys.path.remove(str(spec.code_uri))
        except ValueError:
            pass
    handler = getattr(module, attr, None)
    if not callable(handler):
        raise AttributeError(f"{spec.logical_id}: {file} has no callable {attr!r}")
    return handler, module


def reset_container() -> None:
    """Forget the layer's per-container state in this process (a new execution environment)."""
    try:
        from ipamsync.runtime import container

        container.reset()
    except ImportError:  # pragma: no cover - ipamsync is a dependency of the handlers
        pass
    try:
        from aws_lambda_powertools.utilities import parameters
        from aws_lambda_powertools.utilities.parameters import base

        parameters.clear_caches()
        providers = getattr(base, "DEFAULT_PROVIDERS", None)
        if isinstance(providers, dict):
            providers.clear()
    except ImportError:  # pragma: no cover
        pass


class _ThreadStdout:
    """``sys.stdout`` while in-process handlers run: their thread's stream, everyone else's own."""

    def __init__(self, original: Any) -> None:
        self.original = original
        self.targets: dict[int, TextIO] = {}

    def _out(self) -> Any:
        return self.targets.get(threading.get_ident(), self.original)

    def write(self, text: str) -> int:
        return int(self._out().write(text))

    def flush(self) -> None:
        self._out().flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._out(), name)


_ROUTER: _ThreadStdout | None = None
_ROUTER_LOCK = threading.Lock()


@contextlib.contextmanager
def output_to(stream: TextIO | None) -> Iterator[None]:
    """The calling thread's ``print`` output goes to ``stream`` (nothing changes when None)."""
    global _ROUTER
    if stream is None:
        yield
        return
    ident = threading.get_ident()
    with _ROUTER_LOCK:
        if _ROUTER is None or sys.stdout is not _ROUTER:
            _ROUTER = _ThreadStdout(sys.stdout)
            sys.stdout = _ROUTER  # type: ignore[assignment]
        router = _ROUTER
        router.targets[ident] = stream
    try:
        yield
    finally:
        with _ROUTER_LOCK:
            router.targets.pop(ident, None)
            if not router.targets and sys.stdout is router:
                sys.stdout = router.original
                _ROUTER = None
