"""Inside one execution environment (a process of its own, see :mod:`.environments`): what the
Lambda Python runtime does there, for one function.

* **Init** (once, when the environment starts: a cold start): stdout and stderr go to the log pipe
  the parent reads (line-buffered, like the runtime's capture of the process output); the process
  environment *is* the function's (nothing of the parent's); the function's code directory first on
  ``sys.path``, the layer's after it; the handler module imported (``app``). An import failure is
  reported as Lambda does (``Runtime.ImportModuleError``, ``Runtime.HandlerNotFound``), and the
  environment ends.
* **Invoke** (repeatedly, one at a time): the event (JSON text), a context object (request id,
  remaining time from the deadline the parent set), the handler's JSON result or Lambda's error
  shape (``errorType`` = the exception's class name, ``errorMessage``, ``requestId``,
  ``stackTrace``). The parent enforces the timeout by killing the process.

Only the standard library is imported here: this module is imported in the environment before the
handler, and must not bring anything of the local tooling with it. Ctrl-C is ignored (the parent,
whose terminal sent it to the whole process group, stops the environments).
"""

from __future__ import annotations

import datetime as _dt
import importlib
import io
import json
import os
import signal
import sys
import time
import traceback
import uuid
from typing import Any


class Context:
    """The context object Lambda's Python runtime passes to the handler."""

    def __init__(self, function: dict[str, Any], request_id: str, deadline: float, log_stream: str) -> None:
        self.function_name = function["name"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = function["arn"]
        self.memory_limit_in_mb = function["memory_size"]
        self.aws_request_id = request_id
        self.log_group_name = function["log_group"]
        self.log_stream_name = log_stream
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline = deadline  # time.monotonic(): one clock for every process of the machine

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _error(exc: BaseException, request_id: str) -> dict[str, Any]:
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def _runtime_error(error_type: str, message: str, request_id: str = "") -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": []}


def _output(fd: int) -> io.TextIOWrapper:
    return io.TextIOWrapper(
        io.FileIO(fd, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True
    )


def _init(config: dict[str, Any]) -> Any:
    """The handler, or raises (import errors in Lambda's terms)."""
    os.environ.clear()
    os.environ.update(config["env"])
    time.tzset()
    for path in reversed([config["code_uri"], *config["layer_dirs"]]):
        while path in sys.path:
            sys.path.remove(path)
        sys.path.insert(0, path)
    module_name, _, attr = config["handler"].rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise _InitError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}"
        ) from exc
    handler = getattr(module, attr, None)
    if not callable(handler):
        raise _InitError("Runtime.HandlerNotFound", f"Handler '{attr}' missing on module '{module_name}'")
    return handler


class _InitError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def serve(conn: Any, log: Any, config: dict[str, Any]) -> None:
    """The environment's main loop (the target of its process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    log.close()
    sys.stdout, sys.stderr = _output(1), _output(2)
    try:
        handler = _init(config)
    except _InitError as exc:
        conn.send(("init_error", _runtime_error(exc.error_type, str(exc))))
        return
    except Exception as exc:
        traceback.print_exc()
        conn.send(("init_error", _error(exc, "")))
        return
    now = _dt.datetime.now(_dt.UTC)
    log_stream = f"{now:%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
    conn.send(("ready", os.getpid()))
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        request_id, event_text, deadline = message
        reply, exiting = _invoke(handler, config["function"], request_id, event_text, deadline, log_stream)
        sys.stdout.flush()
        sys.stderr.flush()
        conn.send(reply)
        if exiting:
            return


def _invoke(
    handler: Any, function: dict[str, Any], request_id: str, event_text: str, deadline: float, log_stream: str
) -> tuple[tuple[str, Any, float], bool]:
    context = Context(function, request_id, deadline, log_stream)
    started = time.perf_counter()
    try:
        result = handler(json.loads(event_text), context)
    except Exception as exc:
        return ("error", _error(exc, request_id), _ms(started)), False
    except BaseException as exc:  # SystemExit, KeyboardInterrupt: the runtime process ends
        message = f"RequestId: {request_id} Error: Runtime exited with error: {type(exc).__name__}"
        return ("error", _runtime_error("Runtime.ExitError", message, request_id), _ms(started)), True
    duration = _ms(started)
    try:
        return ("ok", json.dumps(result), duration), False
    except (TypeError, ValueError) as exc:
        payload = _runtime_error("Runtime.MarshalError", f"Unable to marshal response: {exc}", request_id)
        return ("error", payload, duration), False


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
