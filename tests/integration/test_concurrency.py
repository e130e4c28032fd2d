"""Executions of one instance that overlap (a redrive, an execution started by hand, a second
stack), and instances that share objects, against the emulator: each execution runs on its own
thread with its own context (its own Lambda environments), and transient errors are retried the way
the state machine does. Whatever overlaps, SOLIDserver ends with exactly what the newest observation
describes. (The same scenarios through the full local pipeline: tests/e2e/test_concurrency.py.)"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ipamsync.errors import InstanceBusy, SolidServerUnavailable, TransientError
from ipamsync.settings import Settings
from ipamsync.solidserver import SolidServer, SolidServerClient
from ipamsync.sync.common import SyncContext
from ipamsync.sync.lease import lease_name
from tests.helpers import NS, SUBNET_A, ZONE, eni, message, run, tick

RETRIES = 12  # like the state machine: transient errors are retried


@pytest.fixture
def contexts(ctx, emu):
    """A factory of contexts on the emulator, each its own client (as separate Lambda environments)."""
    made: list[SyncContext] = []

    def make() -> SyncContext:
        from tests.helpers import make_config

        c = SyncContext(settings=ctx.settings, ss=SolidServer(SolidServerClient(make_config(emu.url))))
        made.append(c)
        return c

    yield make
    for c in made:
        c.ss.client.close()


def retrying(msg: Any, ctx: SyncContext, execution: str, busy: list[str] | None = None) -> dict[str, Any]:
    for attempt in range(RETRIES):
        try:
            return run(msg, ctx, execution=execution)
        except TransientError as exc:
            if busy is not None and isinstance(exc, InstanceBusy):
                busy.append(execution)
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError(f"{execution} never converged")


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))

    def go(call: Callable[[], Any]) -> Any:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result() for f in [pool.submit(go, c) for c in calls]]


def devices_of(ctx: SyncContext, owner: str) -> list[Any]:
    return ctx.ss.find_devices("ipamsync_owner", owner)


def test_the_same_message_twice_at_once_applies_once_without_a_false_conflict(ctx, contexts, emu):
    msg = message("i-0c0c0c0c0c0c0c001", enis=[eni(1, ["10.20.1.41"])])
    busy: list[str] = []
    for _round in range(3):
        at_once(*(lambda n=n: retrying(msg, contexts(), f"exec-{n}", busy) for n in range(4)))
    [device] = devices_of(ctx, msg.owner)  # one device, no lease left behind
    assert device.name == "web-1-i-0c0c0c0c0c0c0c001"
    writes = emu.admin.stats()["totals"]["writes"]
    at_once(*(lambda n=n: retrying(msg, contexts(), f"again-{n}") for n in range(4)))
    assert emu.admin.stats()["totals"]["writes"] == writes  # a replay writes nothing


@pytest.mark.parametrize("newer_first", [False, True])
def test_older_and_newer_observations_at_once_end_with_the_newer(ctx, contexts, newer_first):
    iid = "i-0c0c0c0c0c0c0c002"
    old = message(iid, name="old-name", enis=[eni(2, ["10.20.1.42"])])
    new = message(iid, name="new-name", enis=[eni(2, ["10.20.1.42"], mac="0e:00:00:00:00:99")])
    assert old.observed_at < new.observed_at
    pair = [(new, "exec-new"), (old, "exec-old")] if newer_first else [(old, "exec-old"), (new, "exec-new")]
    for _round in range(4):
        at_once(*(lambda m=m, e=e: retrying(m, contexts(), e) for m, e in pair))
    [device] = devices_of(ctx, old.owner)
    assert device.name == f"new-name-{iid}" and device.metadata["aws_name"] == "new-name"
    from tests.helpers import inv

    i = inv(ctx)
    assert i.address_map()["10.20.1.42"].name == f"new-name.{ZONE}"
    assert i.address_map()["10.20.1.42"].mac == "0e:00:00:00:00:99"
    records = {(r.fqdn, r.type, r.value) for r in i.records}
    assert (f"new-name.{ZONE}", "A", "10.20.1.42") in records
    assert not [r for r in i.records if r.fqdn.startswith("old-name")]
    assert [r.value for r in i.records if r.type == "PTR"] == [f"new-name.{ZONE}"]  # no PTR twice


def test_a_burst_of_launches_into_a_new_space_converges_without_a_conflict(ctx, contexts):
    ctx.ss.find_space("AWS") is None  # noqa: B015 - nothing exists yet: the space, block and subnet are created by the burst
    msgs = [
        message(f"i-0c0c0c0c0c0c0c1{n:02d}", name="asg-web", enis=[eni(10 + n, [f"10.20.1.{100 + n}"])])
        for n in range(6)
    ]
    at_once(*(lambda m=m: retrying(m, contexts(), f"exec-{m.instance.id}") for m in msgs))
    from tests.helpers import inv

    i = inv(ctx)
    assert i.duplicates() == {}
    assert len([s for s in i.spaces if s.name == "AWS"]) == 1
    assert len([n for n in i.networks if n.cidr == "10.20.1.0/24"]) == 1
    shared = sorted(r.value for r in i.records if r.fqdn == f"asg-web.{ZONE}" and r.type == "A")
    assert shared == sorted(f"10.20.1.{100 + n}" for n in range(6))  # one A record per instance


def test_termination_interrupted_between_its_writes_never_leaves_the_instance_without_a_guard(
    ctx, contexts, emu
):
    iid = "i-0c0c0c0c0c0c0c003"
    pending = message(iid, "pending", enis=[eni(3, ["10.20.1.43"])])
    running = message(iid, enis=[eni(3, ["10.20.1.43"])])
    run(running, ctx)
    gone = message(iid, "terminated")
    # the tombstone edit succeeds, the interface deletion after it fails: the step fails
    emu.admin.set_faults({"rules": {"hostiface_delete": {"error_rates": {"503": 1.0}}}})
    with pytest.raises(SolidServerUnavailable):
        run(gone, contexts(), execution="exec-term")
    [guard] = devices_of(ctx, gone.owner)[:1]
    assert "ipamsync_tombstone" in guard.metadata  # the device became its tombstone in one edit
    # an older observation arriving now is stale: the instance is not brought back
    assert run(pending, contexts(), execution="exec-late")["device"]["stale"] is True
    emu.admin.clear_faults()
    run(gone, contexts(), execution="exec-term-redelivered")
    from tests.helpers import inv

    i = inv(ctx)
    assert i.owned_by(gone.owner)["addresses"] == [] and i.owned_by(gone.owner)["interfaces"] == []
    [tomb] = devices_of(ctx, gone.owner)
    assert tomb.metadata["ipamsync_tombstone"] and tomb.metadata["aws_state"] == "terminated"


def test_a_lease_whose_answer_was_lost_is_recognised_as_the_callers_own(ctx, emu):
    msg = message("i-0c0c0c0c0c0c0c004", enis=[eni(4, ["10.20.1.44"])])
    emu.admin.set_faults({"rules": {"hostdev_add": {"drop_after_commit_rate": 1.0}}})
    with pytest.raises(SolidServerUnavailable):
        run(msg, ctx, execution="exec-1")  # the lease was created, its answer lost
    emu.admin.clear_faults()
    run(msg, ctx, execution="exec-1")  # the state machine's retry of the same execution
    [device] = devices_of(ctx, msg.owner)
    assert device.name == "web-1-i-0c0c0c0c0c0c0c004"


def test_an_execution_that_failed_leaves_a_mark_and_the_next_one_applies_everything(ctx, emu):
    msg = message("i-0c0c0c0c0c0c0c005", enis=[eni(5, ["10.20.1.45"])])
    emu.admin.set_faults({"rules": {"ip_add": {"error_rates": {"500": 1.0}}}})
    with pytest.raises(SolidServerUnavailable):
        run(msg, ctx, execution="exec-1")
    emu.admin.clear_faults()
    leases = [
        d for d in ctx.ss.find_devices("ipamsync_owner", msg.owner) if d.name == lease_name(msg.instance.id)
    ]
    assert len(leases) == 1  # given up, kept as the mark of an unfinished execution
    # the same message again (a redelivery): not "already applied", the address is created
    out = run(msg, ctx, execution="exec-2")
    assert out["device"]["unchanged"] is False and out["addresses"]["changes"]["created"] == 1
    assert [d.name for d in ctx.ss.find_devices("ipamsync_owner", msg.owner)] == ["web-1-i-0c0c0c0c0c0c0c005"]


@pytest.mark.parametrize("again", ["the same message", "a newer observation of the same snapshot"])
def test_a_failed_takeover_of_an_unfinished_executions_lease_keeps_its_mark(ctx, emu, again):
    """Issue #10 (the soak's wrong objects): an execution fails after writing the device (its digest
    says "applied") and gives its lease up, the mark of an unfinished execution. The next execution
    deletes that expired lease to take its own, and the add of its own fails (a fault, an outage).
    The mark must not be lost with it: the retry, or the next message of the same snapshot, must
    still apply everything rather than take the device's digest as applied."""
    msg = message("i-0c0c0c0c0c0c0c00a", enis=[eni(10, ["10.20.1.50"])])
    emu.admin.set_faults({"rules": {"ip_add": {"error_rates": {"500": 1.0}}}})
    with pytest.raises(SolidServerUnavailable):
        run(msg, ctx, execution="exec-1")  # device and digest written, the address refused
    emu.admin.set_faults(
        {"rules": {"hostdev_add": {"error_rates": {"503": 1.0}, "match": "ipamsync_lease=exec-2"}}}
    )
    with pytest.raises(SolidServerUnavailable):
        run(msg, ctx, execution="exec-2")  # the expired lease deleted, its own lease refused
    emu.admin.clear_faults()
    if again == "the same message":
        out = run(msg, ctx, execution="exec-2")  # the state machine's retry
    else:
        newer = message("i-0c0c0c0c0c0c0c00a", enis=[eni(10, ["10.20.1.50"])], observed_at=tick())
        out = run(newer, ctx, execution="exec-3")
    assert out["device"]["unchanged"] is False and out["addresses"]["changes"]["created"] == 1
    from tests.helpers import inv

    assert [a.address for a in inv(ctx).owned_by(msg.owner)["addresses"]] == ["10.20.1.50"]
    assert [d.name for d in devices_of(ctx, msg.owner)] == ["web-1-i-0c0c0c0c0c0c0c00a"]


def test_a_held_lease_makes_another_execution_wait(ctx):
    msg = message("i-0c0c0c0c0c0c0c006", enis=[eni(6, ["10.20.1.46"])])
    from ipamsync.sync.device import sync_device

    first = sync_device(msg, ctx, holder="exec-1", started=ctx.now())
    assert first.lease_id is not None
    newer = message("i-0c0c0c0c0c0c0c006", name="web-2", enis=[eni(6, ["10.20.1.46"])], observed_at=tick())
    with pytest.raises(InstanceBusy) as exc:
        sync_device(newer, ctx, holder="exec-2", started=ctx.now())
    assert exc.value.holder == "exec-1"
    # once the first execution's lease has expired (it died), the next one is not kept waiting
    from datetime import timedelta

    real = ctx.now
    ctx.now = lambda: real() + timedelta(minutes=6)
    second = sync_device(newer, ctx, holder="exec-2", started=ctx.now())
    assert second.lease_id not in (None, first.lease_id)
    assert devices_of(ctx, msg.owner)[0].metadata["aws_name"] == "web-2"
    assert SUBNET_A and NS and Settings


def test_a_space_created_by_another_execution_in_between_is_used(ctx, contexts):
    """The space does not exist at the lookup, another execution creates it before our add."""
    other = contexts()
    real = ctx.ss.find_space
    calls = {"n": 0}

    def find_space(name: str) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            found = real(name)
            other.ss.create_space(name, {"ipamsync_owner": "ipamsync"})  # the other execution wins
            return found
        return real(name)

    ctx.ss.find_space = find_space  # type: ignore[method-assign]
    space_id = ctx.space_id("AWS", create=True)
    assert space_id == real("AWS").id and calls["n"] == 2


def test_an_older_execution_stalled_mid_write_cannot_undo_a_newer_one(ctx, contexts):
    """An adversarial schedule: the older observation's execution has read the device and stalls just
    before writing it, while the newer observation's execution runs. Without the instance's lease the
    newer one would finish first and the older one's late writes would undo it (device named after
    the old name, addresses and records renamed back); with it, the newer one waits (InstanceBusy)
    until the older one is done, then applies."""
    iid = "i-0c0c0c0c0c0c0c007"
    run(message(iid, name="old-7", enis=[eni(7, ["10.20.1.47"])]), ctx)
    old = message(iid, name="old-7", enis=[eni(7, ["10.20.1.47"], mac="0e:00:00:00:00:77")])
    new = message(iid, name="new-7", enis=[eni(7, ["10.20.1.47"], mac="0e:00:00:00:00:77")])
    newer_done = threading.Event()
    old_ctx, new_ctx = contexts(), contexts()
    real_update = old_ctx.ss.update_device

    def stalled_update(*args: Any, **kwargs: Any) -> Any:
        newer_done.wait(3)  # the older execution stalls here (at most 3 s)
        return real_update(*args, **kwargs)

    old_ctx.ss.update_device = stalled_update  # type: ignore[method-assign]

    def newer() -> None:
        time.sleep(0.2)  # the older execution has read the device by now
        retrying(new, new_ctx, "exec-new")
        newer_done.set()

    at_once(lambda: retrying(old, old_ctx, "exec-old"), newer)
    from tests.helpers import inv

    [device] = devices_of(ctx, new.owner)
    assert device.name == f"new-7-{iid}" and device.metadata["aws_name"] == "new-7"
    i = inv(ctx)
    assert i.address_map()["10.20.1.47"].name == f"new-7.{ZONE}"
    assert {r.fqdn for r in i.records if r.type == "A" and r.value == "10.20.1.47"} == {f"new-7.{ZONE}"}
