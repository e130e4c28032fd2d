"""Changes on running instances through the whole local pipeline: an EC2 call made through moto →
its CloudTrail event (the local runtime emits it in AWS's shape) → the template's ``Ec2ApiCall``
rule → enrich → the FIFO queue → the state machine → SOLIDserver. No state change, no restart.

One test per call ipamsync follows; an Elastic IP moved between running instances with the
messages applied in both orders, and with the message for the previous holder lost; failed calls
and irrelevant resources ignored; a rename by tag. After each, SOLIDserver holds exactly what EC2
says (``Pipeline.exact``: the truth covers interfaces, addresses with their attachment and
association ids, and records).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ipamsync.events import CALLS, REFRESH
from ipamsync_local.truth import compare, format_differences

from .harness import SCENARIO_ZONE, Pipeline, pipeline_fixture

pipeline = pipeline_fixture()


def _no_restart(action: Any, *names: str) -> None:
    """The helper made the call(s), which produced CloudTrail events and no state change."""
    assert action.events == [], "no state change"
    assert [c["name"] for c in action.calls if c["name"] in CALLS] == list(names)
    assert not any(c.get("error") for c in action.calls)


def _call_runs(p: Pipeline, instance_id: str, since: int) -> list[Any]:
    runs = p.executions_of(instance_id)[since:]
    assert runs and {s.status for s in runs} == {"SUCCEEDED"}, [(s.name, s.error) for s in runs]
    return runs


def _applied(p: Pipeline, instance_id: str, call: Callable[[], Any], *names: str) -> Any:
    """Make the EC2 call(s) (no state change), wait, and check that the instance's executions since
    then succeeded and that SOLIDserver holds exactly the truth for it; the fleet's action."""
    since = len(p.executions_of(instance_id))
    action = call()
    _no_restart(action, *names)
    p.settle()
    _call_runs(p, instance_id, since)
    p.exact(instance_id)
    return action


def _addresses_of(p: Pipeline, instance_id: str) -> dict[str, Any]:
    inv = p.inventory()
    device = inv.device_of(instance_id)
    assert device is not None
    return {a.address: a for a in inv.addresses if a.device_id == device.id}


def _ptr(address: str) -> str:
    return ipaddress.ip_address(address).reverse_pointer


def _dead_letters_empty(p: Pipeline) -> None:
    workflow, events = p.dead_letters()
    assert workflow == [] and events == []


# --------------------------------------------------------------------------- one test per call


def test_elastic_ip_associated_and_disassociated(pipeline: Pipeline) -> None:
    p = pipeline
    iid = p.launch("ct-eip")
    p.settle()
    associated = _applied(p, iid, lambda: p.aws.fleet.associate_address(iid), "AssociateAddress")
    eip = associated.details["public_ip"]
    held = _addresses_of(p, iid)[eip]
    assert held.metadata["aws_public_ip_kind"] == "elastic"
    assert held.metadata["aws_association_id"] == associated.details["association_id"]
    assert p.inventory().device_of(iid).metadata["aws_public_ip"] == eip  # type: ignore[union-attr]

    _applied(p, iid, lambda: p.aws.fleet.disassociate_address(iid), "DisassociateAddress")
    assert eip not in p.inventory().address_map()
    _dead_letters_empty(p)


def test_eni_attached_and_detached(pipeline: Pipeline) -> None:
    p = pipeline
    iid = p.launch("ct-eni")
    p.settle()
    attached = _applied(
        p, iid, lambda: p.aws.fleet.attach_eni(iid, secondary_ips=1), "AttachNetworkInterface"
    )
    inv = p.inventory()
    device = inv.device_of(iid)
    assert device is not None and device.metadata["aws_eni_count"] == "2"
    assert sorted(i.name for i in inv.interfaces if i.device_id == device.id) == ["eth0", "eth1"]
    mine = _addresses_of(p, iid)
    for ip in attached.details["private_ips"]:
        assert mine[ip].metadata["aws_attachment_id"] == attached.details["attachment_id"]

    _applied(
        p,
        iid,
        lambda: p.aws.fleet.detach_eni(iid, attached.details["eni_id"], delete=True),
        "DetachNetworkInterface",
    )
    inv = p.inventory()
    assert [i.name for i in inv.interfaces if i.device_id == device.id] == ["eth0"]
    assert not set(attached.details["private_ips"]) & set(inv.address_map())
    _dead_letters_empty(p)


def test_secondary_private_ip_assigned_and_unassigned(pipeline: Pipeline) -> None:
    p = pipeline
    iid = p.launch("ct-secondary")
    p.settle()
    runs = len(p.executions_of(iid))
    added = p.aws.fleet.assign_private_ip(iid)
    _no_restart(added, "AssignPrivateIpAddresses")
    [ip] = added.details["addresses"]
    p.settle()
    _call_runs(p, iid, runs)
    p.exact(iid)
    assert ip in _addresses_of(p, iid)

    _applied(p, iid, lambda: p.aws.fleet.unassign_private_ip(iid, ip), "UnassignPrivateIpAddresses")
    assert ip not in p.inventory().address_map()
    _dead_letters_empty(p)


def test_ipv6_address_assigned_and_unassigned(pipeline: Pipeline) -> None:
    p = pipeline
    iid = p.launch("ct-v6", "dev-1", ipv6=1)
    p.settle()
    runs = len(p.executions_of(iid))
    added = p.aws.fleet.assign_ipv6(iid)
    _no_restart(added, "AssignIpv6Addresses")
    [ip] = added.details["addresses"]
    p.settle()
    _call_runs(p, iid, runs)
    p.exact(iid)
    assert str(ipaddress.ip_address(ip)) in {str(ipaddress.ip_address(a)) for a in _addresses_of(p, iid)}

    _applied(p, iid, lambda: p.aws.fleet.unassign_ipv6(iid, ip), "UnassignIpv6Addresses")
    assert str(ipaddress.ip_address(ip)) not in {
        str(ipaddress.ip_address(a)) for a in p.inventory().address_map()
    }
    _dead_letters_empty(p)


def test_tags_set_and_removed(pipeline: Pipeline) -> None:
    p = pipeline
    iid = p.launch("ct-tags", tags={"team": "blue"})
    p.settle()
    _applied(p, iid, lambda: p.aws.fleet.tag(iid, {"team": "red", "cost-center": "CC-7"}), "CreateTags")
    device = p.inventory().device_of(iid)
    assert device is not None
    assert device.metadata["aws_tag_team"] == "red" and device.metadata["aws_tag_cost_center"] == "CC-7"

    _applied(p, iid, lambda: p.aws.fleet.untag(iid, ["Name", "cost-center"]), "DeleteTags")
    device = p.inventory().device_of(iid)
    assert device is not None and "aws_tag_cost_center" not in device.metadata
    assert device.name == iid, "no Name tag: the device is named after the instance"
    _dead_letters_empty(p)


def test_instance_type_changed_while_stopped(pipeline: Pipeline) -> None:
    p = pipeline
    iid = p.launch("ct-type", instance_type="t3.micro")
    p.settle()
    p.aws.fleet.stop(iid)
    p.settle()
    _applied(p, iid, lambda: p.aws.fleet.set_instance_type(iid, "m5.large"), "ModifyInstanceAttribute")
    device = p.inventory().device_of(iid)
    assert device is not None and device.metadata["aws_instance_type"] == "m5.large"
    _dead_letters_empty(p)


# --------------------------------------------------------------------------- Elastic IP moves


def _drain(p: Pipeline) -> list[dict[str, Any]]:
    """Every message of the (paused) event queue, in queue order; the queue is left empty."""
    return [m["body"] for m in p.aws.dead_letters("EventQueue", delete=True)]


def test_elastic_ip_moved_a_to_b_in_the_order_the_pipeline_applies_them(pipeline: Pipeline) -> None:
    """B's message first (the call's): B takes the address over from A and asks for A's snapshot
    (a refresh request), which corrects A. Nothing waits for A to change state."""
    p = pipeline
    a = p.launch("ct-move-a", elastic_ip=True)
    b = p.launch("ct-move-b")
    p.settle()
    p.exact(a, b)
    eip = p.describe(a)["PublicIpAddress"]
    runs_a, runs_b = len(p.executions_of(a)), len(p.executions_of(b))
    enriched = p.aws.counters()["lambda"]["EnrichFunction"]["async_accepted"]

    moved = p.aws.fleet.move_elastic_ip(b, public_ip=eip)
    _no_restart(moved, "AssociateAddress")
    assert moved.details["previous_instance"] == a
    p.settle()

    _call_runs(p, b, runs_b)
    [refreshed] = _call_runs(p, a, runs_a)  # A's snapshot, asked for by B's addresses step
    delivered = p.aws.counters()["lambda"]["EnrichFunction"]["async_accepted"] - enriched
    assert delivered == 2, "the CloudTrail event, then the refresh request for A"
    assert refreshed.event_state == "running"
    p.exact(a, b)
    held = p.inventory().address_map()[eip]
    assert held.metadata["aws_instance_id"] == b and held.metadata["ipamsync_owner"] == p.owner(b)
    assert "aws_public_ip" not in p.inventory().device_of(a).metadata  # type: ignore[union-attr]
    _dead_letters_empty(p)


def test_elastic_ip_moved_a_to_b_with_a_message_applied_first(pipeline: Pipeline) -> None:
    """The other order: a snapshot of A taken after the move (a tag call on A) is applied before
    B's. A lets go of the address, then B creates it; the end is the same."""
    p = pipeline
    a = p.launch("ct-order-a", elastic_ip=True)
    b = p.launch("ct-order-b")
    p.settle()
    eip = p.describe(a)["PublicIpAddress"]
    assert p.aws.pipe is not None and p.aws.lambdas is not None
    p.aws.pipe.pause()
    try:
        p.aws.fleet.move_elastic_ip(b, public_ip=eip)
        p.aws.fleet.tag(a, {"failover": "done"})
        p.aws.lambdas.wait_idle(60)
        held = _drain(p)
    finally:
        p.aws.pipe.resume()
    by_instance = {body["instance"]["id"]: body for body in held}
    assert set(by_instance) == {a, b}, [body["instance"]["id"] for body in held]

    p.aws.send_message(by_instance[a], dedup_id=f"a-first-{a}")
    p.settle()
    assert eip not in p.inventory().address_map(), "A let go of it; B's message has not arrived"
    p.aws.send_message(by_instance[b], dedup_id=f"b-second-{b}")
    p.settle()
    p.exact(a, b)
    held_now = p.inventory().address_map()[eip]
    assert held_now.metadata["aws_instance_id"] == b
    assert {s.status for s in p.executions_of(a) + p.executions_of(b)} == {"SUCCEEDED"}
    _dead_letters_empty(p)


@pytest.fixture
def refresh_requests_lost(pipeline: Pipeline) -> Iterator[list[dict[str, Any]]]:
    """EventBridge loses every refresh request while the test runs (they are kept here)."""
    lambdas = pipeline.aws.lambdas
    assert lambdas is not None
    lost: list[dict[str, Any]] = []
    deliver = lambdas.deliver

    def losing(target_arn: str, event: dict[str, Any], rule: Any) -> bool:
        if event.get("detail-type") == REFRESH:
            lost.append(event)
            return True
        return deliver(target_arn, event, rule)

    lambdas.deliver = losing  # type: ignore[method-assign]
    try:
        yield lost
    finally:
        lambdas.deliver = deliver  # type: ignore[method-assign]


def test_elastic_ip_moved_with_the_message_for_a_lost(
    pipeline: Pipeline, refresh_requests_lost: list[dict[str, Any]]
) -> None:
    """A's message (the refresh request B's execution asks for) never arrives: B converges anyway;
    A's own next message (here a rename by tag) corrects A."""
    p = pipeline
    a = p.launch("ct-lost-a", elastic_ip=True)
    b = p.launch("ct-lost-b")
    p.settle()
    eip = p.describe(a)["PublicIpAddress"]
    runs_a = len(p.executions_of(a))
    p.aws.fleet.move_elastic_ip(b, public_ip=eip)
    p.settle()
    assert [e["detail"]["instance-id"] for e in refresh_requests_lost] == [a]
    assert p.executions_of(a)[runs_a:] == [], "nothing reached A"
    truth, inv = p.truth(), p.inventory()
    diffs = compare(inv, truth.restrict([b]))
    assert diffs == [], format_differences(diffs)  # B alone: exactly what EC2 says
    stale_diffs = compare(inv, truth)
    assert len(stale_diffs) == 1 and a in format_differences(stale_diffs), format_differences(stale_diffs)
    held = p.inventory().address_map()[eip]
    assert held.metadata["aws_instance_id"] == b
    stale = inv.device_of(a)
    assert stale is not None and stale.metadata.get("aws_public_ip") == eip, "A still believes it has it"
    _dead_letters_empty(p)

    p.aws.fleet.rename_by_tag(a, "ct-lost-a2")
    p.settle()
    p.exact(a, b)
    device = p.inventory().device_of(a)
    assert device is not None and "aws_public_ip" not in device.metadata
    assert p.inventory().address_map()[eip].metadata["aws_instance_id"] == b


# --------------------------------------------------------------------------- ignored calls


def test_failed_calls_and_irrelevant_resources_change_nothing(pipeline: Pipeline) -> None:
    from botocore.exceptions import ClientError

    p = pipeline
    iid = p.launch("ct-ignored")
    p.settle()
    assert p.aws.calls_source is not None
    counters = p.aws.counters()["lambda"]["EnrichFunction"]
    executions = len(p.aws.recorder.summaries)  # type: ignore[union-attr]
    writes = p.emu.admin.stats()["totals"]["writes"]
    mark = p.aws.calls_source.mark()

    with pytest.raises(ClientError, match=r"InvalidAllocationID\.NotFound"):
        p.aws.ec2.associate_address(AllocationId="eipalloc-0a1b2c3d4e5f60009", InstanceId=iid)
    with pytest.raises(ClientError, match="InvalidParameterValue"):  # its primary address
        p.aws.ec2.unassign_private_ip_addresses(
            NetworkInterfaceId=p.aws.fleet.eni_of(iid)["NetworkInterfaceId"],
            PrivateIpAddresses=[p.describe(iid)["PrivateIpAddress"]],
        )
    zone = p.describe(iid)["Placement"]["AvailabilityZone"]
    volume = p.aws.ec2.create_volume(AvailabilityZone=zone, Size=1)["VolumeId"]
    p.aws.ec2.create_tags(Resources=[volume], Tags=[{"Key": "Name", "Value": "ct-data"}])
    p.settle()

    emitted = p.aws.calls_source.since(mark)
    assert [(c.name, c.failed) for c in emitted] == [
        ("AssociateAddress", True),
        ("UnassignPrivateIpAddresses", True),
        ("CreateTags", False),
    ]
    after = p.aws.counters()["lambda"]["EnrichFunction"]
    assert after["async_accepted"] - counters["async_accepted"] == 1, "the rule filtered the failed calls"
    assert after["errors"] == counters["errors"]
    assert len(p.aws.recorder.summaries) == executions, "nothing queued"  # type: ignore[union-attr]
    assert p.emu.admin.stats()["totals"]["writes"] == writes, "nothing written"
    p.exact(iid)
    _dead_letters_empty(p)


# --------------------------------------------------------------------------- rename by tag


def test_rename_by_tag_updates_device_addresses_and_records_without_a_restart(pipeline: Pipeline) -> None:
    p = pipeline
    iid = p.launch("ct-old-name", "dev-1", ipv6=1, secondary_ips=1, elastic_ip=True)
    p.settle()
    p.exact(iid)
    old_fqdn = f"ct-old-name.{SCENARIO_ZONE}"
    assert any(name == old_fqdn for name, _, _ in p.inventory().records_of(iid))
    runs = len(p.executions_of(iid))

    renamed = p.aws.fleet.rename_by_tag(iid, "ct-new-name")
    _no_restart(renamed, "CreateTags")
    assert renamed.details["old_name"] == "ct-old-name"
    p.settle()
    [run] = _call_runs(p, iid, runs)
    assert run.event_state == "running"
    assert p.describe(iid)["State"]["Name"] == "running"
    _, inv = p.exact(iid)

    device = inv.device_of(iid)
    assert device is not None and device.name == f"ct-new-name-{iid}"
    mine = [a for a in inv.addresses if a.device_id == device.id]
    assert len(mine) == 4  # primary, secondary, IPv6, Elastic IP
    assert all("ct-new-name" in (a.name or "") for a in mine), [a.name for a in mine]
    assert not any("ct-old-name" in (a.name or "") for a in mine)
    described = p.describe(iid)
    primary = described["PrivateIpAddress"]
    v6 = str(ipaddress.ip_address(described["NetworkInterfaces"][0]["Ipv6Addresses"][0]["Ipv6Address"]))
    new_fqdn = f"ct-new-name.{SCENARIO_ZONE}"
    records = inv.records_of(iid)
    assert (new_fqdn, "A", primary) in records and (_ptr(primary), "PTR", new_fqdn) in records
    assert (new_fqdn, "AAAA", v6) in records
    assert not any(old_fqdn in (name, value) for name, _, value in records), records
    _dead_letters_empty(p)
