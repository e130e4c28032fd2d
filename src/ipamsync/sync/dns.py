"""DNS: A, AAAA and PTR records for the instance's hostname.

Records: ``<hostname>.<zone> A <primary private IPv4 of the primary ENI>``, ``AAAA <its first
IPv6>``, and (reverse DNS on) the matching PTR records in the longest reverse zone of the DNS
server that owns them (no such zone: the PTR is skipped and logged). The zone is the instance's
zone tag (``DNS_ZONE_TAG_KEY``) or the configured forward zone.

Several instances may share a hostname (an Auto Scaling group's Name tag): each owns its own A
record, so the name resolves to all of them. A record of that name and type that ipamsync does
not own means the name belongs to somebody else: :class:`OwnershipConflict`, nothing written. The
PTR of an address, or an A/AAAA record of the same value, held by another managed instance changes
hands by observation, like the address itself.

Records are removed when the instance is terminated, when it is stopped under the
``remove-dns`` policy, and when the hostname or address changes (the old ones).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ipamsync.errors import (
    ConfigurationError,
    HeldByAnotherInstance,
    InvalidMessage,
    OwnershipConflict,
    SolidServerConflict,
)
from ipamsync.model import Message
from ipamsync.naming import fqdn, is_fqdn, reverse_name
from ipamsync.settings import Settings
from ipamsync.solidserver import metadata as md
from ipamsync.solidserver.api import Record, Zone
from ipamsync.sync.common import OWNER, Changes, SyncContext, base_metadata, other_instance
from ipamsync.sync.device import DeviceResult, contest, forget_applied, guarded

log = logging.getLogger("ipamsync.sync.dns")


@dataclass(frozen=True)
class WantedRecord:
    fqdn: str
    type: str
    value: str
    zone: Zone


@dataclass
class DnsResult:
    enabled: bool = True
    records: list[dict[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    #: records left to another managed instance whose newer observation has them
    yielded: list[str] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "records": self.records,
            "skipped": self.skipped,
            "yielded": self.yielded,
            "changes": self.changes.to_dict(),
        }


def zone_for(msg: Message, default_zone: str, tag_key: str) -> str | None:
    """The forward zone of the instance: its ``tag_key`` tag when set, else the configured zone."""
    raw = msg.instance.tags.get(tag_key)
    if raw is not None and raw.strip():
        zone = raw.strip().rstrip(".").lower()
        if not is_fqdn(zone):
            raise InvalidMessage(f"tag {tag_key!r} = {raw[:80]!r} is not a DNS zone name")
        return zone
    return default_zone or None


def _owning_zone(name: str, zones: Sequence[Zone], reverse: bool) -> Zone | None:
    best: Zone | None = None
    for z in zones:
        if z.reverse != reverse:
            continue
        if (name == z.name or name.endswith("." + z.name)) and (best is None or len(z.name) > len(best.name)):
            best = z
    return best


def wanted_records(
    msg: Message, settings: Settings, zones_of_server: Callable[[], Sequence[Zone]], skipped: list[str]
) -> list[WantedRecord]:
    """The records the instance should have (pure: ``zones_of_server`` is only called when the
    instance has a name to publish; a reason is appended to ``skipped`` for each one left out)."""
    inst = msg.instance
    if inst.gone or not inst.hostname:
        return []
    if settings.stopped_policy == "remove-dns" and inst.state in ("stopping", "stopped"):
        return []
    zone_name = zone_for(msg, settings.forward_zone, settings.zone_tag_key)
    if not zone_name:
        skipped.append("no forward zone configured")
        return []
    zones = list(zones_of_server())
    zone = next((z for z in zones if z.name == zone_name and not z.reverse), None)
    if zone is None:
        raise ConfigurationError(f"zone {zone_name!r} does not exist on DNS server {settings.dns_server!r}")
    name = fqdn(inst.hostname, zone.name)
    primary = inst.primary_interface
    out: list[WantedRecord] = []
    if primary is None:
        return out
    pairs = [("A", primary.primary_ipv4), ("AAAA", primary.ipv6[0] if primary.ipv6 else None)]
    for rtype, address in pairs:
        if not address:
            continue
        out.append(WantedRecord(name, rtype, address, zone))
        if settings.reverse_dns:
            ptr = reverse_name(address)
            rzone = _owning_zone(ptr, zones, reverse=True)
            if rzone is None:
                skipped.append(f"PTR {ptr}: no reverse zone on {settings.dns_server}")
                log.warning("no reverse zone for PTR", extra={"ptr": ptr})
                continue
            out.append(WantedRecord(ptr, "PTR", name, rzone))
    return out


def sync_dns(msg: Message, ctx: SyncContext, *, device: DeviceResult | None = None) -> DnsResult:
    """Bring the instance's DNS records to what ``msg`` describes (under the instance's lease: the
    execution's, named in ``device``, or the step's own)."""
    if not ctx.settings.dns_enabled:
        return DnsResult(enabled=False)
    result = DnsResult()
    with guarded(ctx, msg, device) as go:
        if go:
            _sync(msg, ctx, device, result)
    return result


def _sync(msg: Message, ctx: SyncContext, device: DeviceResult | None, result: DnsResult) -> None:
    settings = ctx.settings
    changes = result.changes
    wanted = wanted_records(msg, settings, ctx.zones, result.skipped)
    names: dict[str, list[str]] = {}
    for w in wanted:
        names.setdefault(w.fqdn, []).append(w.type)
    existing = ctx.ss.find_records(settings.dns_server, owner_key=OWNER, owner=msg.owner, names=names)
    meta = base_metadata(msg)
    wanted_keys = {(w.fqdn, w.type, w.value) for w in wanted}
    for rec in existing:
        if rec.metadata.get(OWNER) == msg.owner and (rec.fqdn, rec.type, rec.value) not in wanted_keys:
            ctx.ss.delete_record(rec.id)
            changes.add("deleted", "record")
    for w in wanted:
        rid = _place(ctx, msg, w, existing, meta, changes)
        if rid is None:
            if not result.yielded:
                forget_applied(ctx, device.device_id if device else None)  # not applied in full
            result.yielded.append(f"{w.type} {w.fqdn}")
        else:
            result.records.append({"name": w.fqdn, "type": w.type, "value": w.value, "id": rid})


def _place(
    ctx: SyncContext,
    msg: Message,
    w: WantedRecord,
    existing: list[Record],
    meta: dict[str, str],
    changes: Changes,
) -> str | None:
    """The id of ``w`` once it is the instance's, or None when it was yielded to a newer holder.

    A record of that name and type that ipamsync does not manage is a conflict. One of another
    managed instance is contested when it stands for the same thing — the PTR of an address, or an
    A/AAAA record with the same value (an address reused under the same name) — and changes hands
    by observation (:func:`~ipamsync.sync.device.contest`); A/AAAA records with other values are
    the other instances sharing the name (an Auto Scaling group's Name tag): they stay.
    """
    settings = ctx.settings
    for _attempt in range(3):
        same = [r for r in existing if r.fqdn == w.fqdn and r.type == w.type]
        mine = next((r for r in same if r.value == w.value and r.metadata.get(OWNER) == msg.owner), None)
        if mine is not None:
            _update(ctx, mine, meta, settings.ttl, changes)
            return mine.id
        for r in same:
            holder = r.metadata.get(OWNER, "")
            if holder == msg.owner:
                continue  # ours with an old value: deleted above
            if not other_instance(r.metadata):
                raise OwnershipConflict(
                    f"{w.type} record {w.fqdn} ({r.value}) exists and is not managed by ipamsync",
                    object_type="record",
                    key=f"{w.fqdn}/{w.type}",
                    holder=holder or "(not ipamsync)",
                )
            if w.type != "PTR" and r.value != w.value:
                continue  # another instance sharing the name: each owns its own value
            verdict = contest(ctx, msg, holder, f"{w.type} record {w.fqdn}")
            if not verdict.take:
                return None
            ctx.ss.delete_record(r.id)
            changes.add("deleted", "record")
            forget_applied(ctx, verdict.holder_device_id)
        try:
            rid = ctx.ss.create_record(
                settings.dns_server, w.zone, w.fqdn, w.type, w.value, ttl=settings.ttl, metadata=meta
            )
            changes.add("created", "record")
            return rid
        except SolidServerConflict:
            # It appeared since the lookup: our own add whose answer was lost, or another's: look again.
            existing = ctx.ss.find_records(
                settings.dns_server, owner_key=OWNER, owner=msg.owner, names={w.fqdn: [w.type]}
            )
    raise HeldByAnotherInstance(
        f"{w.type} record {w.fqdn} keeps changing hands", object_type="record", key=w.fqdn, holder=""
    )


def _update(ctx: SyncContext, rec: Record, meta: dict[str, str], ttl: int, changes: Changes) -> None:
    changed, removed = md.diff(rec.metadata, meta)
    if changed or removed or rec.ttl != ttl:
        ctx.ss.update_record(rec, ttl=ttl, metadata=changed, delete_keys=removed)
        changes.add("updated", "record")
