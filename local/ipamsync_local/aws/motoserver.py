"""moto's ``ThreadedMotoServer`` on loopback, serving the same in-process backends as ``mock_aws``
(the execution environments of the parallel Lambda service call it over HTTP, so every seam of
:mod:`.motohook` applies to their calls too). Its ``stop`` shuts the server down but leaves the
listening socket open: it is closed here. moto's server imports ``flask_cors`` (the ``moto[server]``
extra, not pinned): a stand-in is registered when it is missing (loopback only, no browser ever asks
it); werkzeug's line per request is silenced."""

from __future__ import annotations

import logging
import sys
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
            server.stop()
        finally:
            inner = getattr(server, "_server", None)  # werkzeug's server: its socket stays open
            if inner is not None:
                inner.server_close()
            if self._werkzeug_level is not None:
                logging.getLogger("werkzeug").setLevel(self._werkzeug_level)
