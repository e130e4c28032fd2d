"""Clients that read a member account: STS ``AssumeRole`` into its read-only role, cached per account.

The hub's own account is read with the function's own credentials. Any other account is read
through ``arn:aws:iam::<account>:role/<MEMBER_ROLE_NAME>`` with ``ExternalId=MEMBER_EXTERNAL_ID``;
the credentials are kept per account until :data:`REFRESH_MARGIN` seconds before they expire (one
``AssumeRole`` per account per hour and container, whatever the region). Answers:

* refused (``AccessDenied``: the member stack is missing, or its trust policy, role name or external
  id do not match; the account is not opted into the region; the caller's role is not allowed):
  :class:`~ipamsync.errors.MemberAccessRefused` naming the account — permanent, dead-lettered;
* throttled: retried by botocore (adaptive mode), then the plain ``ClientError`` propagates and
  Lambda's asynchronous retries try the event again later.

Credentials never reach a log line or an error message.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ipamsync.accounts import Coverage
from ipamsync.errors import MemberAccessRefused

#: Credentials are renewed this many seconds before they expire.
REFRESH_MARGIN = 300.0
#: ``AssumeRole``'s session length (the role's maximum is at least one hour).
SESSION_SECONDS = 3600
#: STS answers that mean the member refuses the hub: retrying gives the same answer.
REFUSED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "InvalidClientTokenId",
        "RegionDisabledException",
        "ExpiredTokenException",
        "InvalidIdentityToken",
    }
)


@dataclass(frozen=True)
class _Held:
    access_key: str
    secret_key: str
    token: str
    expires_at: float  # time.time() seconds


def _code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


class MemberSessions:
    """boto3 clients for (service, account, region); member accounts through their role.

    ``sts`` is the hub's STS client; ``make_client(service, region, credentials)`` builds a client
    (``credentials`` is None for the hub's own)."""

    def __init__(
        self,
        coverage: Coverage,
        sts: Any,
        make_client: Callable[[str, str, dict[str, str] | None], Any],
        *,
        clock: Callable[[], float] = time.time,
        session_name: str = "ipamsync",
    ) -> None:
        self.coverage = coverage
        self.sts = sts
        self.make_client = make_client
        self.clock = clock
        self.session_name = session_name
        self._held: dict[str, _Held] = {}
        self._clients: dict[tuple[str, str, str], tuple[Any, float]] = {}
        self._lock = threading.Lock()
        #: AssumeRole calls made (the cache's proof)
        self.assumed = 0

    def _credentials(self, account: str) -> _Held:
        now = self.clock()
        held = self._held.get(account)
        if held is not None and held.expires_at - REFRESH_MARGIN > now:
            return held
        role_arn = self.coverage.role_arn(account)
        kwargs: dict[str, Any] = {
            "RoleArn": role_arn,
            "RoleSessionName": self.session_name[:64],
            "DurationSeconds": SESSION_SECONDS,
        }
        if self.coverage.external_id:
            kwargs["ExternalId"] = self.coverage.external_id
        try:
            resp = self.sts.assume_role(**kwargs)
        except Exception as exc:
            code = _code(exc)
            if code in REFUSED_CODES:
                raise MemberAccessRefused(
                    f"account {account} refuses the hub: sts:AssumeRole on {role_arn} answered {code} "
                    "(is the member stack deployed there, with this hub's account, role and external id?)",
                    account=account,
                    role_arn=role_arn,
                ) from None
            raise
        self.assumed += 1
        creds = resp["Credentials"]
        expiration = creds.get("Expiration")
        if isinstance(expiration, datetime):
            expires = (expiration if expiration.tzinfo else expiration.replace(tzinfo=UTC)).timestamp()
        else:
            expires = now + SESSION_SECONDS
        held = _Held(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], expires)
        self._held[account] = held
        return held

    def client(self, service: str, account: str, region: str) -> Any:
        """A client for ``service`` acting in ``account`` and ``region``."""
        key = (service, account, region)
        with self._lock:
            if self.coverage.is_hub(account) or not account:
                cached = self._clients.get(key)
                if cached is None:
                    cached = (self.make_client(service, region, None), float("inf"))
                    self._clients[key] = cached
                return cached[0]
            held = self._credentials(account)
            cached = self._clients.get(key)
            if cached is None or cached[1] != held.expires_at:
                creds = {
                    "aws_access_key_id": held.access_key,
                    "aws_secret_access_key": held.secret_key,
                    "aws_session_token": held.token,
                }
                cached = (self.make_client(service, region, creds), held.expires_at)
                self._clients[key] = cached
            return cached[0]
