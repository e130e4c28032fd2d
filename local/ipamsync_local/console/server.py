"""The console's HTTP server: the page (static files of this package) and its read-only JSON API.

Safe by default: it listens on 127.0.0.1 unless told otherwise, answers GET and HEAD only (nothing
it serves changes anything), refuses a ``Host`` it does not serve (a DNS-rebinding page cannot read
it), and sends a Content-Security-Policy without inline scripts or styles: the page's own scripts
put every value in the DOM as text.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any

from ipamsync_local.aws.executions import ExecutionStore

from . import graph as graphlib
from . import runs, views
from .sources import CachedSource, Snapshot

log = logging.getLogger(__name__)

STATIC = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "ipam.js": "text/javascript; charset=utf-8",
    "executions.js": "text/javascript; charset=utf-8",
    "dom.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
}
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
WILDCARD = ("0.0.0.0", "::", "")  # noqa: S104 - addresses compared with, not bound to
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,200}")  # an execution name (never a path)


def default_asl() -> Path:
    """``statemachine/sync.asl.json`` of the working directory, else of this checkout."""
    here = Path("statemachine") / "sync.asl.json"
    return here if here.is_file() else Path(__file__).resolve().parents[3] / here


@dataclass
class Console:
    """What the page shows: SOLIDserver (a source, or none), the execution records, the state
    machine's definition and, when a local AWS runs in this process, its dead-letter queues."""

    source: CachedSource | None
    store: ExecutionStore
    asl: dict[str, Any]
    dead_letters: Callable[[str], list[dict[str, Any]]] | None = None
    title: str = "ipamsync console"
    _graph: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._graph = graphlib.layout(self.asl)

    def snapshot(self) -> Snapshot:
        if self.source is None:
            return Snapshot(error="no SOLIDserver given (--url or --db)")
        return self.source.read()

    def names(self) -> dict[str, str]:
        snap = self.snapshot()
        return views.instance_names(snap.inventory) if snap.error is None else {}

    # ------------------------------------------------------------------ the API
    def status(self) -> dict[str, Any]:
        snap = self.snapshot()
        inv = snap.inventory
        return {
            "title": self.title,
            "solidserver": self.source.label if self.source else None,
            "error": snap.error,
            "read_at": snap.read_at,
            "counts": {
                "networks": len(inv.networks),
                "addresses": len(inv.addresses),
                "devices": len(inv.devices),
                "records": len(inv.records),
                "executions": sum(1 for _ in self.store.dir.glob("*.json")) if self.store.dir.is_dir() else 0,
            },
            "state_dir": str(self.store.dir),
            "dead_letters": self.dead_letters is not None,
        }

    def route(self, path: str, query: dict[str, str]) -> Any:
        """The JSON answer of an API path; KeyError → 404."""
        if path == "status":
            return self.status()
        if path in ("ipam", "devices", "dns", "search"):
            snap = self.snapshot()
            body: dict[str, Any] = {"error": snap.error}
            if path == "ipam":
                body["spaces"] = views.ipam(snap.inventory)
            elif path == "devices":
                body["devices"] = views.devices(snap.inventory)
            elif path == "dns":
                body["zones"] = views.dns(snap.inventory, snap.zones)
            else:
                body["hits"] = views.search(snap.inventory, query.get("q", ""))
                needle = query.get("q", "").strip()
                names = views.instance_names(snap.inventory)
                found = runs.list_executions(self.store, names, instance=needle, limit=50) if needle else {}
                body["executions"] = found.get("executions", [])
            return body
        if path == "executions":
            return runs.list_executions(
                self.store, self.names(), query.get("instance", ""), query.get("status", "")
            )
        if path.startswith("executions/"):
            name = path.split("/", 1)[1]
            if not NAME.fullmatch(name):
                raise KeyError(name)
            return runs.execution_detail(self.store, name, self._graph, self.names())
        if path == "graph":
            return self._graph
        if path == "deadletters":
            return runs.dead_letter_view(self.dead_letters)
        raise KeyError(path)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        for name, value in HEADERS.items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        # "<" as \u003c: the answer stays inert even if something ever read it as HTML
        text = json.dumps(data, ensure_ascii=False, default=str).replace("<", "\\u003c")
        self._send(status, text.encode("utf-8"), "application/json; charset=utf-8")

    def _host_allowed(self) -> bool:
        if self.server.hosts is None:  # listening on every address: told so on purpose
            return True
        host = (self.headers.get("Host") or "").strip().lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return name in self.server.hosts

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        if not self._host_allowed():
            self._json(421, {"error": "this console answers only on the address it listens on"})
            return
        url = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(url.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        if path in ("/", "/index.html"):
            self._static("index.html")
        elif path == "/favicon.ico":
            self._send(204, b"", "image/x-icon")
        elif path.startswith("/static/") and path[8:] in STATIC:
            self._static(path[8:])
        elif path.startswith("/api/"):
            try:
                self._json(200, self.server.console.route(path[5:], query))
            except KeyError as exc:
                self._json(404, {"error": f"not found: {exc.args[0] if exc.args else path}"})
            except Exception as exc:  # the page shows it; the server goes on
                log.exception("console API %s", path)
                self._json(500, {"error": f"{type(exc).__name__}: {exc}"})
        else:
            self._json(404, {"error": "not found"})

    def _refuse(self) -> None:
        self.send_response(405)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _refuse

    def _static(self, name: str) -> None:
        body = resources.files(__package__).joinpath("static", name).read_bytes()
        self._send(200, body, STATIC[name])


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], console: Console) -> None:
        self.console = console
        super().__init__(address, _Handler)
        host = address[0].lower()
        self.hosts: set[str] | None = (
            set(LOOPBACK) if host in LOOPBACK else None if host in WILDCARD else {host, f"[{host}]"}
        )


class ConsoleServer:
    """The console on ``host:port`` (0 = a free port), in a background thread."""

    def __init__(self, console: Console, host: str = "127.0.0.1", port: int = 0) -> None:
        self.console = console
        self.host, self.port = host, port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> ConsoleServer:
        if ":" in self.host:
            import socket

            class _Server6(_Server):
                address_family = socket.AF_INET6

            self._httpd = _Server6((self.host, self.port), self.console)
        else:
            self._httpd = _Server((self.host, self.port), self.console)
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="console", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ConsoleServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
