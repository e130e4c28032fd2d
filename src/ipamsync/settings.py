"""What the sync does, from environment variables (set by template.yaml's parameters)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ipamsync.errors import ConfigurationError

#: ``single``: one space for every account (a range two VPCs use is an ``OverlappingRange``);
#: ``per-account``, ``per-account-region``, ``per-vpc``: one space per account, per (account,
#: region), per VPC (README, "Overlapping ranges").
SPACE_STRATEGIES = ("single", "per-account", "per-account-region", "per-vpc")
HOSTNAME_SOURCES = ("name-tag", "tag", "private-dns")
STOPPED_POLICIES = ("keep", "remove-dns")
TERMINATED_POLICIES = ("delete", "retain")
#: Who writes the A/AAAA/PTR records: ipamsync, or the appliance from the addresses' FQDN names
#: (its IPAM-to-DNS replication; ipamsync then writes none).
DNS_RECORD_WRITERS = ("ipamsync", "appliance")


def env_choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = (env.get(name) or default).strip().lower()
    if value not in allowed:
        raise ConfigurationError(f"{name} must be one of {', '.join(allowed)} (got {value!r})")
    return value


def env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name} must be true or false (got {raw!r})")


def env_number(
    env: Mapping[str, str], name: str, default: float, lo: float = 0, hi: float = float("inf")
) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number (got {raw!r})") from None
    if not lo <= value <= hi:
        raise ConfigurationError(f"{name} must be between {lo:g} and {hi:g}")
    return value


def env_int(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    value = env_number(env, name, default, lo, hi)
    if value != int(value):
        raise ConfigurationError(f"{name} must be an integer")
    return int(value)


def _zone(value: str) -> str:
    return value.strip().rstrip(".").lower()


@dataclass(frozen=True)
class Settings:
    space_strategy: str = "single"
    space_name: str = "AWS"
    public_space_name: str = ""
    dns_server: str = ""
    forward_zone: str = ""
    zone_tag_key: str = "ipamsync:zone"
    reverse_dns: bool = True
    ttl: int = 300
    hostname_source: str = "name-tag"
    hostname_tag_key: str = "Hostname"
    stopped_policy: str = "keep"
    terminated_policy: str = "delete"
    tombstone_hours: int = 336
    #: How long an execution holds an instance's lease at most, from its start (``ipamsync.sync.lease``).
    lease_seconds: int = 330
    #: ``ipamsync`` writes the records; ``appliance``: the appliance makes them from the addresses'
    #: names (IPAM-to-DNS replication), ipamsync names the addresses and writes no record.
    dns_records: str = "ipamsync"

    @property
    def dns_enabled(self) -> bool:
        return bool(self.dns_server)

    def space_for(self, account: str, region: str = "", vpc_id: str = "") -> str:
        """The IP space of ``account``'s private networks in ``region`` (of ``vpc_id``)."""
        if self.space_strategy == "per-account":
            return f"{self.space_name}-{account}"
        if self.space_strategy == "per-account-region":
            return f"{self.space_name}-{account}-{region}"
        if self.space_strategy == "per-vpc":
            return f"{self.space_name}-{account}-{region}-{vpc_id}"
        return self.space_name

    def public_space_for(self, account: str, region: str = "", vpc_id: str = "") -> str:
        """The space of public addresses: ``PublicSpaceName`` or the private space. Public IPv4
        addresses are unique on the Internet, so one public space can serve every account."""
        return self.public_space_name or self.space_for(account, region, vpc_id)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        space_name = (env.get("IPAM_SPACE_NAME") or "AWS").strip()
        if not space_name or len(space_name) > 100:
            raise ConfigurationError("IPAM_SPACE_NAME must be 1-100 characters")
        return cls(
            space_strategy=env_choice(env, "IPAM_SPACE_STRATEGY", "single", SPACE_STRATEGIES),
            space_name=space_name,
            public_space_name=(env.get("IPAM_PUBLIC_SPACE_NAME") or "").strip(),
            dns_server=(env.get("DNS_SERVER_NAME") or "").strip().rstrip(".").lower(),
            forward_zone=_zone(env.get("DNS_FORWARD_ZONE") or ""),
            zone_tag_key=(env.get("DNS_ZONE_TAG_KEY") or "ipamsync:zone").strip(),
            reverse_dns=env_bool(env, "DNS_REVERSE", True),
            ttl=env_int(env, "DNS_TTL", 300, 0, 604800),
            hostname_source=env_choice(env, "HOSTNAME_SOURCE", "name-tag", HOSTNAME_SOURCES),
            hostname_tag_key=(env.get("HOSTNAME_TAG_KEY") or "Hostname").strip(),
            stopped_policy=env_choice(env, "STOPPED_POLICY", "keep", STOPPED_POLICIES),
            terminated_policy=env_choice(env, "TERMINATED_POLICY", "delete", TERMINATED_POLICIES),
            tombstone_hours=env_int(env, "TOMBSTONE_RETENTION_HOURS", 336, 1, 24 * 365),
            lease_seconds=env_int(env, "EXECUTION_LEASE_SECONDS", 330, 1, 900),
            dns_records=env_choice(env, "DNS_RECORDS", "ipamsync", DNS_RECORD_WRITERS),
        )
