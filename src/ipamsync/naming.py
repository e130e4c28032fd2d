"""Names: hostnames from EC2 data, FQDNs, reverse-DNS names, device and interface names.

Hostname sanitisation (documented in README, "Names"): the source text (Name tag, chosen tag or
the first label of the private DNS name) is lower-cased, accents are folded to ASCII, every run of
characters outside ``a-z0-9-`` becomes ``-``, leading/trailing ``-`` are dropped and the result is
cut to 63 characters. Text with nothing usable left gives no hostname (the instance gets no DNS
records; its device is named after the instance id).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Mapping

_NOT_LABEL = re.compile(r"[^a-z0-9-]+")
_DASHES = re.compile(r"-{2,}")
_FQDN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def sanitize_label(text: str | None) -> str | None:
    if not text:
        return None
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    label = _DASHES.sub("-", _NOT_LABEL.sub("-", folded)).strip("-")[:63].rstrip("-")
    return label or None


def hostname_for(
    *, source: str, tags: Mapping[str, str], tag_key: str, private_dns_name: str | None
) -> str | None:
    """The instance's hostname label per the configured source (see module doc)."""
    if source == "name-tag":
        return sanitize_label(tags.get("Name"))
    if source == "tag":
        return sanitize_label(tags.get(tag_key))
    first = (private_dns_name or "").split(".", 1)[0]
    return sanitize_label(first)


def is_fqdn(name: str) -> bool:
    labels = name.rstrip(".").split(".")
    return len(name) <= 253 and len(labels) >= 2 and all(_FQDN_LABEL.match(x) for x in labels)


def fqdn(hostname: str, zone: str) -> str:
    return f"{hostname}.{zone}".lower()


def reverse_name(address: str) -> str:
    """``10.0.1.5`` → ``5.1.0.10.in-addr.arpa``; IPv6 → nibble-reversed ``….ip6.arpa``."""
    return ipaddress.ip_address(address).reverse_pointer.lower()


def device_name(hostname: str | None, instance_id: str) -> str:
    """Unique per instance (a replacement instance may carry the same Name tag)."""
    return f"{hostname}-{instance_id}" if hostname else instance_id


def interface_name(device_index: int) -> str:
    return f"eth{device_index}"


def same_name(a: str, b: str) -> bool:
    """Names SOLIDserver compares without letter case (device, interface, address and DNS names:
    the Terraform provider lower-cases the names it compares — ``solidserver-helper.go``)."""
    return a.casefold() == b.casefold()
