"""What every ipamsync Lambda shares: Powertools, configuration, one SOLIDserver client per
container, and the step wrapper that gives every handler the same shape:

    raw event → typed input (clear error if malformed) → one domain call → shaped output

Logging: Powertools' JSON logger named ``ipamsync``; every module logger (``ipamsync.*``)
propagates to it, so a single correlation id — the EventBridge event id, carried in the message —
is on every line from the enrich Lambda to the last DNS call. Tracing patches requests and
botocore. Metrics go to the ``ipamsync`` namespace with a ``step`` dimension.

Credentials come from Secrets Manager (``SOLIDSERVER_SECRET_ARN``) through Powertools Parameters
(cached 5 minutes); for local runs ``SOLIDSERVER_USERNAME``/``SOLIDSERVER_PASSWORD`` may be used.
The CA bundle (when ``SOLIDSERVER_CA_BUNDLE_PARAMETER`` names an SSM parameter) is written to /tmp.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from ipamsync.errors import IpamsyncError, OwnershipConflict, SolidServerAuthError
from ipamsync.model import Message, message_from_event

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "ipamsync"), log_uncaught_exceptions=False)
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "ipamsync"))
_tracer: Any = None


def tracer() -> Any:
    """Powertools Tracer, created on first use: with tracing active, creating it imports the X-Ray
    SDK, which imports botocore's session (about a second on a cold start); deferring it keeps the
    handler modules' import time small and costs the same once, on the first invocation."""
    global _tracer
    if _tracer is None:
        from aws_lambda_powertools import Tracer

        _tracer = Tracer(service="ipamsync", patch_modules=["requests", "botocore"])
    return _tracer


def _traced(handler: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``tracer().capture_lambda_handler`` applied at the first call instead of at import."""
    wrapped: Callable[[Any, Any], Any] | None = None

    @functools.wraps(handler)
    def call(event: Any, context: Any) -> Any:
        nonlocal wrapped
        if wrapped is None:
            wrapped = tracer().capture_lambda_handler(capture_response=False)(handler)
        return wrapped(event, context)

    return call


SECRET_MAX_AGE = 300
_lock = threading.Lock()
_context: Any = None
_refetch_secret = False


def _credentials(env: Mapping[str, str]) -> Any:
    from ipamsync.solidserver.config import Credentials

    arn = (env.get("SOLIDSERVER_SECRET_ARN") or "").strip()
    if not arn:
        return None  # ClientConfig.from_env reads the local-only variables
    from aws_lambda_powertools.utilities import parameters

    global _refetch_secret
    # After SOLIDserver refused the credentials, read the secret again (it may have been rotated)
    # instead of Powertools' cached value.
    data = parameters.get_secret(arn, transform="json", max_age=SECRET_MAX_AGE, force_fetch=_refetch_secret)
    _refetch_secret = False
    return Credentials.from_mapping(data)


def _ca_bundle(env: Mapping[str, str]) -> str | None:
    name = (env.get("SOLIDSERVER_CA_BUNDLE_PARAMETER") or "").strip()
    if not name:
        return (env.get("SOLIDSERVER_CA_BUNDLE") or "").strip() or None
    from aws_lambda_powertools.utilities import parameters

    pem = parameters.get_parameter(name, max_age=3600)
    path = f"/tmp/ipamsync-ca-{hashlib.sha256(pem.encode()).hexdigest()[:12]}.pem"  # noqa: S108  # Lambda's only writable dir
    if not os.path.exists(path):
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(pem)
    return path


def build_context(env: Mapping[str, str] | None = None) -> Any:
    """A fresh :class:`~ipamsync.sync.common.SyncContext` from the environment."""
    from ipamsync.settings import Settings
    from ipamsync.solidserver import ClientConfig, SolidServer, SolidServerClient
    from ipamsync.sync.common import SyncContext

    env = os.environ if env is None else env
    config = ClientConfig.from_env(
        {**env, "SOLIDSERVER_CA_BUNDLE": _ca_bundle(env) or ""}, credentials=_credentials(env)
    )
    return SyncContext(settings=Settings.from_env(env), ss=SolidServer(SolidServerClient(config)))


def get_context() -> Any:
    """The container's context (built on first use: settings, credentials, pooled client)."""
    global _context
    if _context is None:
        with _lock:
            if _context is None:
                _context = build_context()
    return _context


def reset_context(*, refetch_secret: bool = False) -> None:
    """Forget the container's context; with ``refetch_secret`` (after an auth failure: the secret
    may have been rotated) the next context reads the secret from Secrets Manager, not the cache."""
    global _context, _refetch_secret
    with _lock:
        _refetch_secret = _refetch_secret or refetch_secret
        if _context is not None:
            _context.ss.client.close()
        _context = None


def _set_deadline(lambda_context: Any) -> Any:
    """Tell the SOLIDserver client when this invocation times out (see client.DEADLINE)."""
    import time

    from ipamsync.solidserver.client import DEADLINE

    remaining = getattr(lambda_context, "get_remaining_time_in_millis", None)
    deadline = time.monotonic() + remaining() / 1000 if callable(remaining) else None
    return DEADLINE.set(deadline)


def _reset_deadline(token: Any) -> None:
    from ipamsync.solidserver.client import DEADLINE

    DEADLINE.reset(token)


def _record_calls(ctx: Any, before: Mapping[str, int]) -> None:
    calls = ctx.ss.client.calls
    metrics.add_metric("SolidServerReads", MetricUnit.Count, calls["read"] - before.get("read", 0))
    metrics.add_metric("SolidServerWrites", MetricUnit.Count, calls["write"] - before.get("write", 0))


def _record_failure(step: str, exc: BaseException) -> None:
    metrics.add_metric("Failures", MetricUnit.Count, 1)
    if isinstance(exc, OwnershipConflict):
        metrics.add_metric("Conflicts", MetricUnit.Count, 1)
    detail = exc.to_dict() if isinstance(exc, IpamsyncError) else {"error": type(exc).__name__}
    if isinstance(exc, IpamsyncError):
        logger.error(f"{step} failed", extra={"failure": detail})
    else:
        logger.exception(f"{step} failed", extra={"failure": detail})
    if isinstance(exc, SolidServerAuthError):
        reset_context(refetch_secret=True)


def _record_changes(result: Mapping[str, Any]) -> None:
    changes = result.get("changes") or {}
    metrics.add_metric("ObjectsCreated", MetricUnit.Count, int(changes.get("created", 0)))
    metrics.add_metric("ObjectsUpdated", MetricUnit.Count, int(changes.get("updated", 0)))
    metrics.add_metric("ObjectsDeleted", MetricUnit.Count, int(changes.get("deleted", 0)))
    if result.get("stale"):
        metrics.add_metric("StaleMessagesSkipped", MetricUnit.Count, 1)


StepFn = Callable[[Message, Any, Mapping[str, Any]], dict[str, Any]]
Handler = Callable[[Any, Any], dict[str, Any]]


def _entry(
    step: str, body: Handler, record: Callable[[Mapping[str, Any]], None], named: Callable[..., Any]
) -> Handler:
    """The shape every ipamsync Lambda shares: Powertools (metrics flushed even on failure, tracing,
    logger with Lambda context), the ``step`` dimension and log key, the invocation deadline for the
    SOLIDserver client, failures logged and counted then re-raised under their own name (the state
    machine's error name), and the result recorded as metrics and logged."""

    @metrics.log_metrics
    @_traced
    @logger.inject_lambda_context(clear_state=True)
    @functools.wraps(named)
    def handler(event: Any, lambda_context: Any) -> dict[str, Any]:
        metrics.add_dimension("step", step)
        logger.append_keys(step=step)
        token = _set_deadline(lambda_context)
        try:
            result = body(event, lambda_context)
        except Exception as exc:
            _record_failure(step, exc)
            raise
        finally:
            _reset_deadline(token)
        record(result)
        logger.info(f"{step} done", extra={"result": {k: v for k, v in result.items() if k != "networks"}})
        return result

    return handler


def _correlate(event_id: str, instance_id: str, **keys: str) -> None:
    """One correlation id — the EventBridge event id — on every log line and on the trace."""
    logger.set_correlation_id(event_id)
    logger.append_keys(instance_id=instance_id, **keys)
    tracer().put_annotation("instance_id", instance_id)
    tracer().put_annotation("correlation_id", event_id)


def sync_step(step: str) -> Callable[[StepFn], Handler]:
    """Wrap a sync step ``fn(message, context, event) -> dict`` into a Lambda handler."""

    def wrap(fn: StepFn) -> Handler:
        def body(event: Any, lambda_context: Any) -> dict[str, Any]:
            msg = message_from_event(event)
            _correlate(msg.event.id, msg.instance.id, state=msg.instance.state, observed_at=msg.observed_at)
            ctx = get_context()
            before = dict(ctx.ss.client.calls)
            try:
                return fn(msg, ctx, event if isinstance(event, Mapping) else {})
            finally:
                _record_calls(ctx, before)

        return _entry(step, body, _record_changes, fn)

    return wrap


def _record_counts(result: Mapping[str, Any]) -> None:
    for key, value in result.items():
        if isinstance(value, int) and not isinstance(value, bool):
            metrics.add_metric("".join(w.capitalize() for w in key.split("_")), MetricUnit.Count, value)


def maintenance_step(step: str) -> Callable[[Callable[[Any, Mapping[str, Any]], dict[str, Any]]], Handler]:
    """Wrap a scheduled job ``fn(context, event) -> dict`` (no message) into a Lambda handler;
    the integer values of its result become metrics (``tombstones_deleted`` → ``TombstonesDeleted``)."""

    def wrap(fn: Callable[[Any, Mapping[str, Any]], dict[str, Any]]) -> Handler:
        return _entry(step, lambda event, _ctx: fn(get_context(), event), _record_counts, fn)

    return wrap


class EnrichDeps:
    """AWS clients and settings of the enrich Lambda (one per container, built on first use)."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        import boto3
        from botocore.config import Config

        from ipamsync.settings import Settings

        env = os.environ if env is None else env
        self.settings = Settings.from_env(env)
        self.queue_url = (env.get("EVENT_QUEUE_URL") or "").strip()
        if not self.queue_url:
            from ipamsync.errors import ConfigurationError

            raise ConfigurationError("EVENT_QUEUE_URL is not set")
        self._config = Config(
            retries={"mode": "adaptive", "max_attempts": 6}, connect_timeout=3, read_timeout=10
        )
        self._boto3 = boto3
        self.sqs = boto3.client("sqs", config=self._config)
        self._readers: dict[str, Any] = {}

    def ec2_reader(self, region: str) -> Any:
        from ipamsync.enrich import Ec2Reader

        if region not in self._readers:
            self._readers[region] = Ec2Reader(
                self._boto3.client("ec2", region_name=region, config=self._config)
            )
        return self._readers[region]


_enrich_deps: EnrichDeps | None = None


def get_enrich_deps() -> EnrichDeps:
    global _enrich_deps
    if _enrich_deps is None:
        with _lock:
            if _enrich_deps is None:
                _enrich_deps = EnrichDeps()
    return _enrich_deps


def reset_enrich_deps() -> None:
    global _enrich_deps
    with _lock:
        _enrich_deps = None


def enrich_step(fn: Callable[[Mapping[str, Any], EnrichDeps], dict[str, Any]]) -> Handler:
    """Wrap the enrich function ``fn(event, deps) -> dict`` into a Lambda handler.

    The event is validated first (``InvalidMessage`` on anything that is not an EC2 state-change
    event); the correlation id is the EventBridge event id.
    """

    def body(event: Any, lambda_context: Any) -> dict[str, Any]:
        from ipamsync.enrich import parse_event

        change = parse_event(event)
        _correlate(change.id, change.instance_id, event_state=change.state)
        return fn(event, get_enrich_deps())

    return _entry(
        "enrich", body, lambda _result: metrics.add_metric("EventsEnriched", MetricUnit.Count, 1), fn
    )
