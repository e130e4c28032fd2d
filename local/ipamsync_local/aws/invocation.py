"""What one Lambda invocation is, wherever it runs (in-process or in an execution environment):
the context object the handler gets, the result or Lambda's error shape, the counters, the throttle
and bad-request refusals, and the environment variables Lambda gives a function."""

from __future__ import annotations

import datetime as dt
import json
import time
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .template import FunctionSpec


class Throttled(Exception):
    """Raised by the invoke router: the function's concurrency is exhausted (Lambda throttles)."""

    code, error = 429, "TooManyRequestsException"

    def __init__(self, message: str = "Rate Exceeded.") -> None:
        super().__init__(message)
        self.message = message


class InvalidRequestContent(Throttled):
    """Raised by the invoke router: the payload is not JSON (Lambda answers 400)."""

    code, error = 400, "InvalidRequestContentException"

    def __init__(self, message: str = "Could not parse request body into json") -> None:
        super().__init__(message)


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
    #: Execution environments started (cold starts) and invocations that found one idle (warm).
    cold_starts: int = 0
    warm_starts: int = 0
    timeouts: int = 0
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


def error_payload(exc: BaseException, request_id: str) -> dict[str, Any]:
    """Lambda's error shape for an exception the handler raised (``errorType`` = its class name)."""
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def runtime_error(error_type: str, message: str, request_id: str) -> dict[str, Any]:
    """An error the runtime reports itself (``Sandbox.Timedout``, ``Runtime.MarshalError``…)."""
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": []}


def timed_out(spec: FunctionSpec, request_id: str) -> dict[str, Any]:
    return runtime_error(
        "Sandbox.Timedout",
        f"RequestId: {request_id} Error: Task timed out after {spec.timeout:.2f} seconds",
        request_id,
    )


def marshal(result: Any, request_id: str) -> tuple[bytes | None, dict[str, Any] | None]:
    """The handler's result as Lambda returns it (JSON), or ``Runtime.MarshalError``."""
    try:
        return json.dumps(result).encode(), None
    except (TypeError, ValueError) as exc:
        return None, runtime_error("Runtime.MarshalError", f"Unable to marshal response: {exc}", request_id)


def lambda_environment(
    spec: FunctionSpec,
    *,
    region: str,
    layer_dirs: list[Path],
    endpoint_url: str,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The whole environment of one function's execution environment: the template's variables
    (Globals + the function's own), ``extra``, and what the Lambda runtime adds, with fake
    credentials and every AWS call sent to the local endpoint (moto's server)."""
    env = dict(spec.environment)
    env.update(extra or {})
    env.update(
        AWS_REGION=region,
        AWS_DEFAULT_REGION=region,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - moto's fake credentials
        AWS_SESSION_TOKEN="testing",  # noqa: S106
        AWS_ENDPOINT_URL=endpoint_url,
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_LAMBDA_FUNCTION_NAME=spec.name,
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(spec.memory_size),
        AWS_LAMBDA_LOG_GROUP_NAME=spec.log_group,
        AWS_LAMBDA_INITIALIZATION_TYPE="on-demand",
        AWS_EXECUTION_ENV=f"AWS_Lambda_{spec.runtime or 'python3.13'}",
        LAMBDA_TASK_ROOT=str(spec.code_uri),
        POWERTOOLS_TRACE_DISABLED="true",  # no X-Ray daemon locally
        TZ=":UTC",
        PYTHONPATH=":".join(str(d) for d in layer_dirs),
    )
    return env
