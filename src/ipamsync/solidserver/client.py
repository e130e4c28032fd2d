"""Low-level SOLIDserver v1 REST client (``/rest/<service>``) on one pooled ``requests.Session``.

* All parameters travel in the query string (also for POST/PUT/DELETE); no body.
* Answers are decoded per the API facts: a JSON array of all-string rows, 204 = no rows,
  ``ret_oid`` on add, an error *object* on failure.
* Errors become the named exceptions of :mod:`ipamsync.errors`, which the state machine tells
  apart: transient (5xx, 429, timeouts, resets) are retried there; the rest are dead-lettered.
* Credentials only ever go into request headers: never into logs, reprs or exception text.
"""

from __future__ import annotations

import base64
import builtins
import contextvars
import hashlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ipamsync.errors import (
    ConfigurationError,
    SolidServerAuthError,
    SolidServerConflict,
    SolidServerError,
    SolidServerNotFound,
    SolidServerRequestError,
    SolidServerThrottled,
    SolidServerTimeout,
    SolidServerUnavailable,
    UnexpectedResponse,
)
from ipamsync.solidserver.config import ClientConfig
from ipamsync.solidserver.where import Where, render

if TYPE_CHECKING:
    import requests

log = logging.getLogger("ipamsync.solidserver")

Row = dict[str, str]
Params = Mapping[str, object]

READ_METHODS = frozenset({"GET"})

# Words in SOLIDserver's errmsg that tell a conflict or a missing object from other refusals,
# matched case-insensitively. Texts seen from live appliances: "Space name already exist" (errno
# 5061, gregocgt/SOLIDserverRest report.txt), "DNS rr already exists" (alexissavin/
# terraform-provider-solidserver issue #43); the others are guesses.
_CONFLICT_HINTS = ("already exist", "already used", "duplicate", "overlap", "already in use")
_NOT_FOUND_HINTS = ("not found", "does not exist", "doesn't exist", "unknown", "no such")
#: errno values that mean "already exists" on a live appliance (report.txt: 5061 on ip_site_add)
_CONFLICT_ERRNOS = frozenset({"5061"})
#: Keys of an error object that are not copied into ``SolidServerError.details``.
_ERROR_TEXT_KEYS = frozenset({"errno", "errmsg", "msg"})
#: Bounded in-process retries of the statuses the Terraform provider retries (soliderver.go):
#: 408, and 401 once this client has been answered with success (commit f84643f: "incorrect http
#: error code associated to internal SOLIDserver exceptions"). Seconds slept before each retry.
_RETRY_WAITS = (0.5, 1.0)


#: Monotonic time by which the current invocation must be done (set per Lambda invocation by
#: ``ipamsync.runtime.handler``; a context variable, so that it belongs to the invocation's thread).
DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("solidserver_deadline", default=None)
#: Time kept in hand after the last SOLIDserver call (logging, metrics, returning the result).
DEADLINE_MARGIN = 1.5


class RateLimiter:
    """Token bucket: at most ``rate`` requests per second on average, bursts of ``burst``."""

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = float(rate)
        self.capacity = float(burst if burst is not None else max(1.0, rate))
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping as needed; returns the seconds waited."""
        if self.rate <= 0:
            return 0.0
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1.0 - 1e-9:  # tolerance: refills are floating-point sums
                    self._tokens = max(0.0, self._tokens - 1.0)
                    return waited
                need = max((1.0 - self._tokens) / self.rate, 1e-6)
            self._sleep(need)
            waited += need


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: treat as unknown


def parse_version(text: str) -> tuple[int, ...] | None:
    """``"8.4.0"`` → ``(8, 4, 0)``; ``"7.3.2-p1"`` → ``(7, 3, 2)``; unreadable → None."""
    numbers: list[int] = []
    for part in text.strip().split(".")[:3]:
        digits = ""
        for ch in part:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        numbers.append(int(digits))
    return tuple(numbers) or None


def _is_error(row: Mapping[str, str]) -> bool:
    """A row that is an error: a live appliance answers some 400s (``*_info``, ``ip_alias_list``)
    as a one-element array ``[{"errno": "4", "errmsg": "Missing parameter ip_id", ...}]``
    (gregocgt/SOLIDserverRest report.txt); data rows carry ``errno`` ``"0"``."""
    return bool(row.get("errmsg")) and row.get("errno", "0") not in ("", "0")


def _error_object(payload: Any) -> Mapping[str, Any]:
    """The error object of a 4xx/5xx answer: an object, or the first object of a one-element array."""
    if isinstance(payload, dict):
        return payload
    if isinstance(payload, list) and payload and isinstance(payload[0], dict):
        first: Mapping[str, Any] = payload[0]
        return first
    return {}


class SolidServerClient:
    """One per execution environment (see :mod:`ipamsync.runtime.container`): thread-safe, pooled."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        import requests  # deferred: ~0.1 s of a Lambda cold start, paid when the client is built

        self._requests = requests
        self._session = session or self._new_session()
        self._sleep = sleep
        self._clock = clock
        self._limiter = RateLimiter(config.requests_per_second, sleep=sleep)
        self._probe_lock = threading.Lock()
        self.version: str | None = None
        #: True once SOLIDserver answered this client with success: a 401 after that may be one of
        #: the appliance's internal exceptions rather than a refusal of the credentials
        self._authenticated = False
        #: Calls made by this client, by ``"read"``/``"write"`` and by ``"<METHOD> <service>"``.
        self.calls: Counter[str] = Counter()

    def __repr__(self) -> str:
        return f"SolidServerClient(url={self.config.base_url!r}, auth={self.config.auth_mode!r})"

    @staticmethod
    def _new_session() -> requests.Session:
        import requests
        from requests.adapters import HTTPAdapter

        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=16, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.trust_env = False  # no proxy or netrc surprises inside Lambda
        return session

    def close(self) -> None:
        self._session.close()

    # ------------------------------------------------------------------ transport
    def _url(self, service: str, params: Params) -> str:
        clean = {k: ("" if v is None else str(v)) for k, v in params.items()}
        query = urlencode(clean)
        return f"{self.config.base_url}/rest/{service}" + (f"?{query}" if query else "")

    def _headers(self, method: str, url: str) -> dict[str, str]:
        cfg = self.config
        headers = {"Accept": "application/json"}
        if cfg.auth_mode == "native":
            headers["X-IPM-Username"] = _b64(cfg.credentials.username)
            headers["X-IPM-Password"] = _b64(cfg.credentials.password.reveal())
        elif cfg.auth_mode == "basic":
            raw = f"{cfg.credentials.username}:{cfg.credentials.password.reveal()}"
            headers["Authorization"] = "Basic " + _b64(raw)
        else:
            ts = str(int(self._clock()))
            to_sign = f"{cfg.credentials.token_secret.reveal()}\n{ts}\n{method}\n{url}"
            sig = hashlib.sha3_256(to_sign.encode("utf-8")).hexdigest()
            headers["Authorization"] = f"SDS {cfg.credentials.token_id}:{sig}"
            headers["X-SDS-TS"] = ts
        return headers

    def _ensure_probed(self) -> None:
        if self.version is not None:
            return
        with self._probe_lock:
            if self.version is None:
                try:
                    rows = self._call("GET", "member_list", {"WHERE": "member_is_me='1'"}, probe=True)
                except (SolidServerRequestError, SolidServerAuthError) as exc:
                    # member_list needs admin rights (the Terraform provider's SOLIDSERVER_VERSION
                    # option exists "in case API user does not have admin permissions"); a 401 or
                    # a token clock skew (412) still stop here
                    if exc.status in (401, 412) or exc.status is None or exc.status >= 500:
                        raise
                    self.version = self.config.version or ""
                    log.warning(
                        "SOLIDserver version not readable (member_list refused: insufficient rights?)",
                        extra={"status": exc.status, "solidserver_version": self.version or "unknown"},
                    )
                    return
                found = rows[0].get("member_version", "") if rows else ""
                self.version = found or self.config.version or ""
                log.info("SOLIDserver reached", extra={"solidserver_version": self.version})

    def probe(self) -> str:
        """SOLIDserver's version (``""`` when unknown), probed on the first call of this client."""
        self._ensure_probed()
        return self.version or ""

    @property
    def version_number(self) -> tuple[int, ...] | None:
        """The probed version as numbers (``8.4.0`` → ``(8, 4, 0)``), or None when unknown."""
        return parse_version(self.version or "")

    def call(self, method: str, service: str, params: Params | None = None) -> list[Row]:
        """One REST call; returns the rows ([] for 204). Raises the named errors."""
        self._ensure_probed()
        return self._call(method, service, dict(params or {}))

    def _call(self, method: str, service: str, params: Params, probe: bool = False) -> list[Row]:
        url = self._url(service, params)
        attempt = 0
        retried = 0  # 408 and spurious 401 answers retried so far
        while True:
            self._limiter.acquire()
            timeout = self._timeouts(service, method)
            started = time.monotonic()
            kind = "read" if method in READ_METHODS else "write"
            self.calls[kind] += 1
            self.calls[f"{method} {service}"] += 1
            requests = self._requests
            try:
                resp = self._session.request(
                    method,
                    url,
                    headers=self._headers(method, url),
                    timeout=timeout,
                    verify=self.config.verify,
                    allow_redirects=False,
                )
            except requests.exceptions.SSLError as exc:
                if "CERTIFICATE_VERIFY_FAILED" in str(exc) or "certificate verify failed" in str(exc):
                    raise ConfigurationError(
                        f"TLS certificate of {self.config.base_url} could not be verified: provide its CA "
                        "bundle (SOLIDSERVER_CA_BUNDLE / SolidServerCaBundleParameter)"
                    ) from None
                raise SolidServerUnavailable(
                    "TLS error talking to SOLIDserver", service=service, method=method
                ) from None
            except requests.exceptions.Timeout:
                raise SolidServerTimeout(
                    "SOLIDserver did not answer in time", service=service, method=method
                ) from None
            except requests.exceptions.ConnectionError:
                raise SolidServerUnavailable(
                    "connection to SOLIDserver failed or was reset", service=service, method=method
                ) from None
            except requests.exceptions.RequestException as exc:
                raise SolidServerUnavailable(
                    f"request to SOLIDserver failed ({type(exc).__name__})", service=service, method=method
                ) from None
            elapsed_ms = round((time.monotonic() - started) * 1000, 1)
            status = resp.status_code
            log.debug(
                "solidserver call",
                extra={"method": method, "sds_service": service, "status": status, "ms": elapsed_ms},
            )
            if status == 429:
                wait = _retry_after(resp.headers.get("Retry-After"))
                if attempt < self.config.throttle_retries and (wait or 0.0) <= self.config.max_throttle_wait:
                    attempt += 1
                    self._sleep(
                        wait if wait is not None else min(1.0 * attempt, self.config.max_throttle_wait)
                    )
                    continue
                raise SolidServerThrottled(
                    "SOLIDserver is rate limiting",
                    retry_after=wait,
                    service=service,
                    status=429,
                    method=method,
                )
            spurious = status == 408 or (status == 401 and self._authenticated and not probe)
            if spurious and retried < len(_RETRY_WAITS):
                log.info("retrying a transient answer", extra={"sds_service": service, "status": status})
                self._sleep(_RETRY_WAITS[retried])
                retried += 1
                continue
            rows = self._decode(resp, method, service, probe)
            self._authenticated = True
            return rows

    def _timeouts(self, service: str, method: str) -> tuple[float, float]:
        """(connect, read) timeouts, shortened so the call ends before the invocation's deadline.

        Without that, Lambda would kill the function (``Sandbox.Timedout``, not retried); with it,
        the call fails as the transient ``SolidServerTimeout`` that the state machine retries.
        """
        connect, read = self.config.connect_timeout, self.config.read_timeout
        deadline = DEADLINE.get()
        if deadline is None:
            return connect, read
        left = deadline - time.monotonic() - DEADLINE_MARGIN
        if left < 1.0:
            raise SolidServerTimeout(
                "not enough time left in this invocation to call SOLIDserver", service=service, method=method
            )
        return min(connect, left), min(read, left)

    def _decode(self, resp: requests.Response, method: str, service: str, probe: bool) -> list[Row]:
        status = resp.status_code
        if status == 204 or (status in (200, 201) and not resp.content.strip()):
            return []
        payload: Any
        try:
            payload = resp.json()
        except ValueError:
            payload = None
        if 200 <= status < 300:
            if isinstance(payload, list) and all(isinstance(r, dict) for r in payload):
                rows = [{str(k): "" if v is None else str(v) for k, v in r.items()} for r in payload]
                if len(rows) == 1 and _is_error(rows[0]):
                    self._raise(400, rows[0], method, service, probe)
                return rows
            if isinstance(payload, dict) and "errno" in payload:
                self._raise(status if status >= 400 else 400, payload, method, service, probe)
            raise UnexpectedResponse(
                "SOLIDserver answer is not a list of rows", service=service, status=status, method=method
            )
        self._raise(status, _error_object(payload), method, service, probe)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _raise(status: int, err: Mapping[str, Any], method: str, service: str, probe: bool) -> None:
        errno = str(err.get("errno")) if err.get("errno") not in (None, "") else None
        errmsg = str(err.get("errmsg") or err.get("msg") or "")[:500] or None
        details = {
            str(k)[:64]: str(v)[:200]
            for k, v in list(err.items())[:24]
            if k not in _ERROR_TEXT_KEYS and v is not None
        }

        def error(cls: type[SolidServerError], message: str) -> SolidServerError:
            return cls(
                message,
                service=service,
                status=status,
                errno=errno,
                errmsg=errmsg,
                method=method,
                details=details,
            )

        if status >= 500:
            raise error(SolidServerUnavailable, "SOLIDserver failed")
        if status == 408:
            raise error(SolidServerTimeout, "SOLIDserver answered 408 Request Timeout")
        if status in (401, 403):
            raise error(SolidServerAuthError, "SOLIDserver refused the credentials")
        if status == 412 and probe:
            raise error(SolidServerAuthError, "SOLIDserver refused the token signature (clock skew?)")
        if status == 404:
            raise error(SolidServerNotFound, "SOLIDserver does not know this service or object")
        text = (errmsg or "").lower()
        if status == 409 or errno in _CONFLICT_ERRNOS or any(h in text for h in _CONFLICT_HINTS):
            raise error(SolidServerConflict, "SOLIDserver refused: object already exists")
        if any(h in text for h in _NOT_FOUND_HINTS):
            raise error(SolidServerNotFound, "SOLIDserver refused: object not found")
        raise error(SolidServerRequestError, "SOLIDserver refused the request")

    # ------------------------------------------------------------------ helpers
    def get(self, service: str, params: Params | None = None) -> list[Row]:
        return self.call("GET", service, params)

    def add(self, service: str, params: Params) -> str:
        """POST ``*_add`` with ``add_flag=new_only``; returns the new object's id."""
        rows = self.call("POST", service, {**params, "add_flag": "new_only"})
        return self._ret_oid(rows, service)

    def edit(self, service: str, params: Params) -> str:
        """PUT ``*_add`` with ``add_flag=edit_only``; returns the object's id."""
        rows = self.call("PUT", service, {**params, "add_flag": "edit_only"})
        return self._ret_oid(rows, service)

    def delete(self, service: str, params: Params) -> None:
        self.call("DELETE", service, params)

    @staticmethod
    def _ret_oid(rows: list[Row], service: str) -> str:
        if not rows or not rows[0].get("ret_oid"):
            raise UnexpectedResponse("SOLIDserver did not return ret_oid", service=service)
        return rows[0]["ret_oid"]

    def list(
        self,
        service: str,
        *,
        where: Where | None = None,
        tags: builtins.list[str] | None = None,
        orderby: str | None = None,
        page_size: int | None = None,
        max_rows: int | None = None,
        extra: Params | None = None,
    ) -> Iterator[Row]:
        """All rows of a ``*_list`` service, page by page (``limit``/``offset``).

        Stops at a short page or a 204. ``tags`` are ``<type>.<param>`` names exposed as
        ``tag_<type>_<param>`` columns.
        """
        size = page_size or self.config.page_size
        params: dict[str, object] = dict(extra or {})
        if where is not None:
            params["WHERE"] = render(where)
        if tags:
            params["TAGS"] = "&".join(tags)
        if orderby:
            params["ORDERBY"] = orderby
        offset = 0
        yielded = 0
        while True:
            limit = size if max_rows is None else min(size, max_rows - yielded)
            if limit <= 0:
                return
            rows = self.get(service, {**params, "limit": limit, "offset": offset})
            yield from rows
            yielded += len(rows)
            if len(rows) < limit:
                return
            offset += len(rows)

    def count(self, service: str, where: Where | None = None, tags: builtins.list[str] | None = None) -> int:
        params: dict[str, object] = {}
        if where is not None:
            params["WHERE"] = render(where)
        if tags:
            params["TAGS"] = "&".join(tags)
        rows = self.get(service, params)
        try:
            return int(rows[0]["total"]) if rows else 0
        except (KeyError, ValueError):
            raise UnexpectedResponse("count without total", service=service) from None
