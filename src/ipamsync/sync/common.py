"""What the four sync steps share: context, caches, ownership metadata and change counts.

Ownership: every object ipamsync writes carries ``ipamsync_owner``. Objects of an instance
(device, interfaces, addresses, DNS records) hold ``aws:<account>:<region>:<instance-id>``;
networks hold ``aws:<account>:<region>:<vpc-or-subnet-id>``; networks made for public addresses
hold ``aws-public``. ipamsync changes or deletes an object only when this value is what it
expects; anything else is somebody else's and is left alone (or reported as a conflict).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from ipamsync.errors import ConfigurationError, InvalidMessage, SolidServerConflict
from ipamsync.model import Message
from ipamsync.settings import Settings
from ipamsync.solidserver import metadata as md
from ipamsync.solidserver.api import SolidServer, Zone

OWNER = "ipamsync_owner"
OBSERVED = "ipamsync_observed_at"
EVENT_ID = "ipamsync_event_id"
TOMBSTONE = "ipamsync_tombstone"
DIGEST = "ipamsync_digest"
#: On addresses: the ENI's attachment and the Elastic IP's association, the only names
#: ``DetachNetworkInterface`` and ``DisassociateAddress`` give (a lookup finds the holder by them).
ATTACHMENT = "aws_attachment_id"
ASSOCIATION = "aws_association_id"
PUBLIC_OWNER = "aws-public"
SPACE_OWNER = "ipamsync"

T = TypeVar("T")


class TTLCache:
    """Tiny per-container cache (spaces, DNS zones): stable objects, looked up once per ``ttl``."""

    def __init__(self, ttl: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._data: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get_or_set(self, key: Any, make: Callable[[], T]) -> T:
        now = self._clock()
        with self._lock:
            hit = self._data.get(key)
            if hit and now - hit[0] < self.ttl:
                cached: T = hit[1]
                return cached
        value = make()
        with self._lock:
            self._data[key] = (now, value)
        return value


@dataclass
class Changes:
    """Objects created/updated/deleted by one step, by object type (for metrics and results)."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, action: str, object_type: str, n: int = 1) -> None:
        self.counts[f"{action}:{object_type}"] += n

    def total(self, action: str) -> int:
        return sum(v for k, v in self.counts.items() if k.startswith(action + ":"))

    @property
    def writes(self) -> int:
        return self.total("created") + self.total("updated") + self.total("deleted")

    def to_dict(self) -> dict[str, int]:
        return {
            "created": self.total("created"),
            "updated": self.total("updated"),
            "deleted": self.total("deleted"),
        }


@dataclass
class SyncContext:
    """Everything a sync step needs; one per Lambda container (caches live as long as it)."""

    settings: Settings
    ss: SolidServer
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    cache: TTLCache = field(default_factory=TTLCache)
    #: the appliance refused an address name another address has: it keeps address names unique
    #: (learnt once per container; ``sync.addresses.distinct_name``)
    unique_names: bool = False

    # -- spaces ---------------------------------------------------------------------------
    def space_id(self, name: str, *, create: bool) -> str:
        """Id of the IPAM space ``name``; ipamsync creates it (owned) when ``create`` is set."""

        def lookup() -> str:
            found = self.ss.find_space(name)
            if found is not None:
                return found.id
            if not create:
                raise ConfigurationError(f"IPAM space {name!r} does not exist")
            try:
                return self.ss.create_space(
                    name, {OWNER: SPACE_OWNER}, description="AWS address space managed by ipamsync"
                )
            except SolidServerConflict:
                # created a moment ago by another execution (instances of a new VPC launch
                # together), or our own add whose answer was lost: use it
                again = self.ss.find_space(name)
                if again is None:
                    raise
                return again.id

        return self.cache.get_or_set(("space", name), lookup)

    # -- DNS ------------------------------------------------------------------------------
    def zones(self) -> list[Zone]:
        server = self.settings.dns_server

        def lookup() -> list[Zone]:
            zones = self.ss.list_zones(server)
            if not zones and self.ss.find_dns_server(server) is None:
                raise ConfigurationError(f"DNS server {server!r} does not exist in SOLIDserver")
            return zones

        return self.cache.get_or_set(("zones", server), lookup)


def base_metadata(msg: Message) -> dict[str, str]:
    """Keys every instance-owned object carries."""
    return {
        OWNER: msg.owner,
        "aws_account_id": msg.account,
        "aws_region": msg.region,
        "aws_instance_id": msg.instance.id,
    }


def other_instance(meta: dict[str, str]) -> str | None:
    """The instance owner value when the object belongs to another ipamsync-managed instance."""
    value = meta.get(OWNER, "")
    return value if value.startswith("aws:") and value.count(":") == 3 and ":i-" in value else None


def object_id(value: object, what: str) -> str | None:
    """A SOLIDserver object id carried between steps (``None`` allowed), or ``InvalidMessage``."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.isdigit() or len(value) > 20:
        raise InvalidMessage(f"invalid step input: {what} must be a SOLIDserver id")
    return value


def clip_all(meta: Mapping[str, object]) -> dict[str, str]:
    return {k: md.clip(v) for k, v in meta.items() if v is not None and v != ""}
