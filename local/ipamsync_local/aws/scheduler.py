"""A small delayed-work runner: callables run at a due time on a bounded worker pool.

Used for Lambda's asynchronous invocations (and their retry backoff) and for the pipe's
redelivery clock. It counts outstanding work (scheduled + queued + running), which is what
``wait_idle`` needs.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, workers: int, name: str) -> None:
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self.name = name
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._heap: list[tuple[float, int, Callable[[], Any]]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._outstanding = 0
        self._stopping = False
        self._timer = threading.Thread(target=self._run_timer, name=f"{name}-timer", daemon=True)
        self._timer.start()

    def submit(self, fn: Callable[[], Any], delay: float = 0.0) -> None:
        """Run ``fn`` after ``delay`` seconds (real seconds: callers scale their own waits)."""
        with self._cond:
            if self._stopping:
                raise RuntimeError(f"{self.name} is stopped")
            self._outstanding += 1
            heapq.heappush(self._heap, (time.monotonic() + max(0.0, delay), next(self._seq), fn))
            self._cond.notify_all()

    def _run_timer(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = None if not self._heap else max(0.0, self._heap[0][0] - time.monotonic())
                    self._cond.wait(timeout)
                if self._stopping:
                    return
                _, _, fn = heapq.heappop(self._heap)
            try:
                self._pool.submit(self._call, fn)
            except RuntimeError:  # pool shut down while stopping
                self._done()
                return

    def _call(self, fn: Callable[[], Any]) -> None:
        try:
            fn()
        except Exception:
            log.exception("%s: scheduled work failed", self.name)
        finally:
            self._done()

    def _done(self) -> None:
        with self._cond:
            self._outstanding -= 1
            self._cond.notify_all()

    @property
    def outstanding(self) -> int:
        with self._cond:
            return self._outstanding

    @property
    def scheduled(self) -> int:
        """Work waiting for its due time (not yet handed to a worker)."""
        with self._cond:
            return len(self._heap)

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._outstanding:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def stop(self, wait: bool = True) -> int:
        """Stop; work not started yet is dropped (returns how much)."""
        with self._cond:
            self._stopping = True
            dropped = len(self._heap)
            self._outstanding -= dropped
            self._heap.clear()
            self._cond.notify_all()
        self._timer.join(timeout=5)
        self._pool.shutdown(wait=wait, cancel_futures=True)
        return dropped
