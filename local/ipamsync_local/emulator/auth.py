"""SOLIDserver's three ways to authenticate a REST call.

1. Native: ``X-IPM-Username: base64(user)`` and ``X-IPM-Password: base64(password)``.
2. HTTP Basic.
3. Token (SDS >= 8.4): ``Authorization: SDS <token_id>:<sig>`` and ``X-SDS-TS: <epoch s>`` with
   ``sig = sha3_256("<secret>\\n<ts>\\n<METHOD>\\n<full URL with query>").hexdigest()``.

The emulator rebuilds the signed URL as ``<scheme>://<Host header><request target>`` — the
request target exactly as it came on the request line (path and percent-encoded query), which
is what a client that signs the URL it sends produces. A timestamp more than
:data:`MAX_CLOCK_SKEW` seconds away from the emulator's clock answers 412.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

from .errors import ApiError, Errno

MAX_CLOCK_SKEW = 300


def token_signature(secret: str, timestamp: int | str, method: str, url: str) -> str:
    return hashlib.sha3_256(f"{secret}\n{timestamp}\n{method}\n{url}".encode()).hexdigest()


def _unauthorized(why: str) -> ApiError:
    return ApiError(
        Errno.AUTH,
        f"authentication failed: {why}",
        status=401,
        headers={"WWW-Authenticate": 'Basic realm="SOLIDserver"'},
    )


def _b64(text: str) -> str:
    try:
        return base64.b64decode(text.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _unauthorized("credentials are not valid base64") from None


class Authenticator:
    def __init__(
        self,
        username: str,
        password: str,
        token_id: str | None = None,
        token_secret: str | None = None,
        max_skew: int = MAX_CLOCK_SKEW,
    ) -> None:
        self.username = username
        self.password = password
        self.token_id = token_id
        self.token_secret = token_secret
        self.max_skew = max_skew

    def _credentials_ok(self, user: str, password: str) -> bool:
        same_user = hmac.compare_digest(user.encode(), self.username.encode())
        same_password = hmac.compare_digest(password.encode(), self.password.encode())
        return same_user and same_password

    def check(self, method: str, url: str, headers: Mapping[str, str]) -> str:
        """Raise 401/412 unless the call is authenticated; returns the mode used.

        ``headers`` has lower-case names.
        """
        authorization = headers.get("authorization", "")
        if authorization[:4].upper() == "SDS ":
            self._check_token(method, url, authorization[4:].strip(), headers.get("x-sds-ts"))
            return "token"
        if headers.get("x-ipm-username") is not None:
            user = _b64(headers.get("x-ipm-username", ""))
            password = _b64(headers.get("x-ipm-password", ""))
            if not self._credentials_ok(user, password):
                raise _unauthorized("bad username or password")
            return "native"
        if authorization[:6].lower() == "basic ":
            user, sep, password = _b64(authorization[6:]).partition(":")
            if not sep or not self._credentials_ok(user, password):
                raise _unauthorized("bad username or password")
            return "basic"
        raise _unauthorized("no credentials (X-IPM-Username/X-IPM-Password, Basic or SDS token)")

    def _check_token(self, method: str, url: str, value: str, timestamp: str | None) -> None:
        if not self.token_id or not self.token_secret:
            raise _unauthorized("token authentication is not configured")
        token_id, sep, signature = value.partition(":")
        if not sep or not hmac.compare_digest(token_id.encode(), self.token_id.encode()):
            raise _unauthorized("unknown token")
        if timestamp is None or not timestamp.strip().lstrip("-").isdigit():
            raise _unauthorized("missing or malformed X-SDS-TS")
        if abs(time.time() - int(timestamp)) > self.max_skew:
            raise ApiError(
                Errno.CLOCK_SKEW,
                f"X-SDS-TS is more than {self.max_skew} s away from the server clock",
                status=412,
                parameters="X-SDS-TS",
                param_value=timestamp,
            )
        expected = token_signature(self.token_secret, timestamp.strip(), method, url)
        if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
            raise _unauthorized("bad token signature")
