"""The documented rules every kind of object shares: names, metadata values, owners, settings.

Restated from README ("Names", "What ipamsync writes", the metadata tables) and
``docs/solidserver.md``; nothing here comes from ipamsync's sync code.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from ipamsync.settings import Settings

OWNER = "ipamsync_owner"
OBSERVED = "ipamsync_observed_at"
EVENT_ID = "ipamsync_event_id"
TOMBSTONE = "ipamsync_tombstone"
#: The applied snapshot's digest (README, "Freshness"): opaque here, the product computes it.
DIGEST = "ipamsync_digest"
#: A lease device (README, "One execution writes an instance at a time") names its holder here.
LEASE = "ipamsync_lease"
PUBLIC_OWNER = "aws-public"
GONE = frozenset({"shutting-down", "terminated"})
VALUE_MAX = 255
NAME_MAX = 128
#: Prefixes of ipamsync's metadata keys; other keys are a person's (kept, never checked).
NAMESPACES = ("aws_", "ipamsync_")
#: What a tombstone keeps of the device's metadata (besides the observation keys): who it was.
TOMBSTONE_KEYS = frozenset(
    {
        OWNER,
        "aws_account_id",
        "aws_region",
        "aws_instance_id",
        "aws_state",
        "aws_name",
        "aws_hostname",
        "aws_instance_type",
        "aws_launch_time",
    }
)

#: Template parameter → environment variable of the functions (what Settings.from_env reads).
PARAMETER_ENV = {
    "SpaceStrategy": "IPAM_SPACE_STRATEGY",
    "SpaceName": "IPAM_SPACE_NAME",
    "PublicSpaceName": "IPAM_PUBLIC_SPACE_NAME",
    "DnsServerName": "DNS_SERVER_NAME",
    "DnsForwardZone": "DNS_FORWARD_ZONE",
    "DnsZoneTagKey": "DNS_ZONE_TAG_KEY",
    "DnsReverse": "DNS_REVERSE",
    "DnsTtl": "DNS_TTL",
    "HostnameSource": "HOSTNAME_SOURCE",
    "HostnameTagKey": "HOSTNAME_TAG_KEY",
    "StoppedPolicy": "STOPPED_POLICY",
    "TerminatedPolicy": "TERMINATED_POLICY",
    "TombstoneRetentionHours": "TOMBSTONE_RETENTION_HOURS",
}


def settings_from_parameters(parameters: Mapping[str, Any]) -> Settings:
    """The settings the functions run with, from template parameter overrides (defaults otherwise)."""
    env = {PARAMETER_ENV[k]: str(v) for k, v in parameters.items() if k in PARAMETER_ENV}
    return Settings.from_env(env)


# --------------------------------------------------------------------------- names and values

_NOT_LABEL = re.compile(r"[^a-z0-9-]+")
_DASHES = re.compile(r"-{2,}")
_KEY_CHARS = re.compile(r"[^a-z0-9_]+")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def hostname_label(text: str | None) -> str | None:
    """The documented hostname sanitisation (README/docs: "Names")."""
    if not text:
        return None
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    label = _DASHES.sub("-", _NOT_LABEL.sub("-", ascii_text)).strip("-")[:63].rstrip("-")
    return label or None


def clip(value: object, limit: int = VALUE_MAX) -> str:
    """Metadata values: control characters → spaces, cut to ``limit`` characters ending with ``…``."""
    text = "".join(ch if ch >= " " and ch != "\x7f" else " " for ch in str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tag_key(key: str) -> str:
    """``aws_tag_<key>``: lower case, other characters → ``_``, at most 64 characters."""
    body = _KEY_CHARS.sub("_", key.lower()).strip("_") or "x"
    return ("aws_tag_" + body)[:64].rstrip("_")


def is_zone_name(name: str) -> bool:
    labels = name.split(".")
    return len(name) <= 253 and len(labels) >= 2 and all(_LABEL.match(x) for x in labels)


def reverse_pointer(address: str) -> str:
    return ipaddress.ip_address(address).reverse_pointer.lower()


def timestamp(value: Any) -> str:
    """An EC2 time as ipamsync writes it: UTC, milliseconds, ``Z`` (``2026-11-27T07:14:34.123Z``)."""
    if isinstance(value, datetime):
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return str(value)


# --------------------------------------------------------------------------- owners and metadata

Items = tuple[tuple[str, str], ...]


def owner_of(account: str, region: str, resource_id: str) -> str:
    return f"aws:{account}:{region}:{resource_id}"


def instance_owner(meta: Mapping[str, str]) -> str | None:
    """The ``ipamsync_owner`` value when it names an instance (``aws:<account>:<region>:i-…``)."""
    owner = meta.get(OWNER, "")
    return owner if owner.startswith("aws:") and owner.count(":") == 3 and ":i-" in owner else None


def resource_of(owner: str) -> str:
    """The resource id at the end of an owner value (``aws:…:i-0abc`` → ``i-0abc``)."""
    return owner.rsplit(":", 1)[1]


def base_keys(owner: str, account: str, region: str, iid: str) -> dict[str, str]:
    """Keys every object of an instance carries."""
    return {OWNER: owner, "aws_account_id": account, "aws_region": region, "aws_instance_id": iid}


def eni_keys(base: Mapping[str, str], eni: Mapping[str, Any]) -> dict[str, Any]:
    """Keys every interface and address of an ENI carries."""
    return {
        **base,
        "aws_eni_id": eni["NetworkInterfaceId"],
        "aws_vpc_id": eni.get("VpcId"),
        "aws_subnet_id": eni.get("SubnetId"),
    }


def tags_of(items: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in items or [] if "Key" in t}


def meta(items: Mapping[str, object]) -> dict[str, str]:
    """Metadata as written: empty values left out, the others clipped."""
    return {k: clip(v) for k, v in items.items() if v is not None and v != ""}


def items(values: Mapping[str, object]) -> Items:
    return tuple(sorted(meta(values).items()))


def mine(key: str) -> bool:
    """Whether a metadata key is in ipamsync's namespaces (checked exactly)."""
    return key.startswith(NAMESPACES)
