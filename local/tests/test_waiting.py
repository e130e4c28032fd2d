"""serve_until_stopped: SIGTERM ends the wait, the server is stopped, SIGTERM's handler restored."""

from __future__ import annotations

import os
import signal
import threading

from ipamsync_local.waiting import serve_until_stopped


def test_sigterm_stops_the_server_and_restores_the_handler() -> None:
    before = signal.getsignal(signal.SIGTERM)
    stopped: list[bool] = []
    timer = threading.Timer(0.2, os.kill, args=(os.getpid(), signal.SIGTERM))
    timer.start()
    serve_until_stopped(lambda: stopped.append(True))
    timer.join()
    assert stopped == [True]
    assert signal.getsignal(signal.SIGTERM) == before
