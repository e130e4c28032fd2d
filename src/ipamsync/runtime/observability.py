"""Powertools set-up shared by every function: one JSON logger, one metrics namespace, a tracer.

Logging: the logger is named after the service (``ipamsync``); every module logger (``ipamsync.*``)
propagates to it, so a single correlation id — the EventBridge event id, carried in the message —
is on every line from the enrich Lambda to the last DNS call. Metrics go to the ``ipamsync``
namespace with a ``step`` dimension. Tracing patches requests and botocore.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics

#: ``location=None``: no ``module:line`` on every line (an exception's traceback names it).
logger = Logger(
    service=os.environ.get("POWERTOOLS_SERVICE_NAME", "ipamsync"),
    log_uncaught_exceptions=False,
    location=None,
)
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "ipamsync"))
_tracer: Any = None

F = TypeVar("F", bound=Callable[..., Any])


def tracer() -> Any:
    """Powertools Tracer, created on first use: with tracing active, creating it imports the X-Ray
    SDK, which imports botocore's session (about a second on a cold start); deferring it keeps the
    handler modules' import time small and costs the same once, on the first invocation."""
    global _tracer
    if _tracer is None:
        from aws_lambda_powertools import Tracer

        _tracer = Tracer(service="ipamsync", patch_modules=["requests", "botocore"])
    return _tracer


def traced(handler: F) -> F:
    """``tracer().capture_lambda_handler`` applied at the first call instead of at import."""
    wrapped: Callable[..., Any] | None = None

    @functools.wraps(handler)
    def call(event: Any, context: Any) -> Any:
        nonlocal wrapped
        if wrapped is None:
            wrapped = tracer().capture_lambda_handler(capture_response=False)(handler)
        return wrapped(event, context)

    return call  # type: ignore[return-value]


def correlate(event_id: str, instance_id: str | None, **keys: str | None) -> None:
    """One correlation id — the EventBridge event id — on every log line and on the trace."""
    logger.set_correlation_id(event_id)
    logger.append_keys(instance_id=instance_id, **{k: v for k, v in keys.items() if v is not None})
    if instance_id:
        tracer().put_annotation("instance_id", instance_id)
    tracer().put_annotation("correlation_id", event_id)
