"""Where the CPU of the local pipeline's process goes: a CPU-time-weighted sampling profiler.

Every ``interval`` the sampler reads each thread's CPU clock and charges the CPU it used since the
previous sample to the component at the top of its current stack (the innermost frame that belongs
to a known package; stdlib frames count for their caller). CPU of a thread that ends between two
samples is charged to its last sampled component (``threading.Thread.run`` is wrapped while the
sampler runs: moto runs every execution, map iteration, branch and task on a thread of its own).
Inside a Lambda handler (a ``functions/<name>/app.py`` frame on the stack) the CPU is ipamsync's
own — except moto answering enrich's EC2/SQS calls, a stand-in for AWS. Nothing of the product is
touched: the sampler only reads stacks.
"""

from __future__ import annotations

import collections
import sys
import threading
import time
from typing import Any

#: Components in report order: (key, label, part of ipamsync's own cost?).
COMPONENTS: tuple[tuple[str, str, bool], ...] = (
    ("h:ipamsync", "ipamsync code (sync logic, model, client)", True),
    ("h:http", "HTTP client to SOLIDserver (requests, urllib3, ssl)", True),
    ("h:powertools", "Powertools (logging, metrics)", True),
    ("h:botocore", "boto3/botocore in enrich (EC2 reads, SQS send: client side)", True),
    ("moto", "moto: EC2, SQS, EventBridge, Lambda, the Step Functions interpreter (stand-in for AWS)", False),
    ("runtime", "local runtime, its boto3 clients, threads, benchmark (stand-in)", False),
    ("unsampled", "not attributed (process CPU - sampled CPU, incl. the sampler itself)", False),
)
COMPONENTS_KEYS = tuple(key for key, _, _ in COMPONENTS)
OWN = tuple(key for key, _, own in COMPONENTS if own)


def component_of(filename: str) -> str | None:
    """The package a frame's file belongs to (``None``: stdlib and unknown code)."""
    f = filename.replace("\\", "/")
    if "/functions/" in f or "/src/ipamsync/" in f or "/site-packages/ipamsync/" in f:
        return "ipamsync"
    if "aws_lambda_powertools" in f or "aws_xray_sdk" in f:
        return "powertools"
    if "/requests/" in f or "/urllib3/" in f or f.endswith(("/http/client.py", "/ssl.py", "/socket.py")):
        return "http"
    if any(p in f for p in ("/moto/", "/antlr4/", "/responses/", "/werkzeug/")):
        return "moto"
    if "/botocore/" in f or "/boto3/" in f or "/s3transfer/" in f:
        return "botocore"
    if "ipamsync_local/" in f:
        return "runtime"
    return None


def classify(frame: Any) -> str:
    """The component a thread's current stack is charged to (:data:`COMPONENTS`)."""
    component: str | None = None
    in_handler = False
    while frame is not None:
        filename = frame.f_code.co_filename
        component = component or component_of(filename)
        in_handler = in_handler or ("/functions/" in filename and filename.endswith("/app.py"))
        frame = frame.f_back
    if not in_handler:
        return "moto" if component == "moto" else "runtime"
    if component in ("moto", "runtime"):
        return "moto"  # moto answering enrich's EC2/SQS calls, through the local runtime's hooks
    return "h:" + (component or "ipamsync")  # the handler's own frame is ipamsync's


class CpuSampler:
    """Start, run the workload, stop; :attr:`cpu` is CPU seconds per component."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.cpu: collections.Counter[str] = collections.Counter()
        self.own_cpu = 0.0
        self._last: dict[int, tuple[float, str]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._original_run = threading.Thread.run

    def start(self) -> CpuSampler:
        sampler, original = self, self._original_run

        def run(thread: threading.Thread) -> None:
            try:
                original(thread)
            finally:
                sampler._thread_ended(threading.get_ident(), time.thread_time())

        threading.Thread.run = run  # type: ignore[method-assign]
        self._thread = threading.Thread(target=self._loop, name="bench-cpu-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        threading.Thread.run = self._original_run  # type: ignore[method-assign]

    def _thread_ended(self, ident: int, final: float) -> None:
        with self._lock:
            # a thread never sampled is one of moto's short-lived interpreter threads
            previous, key = self._last.pop(ident, (0.0, "moto"))
            if final > previous:
                self.cpu[key] += final - previous

    def _loop(self) -> None:
        me = threading.get_ident()
        started = time.thread_time()
        while not self._stop.wait(self.interval):
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                try:
                    now = time.clock_gettime(time.pthread_getcpuclockid(ident))
                except (OSError, ProcessLookupError):
                    continue
                key = classify(frame)
                with self._lock:
                    previous = self._last.get(ident)
                    self._last[ident] = (now, key)
                    if previous is not None and now > previous[0]:
                        self.cpu[key] += now - previous[0]
            del frame
        self.own_cpu = time.thread_time() - started

    def per_event_ms(self, process_cpu: float, events: int) -> dict[str, float]:
        """ms of CPU per event per component (:data:`COMPONENTS`), ``unsampled`` included."""
        cpu = dict(self.cpu)
        cpu["unsampled"] = max(0.0, process_cpu - sum(self.cpu.values()))
        return {key: round(cpu.get(key, 0.0) / max(1, events) * 1000, 2) for key in COMPONENTS_KEYS}
