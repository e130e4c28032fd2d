"""Serving until told to stop: what every ``--keep-running`` and ``ipamsync console`` does."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable


def serve_until_stopped(stop_serving: Callable[[], None]) -> None:
    """Block until Ctrl-C or SIGTERM, then call ``stop_serving`` (SIGTERM's handler restored)."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop_serving()
