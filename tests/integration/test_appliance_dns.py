"""The DNS side of the sync on appliances that differ (``docs/solidserver.md``, "Appliances differ"):
IPAM -> DNS replication, delayed deletion and record ids, under each emulator setting they depend
on (``/_emulator/profile``). The other items of the review: ``test_appliance.py``.

Every test states what SOLIDserver must hold afterwards; each fails if the sync relied on the
default emulator's behaviour.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ipamsync.sync.addresses import distinct_name, sync_addresses
from ipamsync.sync.common import SyncContext
from ipamsync.sync.device import DeviceResult, sync_device
from ipamsync.sync.dns import sync_dns
from ipamsync.sync.networks import sync_networks
from tests.helpers import (
    OWNER,
    SUBNET_B,
    ZONE,
    eni,
    inv,
    message,
    new_context,
    ptr,
    raw_records,
    run,
)

# --------------------------------------------------------------------------- 4. IPAM -> DNS replication


def test_records_the_appliance_makes_from_address_names_are_adopted(ctx, emu):
    emu.admin.change_profile(ipam_dns_replication=True)
    iid = "i-0000000000000f012"
    owner = message(iid).owner
    enis = [eni(0x212, ["10.20.1.212", "10.20.1.213"])]
    out = run(message(iid, enis=enis), ctx)
    assert out["dns"]["changes"] == {"created": 0, "updated": 2, "deleted": 0}  # adopted, not added
    i = inv(ctx)
    assert {(r.fqdn, r.type, r.value) for r in i.owned_by(owner)["records"]} == {
        (f"web-1.{ZONE}", "A", "10.20.1.212"),
        (ptr("10.20.1.212"), "PTR", f"web-1.{ZONE}"),
    }
    # the appliance's records of the secondary address are its own
    theirs = {(r.fqdn, r.type, r.value) for r in i.records if OWNER not in r.metadata}
    assert theirs == {(f"web-1.{ZONE}", "A", "10.20.1.213"), (ptr("10.20.1.213"), "PTR", f"web-1.{ZONE}")}
    again = sync_dns(message(iid, enis=enis), ctx, device=DeviceResult(iid, lease_id="1"))
    assert again.changes.writes == 0
    run(message(iid, name="web-2", enis=enis), ctx)
    i = inv(ctx)
    assert {(r.fqdn, r.value) for r in i.owned_by(owner)["records"]} == {
        (f"web-2.{ZONE}", "10.20.1.212"),
        (ptr("10.20.1.212"), f"web-2.{ZONE}"),
    }
    assert not any("web-1" in r.fqdn or "web-1" in r.value for r in i.records)
    run(message(iid, "terminated"), ctx)
    assert inv(ctx).records == []


def test_instances_sharing_a_name_under_replication_each_have_their_record(ctx, emu):
    emu.admin.change_profile(ipam_dns_replication=True)
    a, b = "i-0000000000000f013", "i-0000000000000f014"
    run(message(a, name="asg", enis=[eni(0x213, ["10.20.1.214"])]), ctx)
    msg_b = message(b, name="asg", enis=[eni(0x214, ["10.20.1.215"])])
    # b's address is there (so is the appliance's record for it) before b's DNS step: a's DNS step
    # meanwhile sees that record as b's, not as a conflict
    dev_b = sync_device(msg_b, ctx, holder="exec-b", started=ctx.now())
    sync_addresses(msg_b, ctx, device=dev_b, networks=sync_networks(msg_b, ctx))
    assert sync_dns(message(a, name="asg", enis=[eni(0x213, ["10.20.1.214"])]), ctx).changes.writes == 0
    sync_dns(msg_b, ctx, device=dev_b)
    values = {r.value: r.metadata.get("aws_instance_id") for r in inv(ctx).records if r.type == "A"}
    assert values == {"10.20.1.214": a, "10.20.1.215": b}


def test_the_ptr_the_appliance_made_from_a_distinct_name_is_adopted_and_pointed_at_the_instance(ctx, emu):
    """Unique names and replication together: an instance sharing its name with another has its
    principal address under its distinct name, so the appliance made its PTR from that name; ipamsync
    adopts it and points it at the instance's name (its A record is ipamsync's own)."""
    emu.admin.change_profile(ipam_dns_replication=True, unique_address_names=True)
    a, b = "i-0000000000000f030", "i-0000000000000f031"
    run(message(a, name="asg", enis=[eni(0x230, ["10.20.1.240"])]), ctx)
    run(message(b, name="asg", enis=[eni(0x231, ["10.20.1.241"])]), ctx)
    i = inv(ctx)
    assert i.address_map()["10.20.1.241"].name == distinct_name(f"asg.{ZONE}", "10.20.1.241")
    assert i.records_of(b) == {
        (f"asg.{ZONE}", "A", "10.20.1.241"),
        (ptr("10.20.1.241"), "PTR", f"asg.{ZONE}"),
    }
    assert [r.value for r in i.records if r.fqdn == ptr("10.20.1.241")] == [f"asg.{ZONE}"]  # one PTR


def _rename_beside_dns(ctx: SyncContext, emu: Any, iid: str, enis: list[dict[str, Any]]) -> Any:
    """The rename of ``iid`` (``app`` → ``app-renamed``) with its addresses step (in another
    container) running between the DNS step's reading of the records and its look at the
    addresses. Returns the DNS step's result."""
    from ipamsync.sync.device import finish

    renamed = message(iid, name="app-renamed", enis=enis)
    dev = sync_device(renamed, ctx, holder="exec-2", started=ctx.now())
    nets = sync_networks(renamed, ctx)
    other = new_context(emu, ctx.settings)
    find_records = ctx.ss.find_records
    renames: list[Any] = []

    def read_then_rename(*args: Any, **kwargs: Any) -> Any:
        rows = find_records(*args, **kwargs)
        if not renames:
            renames.append(sync_addresses(renamed, other, device=dev, networks=nets))
        return rows

    try:
        ctx.ss.find_records = read_then_rename  # type: ignore[method-assign]
        result = sync_dns(renamed, ctx, device=dev)
    finally:
        ctx.ss.find_records = find_records  # type: ignore[method-assign]
        other.ss.client.close()
        finish(ctx, renamed, dev, ())
    assert renames and renames[0].changes.counts["updated:address"] >= 1
    return result


def test_a_rename_beside_the_dns_step_finds_the_appliances_ptr_of_a_distinct_name(ctx, emu):
    """The addresses and DNS steps run side by side. Here the DNS step of the launch ran before the
    addresses existed (it wrote the records itself; the appliance then made its own beside them
    from the address names); at the rename, the DNS step reads the records, the addresses step
    renames the addresses (the appliance replaces its records), then the DNS step looks at the
    addresses: the appliance's PTR of the IPv6 address still names its old distinct name. It is
    recognised and adopted, never a conflict."""
    emu.admin.change_profile(ipam_dns_replication=True, unique_address_names=True)
    from ipamsync.sync.device import finish
    from tests.helpers import SUBNET6

    iid = "i-0000000000000f035"
    enis = [
        eni(0x235, ["10.30.1.35"], subnet=SUBNET6, ipv6=["2600:1f18:4a3:6901::35", "2600:1f18:4a3:6901::36"])
    ]
    first = message(iid, name="app", enis=enis)
    dev = sync_device(first, ctx, holder="exec-1", started=ctx.now())
    nets = sync_networks(first, ctx)
    sync_dns(first, ctx, device=dev)  # before the addresses: ipamsync writes the records
    sync_addresses(first, ctx, device=dev, networks=nets)  # the appliance adds its own from the names
    finish(ctx, first, dev, ())
    result = _rename_beside_dns(ctx, emu, iid, enis)
    fqdn = f"app-renamed.{ZONE}"
    wanted = {
        (fqdn, "A", "10.30.1.35"),
        (ptr("10.30.1.35"), "PTR", fqdn),
        (fqdn, "AAAA", "2600:1f18:4a3:6901::35"),
        (ptr("2600:1f18:4a3:6901::35"), "PTR", fqdn),
    }
    assert {(r["name"], r["type"], r["value"]) for r in result.records} == wanted
    run(message(iid, name="app-renamed", enis=enis, tags={"env": "x"}), ctx)  # applied in full
    assert inv(ctx).records_of(iid) == wanted


def test_a_rename_beside_the_dns_step_finds_the_appliances_ptr_of_the_old_name(ctx, emu):
    """As above, for the principal address: someone renamed the address away and back after the DNS
    step had adopted its records, so the appliance replaced them with its own (unmanaged); at the
    rename the PTR read still names the instance's old name: read again, adopted."""
    emu.admin.change_profile(ipam_dns_replication=True)
    iid = "i-0000000000000f036"
    enis = [eni(0x236, ["10.20.2.36"], subnet=SUBNET_B)]
    run(message(iid, name="app", enis=enis), ctx)
    [address] = inv(ctx).owned_by(message(iid).owner)["addresses"]
    for name in ("someone-else", address.name):  # the appliance re-makes its records each time
        ctx.ss.client.edit("ip_add", {"ip_id": address.id, "name": name, "keep_class_parameters": 1})
    assert inv(ctx).records_of(iid) == set()
    result = _rename_beside_dns(ctx, emu, iid, enis)
    fqdn = f"app-renamed.{ZONE}"
    wanted = {(fqdn, "A", "10.20.2.36"), (ptr("10.20.2.36"), "PTR", fqdn)}
    assert {(r["name"], r["type"], r["value"]) for r in result.records} == wanted
    run(message(iid, name="app-renamed", enis=enis, tags={"env": "x"}), ctx)
    assert inv(ctx).records_of(iid) == wanted


# --------------------------------------------------------------------------- 5. delayed deletion


def test_records_pending_deletion_count_as_gone_and_never_block_their_replacement(ctx, emu):
    emu.admin.change_profile(delayed_delete_seconds=3600)
    ctx.settings = replace(ctx.settings, stopped_policy="remove-dns")
    iid = "i-0000000000000f015"
    enis = [eni(0x215, ["10.20.1.216"])]
    run(message(iid, enis=enis), ctx)
    run(message(iid, "stopped", enis=enis), ctx)
    assert inv(ctx).records_of(iid) == set()
    assert {r["delayed_delete_time"] for r in raw_records(ctx)} == {"1"}  # still listed
    out = run(message(iid, "running", enis=enis), ctx)  # the same records again, while pending
    assert out["dns"]["changes"]["created"] == 2
    assert len(inv(ctx).records_of(iid)) == 2 and len(raw_records(ctx)) == 4
    run(message(iid, name="web-9", enis=enis), ctx)
    assert {r[0] for r in inv(ctx).records_of(iid)} == {f"web-9.{ZONE}", ptr("10.20.1.216")}
    emu.admin.apply_dns_deletions()
    assert len(raw_records(ctx)) == 2


def test_a_record_taken_over_while_the_old_one_is_pending_deletion(ctx, emu):
    emu.admin.change_profile(delayed_delete_seconds=3600)
    old, new = "i-0000000000000f016", "i-0000000000000f017"
    run(message(old, enis=[eni(0x216, ["10.20.1.217"])]), ctx)
    run(message(new, enis=[eni(0x217, ["10.20.1.217"])]), ctx)  # same name, same address: taken over
    assert inv(ctx).records_of(new) == {
        (f"web-1.{ZONE}", "A", "10.20.1.217"),
        (ptr("10.20.1.217"), "PTR", f"web-1.{ZONE}"),
    }


# --------------------------------------------------------------------------- 6. record ids


def test_records_are_found_by_name_type_and_value_whatever_their_ids(ctx, emu):
    emu.admin.change_profile(rr_ids_change=True)
    iid = "i-0000000000000f018"
    enis = [eni(0x218, ["10.20.1.218"])]
    run(message(iid, enis=enis), ctx)
    emu.admin.renumber_records()
    ctx.settings = replace(ctx.settings, ttl=1200)
    out = run(message(iid, enis=enis), ctx)
    now = {r.id for r in inv(ctx).records}
    assert {r["id"] for r in out["dns"]["records"]} == now  # the ids after the edits (new ones)
    assert {r.ttl for r in inv(ctx).records} == {1200}
    emu.admin.renumber_records()
    run(message(iid, "terminated"), ctx)
    assert inv(ctx).records == []
