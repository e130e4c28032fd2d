"""The instance's lease: at most one execution writes an instance's objects at a time.

SOLIDserver's v1 API has no conditional update, but an add with ``add_flag=new_only`` of an object
with a unique name is atomic: exactly one of several concurrent adds succeeds. The lease is such an
object: a Device Manager device named ``ipamsync-lease-<instance-id>``, owned by the instance
(``ipamsync_owner``, so the device lookup that starts every execution sees it), naming its holder
(``ipamsync_lease``: the execution) and when it expires (``ipamsync_lease_expires``).

* An execution takes it in its first step (``SyncDevice``) before writing anything and deletes it
  in its last (``SyncDns``, or ``SyncDevice`` itself when nothing else is left to do); a step
  invoked on its own (``sam local invoke``) takes and gives back its own. After a failure it is
  *abandoned* (``ReleaseAfterFailure``): marked expired, not deleted, so it remains the mark of an
  unfinished execution (see :func:`abandon`).
* Another execution of the same instance finds it held and fails with the transient
  :class:`~ipamsync.errors.InstanceBusy`: the state machine retries it with backoff.
* It expires ``Settings.lease_seconds`` (``ExecutionLeaseSeconds``, 330 s) after its execution
  started: an Express execution cannot run longer than 5 minutes, and the event queue redelivers a
  failed event only after its 360 s visibility timeout, by when the failed execution's lease has
  expired. So a holder that died (dead-lettered without releasing it, the appliance
  unreachable) blocks nobody for long: the next taker deletes an expired lease by its id (ids are
  never reused, so this can only ever delete that lease) and takes a new one. The hourly collection
  removes leases left expired longer than the tombstones are kept.
* The mark is never lost between deleting an expired lease and adding the new one: before the
  delete, the instance's devices lose their digest, so that a failure in between leaves a device
  whose snapshot reads as not applied (:func:`forget_digests`).
* Taking it is idempotent: an add whose answer was lost after the appliance committed it is
  recognised on retry as the caller's own lease (same holder).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ipamsync.errors import InstanceBusy, OwnershipConflict, SolidServerConflict
from ipamsync.model import Message, format_time, parse_time
from ipamsync.solidserver import metadata as md
from ipamsync.solidserver.api import Device
from ipamsync.sync.common import DIGEST, OWNER, SyncContext

log = logging.getLogger("ipamsync.sync.lease")

HOLDER = "ipamsync_lease"
EXPIRES = "ipamsync_lease_expires"


def lease_name(instance_id: str) -> str:
    return f"ipamsync-lease-{instance_id}"


def expiry(started: datetime, lease_seconds: int, now: datetime | None = None) -> str:
    """When a lease taken by an execution that ``started`` expires. The start is clamped to the
    last ``lease_seconds`` before ``now``, so no input can make a lease outlive an execution."""
    if now is not None:
        started = min(max(started, now - timedelta(seconds=lease_seconds)), now)
    return format_time(started + timedelta(seconds=lease_seconds))


@dataclass(frozen=True)
class Lease:
    id: str
    holder: str
    expires: str
    #: the lease device's whole class-parameter set (an edit resends it: ``metadata.edit_set``)
    metadata: dict[str, str] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, device: Device) -> Lease | None:
        holder = device.metadata.get(HOLDER)
        if holder is None:
            return None
        return cls(device.id, holder, device.metadata.get(EXPIRES, ""), dict(device.metadata))

    def expired(self, now: datetime) -> bool:
        try:
            return parse_time(self.expires) <= now
        except ValueError:
            return True  # unreadable: nobody can be relying on it


def is_lease(device: Device) -> bool:
    return HOLDER in device.metadata


def split(devices: Iterable[Device]) -> tuple[list[Device], list[Lease]]:
    """(the instance's devices, its leases) from one lookup by owner."""
    found: list[Device] = []
    leases: list[Lease] = []
    for d in devices:
        lease = Lease.of(d)
        if lease is None:
            found.append(d)
        else:
            leases.append(lease)
    return found, leases


@dataclass(frozen=True)
class Taken:
    lease: Lease
    #: an expired lease was found: the last execution of the instance did not finish
    after_failure: bool


def acquire(ctx: SyncContext, msg: Message, holder: str, expires: str, known: Iterable[Lease] = ()) -> Taken:
    """Take the instance's lease for ``holder`` (``InstanceBusy`` while another holds it);
    ``known``: the leases the caller's lookup already found."""
    now = ctx.now()
    name = lease_name(msg.instance.id)
    after_failure = False
    for held in known:
        if held.holder == holder:
            return Taken(held, after_failure=True)  # this execution's own, from an attempt that failed
        if not held.expired(now):
            raise _busy(msg, name, held)
        _delete_expired(ctx, msg, held)
        after_failure = True
    meta = {OWNER: msg.owner, HOLDER: holder, EXPIRES: expires, "aws_instance_id": msg.instance.id}
    for _attempt in range(2):
        try:
            return Taken(Lease(ctx.ss.create_device(name, meta), holder, expires, meta), after_failure)
        except SolidServerConflict:
            current = _current(ctx, name)
            if current is None:
                continue  # given back in between: try again
            other = Lease.of(current)
            if current.metadata.get(OWNER) != msg.owner or other is None:
                raise OwnershipConflict(
                    f"device name {name!r} is taken by a device that is not this instance's lease",
                    object_type="device",
                    key=name,
                    holder=current.metadata.get(OWNER, ""),
                ) from None
            if other.holder == holder:
                return Taken(other, after_failure)  # our own add, whose answer was lost
            if not other.expired(now):
                raise _busy(msg, name, other) from None
            _delete_expired(ctx, msg, other)
            after_failure = True
    raise InstanceBusy(f"the lease of {msg.instance.id} changed hands while it was being taken", key=name)


def _delete_expired(ctx: SyncContext, msg: Message, held: Lease) -> None:
    """Delete an expired lease (by its id), the mark of an execution that did not finish, so that a
    new one can be taken. The mark is moved first: the instance's devices lose their digest
    (``ipamsync_digest``), so that their snapshot no longer reads as applied. Otherwise a failure
    between this delete and the new lease's add (a fault, an outage, a timeout) would lose the only
    sign that the device's digest is not applied in full, and the next attempt would take it as
    applied and skip the addresses and records (issue #10: the soak's wrong objects)."""
    log.warning("deleting an expired lease", extra={"lease_holder": held.holder, "expired": held.expires})
    forget_digests(ctx, msg.owner)
    ctx.ss.delete_device(held.id)


def forget_digests(ctx: SyncContext, owner: str) -> int:
    """Delete the digest of every device of the instance ``owner`` (leases aside): its next message is
    applied in full. Only that key is deleted (the edit sends no class parameters: see
    :func:`ipamsync.sync.device.forget_applied`). Answers how many devices lost one."""
    devices, _leases = split(ctx.ss.find_devices(OWNER, owner))
    marked = [d for d in devices if d.metadata.get(DIGEST)]
    for device in marked:
        ctx.ss.update_device(device.id, name=None, metadata={}, delete_keys=[DIGEST])
    return len(marked)


def _busy(msg: Message, name: str, held: Lease) -> InstanceBusy:
    return InstanceBusy(
        f"{msg.instance.id} is being synced by another execution ({held.holder}, until {held.expires})",
        object_type="lease",
        key=name,
        holder=held.holder,
    )


def _current(ctx: SyncContext, name: str) -> Device | None:
    from ipamsync.solidserver.where import Where

    found = ctx.ss.list_devices(
        where=Where.eq("hostdev_name", name), tags=[f"hostdev.{OWNER}", f"hostdev.{HOLDER}"]
    )
    return found[0] if found else None


def release(ctx: SyncContext, lease_id: str) -> None:
    """Give the lease back after the execution succeeded (deleting a deleted lease changes nothing)."""
    ctx.ss.delete_device(lease_id)


def abandon(ctx: SyncContext, lease: Lease) -> None:
    """Give the lease up after a failure: it is marked expired rather than deleted, so that it
    stays as the mark of an execution that did not finish. The next execution of the instance is
    not kept waiting (it deletes an expired lease) and does not take the shortcut of a message
    already applied; reconcile counts the instance as drifted.

    The edit resends the lease's whole class-parameter set (the holder holds it: nobody else
    writes it meanwhile), so it is right whether the appliance merges or replaces the set."""
    full, removed = md.edit_set(lease.metadata, {**lease.metadata, EXPIRES: format_time(ctx.now())})
    ctx.ss.update_device(lease.id, name=None, metadata=full, delete_keys=removed)


def abandon_held_by(ctx: SyncContext, msg: Message, holder: str) -> int:
    """:func:`abandon` every lease of the instance that ``holder`` holds (its id is not known)."""
    _devices, leases = split(ctx.ss.find_devices(OWNER, msg.owner))
    mine = [lease for lease in leases if lease.holder == holder]
    for lease in mine:
        abandon(ctx, lease)
    return len(mine)
