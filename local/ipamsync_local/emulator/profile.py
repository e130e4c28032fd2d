"""Appliance profiles: the behaviours public evidence shows to vary between SOLIDserver appliances
(versions, configuration) or leaves open, each one a setting of the emulator.

=============================  ===========  ===========================================================
setting                        default      what it does when changed
=============================  ===========  ===========================================================
``version``                    ``8.4.0``    ``member_version``; below 8.0 records carry no class
                                            parameters (``rr_class_parameters`` ignored, answered ``""``)
``class_parameters``           ``merge``    ``replace``: an edit's ``<obj>_class_parameters`` *is* the
                                            new set; an edit without it clears the set unless it sends
                                            ``keep_class_parameters=1``
``free_rows``                  off          ``ip_address_list``/``ip6_address6_list`` also answer one
                                            row per free range of a terminal subnet (``type`` ``free``,
                                            ``ip_id`` ``"0"``, ``free_start_*``/``free_end_*``)
``delayed_delete_seconds``     ``0``        a deleted record stays listed with ``delayed_delete_time``
                                            ``"1"`` for that long (until the DNS server "applies" it)
``rr_ids_change``              off          every edit of a record gives it a new ``rr_id`` (answered as
                                            ``ret_oid``); ``POST /_emulator/dns/renumber`` renumbers all
``error_shapes``               ``emulator`` ``appliance``: the bodies a live appliance answers — one-element
                                            arrays from ``*_info``/``*_list``/``*_count``, objects with
                                            ``service_name``/``category`` from ``*_add``/``*_delete``,
                                            errno ``4`` for a missing parameter, ``5061`` "Space name
                                            already exist", "DNS rr already exists"
``missing_tag_types``          none         these ``TAGS`` types do not exist (e.g. ``ip``, ``ip6``, ``rr``)
``unknown_tag_types``          ``refuse``   ``ignore``: an unknown tag type adds no column (400 only
                                            once a ``WHERE`` names that column) instead of a 400
``ipam_dns_replication``       off          an address named with an FQDN of a zone gets A/AAAA (and
                                            PTR) records made by the appliance, removed with it
``unique_address_names``       off          an address name may be used by one address of a space only
                                            (refusal names the other address in ``ip_addr``)
``case_insensitive_names``     off          ``WHERE`` compares ``*_name`` columns without letter case;
                                            space names are unique without letter case
``attach_orphans``             on           off: a terminal subnet created over orphan addresses
                                            (``subnet_id`` 0) leaves them orphans
=============================  ===========  ===========================================================

Named profiles: ``default`` (every setting above at its default), ``strict`` (every setting at its
hardest for a client, version 8.x), ``sds7`` (the default appliance at version 7.3.0). A profile is
chosen with ``ipamsync emulator serve --profile NAME [--profile-settings JSON|@file]``,
``EmulatorServer(profile=...)`` or, at run time, ``PUT|PATCH /_emulator/profile``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

CLASS_PARAMETER_MODES = ("merge", "replace")
ERROR_SHAPES = ("emulator", "appliance")
UNKNOWN_TAG_MODES = ("refuse", "ignore")
_VERSION = re.compile(r"^\d+(\.\d+){0,3}$")


@dataclass(frozen=True)
class Appliance:
    """One appliance's behaviours (see the module docstring)."""

    version: str = "8.4.0"
    class_parameters: str = "merge"
    free_rows: bool = False
    delayed_delete_seconds: float = 0.0
    rr_ids_change: bool = False
    error_shapes: str = "emulator"
    missing_tag_types: tuple[str, ...] = ()
    unknown_tag_types: str = "refuse"
    ipam_dns_replication: bool = False
    unique_address_names: bool = False
    case_insensitive_names: bool = False
    attach_orphans: bool = True

    @property
    def version_number(self) -> tuple[int, ...]:
        return tuple(int(p) for p in self.version.split("."))

    @property
    def record_metadata(self) -> bool:
        """Records carry class parameters from SOLIDserver 8.0 on."""
        return self.version_number >= (8,)

    @property
    def replace_class_parameters(self) -> bool:
        return self.class_parameters == "replace"

    @property
    def appliance_errors(self) -> bool:
        return self.error_shapes == "appliance"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["missing_tag_types"] = list(self.missing_tag_types)
        return data

    def merged(self, changes: Mapping[str, Any]) -> Appliance:
        """This profile with ``changes`` (a JSON object of settings) applied; ValueError if invalid."""
        if not isinstance(changes, Mapping):
            raise ValueError("appliance settings must be a JSON object")
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown appliance settings: {sorted(unknown)} (allowed: {sorted(known)})")
        values: dict[str, Any] = {}
        for name, value in changes.items():
            values[name] = _check(name, value)
        return replace(self, **values)


def _check(name: str, value: Any) -> Any:
    if name == "version":
        if not isinstance(value, str) or not _VERSION.match(value):
            raise ValueError("version must look like 8.4.0")
        return value
    if name == "class_parameters":
        return _choice(name, value, CLASS_PARAMETER_MODES)
    if name == "error_shapes":
        return _choice(name, value, ERROR_SHAPES)
    if name == "unknown_tag_types":
        return _choice(name, value, UNKNOWN_TAG_MODES)
    if name == "delayed_delete_seconds":
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError("delayed_delete_seconds must be a number >= 0")
        return float(value)
    if name == "missing_tag_types":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
            raise ValueError("missing_tag_types must be a list of tag type names")
        return tuple(value)
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false")
    return value


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}")
    return str(value)


DEFAULT = Appliance()

PROFILES: dict[str, Appliance] = {
    "default": DEFAULT,
    "strict": Appliance(
        class_parameters="replace",
        free_rows=True,
        delayed_delete_seconds=1.0,
        rr_ids_change=True,
        error_shapes="appliance",
        missing_tag_types=("ip", "ip6", "rr"),
        unknown_tag_types="ignore",
        ipam_dns_replication=True,
        unique_address_names=True,
        case_insensitive_names=True,
        attach_orphans=False,
    ),
    "sds7": Appliance(version="7.3.0"),
}


def resolve(
    profile: str | Appliance | Mapping[str, Any] | None, settings: Mapping[str, Any] | None = None
) -> Appliance:
    """A profile by name (or an :class:`Appliance`, or settings over the default), then ``settings``."""
    if profile is None:
        base = DEFAULT
    elif isinstance(profile, Appliance):
        base = profile
    elif isinstance(profile, str):
        if profile not in PROFILES:
            raise ValueError(f"unknown appliance profile {profile!r} (known: {', '.join(PROFILES)})")
        base = PROFILES[profile]
    else:
        base = DEFAULT.merged(profile)
    return base.merged(settings) if settings else base
