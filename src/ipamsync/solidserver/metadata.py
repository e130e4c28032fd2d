"""SOLIDserver class parameters (metadata): encoding, decoding and limits.

On the wire ``<obj>_class_parameters`` is a url-encoded ``k=v&k2=v2`` string placed inside a
url-encoded query string (so it is encoded twice). Rows return the same url-encoded form.

ipamsync writes only keys of the form ``[a-z][a-z0-9_]*`` and never the keys SOLIDserver's own
automation uses (``RESERVED_KEYS``). Values are text; :func:`clip` bounds them so that one odd tag
cannot make a request fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlencode

#: Keys SOLIDserver treats as its own automation (API.md): never written as plain metadata.
RESERVED_KEYS = frozenset(
    {
        "dns_name",
        "dns_update",
        "dns_view_name",
        "domain",
        "domain_list",
        "rev_dns_name",
        "rev_dns_view_name",
        "use_ipam_name",
        "dhcpstatic",
        "dhcp_failover_name",
        "ipv6_mapping",
        "vlmdomain_id",
    }
)

#: ``hostdev_class_parameters`` is limited to this many characters by the appliance.
DEVICE_PARAMETERS_MAX = 4000
#: Longest value ipamsync writes for one key (longer values are cut, see :func:`clip`).
VALUE_MAX = 255

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_KEY_CHARS = re.compile(r"[^a-z0-9_]+")


def check_key(key: str) -> str:
    if not _KEY.match(key) or key in RESERVED_KEYS:
        raise ValueError(f"invalid metadata key: {key!r}")
    return key


def key_from(text: str, prefix: str) -> str:
    """A safe key built from free text (e.g. an AWS tag key): ``aws_tag_`` + ``cost_center``."""
    body = _KEY_CHARS.sub("_", text.lower()).strip("_") or "x"
    return check_key((prefix + body)[:64].rstrip("_"))


#: Characters that become a space: C0 controls, DEL, C1 controls, and the bidirectional
#: formatting characters (they can make a value display as something else, e.g. U+202E).
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: Lone UTF-16 surrogates cannot be encoded at all: each becomes U+FFFD.
_SURROGATES = re.compile("[\ud800-\udfff]")


def clean(text: str) -> str:
    """``text`` without control or bidi characters (→ space) and lone surrogates (→ U+FFFD)."""
    return _SURROGATES.sub("\ufffd", _CONTROLS.sub(" ", text))


def clip(value: object, limit: int = VALUE_MAX) -> str:
    """Text of ``value``, :func:`clean`, at most ``limit`` characters.

    A cut value ends with ``…`` so a reader can tell it was cut.
    """
    text = clean("" if value is None else str(value))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def fit(params: Mapping[str, str], key: str, limit: int) -> dict[str, str]:
    """``params`` with ``params[key]`` cut (ending with ``…``) so that the whole encodes within
    ``limit`` characters; the key is dropped if even an empty value does not fit."""
    out = dict(params)
    if encoded_length(out) <= limit or key not in out:
        return out
    value = out[key]
    lo, hi = 0, len(value)  # the longest prefix that fits: binary search on its length
    while lo < hi:
        mid = (lo + hi + 1) // 2
        out[key] = value[: mid - 1] + "…" if mid else ""
        if encoded_length(out) <= limit:
            lo = mid
        else:
            hi = mid - 1
    if lo == 0:
        del out[key]
    else:
        out[key] = value[: lo - 1] + "…"
    return out


def encode(params: Mapping[str, object]) -> str:
    """``{"b": "2", "a": "x y"}`` → ``a=x+y&b=2`` (sorted keys, so equal dicts encode equally)."""
    return urlencode([(check_key(k), "" if v is None else str(v)) for k, v in sorted(params.items())])


def is_own(key: str) -> bool:
    """A key in ipamsync's namespaces (``aws_*``, ``ipamsync_*``): the only keys it ever removes."""
    return key.startswith(("aws_", "ipamsync_"))


def encode_set(params: Mapping[str, object]) -> str:
    """The whole class-parameter set of an object, as an edit resends it: ipamsync's keys checked
    like :func:`encode`, anybody else's (a person's, SOLIDserver's own automation keys such as
    ``use_ipam_name``) passed through as they were read."""
    for key in params:
        if is_own(key):
            check_key(key)
        elif not key or "\x00" in key:
            raise ValueError(f"invalid metadata key: {key!r}")
    return urlencode([(k, "" if v is None else str(v)) for k, v in sorted(params.items())])


def edit_set(current: Mapping[str, str], desired: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """What an edit sends so that the object ends with ``desired`` whether the appliance merges the
    class parameters sent into its set or replaces its set with them: ``(the whole set, the keys to
    delete)`` — everybody else's keys as they are, ipamsync's as desired, and ipamsync's keys that
    are no longer desired in ``class_parameters_to_delete``."""
    full = {k: v for k, v in current.items() if not is_own(k)}
    full.update(desired)
    removed = sorted(k for k in current if is_own(k) and k not in desired)
    return full, removed


def decode(text: str | None) -> dict[str, str]:
    """Inverse of :func:`encode`; tolerant of an empty or missing column."""
    if not text:
        return {}
    return dict(parse_qsl(text, keep_blank_values=True))


def encoded_length(params: Mapping[str, object]) -> int:
    return len(encode(params))


def delete_list(keys: Iterable[str]) -> str:
    """Value of ``class_parameters_to_delete``: ``k1&k2``."""
    return "&".join(check_key(k) for k in sorted(set(keys)))


def diff(current: Mapping[str, str], desired: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """What to send to turn ``current`` into ``desired`` for the keys ipamsync manages.

    Returns ``(changed, removed)``: keys whose value differs or is new, and keys present in
    ``current`` but not in ``desired``. Only keys that look like ipamsync's (``aws_``/``ipamsync_``)
    are ever removed: metadata a person added to an ipamsync-owned object is kept.
    """
    changed = {k: v for k, v in desired.items() if current.get(k) != v}
    removed = [k for k in current if k not in desired and is_own(k)]
    return changed, removed
