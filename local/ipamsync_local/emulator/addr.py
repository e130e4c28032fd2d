"""Address text forms used by SOLIDserver rows and parameters.

* IPv4 hex: 8 lower-case hex digits in network order (``172.16.10.128`` -> ``ac100a80``).
* IPv6 hex: 32 lower-case hex digits, no colons.
* IPv6 readable (``hostaddr`` & co.): the *expanded* form
  (``2001:0db8:0000:0000:0000:0000:0000:0001``); any valid form is accepted on input.
"""

from __future__ import annotations

import ipaddress
import re

from .errors import invalid

_HEX8 = re.compile(r"^[0-9a-fA-F]{8}$")
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
_MAC = re.compile(r"^[0-9a-f]{2}([-:]?)[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$")


def hex4(value: int) -> str:
    return f"{value:08x}"


def dotted4(value: int) -> str:
    return str(ipaddress.IPv4Address(value))


def hex6(value: int) -> str:
    return f"{value:032x}"


def expanded6(value: int) -> str:
    return ipaddress.IPv6Address(value).exploded


def parse_v4(name: str, text: str) -> int:
    """A dotted-quad (or 8-digit hex, as ``ip_addr`` parameters may be) IPv4 address."""
    text = text.strip()
    if _HEX8.match(text) and "." not in text:
        return int(text, 16)
    try:
        return int(ipaddress.IPv4Address(text))
    except ValueError:
        raise invalid(name, text, "ipv4_addr", "not an IPv4 address") from None


def parse_v6(name: str, text: str) -> int:
    """Any textual IPv6 form (or 32-digit hex, as ``ip6_addr`` parameters may be)."""
    text = text.strip()
    if _HEX32.match(text):
        return int(text, 16)
    try:
        return int(ipaddress.IPv6Address(text))
    except ValueError:
        raise invalid(name, text, "ipv6_addr", "not an IPv6 address") from None


def is_v4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text.strip())
    except ValueError:
        return False
    return True


def is_v6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text.strip())
    except ValueError:
        return False
    return True


def normalize_mac(name: str, text: str) -> str:
    """``eipmac``: 6 octets with ``:``/``-``/no separator -> ``aa:bb:cc:dd:ee:ff``; empty allowed."""
    text = text.strip().lower()
    if text == "":
        return ""
    if not _MAC.match(text):
        raise invalid(name, text, "eipmac", "not a MAC address")
    digits = text.replace(":", "").replace("-", "")
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def reverse_name_v4(value: int) -> str:
    return ".".join(reversed(dotted4(value).split("."))) + ".in-addr.arpa"


def reverse_name_v6(value: int) -> str:
    return ".".join(reversed(hex6(value))) + ".ip6.arpa"


def address_of_reverse_name(name: str) -> tuple[int, int] | None:
    """(version, integer address) of a full ``in-addr.arpa``/``ip6.arpa`` host name, else None."""
    name = name.lower().rstrip(".")
    if name.endswith(".in-addr.arpa"):
        labels = name[: -len(".in-addr.arpa")].split(".")
        if len(labels) == 4 and all(label.isdigit() and int(label) <= 255 for label in labels):
            return 4, int(ipaddress.IPv4Address(".".join(reversed(labels))))
        return None
    if name.endswith(".ip6.arpa"):
        labels = name[: -len(".ip6.arpa")].split(".")
        if len(labels) == 32 and all(len(x) == 1 and x in "0123456789abcdef" for x in labels):
            return 6, int("".join(reversed(labels)), 16)
    return None


def is_reverse_zone(name: str) -> bool:
    name = name.lower().rstrip(".")
    return name.endswith(("in-addr.arpa", "ip6.arpa"))
