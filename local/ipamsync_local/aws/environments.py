"""Execution environments: one OS process per environment, a pool of them per function.

Lambda never runs two invocations in one execution environment at once, and the product keeps
per-environment state in module globals (Powertools' Logger/Metrics, ``ipamsync.runtime.container``),
so each environment here is a process of its own (:mod:`.envhost` runs inside it):

* **Start** (a cold start): forked by multiprocessing's *forkserver* — a clean process started once
  per Python process, which has preloaded the layer's heavy modules (:data:`PRELOAD`) but never
  imported the handlers nor read a function's environment — so an environment costs a fork and the
  handler's own init, never a fork of this process (it holds moto, threads and locks). The
  environment gets the function's whole environment (:func:`.invocation.lambda_environment`):
  every AWS call it makes goes to moto's server on loopback, i.e. to the same backends.
* **Pool**: an invocation takes an idle environment (warm) or starts a new one (cold). The pool
  has no size limit of its own: the Lambda service admits at most the reserved concurrency of
  invocations, so a function never has more environments than that.
* **Timeout**: the function's ``Timeout`` is enforced for real: the process is killed
  (``Sandbox.Timedout``) and the next invocation starts a new environment. A process that dies
  mid-invocation gives ``Runtime.ExitError``.
* **Logs**: the process's stdout and stderr (Powertools' JSON logs, EMF metrics, tracebacks) are one
  pipe; a thread per environment copies it to the service's log stream, whole lines only.
* **Stop**: :meth:`EnvironmentPool.stop` ends every environment (asked to exit, killed after a
  grace period); the processes are daemonic too, so an interpreter exit ends any left over.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from . import envhost
from .invocation import runtime_error, timed_out
from .template import FunctionSpec

log = logging.getLogger(__name__)

#: Imported once by the forkserver, inherited by every environment. Only modules that read nothing
#: of the environment at import time: ``ipamsync.runtime.observability`` (Logger and Metrics built
#: from ``POWERTOOLS_*``) and ``ipamsync.runtime.handler`` are left to each environment's init.
PRELOAD = (
    "json",
    "ssl",
    "boto3",
    "botocore.session",
    "botocore.client",
    "botocore.credentials",
    "requests",
    "urllib3",
    "aws_lambda_powertools",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.utilities.parameters",
    "aws_lambda_powertools.utilities.typing",
    "ipamsync",
    "ipamsync.errors",
    "ipamsync.model",
    "ipamsync.settings",
    "ipamsync.naming",
    "ipamsync.events",
    "ipamsync.enrich",
    "ipamsync.steps",
    "ipamsync.solidserver",
    "ipamsync.sync.common",
    "ipamsync.sync.device",
    "ipamsync.sync.networks",
    "ipamsync.sync.addresses",
    "ipamsync.sync.dns",
    "ipamsync.runtime.container",
    "ipamsync.runtime.credentials",
    "ipamsync_local.aws.envhost",
)
#: How long an environment may take to start (Lambda's init phase is limited to 10 s).
INIT_TIMEOUT = 10.0
#: How long a stopping environment may take to exit before it is killed.
STOP_GRACE = 1.0

_CONTEXT_LOCK = threading.Lock()
_LAUNCH_LOCK = threading.Lock()


def forkserver_context() -> Any:
    """multiprocessing's forkserver context, with the layer's modules preloaded (the forkserver is
    started on first use, once per Python process; preloads apply only to a server not yet running)."""
    with _CONTEXT_LOCK:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(list(PRELOAD))
        return ctx


@contextlib.contextmanager
def _without_main() -> Iterator[None]:
    """An environment never imports this process's ``__main__``: multiprocessing would re-run the
    main script in every child (a script without an ``if __name__ == "__main__"`` guard would start
    a runtime again), and an execution environment has nothing to do with it. The preparation data
    multiprocessing sends the child is told nothing of it while an environment is launched."""
    from multiprocessing import spawn

    original = spawn.get_preparation_data

    def preparation_data(name: str) -> dict[str, Any]:
        data = original(name)
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
        return data

    with _LAUNCH_LOCK:
        spawn.get_preparation_data = preparation_data
        try:
            yield
        finally:
            spawn.get_preparation_data = original


class LogSink:
    """Where every environment's output goes: whole lines, one writer at a time."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def write_lines(self, text: str) -> None:
        import sys

        with self.lock:
            out = self.stream if self.stream is not None else sys.stdout
            out.write(text)
            out.flush()

    def pump(self, reader: Any) -> None:
        """Copy a pipe to the sink until EOF (the process ended), cutting at line ends."""
        fd = reader.fileno()
        pending = b""
        try:
            while True:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                pending += chunk
                cut = pending.rfind(b"\n")
                if cut >= 0:
                    self.write_lines(pending[: cut + 1].decode("utf-8", "backslashreplace"))
                    pending = pending[cut + 1 :]
            if pending:
                self.write_lines(pending.decode("utf-8", "backslashreplace") + "\n")
        finally:
            reader.close()


@dataclass(frozen=True)
class Outcome:
    """One invocation in an environment: ``("ok", JSON text)`` or ``("error", Lambda's error shape)``."""

    status: str
    payload: Any
    duration_ms: float
    reusable: bool


class Environment:
    """One execution environment (a process) of one function."""

    def __init__(self, spec: FunctionSpec, number: int, config: dict[str, Any], sink: LogSink) -> None:
        self.spec = spec
        self.number = number
        self.config = config
        self.sink = sink
        self.process: Any = None
        self.conn: Any = None
        self.pid: int | None = None
        self.invocations = 0
        self._reader: threading.Thread | None = None
        #: kill() runs from the runtime's stop and from an invocation whose environment died or timed
        #: out, at the same moment: one of them closes the process (Process.close twice raises)
        self._kill_lock = threading.Lock()
        self._asked_to_exit = False

    def start(self, ctx: Any) -> dict[str, Any] | None:
        """Start the process and run the init phase; None when ready, else Lambda's init error."""
        parent, child = ctx.Pipe(duplex=True)
        log_r, log_w = ctx.Pipe(duplex=False)
        self.process = ctx.Process(
            target=envhost.serve,
            args=(child, log_w, self.config),
            name=f"lambda-{self.spec.short_name}-{self.number}",
            daemon=True,
        )
        with _without_main():
            self.process.start()
        child.close()
        log_w.close()
        self.conn = parent
        self._reader = threading.Thread(
            target=self.sink.pump, args=(log_r,), name=f"{self.process.name}-log", daemon=True
        )
        self._reader.start()
        if not self.conn.poll(INIT_TIMEOUT):
            self.kill()
            return runtime_error("Sandbox.Timedout", f"init did not finish in {INIT_TIMEOUT:.0f} s", "")
        try:
            kind, value = self.conn.recv()
        except (EOFError, OSError):
            self.kill()
            return runtime_error("Runtime.ExitError", "Runtime exited during init", "")
        if kind != "ready":
            self.kill()
            return dict(value)
        self.pid = int(value)
        return None

    def invoke(self, request_id: str, event_text: str) -> Outcome:
        started = time.perf_counter()
        deadline = time.monotonic() + self.spec.timeout
        self.invocations += 1
        try:
            self.conn.send((request_id, event_text, deadline))
            ready = self.conn.poll(max(0.0, deadline - time.monotonic()))
            reply = self.conn.recv() if ready else None
        except (EOFError, OSError):
            reply = ()
        elapsed = (time.perf_counter() - started) * 1000
        if reply is None:  # the timeout: the runtime kills the environment
            self.kill()
            return Outcome("error", timed_out(self.spec, request_id), elapsed, False)
        if not reply:
            code = self._exit_code()
            message = f"RequestId: {request_id} Error: Runtime exited with error: exit status {code}"
            return Outcome("error", runtime_error("Runtime.ExitError", message, request_id), elapsed, False)
        status, payload, duration = reply
        exiting = status == "error" and payload.get("errorType") == "Runtime.ExitError"
        return Outcome(status, payload, float(duration), not exiting)

    def _exit_code(self) -> Any:
        self.kill()
        return self.process.exitcode if self.process is not None else None

    def ask_to_exit(self) -> None:
        """Tell the process to exit (once), without waiting for it: :meth:`stop` waits."""
        if self.process is None or self._asked_to_exit:
            return
        self._asked_to_exit = True
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)

    def stop(self) -> None:
        """Ask the process to exit; kill it when it does not in time."""
        if self.process is None:
            return
        self.ask_to_exit()
        self.process.join(STOP_GRACE)
        self.kill()

    def kill(self) -> None:
        with self._kill_lock:
            process = self.process
            if process is None:
                return
            if process.is_alive():
                process.kill()
            process.join(5)
            with contextlib.suppress(OSError):
                self.conn.close()
            if self._reader is not None and self._reader is not threading.current_thread():
                self._reader.join(5)
            with contextlib.suppress(ValueError):
                process.close()
            self.process = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()


class EnvironmentPool:
    """The execution environments of one function: idle ones are reused, new ones started."""

    def __init__(
        self,
        spec: FunctionSpec,
        environment: dict[str, str],
        layer_dirs: list[str],
        sink: LogSink,
        on_start: Callable[[Environment], None] | None = None,
    ) -> None:
        self.spec = spec
        self.sink = sink
        self.config = {
            "env": environment,
            "code_uri": str(spec.code_uri),
            "layer_dirs": layer_dirs,
            "handler": spec.handler,
            "function": {
                "name": spec.name,
                "arn": spec.arn,
                "memory_size": spec.memory_size,
                "log_group": spec.log_group,
            },
        }
        self.on_start = on_start
        self._idle: list[Environment] = []
        self._busy: set[Environment] = set()
        self._lock = threading.Lock()
        self._started = 0
        self._stopped = False

    def acquire(self) -> tuple[Environment | None, bool, dict[str, Any] | None]:
        """(environment, cold, init error): an idle environment, else a new one."""
        with self._lock:
            if self._stopped:
                raise RuntimeError(f"{self.spec.name}: the Lambda service is stopped")
            if self._idle:
                env = self._idle.pop()
                self._busy.add(env)
                return env, False, None
            self._started += 1
            env = Environment(self.spec, self._started, self.config, self.sink)
            self._busy.add(env)
        error = env.start(forkserver_context())
        if error is not None:
            with self._lock:
                self._busy.discard(env)
            return None, True, error
        if self.on_start is not None:
            self.on_start(env)
        return env, True, None

    def release(self, env: Environment, reusable: bool) -> None:
        with self._lock:
            self._busy.discard(env)
            keep = reusable and not self._stopped and env.alive
            if keep:
                self._idle.append(env)
        if not keep:
            env.stop()

    def retire_idle(self) -> int:
        """Stop the idle environments: the next invocation is a cold start."""
        with self._lock:
            idle, self._idle = self._idle, []
        for env in idle:
            env.stop()
        return len(idle)

    def stop(self) -> None:
        """Stop every environment, the busy ones included (their invocations fail)."""
        with self._lock:
            self._stopped = True
            envs = [*self._idle, *self._busy]
            self._idle.clear()
        for env in envs:  # every process exits at once, each then waited for (killed if it lingers)
            env.ask_to_exit()
        for env in envs:
            env.stop()

    def pids(self) -> list[int]:
        with self._lock:
            return [e.pid for e in (*self._idle, *self._busy) if e.pid is not None]

    @property
    def size(self) -> int:
        with self._lock:
            return len(self._idle) + len(self._busy)

    @property
    def started(self) -> int:
        with self._lock:
            return self._started
