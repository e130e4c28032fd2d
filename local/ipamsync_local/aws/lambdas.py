"""The local Lambda service: the real ``functions/<name>/app.py`` handlers, invoked the way Lambda does.

* **Loading.** Each function's handler module is loaded from its ``CodeUri`` as the Lambda runtime
  would (the function directory first on ``sys.path`` while it is imported; the layer's
  ``ContentUri`` — ``src/`` — importable), under a private module name so the five ``app.py``
  files do not collide. Nothing of ``ipamsync_local`` is visible to the handlers.
* **One execution environment.** All functions run in this process, so they share the modules of
  the layer: Powertools' ``Metrics``/``Logger`` singletons, the SOLIDserver client cache in
  ``ipamsync.runtime.container``. Lambda never runs two invocations in one execution environment at
  once, and Powertools' metric set is not thread-safe (a flush on one thread while another adds a
  metric raises ``dictionary changed size during iteration``), so handler bodies run one at a time
  (one process-wide lock, the "sandbox"). Everything around them — the interpreter, retries, the
  pipe, SQS, EventBridge — is concurrent. Starting the service is a cold start: the layer's
  per-container caches are reset (``ipamsync.runtime.container.reset``, Powertools parameter
  caches), and again when it stops.
* **Environment.** Lambda gives each function its own environment; here it is process-wide
  (``os.environ``), which is exact because every variable comes from the template's Globals except
  ``EVENT_QUEUE_URL`` (enrich only, harmless to the others). Two functions defining one variable
  differently is refused. Added like the Lambda runtime does: ``AWS_REGION``,
  ``AWS_DEFAULT_REGION``; ``POWERTOOLS_TRACE_DISABLED=true`` (no X-Ray daemon locally). Everything is
  restored on stop.
* **Logs.** Like CloudWatch Logs for the functions, their output can go to a stream of its own
  (``log_stream``): the ``ipamsync`` loggers' stream handlers are pointed at it while the service
  runs, and the handler's own ``print`` output (Powertools' EMF metrics) is redirected during each
  invocation. By default it stays on stdout.
* **Synchronous invoke** (the state machine, through :mod:`.motohook`): the handler's JSON result,
  or Lambda's error shape (``x-amz-function-error: Unhandled``; ``errorType`` = the exception's
  class name, ``errorMessage``, ``requestId``, ``stackTrace``) so the interpreter names the error
  after ``errorType``. A result that is not JSON gives ``Runtime.MarshalError``; a handler that ran
  longer than the template's ``Timeout`` gives ``Sandbox.Timedout`` (it cannot be interrupted
  in-process, so the timeout is reported when it returns).
* **Reserved concurrency** (template ``ReservedConcurrentExecutions``): a per-function bound on
  invocations in flight (admitted, including those waiting for the sandbox). Beyond it a synchronous
  invoke fails like Lambda's throttle (HTTP 429 ``TooManyRequestsException`` → the state machine's
  ``Lambda.TooManyRequestsException``); an asynchronous one is kept and retried later, as Lambda's
  internal queue does (throttles are not counted as attempts).
* **Asynchronous invoke** (EventBridge, ``InvocationType=Event``): queued, run on a worker pool;
  a function error is retried ``MaximumRetryAttempts`` times after Lambda's waits (1 min, then
  2 min — scaled by ``time_scale``), then the ``OnFailure`` destination receives Lambda's
  invocation record (``condition: RetriesExhausted``), exactly as AWS shapes it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import json
import logging
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from .motohook import InvalidRequestContent, RuleInfo, Throttled
from .scheduler import Scheduler
from .template import Destination, FunctionSpec

log = logging.getLogger(__name__)

#: Lambda's waits between asynchronous attempts (seconds, before scaling): 1 min, then 2 min.
ASYNC_RETRY_WAITS = (60.0, 120.0)
#: First wait before re-trying a throttled asynchronous invocation (doubles up to 5 min).
ASYNC_THROTTLE_WAIT = 1.0

#: The process-wide "execution environment": one handler body at a time (see the module doc).
SANDBOX = threading.RLock()

Handler = Callable[[Any, Any], Any]


class LambdaContext:
    """The context object Lambda passes to a handler (the attributes the Python runtime has)."""

    def __init__(self, spec: FunctionSpec, request_id: str, invoked_arn: str | None = None) -> None:
        self.function_name = spec.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = invoked_arn or spec.arn
        self.memory_limit_in_mb = spec.memory_size
        self.aws_request_id = request_id
        self.log_group_name = spec.log_group
        now = dt.datetime.now(dt.UTC)
        self.log_stream_name = f"{now:%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline = time.monotonic() + spec.timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class FunctionStats:
    invocations: int = 0  # handler runs (sync + async attempts)
    errors: int = 0
    throttles: int = 0
    sync_invocations: int = 0
    async_accepted: int = 0
    async_retries: int = 0
    async_failed: int = 0  # retries exhausted → OnFailure
    destinations_sent: int = 0
    duration_ms_total: float = 0.0
    duration_ms_max: float = 0.0
    in_flight: int = 0
    in_flight_max: int = 0
    errors_by_type: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["duration_ms_avg"] = (
            round(self.duration_ms_total / self.invocations, 2) if self.invocations else 0.0
        )
        out["duration_ms_total"] = round(self.duration_ms_total, 2)
        out["duration_ms_max"] = round(self.duration_ms_max, 2)
        return out


@dataclass(frozen=True)
class InvokeResult:
    request_id: str
    payload: bytes
    function_error: str | None  # "Unhandled" when the handler failed
    duration_ms: float

    @property
    def ok(self) -> bool:
        return self.function_error is None

    def json(self) -> Any:
        return json.loads(self.payload) if self.payload else None

    @property
    def error_type(self) -> str | None:
        if self.ok:
            return None
        return str((self.json() or {}).get("errorType"))


@dataclass
class AsyncInvocation:
    request_id: str
    function: LocalFunction
    payload: Any
    accepted_at: float
    attempts: int = 0
    throttle_wait: float = ASYNC_THROTTLE_WAIT
    last: InvokeResult | None = None


class LocalFunction:
    def __init__(self, spec: FunctionSpec, handler: Handler, module: ModuleType | None) -> None:
        self.spec = spec
        self.handler = handler
        self.module = module
        self.stats = FunctionStats()
        self.lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.spec.name


def _error_payload(exc: BaseException, request_id: str) -> dict[str, Any]:
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def _load_handler(spec: FunctionSpec, layer_dirs: list[Path]) -> tuple[Handler, ModuleType]:
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


def cold_start() -> None:
    """Forget the layer's per-container state (a new execution environment)."""
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


class LambdaService:
    """The functions of the template, invocable synchronously and asynchronously."""

    def __init__(
        self,
        functions: Mapping[str, FunctionSpec],
        *,
        region: str,
        layer_dirs: list[Path] | None = None,
        time_scale: float = 1.0,
        async_workers: int = 4,
        overrides: Mapping[str, Handler] | None = None,
        extra_environment: Mapping[str, str] | None = None,
        send_to_destination: Callable[[Destination, dict[str, Any]], None] | None = None,
        log_stream: TextIO | None = None,
    ) -> None:
        self.specs = dict(functions)
        self.region = region
        self.layer_dirs = list(layer_dirs or [])
        self.time_scale = float(time_scale)
        self.async_workers = async_workers
        self.overrides = dict(overrides or {})
        self.extra_environment = dict(extra_environment or {})
        self.send_to_destination = send_to_destination
        self.log_stream = log_stream
        self._redirected: list[tuple[logging.StreamHandler[Any], Any]] = []
        self.functions: dict[str, LocalFunction] = {}
        self._aliases: dict[str, LocalFunction] = {}
        self._saved_env: dict[str, str | None] = {}
        self._scheduler: Scheduler | None = None
        #: Every asynchronous invocation that exhausted its retries: (function, destination record).
        self.failed_async: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def environment(self) -> dict[str, str]:
        """The process-wide environment the functions get (refuses conflicting definitions)."""
        env: dict[str, str] = {}
        owner: dict[str, str] = {}
        for spec in self.specs.values():
            for key, value in spec.environment.items():
                if key in env and env[key] != value:
                    raise ValueError(
                        f"{spec.logical_id} and {owner[key]} set {key} differently; the local runtime "
                        "shares one environment between functions"
                    )
                env[key], owner[key] = value, spec.logical_id
        env.update(
            AWS_REGION=self.region,
            AWS_DEFAULT_REGION=self.region,
            POWERTOOLS_TRACE_DISABLED="true",
        )
        env.update(self.extra_environment)
        return env

    def start(self) -> LambdaService:
        env = self.environment()
        for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
            env.setdefault(key, "")  # never let a developer's profile or endpoint leak in
        for key, value in env.items():
            self._saved_env[key] = os.environ.get(key)
            if value == "" and key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL_")]:
            self._saved_env[key] = os.environ.pop(key)
        cold_start()
        for lid, spec in self.specs.items():
            override = self.overrides.get(lid) or self.overrides.get(spec.short_name)
            if override is not None:
                fn = LocalFunction(spec, override, None)
            else:
                handler, module = _load_handler(spec, self.layer_dirs)
                fn = LocalFunction(spec, handler, module)
            self.functions[lid] = fn
            for alias in (lid, spec.name, spec.arn, f"{spec.arn}:$LATEST", spec.short_name):
                self._aliases[alias] = fn
        if self.log_stream is not None:
            self._redirect_logs(self.log_stream)
        self._scheduler = Scheduler(self.async_workers, "lambda-async")
        return self

    def _redirect_logs(self, stream: TextIO) -> None:
        names = {"ipamsync"} | {s.environment.get("POWERTOOLS_SERVICE_NAME", "") for s in self.specs.values()}
        for name in sorted(n for n in names if n):
            for handler in logging.getLogger(name).handlers:
                # Powertools' handler writes to whatever sys.stdout was when the logger was built
                if isinstance(handler, logging.StreamHandler) and not isinstance(
                    handler, logging.FileHandler
                ):
                    self._redirected.append((handler, handler.setStream(stream)))

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.stop(wait=True)
            self._scheduler = None
        for handler, previous in reversed(self._redirected):
            handler.setStream(previous)
        self._redirected.clear()
        cold_start()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()

    # ------------------------------------------------------------------ lookup

    def find(self, name: str) -> LocalFunction | None:
        """A function by logical id, name, short name (``device``) or ARN (with or without qualifier)."""
        fn = self._aliases.get(name)
        if fn is None and name.startswith("arn:") and name.count(":") == 7:
            fn = self._aliases.get(name.rsplit(":", 1)[0])
        return fn

    def get(self, name: str) -> LocalFunction:
        fn = self.find(name)
        if fn is None:
            raise KeyError(f"no local function {name!r}")
        return fn

    # ------------------------------------------------------------------ invoking

    def _run(self, fn: LocalFunction, event: Any, request_id: str) -> InvokeResult:
        """One handler run (raises Throttled when the reserved concurrency is exhausted)."""
        reserved = fn.spec.reserved_concurrency
        with fn.lock:
            if reserved is not None and fn.stats.in_flight >= reserved:
                fn.stats.throttles += 1
                raise Throttled("Rate Exceeded.")
            fn.stats.in_flight += 1
            fn.stats.in_flight_max = max(fn.stats.in_flight_max, fn.stats.in_flight)
        try:
            context = LambdaContext(fn.spec, request_id)
            with SANDBOX:
                output = (
                    contextlib.redirect_stdout(self.log_stream)
                    if self.log_stream
                    else contextlib.nullcontext()
                )
                started = time.perf_counter()
                error: BaseException | None = None
                result: Any = None
                try:
                    with output:
                        result = fn.handler(event, context)
                except Exception as exc:
                    error = exc
                duration_ms = (time.perf_counter() - started) * 1000
        finally:
            with fn.lock:
                fn.stats.in_flight -= 1
        payload: dict[str, Any] | None = None
        if error is not None:
            payload = _error_payload(error, request_id)
        elif duration_ms > fn.spec.timeout * 1000:
            payload = {
                "errorMessage": (
                    f"RequestId: {request_id} Error: Task timed out after {fn.spec.timeout:.2f} seconds"
                ),
                "errorType": "Sandbox.Timedout",
                "requestId": request_id,
                "stackTrace": [],
            }
        if payload is None:
            try:
                body = json.dumps(result).encode()
            except (TypeError, ValueError) as exc:
                payload = {
                    "errorMessage": f"Unable to marshal response: {exc}",
                    "errorType": "Runtime.MarshalError",
                    "requestId": request_id,
                    "stackTrace": [],
                }
        with fn.lock:
            stats = fn.stats
            stats.invocations += 1
            stats.duration_ms_total += duration_ms
            stats.duration_ms_max = max(stats.duration_ms_max, duration_ms)
            if payload is not None:
                stats.errors += 1
                stats.errors_by_type[payload["errorType"]] = (
                    stats.errors_by_type.get(payload["errorType"], 0) + 1
                )
        if payload is not None:
            return InvokeResult(request_id, json.dumps(payload).encode(), "Unhandled", duration_ms)
        return InvokeResult(request_id, body, None, duration_ms)

    def invoke(self, name: str, event: Any) -> InvokeResult:
        """A synchronous invocation (``RequestResponse``). Raises :class:`Throttled`."""
        fn = self.get(name)
        with fn.lock:
            fn.stats.sync_invocations += 1
        return self._run(fn, event, str(uuid.uuid4()))

    def invoke_async(self, name: str, event: Any) -> str:
        """An asynchronous invocation (``Event``): accepted now, run on the worker pool."""
        fn = self.get(name)
        inv = AsyncInvocation(str(uuid.uuid4()), fn, event, time.time())
        with fn.lock:
            fn.stats.async_accepted += 1
        if self._scheduler is None:
            raise RuntimeError("the Lambda service is not started")
        self._scheduler.submit(lambda: self._attempt(inv))
        return inv.request_id

    def _attempt(self, inv: AsyncInvocation) -> None:
        fn = inv.function
        scheduler = self._scheduler
        try:
            result = self._run(fn, inv.payload, inv.request_id)
        except Throttled:
            wait, inv.throttle_wait = inv.throttle_wait, min(inv.throttle_wait * 2, 300.0)
            if scheduler is not None:
                scheduler.submit(lambda: self._attempt(inv), wait * self.time_scale)
            return
        inv.attempts += 1
        inv.last = result
        if result.ok:
            if fn.spec.async_config.on_success is not None:
                self._send(fn, fn.spec.async_config.on_success, self._record(inv, "Success"))
            return
        retries = fn.spec.async_config.maximum_retry_attempts
        if inv.attempts <= retries:
            with fn.lock:
                fn.stats.async_retries += 1
            wait = ASYNC_RETRY_WAITS[min(inv.attempts - 1, len(ASYNC_RETRY_WAITS) - 1)]
            if scheduler is not None:
                scheduler.submit(lambda: self._attempt(inv), wait * self.time_scale)
            return
        record = self._record(inv, "RetriesExhausted")
        with fn.lock:
            fn.stats.async_failed += 1
        with self._lock:
            self.failed_async.append((fn.spec.logical_id, record))
        destination = fn.spec.async_config.on_failure
        if destination is not None:
            self._send(fn, destination, record)
        else:
            log.warning(
                "%s: asynchronous invocation %s failed, no OnFailure destination", fn.name, inv.request_id
            )

    @staticmethod
    def _record(inv: AsyncInvocation, condition: str) -> dict[str, Any]:
        """Lambda's destination record, field for field."""
        assert inv.last is not None
        now = dt.datetime.now(dt.UTC)
        response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if inv.last.function_error:
            response["functionError"] = inv.last.function_error
        payload = inv.last.json()
        if isinstance(payload, dict) and not inv.last.ok:
            payload = {
                k: payload[k]
                for k in ("errorMessage", "errorType", "requestId", "stackTrace")
                if k in payload
            }
        return {
            "version": "1.0",
            "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
            "requestContext": {
                "requestId": inv.request_id,
                "functionArn": f"{inv.function.spec.arn}:$LATEST",
                "condition": condition,
                "approximateInvokeCount": inv.attempts,
            },
            "requestPayload": inv.payload,
            "responseContext": response,
            "responsePayload": payload,
        }

    def _send(self, fn: LocalFunction, destination: Destination, record: dict[str, Any]) -> None:
        if destination.type.upper() == "LAMBDA" or ":lambda:" in destination.arn:
            self.invoke_async(destination.arn, record)
        elif self.send_to_destination is not None:
            self.send_to_destination(destination, record)
        else:
            log.warning("%s: no way to deliver to %s", fn.name, destination.arn)
            return
        with fn.lock:
            fn.stats.destinations_sent += 1

    # ------------------------------------------------------------------ routers for motohook

    def route(
        self,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Mapping[str, str],
        response_headers: dict[str, str],
    ) -> bytes | None:
        """``LambdaSimpleBackend.invoke`` replacement (None = not a local function)."""
        fn = self.find(function_name)
        if fn is None:
            return None
        raw = body.decode() if isinstance(body, bytes) else (body or "")
        try:
            event = json.loads(raw) if raw.strip() else {}
        except ValueError:
            raise InvalidRequestContent() from None
        invocation_type = next(
            (v for k, v in headers.items() if k.lower() == "x-amz-invocation-type"), "RequestResponse"
        )
        if invocation_type == "Event":
            self.invoke_async(fn.spec.logical_id, event)
            return b""
        if invocation_type == "DryRun":
            return b""
        result = self.invoke(fn.spec.logical_id, event)  # Throttled propagates to the hook (429)
        response_headers["x-amzn-RequestId"] = result.request_id
        response_headers["X-Amz-Executed-Version"] = "$LATEST"
        if result.function_error:
            response_headers["x-amz-function-error"] = result.function_error
        return result.payload

    def deliver(self, target_arn: str, event: dict[str, Any], rule: RuleInfo) -> bool:
        """EventBridge → Lambda: an asynchronous invocation (False = not a local function)."""
        fn = self.find(target_arn)
        if fn is None:
            return False
        self.invoke_async(fn.spec.logical_id, event)
        return True

    # ------------------------------------------------------------------ inspection

    @property
    def async_outstanding(self) -> int:
        return self._scheduler.outstanding if self._scheduler is not None else 0

    def wait_idle(self, timeout: float) -> bool:
        return self._scheduler.wait_idle(timeout) if self._scheduler is not None else True

    def stats(self) -> dict[str, dict[str, Any]]:
        out = {}
        for lid, fn in self.functions.items():
            with fn.lock:
                out[lid] = fn.stats.to_dict()
        return out
