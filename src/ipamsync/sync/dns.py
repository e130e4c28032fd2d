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

Appliances differ (``docs/solidserver.md``, "Appliances differ"):

* Records are found by server, name, type and value in every invocation, never by a kept
  ``rr_id``: the ids change (the Terraform provider's ``resource_dns_rr.go``).
* A deleted record stays listed until the DNS server applies the change (``delayed_delete_time``):
  it counts as gone.
* An appliance set to make records from an address's FQDN name (IPAM-to-DNS replication) makes the
  instance's records itself: a record of the wanted name, type and value, not managed by ipamsync,
  made for an address this instance owns (named with that FQDN) is *adopted* — ipamsync's metadata
  is added to it. With ``DNS_RECORDS=appliance`` ipamsync leaves the records to the appliance.
* Records carry class parameters from SOLIDserver 8.0 on only (the Terraform provider sends
  ``rr_class_parameters`` from 8.0 on): below, ipamsync cannot recognise its records and refuses to
  write any (:class:`ConfigurationError`; ``DNS_RECORDS=appliance`` still works).
"""

from __future__ import annotations

import ipaddress
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
    SolidServerNotFound,
)
from ipamsync.model import Message
from ipamsync.naming import fqdn, is_fqdn, reverse_name, same_name
from ipamsync.settings import Settings
from ipamsync.solidserver import metadata as md
from ipamsync.solidserver.api import Address, Record, Zone
from ipamsync.sync.common import OWNER, Changes, SyncContext, base_metadata, other_instance
from ipamsync.sync.device import (
    DeviceResult,
    ReleaseResult,
    contest,
    finish,
    forget_applied,
    guarded,
    still_held,
)

log = logging.getLogger("ipamsync.sync.dns")


#: The first SOLIDserver version whose records carry class parameters (the Terraform provider's
#: ``resource_dns_rr.go`` sends ``rr_class_parameters`` only from 8.0 on).
RECORD_METADATA_SINCE = (8, 0)


@dataclass(frozen=True)
class WantedRecord:
    fqdn: str
    type: str
    value: str
    zone: Zone
    #: the instance's address the record is about (the A/AAAA value, the address a PTR reverses)
    address: str = ""


@dataclass
class DnsResult:
    enabled: bool = True
    records: list[dict[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    #: records left to another managed instance whose newer observation has them
    yielded: list[str] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)
    #: the execution's end (:func:`sync_dns_and_finish`): leases given back, refresh requests
    finished: ReleaseResult | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "enabled": self.enabled,
            "records": self.records,
            "skipped": self.skipped,
            "yielded": self.yielded,
            "changes": self.changes.to_dict(),
        }
        return {**out, **self.finished.to_dict()} if self.finished is not None else out


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
        out.append(WantedRecord(name, rtype, address, zone, address))
        if settings.reverse_dns:
            ptr = reverse_name(address)
            rzone = _owning_zone(ptr, zones, reverse=True)
            if rzone is None:
                skipped.append(f"PTR {ptr}: no reverse zone on {settings.dns_server}")
                log.warning("no reverse zone for PTR", extra={"ptr": ptr})
                continue
            out.append(WantedRecord(ptr, "PTR", name, rzone, address))
    return out


def sync_dns(msg: Message, ctx: SyncContext, *, device: DeviceResult | None = None) -> DnsResult:
    """Bring the instance's DNS records to what ``msg`` describes (under the instance's lease: the
    execution's, named in ``device``, or the step's own)."""
    if not ctx.settings.dns_enabled:
        return DnsResult(enabled=False)
    if ctx.settings.dns_records == "appliance":
        return DnsResult(enabled=False, skipped=["records are made by the appliance (DNS_RECORDS=appliance)"])
    result = DnsResult()
    with guarded(ctx, msg, device) as go:
        if go:
            _sync(msg, ctx, device, result)
    return result


def sync_dns_and_finish(
    msg: Message,
    ctx: SyncContext,
    *,
    device: DeviceResult | None,
    taken: Sequence[str] = (),
    retried: bool = False,
) -> DnsResult:
    """The execution's last step (``SyncDns``): the records, then the end of the execution — the
    lease given back and the refresh requests named (:func:`~ipamsync.sync.device.finish`).

    A ``retried`` attempt first checks that the execution still holds its lease: if an earlier
    attempt gave it back, the snapshot was applied in full (the lease goes last) and only that
    attempt's answer was lost; writing again could then overwrite a newer execution's records."""
    if retried and not still_held(ctx, msg, device):
        result = DnsResult(skipped=["applied by an earlier attempt of this step (its lease was given back)"])
        result.finished = finish(ctx, msg, None, taken)  # the refresh requests, named again
        return result
    result = sync_dns(msg, ctx, device=device)
    result.finished = finish(ctx, msg, device, taken)
    return result


def check_record_metadata(ctx: SyncContext) -> None:
    """Refuse to write records on an appliance whose records carry no class parameters (< 8.0)."""
    version = ctx.ss.client.probe()
    number = ctx.ss.client.version_number
    if number is not None and number < RECORD_METADATA_SINCE:
        raise ConfigurationError(
            f"SOLIDserver {version} keeps no class parameters on DNS records (8.0 and later do), so "
            "ipamsync cannot recognise the records it owns: let the appliance make them from the "
            "addresses' names (DNS_RECORDS=appliance) or disable DNS sync (no DNS server)"
        )


def _sync(msg: Message, ctx: SyncContext, device: DeviceResult | None, result: DnsResult) -> None:
    settings = ctx.settings
    changes = result.changes
    check_record_metadata(ctx)
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
    ipam = _Ipam(ctx)
    for w in wanted:
        rid = _place(ctx, msg, w, existing, meta, changes, ipam)
        if rid is None:
            if not result.yielded:
                forget_applied(ctx, device.device_id if device else None)  # not applied in full
            result.yielded.append(f"{w.type} {w.fqdn}")
        else:
            result.records.append({"name": w.fqdn, "type": w.type, "value": w.value, "id": rid})


# Over 80 lines: placing one record is one retry loop (up to three reads of SOLIDserver) whose
# branches — update ours, adopt the appliance's, contest another instance's, create — each end by
# reading again what changed under them. Left whole while the concurrency fix in this module and
# device.py lands (splitting it into helpers would collide with that change).
def _place(
    ctx: SyncContext,
    msg: Message,
    w: WantedRecord,
    existing: list[Record],
    meta: dict[str, str],
    changes: Changes,
    ipam: _Ipam,
) -> str | None:
    """The id of ``w`` once it is the instance's, or None when it was yielded to a newer holder.

    A record of that name and type that ipamsync does not manage is a conflict. One of another
    managed instance is contested when it stands for the same thing — the PTR of an address, or an
    A/AAAA record with the same value (an address reused under the same name) — and changes hands
    by observation (:func:`~ipamsync.sync.device.contest`); A/AAAA records with other values are
    the other instances sharing the name (an Auto Scaling group's Name tag): they stay.
    """
    settings = ctx.settings
    refused = False  # an add was refused as existing, yet no live record is in the way
    looked_again = False  # an unmanaged record for the instance's own address: read once more
    for _attempt in range(3):
        same = [r for r in existing if r.fqdn == w.fqdn and r.type == w.type]
        mine = next((r for r in same if r.value == w.value and r.metadata.get(OWNER) == msg.owner), None)
        if mine is not None:
            try:
                return _update(ctx, mine, meta, settings.ttl, changes)
            except SolidServerNotFound:
                # its id changed since the lookup (ids are not stable): look again
                existing = ctx.ss.find_records(
                    settings.dns_server, owner_key=OWNER, owner=msg.owner, names={w.fqdn: [w.type]}
                )
                continue
        adopted = None
        again = False
        for r in same:
            holder = r.metadata.get(OWNER, "")
            if holder == msg.owner:
                continue  # ours with an old value: deleted above
            if not other_instance(r.metadata):
                # made by the appliance for this instance's address, from the address's name (or,
                # for a PTR, from the A record or the address's distinct name): adopt it
                if not holder and ipam.made_for(msg.owner, w, r.value):
                    adopted = r
                    break
                if not holder and w.type != "PTR" and r.value != w.value:
                    made_for = ipam.holder(r.value, w.fqdn)
                    if made_for is not None and (made_for == msg.owner or other_instance({OWNER: made_for})):
                        continue  # the appliance's, for another managed address of that name
                if not holder and not looked_again and ipam.holder(w.address) == msg.owner:
                    # The address is the instance's: the addresses step, beside this one, may be
                    # renaming it while the appliance replaces the records it made from its name,
                    # so the records read may predate the address seen. Read both again, once.
                    looked_again = again = True
                    break
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
        if again:
            ipam.forget(w.address)
            existing = ctx.ss.find_records(
                settings.dns_server, owner_key=OWNER, owner=msg.owner, names={w.fqdn: [w.type]}
            )
            continue
        if adopted is not None:
            log.info("record made by the appliance adopted", extra={"record": f"{w.type} {w.fqdn}"})
            try:
                return _update(ctx, adopted, meta, settings.ttl, changes, adopt=True, value=w.value)
            except SolidServerNotFound:
                existing = ctx.ss.find_records(
                    settings.dns_server, owner_key=OWNER, owner=msg.owner, names={w.fqdn: [w.type]}
                )
                continue
        try:
            rid = ctx.ss.create_record(
                settings.dns_server, w.zone, w.fqdn, w.type, w.value, ttl=settings.ttl, metadata=meta
            )
            changes.add("created", "record")
            return rid
        except SolidServerConflict:
            # It appeared since the lookup: our own add whose answer was lost, another's, or one the
            # appliance made from the address's name; or a deleted one the DNS server has not
            # removed yet (pending deletion: listed, yet gone). Look again.
            existing = ctx.ss.find_records(
                settings.dns_server, owner_key=OWNER, owner=msg.owner, names={w.fqdn: [w.type]}
            )
            refused = not any(r.fqdn == w.fqdn and r.type == w.type and r.value == w.value for r in existing)
    if refused:
        raise HeldByAnotherInstance(
            f"{w.type} record {w.fqdn} cannot be added while its deletion is pending on the DNS server",
            object_type="record",
            key=w.fqdn,
            holder="(pending deletion)",
        )
    raise HeldByAnotherInstance(
        f"{w.type} record {w.fqdn} keeps changing hands", object_type="record", key=w.fqdn, holder=""
    )


class _Ipam:
    """Who owns the IPAM addresses that unmanaged records point to, looked up on first need (once
    per address): tells the records the appliance made from addresses' names (IPAM-to-DNS
    replication — an address named with an FQDN gets its DNS records from the appliance:
    EfficientIP-Labs/terraform-provider-solidserver issue #11) from records somebody else made."""

    def __init__(self, ctx: SyncContext) -> None:
        self.ctx = ctx
        self._found: dict[str, list[Address]] = {}

    def _addresses(self, address: str) -> list[Address]:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return []
        key = str(ip)
        if key not in self._found:
            self._found[key] = self.ctx.ss.find_address_anywhere(ip.version, key)
        return self._found[key]

    def forget(self, address: str) -> None:
        """Look ``address`` up again on next need."""
        try:
            self._found.pop(str(ipaddress.ip_address(address)), None)
        except ValueError:
            pass

    def holder(self, address: str, name: str | None = None) -> str | None:
        """The ``ipamsync_owner`` of the IPAM address ``address`` (named ``name``, when given);
        None: no such address, not named so, or not ipamsync's."""
        for a in self._addresses(address):
            if (name is None or same_name(a.name, name)) and a.metadata.get(OWNER):
                return a.metadata[OWNER]
        return None

    def made_for(self, owner: str, w: WantedRecord, value: str) -> bool:
        """Whether an unmanaged record of ``w``'s name and type, of this ``value``, is one the
        appliance made for ``owner``'s address: an A/AAAA of the wanted value, the address named
        with the record's name; a PTR of the address whose value is the wanted name or the
        address's own name."""
        if w.type != "PTR":
            return value == w.value and self.holder(w.address, w.fqdn) == owner
        return self.holder(w.address, value) == owner or (
            same_name(value, w.value) and self.holder(w.address) == owner
        )


def _update(
    ctx: SyncContext,
    rec: Record,
    meta: dict[str, str],
    ttl: int,
    changes: Changes,
    adopt: bool = False,
    value: str | None = None,
) -> str:
    """Bring a record to ``meta``/``ttl`` (and ``value``: an adopted PTR the appliance made from the
    address's distinct name), its whole class-parameter set resent; answers its id after."""
    changed, removed = md.diff(rec.metadata, meta)
    if changed or removed or rec.ttl != ttl or adopt:
        full, removed = md.edit_set(rec.metadata, meta)
        rid = ctx.ss.update_record(rec, ttl=ttl, metadata=full, delete_keys=removed, value=value)
        changes.add("updated", "record")
        return rid
    return rec.id
