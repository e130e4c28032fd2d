"""What SOLIDserver holds against the truth: every difference, kind by kind, and the objects
ipamsync does not own (unchanged since a snapshot taken before the run)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from ipamsync_local.inventory import Inventory

from .addresses import check_addresses
from .devices import check_devices, check_interfaces
from .dns import check_records
from .model import Comparison, Difference, Truth
from .networks import check_networks
from .rules import OWNER, PUBLIC_OWNER

Snapshot = Mapping[tuple[str, str], tuple[Any, ...]]


def compare(
    inv: Inventory,
    truth: Truth,
    *,
    foreign_before: Snapshot | None = None,
    ignore_instances: Iterable[str] = (),
) -> list[Difference]:
    """Every difference between what SOLIDserver holds (``inv``) and what it must hold (``truth``).

    Objects owned by instances the truth does not describe are reported as unexpected unless the
    truth was :meth:`~Truth.restrict`-ed (then they are someone else's scenario) or listed in
    ``ignore_instances``.
    """
    c = Comparison(inv, truth, set(ignore_instances))
    # in this order: the interface check needs the devices found, the address check both
    check_devices(c)
    check_interfaces(c)
    check_addresses(c)
    check_records(c)
    check_networks(c)
    if foreign_before is not None:
        c.diffs += _foreign_diffs(foreign_before, foreign_snapshot(inv))
    return c.diffs


def _ipamsync_owned(meta: Mapping[str, str]) -> bool:
    owner = meta.get(OWNER, "")
    return owner.startswith("aws:") or owner in (PUBLIC_OWNER, "ipamsync")


def foreign_snapshot(inv: Inventory) -> dict[tuple[str, str], tuple[Any, ...]]:
    """Everything SOLIDserver holds that ipamsync does not own: ``(type, id) → its fields``."""
    snap: dict[tuple[str, str], tuple[Any, ...]] = {}
    for s in inv.spaces:
        if not _ipamsync_owned(s.metadata):
            snap[("space", s.id)] = (s.name, tuple(sorted(s.metadata.items())))
    for n in inv.networks:
        if not _ipamsync_owned(n.metadata):
            snap[(f"network{n.version}", n.id)] = (
                n.cidr,
                n.name,
                n.terminal,
                tuple(sorted(n.metadata.items())),
            )
    for a in inv.addresses:
        if not _ipamsync_owned(a.metadata):
            snap[(f"address{a.version}", a.id)] = (
                a.address,
                a.name,
                a.mac,
                a.device_id,
                a.iface_id,
                tuple(sorted(a.metadata.items())),
            )
    for d in inv.devices:
        if not _ipamsync_owned(d.metadata):
            snap[("device", d.id)] = (d.name, tuple(sorted(d.metadata.items())))
    for i in inv.interfaces:
        if not _ipamsync_owned(i.metadata):
            snap[("interface", i.id)] = (i.name, i.mac, i.device_id, tuple(sorted(i.metadata.items())))
    for r in inv.records:
        if not _ipamsync_owned(r.metadata):
            snap[("record", r.id)] = (r.fqdn, r.type, r.value, r.ttl, tuple(sorted(r.metadata.items())))
    return snap


def _foreign_diffs(before: Snapshot, after: Snapshot) -> list[Difference]:
    """Objects ipamsync does not own, deleted or changed since ``before``."""
    diffs: list[Difference] = []
    for key, was in before.items():
        if key not in after:
            diffs.append(Difference("foreign", key[0], key[1], actual=f"deleted (was {was[:2]})"))
        elif after[key] != was:
            diffs.append(Difference("foreign", key[0], key[1], actual=f"changed: {was} -> {after[key]}"))
    return diffs


def format_differences(diffs: list[Difference], limit: int = 60) -> str:
    """A readable report: counts by kind, then one line per difference (at most ``limit``)."""
    if not diffs:
        return "SOLIDserver matches the truth."
    counts = Counter(d.kind for d in diffs)
    head = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    lines = [f"{len(diffs)} difference(s): {head}"]
    lines += [f"  {d}" for d in diffs[:limit]]
    if len(diffs) > limit:
        lines.append(f"  ... and {len(diffs) - limit} more")
    return "\n".join(lines)
