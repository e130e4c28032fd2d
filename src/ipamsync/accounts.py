"""Which accounts and regions one ipamsync hub covers, and how it reads them.

The coverage comes from the hub template's parameters (environment variables of enrich and
reconcile):

* ``COVERED_ACCOUNTS``: an explicit list of account ids (comma or space separated), or
* ``COVERED_ORGANIZATIONAL_UNITS``: OU ids (``ou-…``) or the root (``r-…``): every ``ACTIVE``
  account under them, nested OUs included, read with Organizations ``ListAccountsForParent`` /
  ``ListOrganizationalUnitsForParent`` (the hub must be the management account or a delegated
  administrator for Organizations);
* neither: every account the event bus admits (its resource policy is the only filter);
* ``COVERED_REGIONS``: the regions (empty = the hub's own region only);
* ``MEMBER_ROLE_NAME`` and ``MEMBER_EXTERNAL_ID``: the read-only role each member stack creates
  (``member/template.yaml``) and the external id its trust policy requires;
* ``HUB_ACCOUNT_ID``: the hub's own account, read with the hub's own credentials (no role).

:func:`Coverage.refusal` says why an event's (account, region) is outside the coverage (enrich drops
such an event with a metric and a log line); :func:`targets` lists every (account, region) to
reconcile. Both are pure but for the Organizations client they are given.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ipamsync.errors import ConfigurationError

ACCOUNT_ID = re.compile(r"^\d{12}$")
REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
OU_ID = re.compile(r"^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$")
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
DEFAULT_ROLE_NAME = "ipamsync-read"
#: How long the accounts read from Organizations are trusted (an account moved into a covered OU
#: is seen within this many seconds).
DIRECTORY_MAX_AGE = 600.0


def _split(value: str | None) -> list[str]:
    return [v for v in re.split(r"[\s,]+", (value or "").strip()) if v]


def _checked(values: Iterable[str], pattern: re.Pattern[str], name: str) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        if not pattern.match(v):
            raise ConfigurationError(f"{name}: {v[:80]!r} is not valid")
        if v not in out:
            out.append(v)
    return tuple(out)


@dataclass(frozen=True)
class Coverage:
    """The accounts and regions a hub covers, and the role it reads members through."""

    hub_account: str = ""
    hub_region: str = ""
    accounts: tuple[str, ...] = ()
    organizational_units: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    role_name: str = DEFAULT_ROLE_NAME
    external_id: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Coverage:
        env = os.environ if env is None else env
        hub = (env.get("HUB_ACCOUNT_ID") or "").strip()
        if hub and not ACCOUNT_ID.match(hub):
            raise ConfigurationError(f"HUB_ACCOUNT_ID: {hub[:80]!r} is not an account id")
        region = (env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "").strip()
        role = (env.get("MEMBER_ROLE_NAME") or DEFAULT_ROLE_NAME).strip()
        if not ROLE_NAME.match(role):
            raise ConfigurationError(f"MEMBER_ROLE_NAME: {role[:80]!r} is not a role name")
        external = (env.get("MEMBER_EXTERNAL_ID") or "").strip()
        if external and not EXTERNAL_ID.match(external):
            raise ConfigurationError("MEMBER_EXTERNAL_ID must be 2-1224 characters of [\\w+=,.@:/-]")
        accounts = _checked(_split(env.get("COVERED_ACCOUNTS")), ACCOUNT_ID, "COVERED_ACCOUNTS")
        ous = _checked(_split(env.get("COVERED_ORGANIZATIONAL_UNITS")), OU_ID, "COVERED_ORGANIZATIONAL_UNITS")
        if accounts and ous:
            raise ConfigurationError("set COVERED_ACCOUNTS or COVERED_ORGANIZATIONAL_UNITS, not both")
        regions = _checked(_split(env.get("COVERED_REGIONS")), REGION_NAME, "COVERED_REGIONS")
        return cls(
            hub_account=hub,
            hub_region=region,
            accounts=accounts,
            organizational_units=ous,
            regions=regions,
            role_name=role,
            external_id=external,
        )

    @property
    def covered_regions(self) -> tuple[str, ...]:
        return self.regions or ((self.hub_region,) if self.hub_region else ())

    def role_arn(self, account: str, partition: str = "aws") -> str:
        return f"arn:{partition}:iam::{account}:role/{self.role_name}"

    def is_hub(self, account: str) -> bool:
        return bool(self.hub_account) and account == self.hub_account

    def refusal(self, account: str, region: str, directory: AccountDirectory | None = None) -> str | None:
        """Why ``(account, region)`` is outside this coverage, or None when it is covered. The hub's
        own account is always covered (its own events, refresh requests)."""
        regions = self.covered_regions
        if regions and region not in regions:
            return f"region {region} of account {account} is not covered ({', '.join(regions)})"
        if self.is_hub(account):
            return None
        if self.accounts:
            if account not in self.accounts:
                return f"account {account} is not in COVERED_ACCOUNTS"
        elif self.organizational_units and directory is not None and account not in directory.accounts():
            return f"account {account} is not under {', '.join(self.organizational_units)}"
        return None


def accounts_under(organizations: Any, parents: Iterable[str]) -> list[str]:
    """Every ``ACTIVE`` account under ``parents`` (OU or root ids), nested OUs included, sorted.

    Organizations ``ListAccountsForParent`` and ``ListOrganizationalUnitsForParent``, every page."""
    found: set[str] = set()
    seen: set[str] = set()
    todo = list(parents)
    while todo:
        parent = todo.pop()
        if parent in seen:
            continue
        seen.add(parent)
        for page in organizations.get_paginator("list_accounts_for_parent").paginate(ParentId=parent):
            for acct in page.get("Accounts", []):
                if acct.get("Status", "ACTIVE") == "ACTIVE" and acct.get("State", "ACTIVE") == "ACTIVE":
                    found.add(str(acct["Id"]))
        pages = organizations.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent)
        for page in pages:
            todo += [str(ou["Id"]) for ou in page.get("OrganizationalUnits", [])]
    return sorted(found)


@dataclass
class AccountDirectory:
    """The accounts under the covered OUs, read from Organizations at most every ``max_age`` seconds
    (a container keeps one)."""

    coverage: Coverage
    organizations: Callable[[], Any]
    max_age: float = DIRECTORY_MAX_AGE
    clock: Callable[[], float] = time.monotonic
    _accounts: frozenset[str] = frozenset()
    _read_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def accounts(self) -> frozenset[str]:
        if self.coverage.accounts:
            return frozenset(self.coverage.accounts)
        if not self.coverage.organizational_units:
            return frozenset()
        with self._lock:
            now = self.clock()
            if self._read_at is None or now - self._read_at >= self.max_age:
                self._accounts = frozenset(
                    accounts_under(self.organizations(), self.coverage.organizational_units)
                )
                self._read_at = now
            return self._accounts


def targets(coverage: Coverage, organizations: Any = None) -> list[tuple[str, str]]:
    """Every ``(account, region)`` the coverage names, sorted: the explicit accounts, or the accounts
    under the OUs (read from ``organizations``), plus the hub's own account, times the covered
    regions. What the reconcile workflow walks; with neither accounts nor OUs only the hub."""
    if coverage.accounts:
        accounts = set(coverage.accounts)
    elif coverage.organizational_units:
        if organizations is None:
            raise ConfigurationError("COVERED_ORGANIZATIONAL_UNITS needs an Organizations client")
        accounts = set(accounts_under(organizations, coverage.organizational_units))
    else:
        accounts = set()
    if coverage.hub_account:
        accounts.add(coverage.hub_account)
    regions = coverage.covered_regions
    if not regions:
        raise ConfigurationError("no region covered: set COVERED_REGIONS (or AWS_REGION)")
    return [(a, r) for a in sorted(accounts) for r in regions]
