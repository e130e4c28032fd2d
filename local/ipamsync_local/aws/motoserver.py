"""moto's ``ThreadedMotoServer`` on loopback, serving the same in-process backends as ``mock_aws``
(the execution environments of the parallel Lambda service call it over HTTP, so every seam of
:mod:`.motohook` applies to their calls too). Its ``stop`` shuts the server down but leaves the
listening socket open: it is closed here. moto's server imports ``flask_cors`` (the ``moto[server]``
extra, not pinned): a stand-in is registered when it is missing (loopback only, no browser ever asks
it); werkzeug's line per request is silenced."""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
import types
from typing import Any

__all__ = ["MotoServer"]


class MotoServer:
    """moto's HTTP server on ``127.0.0.1`` (an ephemeral port unless ``port``), on the in-process
    backends. ``start()`` returns the endpoint URL; ``stop()`` also closes the listening socket."""

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.url: str | None = None
        self._server: Any = None
        self._werkzeug_level: int | None = None

    def start(self) -> str:
        try:
            import flask_cors  # noqa: F401
        except ImportError:
            stand_in = types.ModuleType("flask_cors")
            stand_in.CORS = lambda app, *a, **kw: app  # type: ignore[attr-defined]
            sys.modules["flask_cors"] = stand_in
        from moto.server import ThreadedMotoServer

        werkzeug = logging.getLogger("werkzeug")
        self._werkzeug_level = werkzeug.level
        werkzeug.setLevel(logging.WARNING)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        server.start()
        self._server = server
        host, port = server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self.url

    def get_host_and_port(self) -> tuple[str, int]:
        assert self._server is not None, "not started"
        host, port = self._server.get_host_and_port()
        return str(host), int(port)

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        try:
            _stop_now(server)
        finally:
            inner = getattr(server, "_server", None)  # werkzeug's server: its socket stays open
            if inner is not None:
                inner.server_close()
            if self._werkzeug_level is not None:
                logging.getLogger("werkzeug").setLevel(self._werkzeug_level)


def _stop_now(server: Any) -> None:
    """``server.stop()`` without waiting out the serving loop's poll: werkzeug's ``serve_forever``
    looks at its shutdown flag only between ``select`` calls of 0.5 s, so ``stop`` took up to half a
    second. The stop runs in a thread while connections to the listening socket wake the loop
    (each is accepted and closed by a handler that reads nothing); the stop's error is re-raised."""
    address = server.get_host_and_port()
    errors: list[BaseException] = []

    def stop() -> None:
        try:
            server.stop()
        except BaseException as exc:  # re-raised by the caller's thread
            errors.append(exc)

    stopper = threading.Thread(target=stop, name="moto-server-stop", daemon=True)
    stopper.start()
    while stopper.is_alive():
        with contextlib.suppress(OSError):
            socket.create_connection(address, timeout=0.5).close()
        stopper.join(0.02)
    if errors:
        raise errors[0]
