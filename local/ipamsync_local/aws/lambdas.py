"""The local Lambda service: the real ``functions/<name>/app.py`` handlers, invoked the way Lambda does.

* **Two ways to run a handler** (``concurrency``):

  - ``"parallel"`` (the default, AWS's model): each function has a pool of execution environments,
    one OS process each (:mod:`.environments`); an invocation takes an idle one (warm) or starts a
    new one (cold: the product's container starts empty). Invocations of one function run in
    parallel up to its reserved concurrency, so SOLIDserver sees the parallel requests it sees in
    AWS. The environments call AWS through moto's server on loopback (``endpoint_url``), i.e. the
    same backends as everything else. The template's ``Timeout`` is enforced by killing the
    environment (``Sandbox.Timedout``; the next invocation starts a new one).
  - ``"serial"`` (for debugging): every handler runs in this process, one at a time
    (:mod:`.inprocess`: one process-wide lock, one shared "execution environment"); a handler that
    ran longer than its ``Timeout`` is reported as ``Sandbox.Timedout`` when it returns.

  ``overrides`` (a Python callable standing in for a function's handler, a test seam) run in this
  process in both modes; in parallel mode under a lock of their own (one invocation of that
  function at a time), alongside the environments of the other functions.
* **Environment.** An execution environment gets its function's variables (Globals + its own), and
  what the Lambda runtime adds (``AWS_REGION``, ``AWS_LAMBDA_FUNCTION_NAME``…,
  ``POWERTOOLS_TRACE_DISABLED=true``: no X-Ray daemon locally): :func:`.invocation.lambda_environment`.
  For in-process handlers the variables are process-wide (``os.environ``, restored on stop), which is
  exact because every variable comes from the template's Globals except ``EVENT_QUEUE_URL``
  (enrich only); two functions defining one variable differently is refused.
* **Logs.** Like CloudWatch Logs, the functions' output goes to a stream of its own (``log_stream``,
  default stdout): the environments' stdout and stderr, line by line; for in-process handlers the
  ``ipamsync`` loggers' stream handlers and the handler thread's ``print`` output.
* **Synchronous invoke** (the state machine, through :mod:`.motohook`): the handler's JSON result,
  or Lambda's error shape (``x-amz-function-error: Unhandled``; ``errorType`` = the exception's
  class name, ``errorMessage``, ``requestId``, ``stackTrace``) so the interpreter names the error
  after ``errorType``. A result that is not JSON gives ``Runtime.MarshalError``.
* **Reserved concurrency** (template ``ReservedConcurrentExecutions``): a per-function bound on
  invocations in flight. Beyond it a synchronous invoke fails like Lambda's throttle (HTTP 429
  ``TooManyRequestsException`` → the state machine's ``Lambda.TooManyRequestsException``); an
  asynchronous one is kept and retried later, as Lambda's internal queue does (throttles are not
  counted as attempts).
* **Asynchronous invoke** (EventBridge, ``InvocationType=Event``): queued, run on a worker pool;
  a function error is retried ``MaximumRetryAttempts`` times after Lambda's waits (1 min, then
  2 min — scaled by ``time_scale``), then the ``OnFailure`` destination receives Lambda's
  invocation record (``condition: RetriesExhausted``), exactly as AWS shapes it.
* **Cold starts.** :meth:`LambdaService.cold_start` (and :func:`cold_start`) makes the next
  invocation of each function cold: the in-process container is reset and idle environments are
  retired. ``LocalFunction.always_cold`` does it before every invocation of one function.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from .environments import EnvironmentPool, LogSink
from .eventshape import RuleInfo
from .inprocess import SANDBOX, Handler, load_handler, output_to, reset_container
from .invocation import (
    FunctionStats,
    InvalidRequestContent,
    InvokeResult,
    LambdaContext,
    Throttled,
    error_payload,
    lambda_environment,
    marshal,
    timed_out,
)
from .scheduler import Scheduler
from .template import Destination, FunctionSpec

__all__ = [
    "CONCURRENCY_MODES",
    "SANDBOX",
    "FunctionStats",
    "Handler",
    "InvokeResult",
    "LambdaContext",
    "LambdaService",
    "LocalFunction",
    "cold_start",
]

log = logging.getLogger(__name__)

CONCURRENCY_MODES = ("parallel", "serial")
#: Lambda's waits between asynchronous attempts (seconds, before scaling): 1 min, then 2 min.
ASYNC_RETRY_WAITS = (60.0, 120.0)
#: First wait before re-trying a throttled asynchronous invocation (doubles up to 5 min).
ASYNC_THROTTLE_WAIT = 1.0

_ACTIVE: LambdaService | None = None


def cold_start() -> None:
    """The next invocation of each function is cold: the in-process container is reset and, when a
    service runs, its idle execution environments are retired."""
    service = _ACTIVE
    if service is not None:
        service.cold_start()
    else:
        reset_container()


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
    """One function: its spec, how it runs (a handler in this process, or a pool of environments),
    its counters."""

    def __init__(
        self,
        spec: FunctionSpec,
        handler: Handler | None,
        module: ModuleType | None,
        pool: EnvironmentPool | None = None,
    ) -> None:
        self.spec = spec
        self.handler = handler
        self.module = module
        self.pool = pool
        self.stats = FunctionStats()
        self.lock = threading.Lock()  # the counters
        self.run_lock = threading.Lock()  # an in-process handler in parallel mode: one at a time
        #: Every invocation starts a new execution environment (the calls benchmark).
        self.always_cold = False

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def in_process(self) -> bool:
        return self.pool is None


Outcome = tuple[dict[str, Any] | None, bytes | None, float]  # (error payload, JSON body, duration ms)


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
        concurrency: str = "serial",
        endpoint_url: str | None = None,
    ) -> None:
        if concurrency not in CONCURRENCY_MODES:
            raise ValueError(f"concurrency must be one of {CONCURRENCY_MODES}, not {concurrency!r}")
        if concurrency == "parallel" and not endpoint_url:
            raise ValueError("parallel mode needs the endpoint URL of moto's server (endpoint_url)")
        self.specs = dict(functions)
        self.region = region
        self.layer_dirs = list(layer_dirs or [])
        self.time_scale = float(time_scale)
        self.async_workers = async_workers
        self.overrides = dict(overrides or {})
        self.extra_environment = dict(extra_environment or {})
        self.send_to_destination = send_to_destination
        self.log_stream = log_stream
        self.concurrency = concurrency
        self.endpoint_url = endpoint_url
        self.sink = LogSink(log_stream)
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
        """The process-wide environment in-process handlers get (refuses conflicting definitions)."""
        env: dict[str, str] = {}
        owner: dict[str, str] = {}
        for spec in self.specs.values():
            for key, value in spec.environment.items():
                if key in env and env[key] != value:
                    raise ValueError(
                        f"{spec.logical_id} and {owner[key]} set {key} differently; the local runtime "
                        "shares one environment between in-process functions"
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
        global _ACTIVE
        self._apply_environment(self.environment())
        reset_container()
        for lid, spec in self.specs.items():
            fn = self._function(spec)
            self.functions[lid] = fn
            for alias in (lid, spec.name, spec.arn, f"{spec.arn}:$LATEST", spec.short_name):
                self._aliases[alias] = fn
        if self.log_stream is not None:
            self._redirect_logs(self.log_stream)
        self._scheduler = Scheduler(self.async_workers, "lambda-async")
        _ACTIVE = self
        return self

    def _function(self, spec: FunctionSpec) -> LocalFunction:
        override = self.overrides.get(spec.logical_id) or self.overrides.get(spec.short_name)
        if override is not None:
            return LocalFunction(spec, override, None)
        if self.concurrency == "serial":
            handler, module = load_handler(spec, self.layer_dirs)
            return LocalFunction(spec, handler, module)
        assert self.endpoint_url is not None
        env = lambda_environment(
            spec,
            region=self.region,
            layer_dirs=self.layer_dirs,
            endpoint_url=self.endpoint_url,
            extra=self.extra_environment,
        )
        for key in ("PATH", "LANG", "HOME"):
            if key in os.environ:
                env.setdefault(key, os.environ[key])
        pool = EnvironmentPool(spec, env, [str(d) for d in self.layer_dirs], self.sink)
        return LocalFunction(spec, None, None, pool)

    def _apply_environment(self, env: dict[str, str]) -> None:
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
        global _ACTIVE
        if self._scheduler is not None:
            self._scheduler.stop(wait=True)
            self._scheduler = None
        for fn in self.functions.values():
            if fn.pool is not None:
                fn.pool.stop()
        for handler, previous in reversed(self._redirected):
            handler.setStream(previous)
        self._redirected.clear()
        reset_container()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()
        if _ACTIVE is self:
            _ACTIVE = None

    def cold_start(self, function: str | None = None) -> int:
        """The next invocation of each function (or of ``function``) is cold. Returns how many idle
        execution environments were retired."""
        reset_container()
        fns = [self.get(function)] if function is not None else list(self.functions.values())
        return sum(fn.pool.retire_idle() for fn in fns if fn.pool is not None)

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
            if fn.always_cold:
                self.cold_start(fn.spec.logical_id)
            if fn.pool is not None:
                payload, body, duration_ms = self._run_in_environment(fn, event, request_id)
            else:
                payload, body, duration_ms = self._run_in_process(fn, event, request_id)
        finally:
            with fn.lock:
                fn.stats.in_flight -= 1
        with fn.lock:
            stats = fn.stats
            stats.invocations += 1
            stats.duration_ms_total += duration_ms
            stats.duration_ms_max = max(stats.duration_ms_max, duration_ms)
            if payload is not None:
                stats.errors += 1
                kind = str(payload.get("errorType"))
                stats.errors_by_type[kind] = stats.errors_by_type.get(kind, 0) + 1
                if kind == "Sandbox.Timedout":
                    stats.timeouts += 1
        if payload is not None:
            return InvokeResult(request_id, json.dumps(payload).encode(), "Unhandled", duration_ms)
        return InvokeResult(request_id, body or b"null", None, duration_ms)

    def _run_in_process(self, fn: LocalFunction, event: Any, request_id: str) -> Outcome:
        assert fn.handler is not None
        context = LambdaContext(fn.spec, request_id)
        lock = SANDBOX if self.concurrency == "serial" else fn.run_lock
        error: BaseException | None = None
        result: Any = None
        with lock:
            started = time.perf_counter()
            try:
                with output_to(self.log_stream):
                    result = fn.handler(event, context)
            except Exception as exc:
                error = exc
            duration_ms = (time.perf_counter() - started) * 1000
        if error is not None:
            return error_payload(error, request_id), None, duration_ms
        if duration_ms > fn.spec.timeout * 1000:
            return timed_out(fn.spec, request_id), None, duration_ms
        body, problem = marshal(result, request_id)
        return problem, body, duration_ms

    def _run_in_environment(self, fn: LocalFunction, event: Any, request_id: str) -> Outcome:
        assert fn.pool is not None
        text = json.dumps(event)
        env, cold, init_error = fn.pool.acquire()
        with fn.lock:
            if cold:
                fn.stats.cold_starts += 1
            else:
                fn.stats.warm_starts += 1
        if env is None:
            return dict(init_error or {}, requestId=request_id), None, 0.0
        outcome = env.invoke(request_id, text)
        fn.pool.release(env, outcome.reusable)
        if outcome.status == "ok":
            return None, str(outcome.payload).encode(), outcome.duration_ms
        return dict(outcome.payload), None, outcome.duration_ms

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
            out[lid]["environments"] = fn.pool.size if fn.pool is not None else 0
        return out

    def environment_pids(self) -> dict[str, list[int]]:
        """The process ids of every execution environment now running, by function."""
        return {lid: fn.pool.pids() for lid, fn in self.functions.items() if fn.pool is not None}
