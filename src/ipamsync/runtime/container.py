"""What one Lambda execution environment keeps between invocations.

* the sync functions' :class:`~ipamsync.sync.common.SyncContext` (settings, the pooled SOLIDserver
  client, its per-container caches), built on first use by :func:`sync_context`;
* the enrich function's AWS clients (:class:`EnrichClients`), built on first use by
  :func:`enrich_clients`.

:func:`build_context` is the public way to build a context from an environment mapping;
:func:`reset` forgets everything, as a new execution environment would.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ipamsync.errors import ConfigurationError
from ipamsync.runtime import credentials

if TYPE_CHECKING:
    from ipamsync.ec2 import Ec2Reader
    from ipamsync.settings import Settings
    from ipamsync.sync.common import SyncContext

_lock = threading.Lock()
_context: SyncContext | None = None
_enrich: EnrichClients | None = None


def build_context(env: Mapping[str, str] | None = None) -> SyncContext:
    """A fresh sync context from ``env`` (default: the process environment)."""
    from ipamsync.settings import Settings
    from ipamsync.solidserver import ClientConfig, SolidServer, SolidServerClient
    from ipamsync.sync.common import SyncContext

    env = os.environ if env is None else env
    config = ClientConfig.from_env(
        {**env, "SOLIDSERVER_CA_BUNDLE": credentials.ca_bundle(env) or ""},
        credentials=credentials.credentials(env),
    )
    return SyncContext(settings=Settings.from_env(env), ss=SolidServer(SolidServerClient(config)))


def sync_context() -> SyncContext:
    """The container's sync context (built on first use)."""
    global _context
    if _context is None:
        with _lock:
            if _context is None:
                _context = build_context()
    return _context


def drop_context(*, refetch_secret: bool = False) -> None:
    """Forget the sync context (closing its connections); with ``refetch_secret`` — after SOLIDserver
    refused the credentials — the next context reads the secret from Secrets Manager, not the cache."""
    global _context
    with _lock:
        if refetch_secret:
            credentials.refetch_secret()
        if _context is not None:
            _context.ss.client.close()
        _context = None


def credentials_rotated() -> bool:
    """After SOLIDserver refused the credentials: read the secret again, bypassing the cache. True
    (and the context rebuilt with them) when it holds other credentials than the context used — the
    secret was rotated — so the caller may try once more; False when nothing changed."""
    global _context
    env = os.environ
    if not (env.get("SOLIDSERVER_SECRET_ARN") or "").strip():
        return False
    with _lock:
        used = _context.ss.client.config.credentials if _context is not None else None
    credentials.refetch_secret()
    fresh = credentials.credentials(env)
    if fresh is None or fresh == used:
        return False
    drop_context()
    with _lock:
        _context = None
    sync_context()
    return True


class EnrichClients:
    """The enrich function's AWS clients, settings and coverage (:mod:`ipamsync.accounts`). EC2 is
    read in the event's account and region: the hub's own with the function's credentials, a
    member's through its read-only role (:class:`~ipamsync.runtime.members.MemberSessions`)."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        import boto3
        from botocore.config import Config

        from ipamsync.accounts import AccountDirectory, Coverage
        from ipamsync.runtime.members import MemberSessions
        from ipamsync.settings import Settings

        env = os.environ if env is None else env
        self.settings: Settings = Settings.from_env(env)
        self.queue_url = (env.get("EVENT_QUEUE_URL") or "").strip()
        if not self.queue_url:
            raise ConfigurationError("EVENT_QUEUE_URL is not set")
        self._config = Config(
            retries={"mode": "adaptive", "max_attempts": 6}, connect_timeout=3, read_timeout=10
        )
        self._boto3 = boto3
        self.sqs: Any = boto3.client("sqs", config=self._config)
        coverage = Coverage.from_env(env)
        if not coverage.hub_account:  # not set by the template: ask STS once per container
            from dataclasses import replace

            sts = boto3.client("sts", config=self._config)
            coverage = replace(coverage, hub_account=str(sts.get_caller_identity()["Account"]))
        self.coverage: Coverage = coverage
        self.members = MemberSessions(coverage, boto3.client("sts", config=self._config), self._make_client)
        self.directory = AccountDirectory(coverage, self.organizations)
        self._readers: dict[tuple[str, str], tuple[Ec2Reader, Any]] = {}

    def _make_client(self, service: str, region: str, credentials: dict[str, str] | None) -> Any:
        client: Any = getattr(self._boto3, "client")  # noqa: B009 - one signature for every service
        return client(service, region_name=region, config=self._config, **(credentials or {}))

    def organizations(self) -> Any:
        """The Organizations client (its endpoint is in us-east-1), for the OUs' accounts."""
        return self._make_client("organizations", "us-east-1", None)

    def ec2_reader(self, region: str, account: str = "") -> Ec2Reader:
        """The EC2 reader of ``account`` (default: the hub's) in ``region``; a member's credentials
        come from its role, cached until they expire."""
        from ipamsync.ec2 import Ec2Reader

        client = self.members.client("ec2", account or self.coverage.hub_account, region)
        key = (account or self.coverage.hub_account, region)
        held = self._readers.get(key)
        if held is None or held[1] is not client:
            held = (Ec2Reader(client), client)
            self._readers[key] = held
        return held[0]


def enrich_clients() -> EnrichClients:
    global _enrich
    if _enrich is None:
        with _lock:
            if _enrich is None:
                _enrich = EnrichClients()
    return _enrich


def reset() -> None:
    """Forget everything this container kept (what a new execution environment starts with)."""
    global _enrich
    drop_context()
    with _lock:
        _enrich = None
