"""Functions: the template's functions as moto Lambda definitions (for inspection: configuration,
reserved concurrency, asynchronous-invocation config with destinations) and the layer directories
the handlers import from. Running them is the local Lambda service's job (:mod:`.lambdas`)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .template import FunctionSpec, Template


def layer_dirs(template: Template) -> list[Path]:
    """The ``ContentUri`` of every layer (``src/``): importable by the handlers."""
    dirs = []
    for lid in template.logical_ids("AWS::Serverless::LayerVersion"):
        uri = template.properties(lid).get("ContentUri")
        if isinstance(uri, str):
            dirs.append((template.root / uri).resolve())
    return dirs


def _placeholder_code() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("README.txt", "runs locally: see ipamsync_local.aws.lambdas")
    return buf.getvalue()


def create_functions(
    lambda_: Any, functions: Mapping[str, FunctionSpec], role: Callable[[str, str], str]
) -> None:
    """One moto function per spec, with its reserved concurrency and event invoke config.
    ``role(logical_id, principal)`` gives the execution role's ARN."""
    code = _placeholder_code()
    for lid, spec in functions.items():
        lambda_.create_function(
            FunctionName=spec.name,
            Runtime=spec.runtime or "python3.13",
            Role=role(f"{lid}Role", "lambda.amazonaws.com"),
            Handler=spec.handler,
            Code={"ZipFile": code},
            Timeout=spec.timeout,
            MemorySize=spec.memory_size,
            Environment={"Variables": spec.environment},
            Architectures=list(spec.architectures),
        )
        if spec.reserved_concurrency is not None:
            lambda_.put_function_concurrency(
                FunctionName=spec.name, ReservedConcurrentExecutions=spec.reserved_concurrency
            )
        cfg = spec.async_config
        kwargs: dict[str, Any] = {
            "FunctionName": spec.name,
            "MaximumRetryAttempts": cfg.maximum_retry_attempts,
            "MaximumEventAgeInSeconds": cfg.maximum_event_age_in_seconds,
        }
        destinations = {}
        if cfg.on_failure is not None:
            destinations["OnFailure"] = {"Destination": cfg.on_failure.arn}
        if cfg.on_success is not None:
            destinations["OnSuccess"] = {"Destination": cfg.on_success.arn}
        if destinations:
            kwargs["DestinationConfig"] = destinations
        lambda_.put_function_event_invoke_config(**kwargs)


def sync_concurrency(functions: Mapping[str, FunctionSpec]) -> int | None:
    """The reserved concurrency the functions the state machine invokes share (the template's
    ``SolidServerMaxConcurrency``): the smallest one set, None when none is reserved."""
    reserved = [s.reserved_concurrency for s in functions.values() if s.reserved_concurrency]
    return min(reserved) if reserved else None
