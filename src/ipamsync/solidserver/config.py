"""Client configuration and credentials.

Credentials are wrapped in :class:`Secret`, whose ``repr``/``str`` never show the value, so a
config object can be logged, printed or put in an exception without leaking anything.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from ipamsync.errors import ConfigurationError
from ipamsync.settings import env_bool, env_int, env_number

AuthMode = Literal["native", "basic", "token"]
AUTH_MODES: tuple[str, ...] = ("native", "basic", "token")


class Secret:
    """A string that does not show itself. ``reveal()`` is the only way to read it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:  # never pickle a credential by accident
        raise TypeError("Secret values cannot be pickled")


@dataclass(frozen=True)
class Credentials:
    """Username/password (native or basic auth) or an SDS API token (token auth)."""

    username: str = ""
    password: Secret = field(default_factory=lambda: Secret(""))
    token_id: str = ""
    token_secret: Secret = field(default_factory=lambda: Secret(""))

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> Credentials:
        """From a Secrets Manager JSON secret.

        Either ``{"username","password"}`` or ``{"token_id","token_secret"}``.
        """
        username = str(data.get("username") or "")
        password = str(data.get("password") or "")
        token_id = str(data.get("token_id") or "")
        token_secret = str(data.get("token_secret") or "")
        if not (username and password) and not (token_id and token_secret):
            raise ConfigurationError(
                "the SOLIDserver secret must hold {'username','password'} or {'token_id','token_secret'}"
            )
        return cls(username, Secret(password), token_id, Secret(token_secret))

    def check(self, mode: str) -> None:
        if mode in ("native", "basic") and not (self.username and self.password):
            raise ConfigurationError(f"auth mode {mode!r} needs a username and a password")
        if mode == "token" and not (self.token_id and self.token_secret):
            raise ConfigurationError("auth mode 'token' needs token_id and token_secret")


@dataclass(frozen=True)
class ClientConfig:
    url: str
    credentials: Credentials
    auth_mode: AuthMode = "native"
    verify_tls: bool = True
    ca_bundle: str | None = None
    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    #: Client-side bound on requests per second from this process (0 = unbounded).
    requests_per_second: float = 10.0
    #: Rows per page when listing (``limit``).
    page_size: int = 500
    #: Longest ``Retry-After`` the client waits itself on a 429 before raising ``SolidServerThrottled``.
    max_throttle_wait: float = 5.0
    #: How many times a 429 is retried in-process (a 429 means the request was not applied).
    throttle_retries: int = 2
    #: SOLIDserver's version when ``member_list`` cannot be read (a user without admin rights): the
    #: Terraform provider's ``SOLIDSERVER_VERSION`` option. The version the appliance answers wins.
    version: str | None = None

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError("SOLIDserver URL must look like https://host[:port]")
        if parts.username or parts.password:
            raise ConfigurationError("put SOLIDserver credentials in the secret, not in the URL")
        if self.auth_mode not in AUTH_MODES:
            raise ConfigurationError(f"auth mode must be one of {AUTH_MODES}")
        self.credentials.check(self.auth_mode)

    @property
    def base_url(self) -> str:
        return self.url.rstrip("/")

    @property
    def verify(self) -> bool | str:
        """The ``verify=`` argument for requests: a CA bundle path, True, or False."""
        if not self.verify_tls:
            return False
        return self.ca_bundle or True

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, credentials: Credentials | None = None
    ) -> ClientConfig:
        """Configuration from environment variables (see README, "Configuration").

        ``credentials`` come from the caller (Secrets Manager in Lambda); without them the
        local-only variables ``SOLIDSERVER_USERNAME``/``SOLIDSERVER_PASSWORD`` (or
        ``SOLIDSERVER_TOKEN_ID``/``SOLIDSERVER_TOKEN_SECRET``) are read.
        """
        env = os.environ if env is None else env
        url = env.get("SOLIDSERVER_URL", "").strip()
        if not url:
            raise ConfigurationError("SOLIDSERVER_URL is not set")
        if credentials is None:
            credentials = Credentials.from_mapping(
                {
                    "username": env.get("SOLIDSERVER_USERNAME", ""),
                    "password": env.get("SOLIDSERVER_PASSWORD", ""),
                    "token_id": env.get("SOLIDSERVER_TOKEN_ID", ""),
                    "token_secret": env.get("SOLIDSERVER_TOKEN_SECRET", ""),
                }
            )
        mode = (env.get("SOLIDSERVER_AUTH_MODE") or "native").strip().lower()
        return cls(
            url=url,
            credentials=credentials,
            auth_mode=mode,  # type: ignore[arg-type]  # checked in __post_init__
            verify_tls=env_bool(env, "SOLIDSERVER_VERIFY_TLS", True),
            ca_bundle=(env.get("SOLIDSERVER_CA_BUNDLE") or "").strip() or None,
            connect_timeout=env_number(env, "SOLIDSERVER_CONNECT_TIMEOUT", 3.05, 0.1, 60),
            read_timeout=env_number(env, "SOLIDSERVER_READ_TIMEOUT", 10.0, 0.1, 300),
            requests_per_second=env_number(env, "SOLIDSERVER_REQUESTS_PER_SECOND", 10.0, 0, 100_000),
            page_size=env_int(env, "SOLIDSERVER_PAGE_SIZE", 500, 1, 1000),
            version=(env.get("SOLIDSERVER_VERSION") or "").strip() or None,
        )


def credentials_from_secret_string(text: str) -> Credentials:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        # Never echo the secret text: only say what was wrong with its shape.
        raise ConfigurationError("the SOLIDserver secret is not valid JSON") from exc
    if not isinstance(data, dict):
        raise ConfigurationError("the SOLIDserver secret must be a JSON object")
    return Credentials.from_mapping(data)
