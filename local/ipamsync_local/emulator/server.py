"""The emulator's HTTP/1.1 server: SOLIDserver's REST v1 at ``/rest/<service>``, admin endpoints
under ``/_emulator/``.

HTTP behaviour
--------------
* keep-alive (HTTP/1.1, every answer carries ``Content-Length``), one thread per connection;
* parameters are read from the query string for every verb; a request body is read and ignored;
* 200 with rows, 201 when a ``*_add`` created its object, 204 with an empty body when there is
  no row (lists, ``*_info`` of a missing id, delete of a missing object); errors answer
  SOLIDserver's error object: 400 validation/business rules, 401 credentials, 404 unknown
  service, 405 wrong verb for a known service (with ``Allow``), 412 token clock skew, 429/5xx
  when fault-injected, 500 on an emulator bug;
* admin endpoints (JSON in, JSON out, no SOLIDserver credentials, never faulted, not counted)::

      GET    /_emulator/health
      GET    /_emulator/faults            current fault configuration
      PUT    /_emulator/faults            replace it (JSON body, see faults.py)
      PATCH  /_emulator/faults            merge: outage/seed, and the rules of the services named
      DELETE /_emulator/faults            clear every fault
      PUT    /_emulator/faults/outage     {"outage": true|false}
      GET    /_emulator/stats             per-service counters
      DELETE /_emulator/stats             reset them
      POST   /_emulator/reset             delete every object (ids are never reused)
      POST   /_emulator/dns               {"server": NAME, "ip": IPv4?, "zone": NAME?, "reverse": bool?}
      POST   /_emulator/seed              {"space", "dns_server", "forward_zones", "reverse_zones"}
      GET    /_emulator/profile           the appliance profile's settings (profile.py)
      PUT    /_emulator/profile           {"profile": NAME, "settings": {...}}: replace it
      PATCH  /_emulator/profile           {"settings": {...}}: change some settings
      POST   /_emulator/dns/apply         the DNS server applies every pending deletion now
      POST   /_emulator/dns/renumber      every record gets a new rr_id (as DNS behaviour may do)
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from . import dns, tls
from .admin import EmulatorAdmin
from .auth import Authenticator
from .errors import ApiError, Errno
from .faults import Faults, Stats
from .profile import PROFILES, Appliance
from .profile import resolve as resolve_profile
from .request import Result
from .seed import SeedOptions, seed
from .services import dispatch, lookup
from .store import Store

log = logging.getLogger("ipamsync_local.emulator")  # not under "ipamsync": that is the Lambdas' logger

ADMIN_PREFIX = "/_emulator/"
REST_PREFIX = "/rest/"
MAX_BODY = 1 << 20
IDLE_TIMEOUT = 60


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        emulator: EmulatorServer,
        ssl_context: ssl.SSLContext | None,
        family: socket.AddressFamily = socket.AF_INET,
    ) -> None:
        self.address_family = family
        self.emulator = emulator
        self.ssl_context = ssl_context
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.accepted = 0
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, client = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms delayed-ACK stalls
        if self.ssl_context is not None:  # the handshake runs in the connection's own thread
            sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self.connections_lock:
            self.connections.add(sock)
            self.accepted += 1
        return sock, client

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self.connections_lock:
            open_sockets = list(self.connections)
        for sock in open_sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ipamsync-solidserver-emulator/1.0"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    wbufsize = 1 << 16  # headers and body leave in one write (flushed after each request)
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_OPTIONS(self) -> None:
        self._handle("OPTIONS")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    # ------------------------------------------------------------------ plumbing

    def _read_body(self) -> bytes | None:
        """The request body (read so the connection stays usable); None if unreadable."""
        length = self.headers.get("Content-Length")
        if length is not None:
            try:
                size = int(length)
            except ValueError:
                return None
            if size < 0 or size > MAX_BODY:
                return None
            return self.rfile.read(size) if size else b""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        return b""

    def _send(self, status: int, body: object | None, headers: Mapping[str, str] | None = None) -> None:
        payload = b"" if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 204:
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if status != 204 and self.command != "HEAD":
            self.wfile.write(payload)

    def _drop(self) -> None:
        """Close the connection without answering anything."""
        self.close_connection = True
        try:
            self.request.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # ------------------------------------------------------------------ dispatch

    def _handle(self, method: str) -> None:
        body = self._read_body()
        if body is None:
            self.close_connection = True
            self._send(400, ApiError(Errno.INVALID_PARAMETER, "unreadable or too large request body").body())
            return
        split = urlsplit(self.path)
        if split.path.startswith(ADMIN_PREFIX):
            self._admin(method, split.path[len(ADMIN_PREFIX) :].strip("/"), body)
            return
        if not split.path.startswith(REST_PREFIX):
            self._send(
                404,
                ApiError(
                    Errno.UNKNOWN_SERVICE,
                    f"no such path {split.path!r}: the v1 API is at /rest/<service>",
                    status=404,
                ).body(),
            )
            return
        self._rest(method, split.path[len(REST_PREFIX) :].strip("/"), split.query)

    def _rest(self, method: str, service: str, query: str) -> None:
        emulator = self.server.emulator
        decision = emulator.fault_injector.decide(service, unquote_plus(query))
        if decision.latency_s > 0:
            emulator.stats.delayed(service, decision.latency_s)
            time.sleep(decision.latency_s)
        if decision.drop:
            emulator.stats.record(service, method, "dropped")
            self._drop()
            return
        if decision.status is not None:
            error = _injected(decision.status, decision.retry_after, decision.outage)
            self._reply_error(service, method, error)
            return
        try:
            headers = {name.lower(): value for name, value in self.headers.items()}
            host = self.headers.get("Host") or f"{emulator.host}:{emulator.port}"
            emulator.auth.check(method, f"{emulator.scheme}://{host}{self.path}", headers)
            svc = lookup(service, method)
            params = dict(parse_qsl(query, keep_blank_values=True))
            result = dispatch(emulator.store, svc, method, params)
        except ApiError as error:
            self._reply_error(service, method, error)
            return
        except Exception:
            log.exception("emulator bug while serving %s %s", method, service)
            self._reply_error(
                service, method, ApiError(Errno.INTERNAL, "internal error of the emulator", status=500)
            )
            return
        if decision.drop_after_commit:
            emulator.stats.record(service, method, "dropped_after_commit")
            self._drop()
            return
        self._reply(service, method, result)

    def _reply(self, service: str, method: str, result: Result) -> None:
        status = result.status if result.rows else 204
        self.server.emulator.stats.record(service, method, status)
        self._send(status, result.rows if result.rows else None)

    def _reply_error(self, service: str, method: str, error: ApiError) -> None:
        emulator = self.server.emulator
        emulator.stats.record(service, method, error.status)
        appliance = emulator.profile.appliance_errors and error.status == 400
        self._send(error.status, error.appliance_body(service) if appliance else error.body(), error.headers)

    # ------------------------------------------------------------------ admin

    def _admin(self, method: str, route: str, body: bytes) -> None:
        try:
            data: Any = json.loads(body) if body.strip() else {}
        except ValueError:
            self._send(400, {"error": "the body must be JSON"})
            return
        try:
            status, answer = self.server.emulator.admin_call(method, route, data)
        except ApiError as error:
            self._send(error.status, error.body())
            return
        except ValueError as error:
            self._send(400, {"error": str(error)})
            return
        self._send(status, answer)


def _injected(status: int, retry_after: int, outage: bool) -> ApiError:
    headers = {"Retry-After": str(retry_after)} if status in (429, 503) else {}
    if outage:
        return ApiError(
            Errno.SERVICE_UNAVAILABLE, "service unavailable (emulated outage)", status=503, headers=headers
        )
    if status == 401:
        # the "incorrect http error code associated to internal SOLIDserver exceptions" that the
        # Terraform provider retries once authenticated (soliderver.go, commit f84643f)
        return ApiError(Errno.AUTH, "injected fault: HTTP 401 (internal exception)", status=401)
    if status == 408:
        return ApiError(Errno.REQUEST_TIMEOUT, "injected fault: HTTP 408 Request Timeout", status=408)
    errno = Errno.RATE_LIMITED if status == 429 else Errno.SERVICE_UNAVAILABLE
    return ApiError(errno, f"injected fault: HTTP {status}", status=status, headers=headers)


class EmulatorServer:
    """A SOLIDserver emulator on loopback, in a background thread.

    >>> with EmulatorServer(port=0) as emu:          # doctest: +SKIP
    ...     requests.get(emu.url + "/rest/member_list", auth=("ipmadmin", "admin"))
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        db: str = ":memory:",
        username: str = "ipmadmin",
        password: str = "admin",  # noqa: S107 - the emulator's documented default credentials
        tls: bool = False,
        cert: str | None = None,
        key: str | None = None,
        token_id: str | None = None,
        token_secret: str | None = None,
        faults: Mapping[str, Any] | None = None,
        seed: bool = False,
        profile: str | Appliance | Mapping[str, Any] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.db = db
        self.tls = tls
        self._cert = cert
        self._key = key
        self._seed = seed
        self.auth = Authenticator(username, password, token_id, token_secret)
        self.fault_injector = Faults(faults)
        self._profile = resolve_profile(profile)
        self.stats = Stats()
        self.store: Store | None = None
        self.cert_path: str | None = None
        self._tmpdir: str | None = None
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the emulator is not started")
        host = self.host
        if host in ("0.0.0.0", ""):  # noqa: S104 - a listen address, mapped to a reachable one
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted so far (keep-alive clients reuse one)."""
        return self._httpd.accepted if self._httpd is not None else 0

    @property
    def admin(self) -> EmulatorAdmin:
        return EmulatorAdmin(self.url, verify=self.cert_path if self.tls else True)

    def _ssl_context(self) -> ssl.SSLContext | None:
        if not self.tls:
            return None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if self._cert:
            context.load_cert_chain(self._cert, self._key)
            self.cert_path = self._cert
        else:
            self._tmpdir = tempfile.mkdtemp(prefix="ipamsync-emulator-tls-")
            files = tls.generate(Path(self._tmpdir), extra_hosts=(self.host,))
            context.load_cert_chain(str(files.chain), str(files.key))
            self.cert_path = str(files.ca_cert)
        return context

    @property
    def profile(self) -> Appliance:
        """The appliance's behaviours (:mod:`.profile`)."""
        return self._profile

    def set_profile(self, profile: str | Appliance | Mapping[str, Any] | None, **settings: Any) -> Appliance:
        """Switch to a named profile (or settings over the default), then ``settings``."""
        self._profile = resolve_profile(profile, settings)
        if self.store is not None:
            self.store.profile = self._profile
        return self._profile

    def start(self) -> EmulatorServer:
        if self._httpd is not None:
            return self
        self.store = Store(self.db)
        self.store.profile = self._profile
        context = self._ssl_context()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._httpd = _HTTPServer((self.host, self.port), self, context, family)
        self.port = int(self._httpd.server_address[1])
        if self._seed:
            seed(self.store)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.close_connections()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self.store is not None:
            self.store.close()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ admin operations

    def admin_call(self, method: str, route: str, data: Any) -> tuple[int, Any]:
        """Serve one admin endpoint: (status, JSON answer). ValueError -> 400."""
        store = self.store
        assert store is not None
        routes: dict[tuple[str, str], Any] = {
            ("GET", "health"): lambda: {"status": "ok", "url": self.url, "db": self.db},
            ("GET", "faults"): self.fault_injector.snapshot,
            ("PUT", "faults"): lambda: self.fault_injector.configure(_object(data)),
            ("PATCH", "faults"): lambda: self.fault_injector.merge(_object(data)),
            ("DELETE", "faults"): self.fault_injector.clear,
            ("PUT", "faults/outage"): lambda: self.fault_injector.set_outage(_outage(data)),
            ("POST", "faults/outage"): lambda: self.fault_injector.set_outage(_outage(data)),
            ("GET", "stats"): self.stats.snapshot,
            ("DELETE", "stats"): lambda: (self.stats.reset(), self.stats.snapshot())[1],
            ("POST", "reset"): lambda: (store.reset(), {"reset": True})[1],
            ("POST", "dns"): lambda: self._admin_dns(_object(data)),
            ("POST", "dns/apply"): lambda: {"applied": dns.apply_due_deletions(store, force=True)},
            ("POST", "dns/renumber"): lambda: {"renumbered": dns.renumber_records(store)},
            ("GET", "profile"): self._profile_answer,
            ("PUT", "profile"): lambda: self._profile_change(_object(data), merge=False),
            ("PATCH", "profile"): lambda: self._profile_change(_object(data), merge=True),
            ("POST", "seed"): lambda: seed(store, SeedOptions.from_json(_object(data))),
        }
        handler = routes.get((method, route))
        if handler is None:
            if any(r == route for _, r in routes):
                allowed = sorted(m for m, r in routes if r == route)
                return 405, {"error": f"{method} not allowed on {ADMIN_PREFIX}{route}", "allowed": allowed}
            return 404, {"error": f"no admin endpoint {ADMIN_PREFIX}{route}"}
        return 200, handler()

    def _profile_answer(self) -> dict[str, Any]:
        return {"profiles": sorted(PROFILES), "settings": self._profile.to_json()}

    def _profile_change(self, data: Mapping[str, Any], *, merge: bool) -> dict[str, Any]:
        """PUT ``{"profile": NAME?, "settings": {...}?}`` replaces the profile; PATCH changes settings."""
        unknown = set(data) - {"profile", "settings"}
        if unknown:
            raise ValueError(
                f"unknown fields {sorted(unknown)}: send {{'profile': NAME, 'settings': {{...}}}}"
            )
        settings = data.get("settings") or {}
        if not isinstance(settings, Mapping):
            raise ValueError("'settings' must be an object")
        if merge:
            self.set_profile(self._profile, **settings)
        else:
            self.set_profile(data.get("profile") or "default", **settings)
        return self._profile_answer()

    def _admin_dns(self, data: Mapping[str, Any]) -> dict[str, Any]:
        assert self.store is not None
        server = data.get("server")
        if not isinstance(server, str) or not server:
            raise ValueError("'server' (the DNS server name) is required")
        reverse = data.get("reverse")
        if reverse is not None and not isinstance(reverse, bool):
            raise ValueError("'reverse' must be true or false")
        with self.store.transaction():
            dns_id, created = dns.add_server(self.store, server, str(data.get("ip") or ""))
            answer: dict[str, Any] = {"dns_id": str(dns_id), "dns_created": created}
            zone = data.get("zone")
            if zone:
                zone_id, zone_created = dns.add_zone(self.store, server, str(zone), reverse)
                answer.update({"dnszone_id": str(zone_id), "zone_created": zone_created})
        return answer


def _object(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError("the body must be a JSON object")
    return data


def _outage(data: Any) -> bool:
    value = _object(data).get("outage")
    if not isinstance(value, bool):
        raise ValueError('the body must be {"outage": true} or {"outage": false}')
    return value
