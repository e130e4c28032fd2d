"""CloudTrail events of EC2 calls: emitted for whoever calls moto's EC2, in the fixtures' exact shape,
routed by the template's real rule pattern (failed calls emitted and filtered); the fleet's
changes on running instances and what they return."""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from ipamsync.events import CALLS, parse_event
from ipamsync_local.aws import LocalAws
from ipamsync_local.aws.cloudtrail import (
    CloudTrailSource,
    Ec2Call,
    api_call_detail,
    request_parameters,
    response_elements,
)
from local.tests.helpers import EVENTS, Recorder, Script

API_CALL = "AWS API Call via CloudTrail"


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[LocalAws, Recorder]]:
    recorder = Recorder()
    overrides = {**Script().overrides(), "enrich": recorder}
    with (
        tempfile.TemporaryDirectory() as state,
        LocalAws(state_dir=state, time_scale=0.01, handler_overrides=overrides) as aws,
    ):
        yield aws, recorder


def structure(node: Any) -> Any:
    """The key structure of a JSON document: keys (recursively), list items merged, value types."""
    if isinstance(node, dict):
        return {k: structure(v) for k, v in node.items()}
    if isinstance(node, list):
        merged: dict[str, Any] = {}
        kinds = set()
        for item in node:
            s = structure(item)
            if isinstance(s, dict):
                merged.update(s)
            else:
                kinds.add(s)
        return [merged] if merged else sorted(kinds)
    if node is None:
        return "null"
    return type(node).__name__


def fixture(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"cloudtrail-{name}.json").read_text())


def delivered(recorder: Recorder, event_id: str) -> dict[str, Any]:
    found = [e for e in recorder.of_type(API_CALL) if e["id"] == event_id]
    assert len(found) == 1, f"{event_id} delivered {len(found)} time(s)"
    return found[0]


# Over 80 lines: one pass over every followed call on one shared runtime: each call acts on what the
# calls before it made (instance, ENI, address, association), and each event is checked against its
# fixture.
def test_every_call_emits_the_fixtures_shape_and_the_rule_routes_it(
    shared: tuple[LocalAws, Recorder],
) -> None:
    """Each call, made as the fixture's was: the event enrich receives has the fixture's key
    structure (envelope, identity, request, response, value types), AWS's values where they are
    not the caller's, and parses into the call ipamsync expects."""
    aws, recorder = shared
    fleet, ec2 = aws.fleet, aws.ec2
    assert fleet is not None
    web = fleet.launch("ct-web", ipv6=1)  # dual-stack subnet, one IPv6 address
    other = fleet.launch("ct-other")
    iid = web.instance_id
    eip = fleet.allocate_elastic_ip()
    volume = ec2.create_volume(AvailabilityZone=fleet.describe(iid)["Placement"]["AvailabilityZone"], Size=1)

    done: dict[str, Any] = {}
    done["associate-address"] = fleet.associate_address(
        iid, allocation_id=eip["AllocationId"], allow_reassociation=True
    )
    done["disassociate-address"] = fleet.disassociate_address(iid)
    attached = fleet.attach_eni(iid)
    done["attach-network-interface"] = attached
    done["detach-network-interface"] = fleet.detach_eni(iid, attached.details["eni_id"])
    added = fleet.assign_private_ip(iid, allow_reassignment=True)
    done["assign-private-ip-addresses"] = added
    done["unassign-private-ip-addresses"] = fleet.unassign_private_ip(iid, added.details["addresses"][0])
    v6 = fleet.assign_ipv6(iid)
    done["assign-ipv6-addresses"] = v6
    done["unassign-ipv6-addresses"] = fleet.unassign_ipv6(iid, v6.details["addresses"][0])
    done["create-tags"] = fleet.rename_by_tag(iid, "ct-web-renamed")
    done["delete-tags"] = fleet.untag(iid, ["Name"])
    done["create-tags-volume"] = fleet.tag(other.instance_id, {"Backup": "daily"})  # replaced below
    fleet.stop(other.instance_id)
    done["modify-instance-attribute"] = fleet.set_instance_type(other.instance_id, "t3.large")
    assert aws.calls_source is not None
    mark = aws.calls_source.mark()
    ec2.create_tags(Resources=[volume["VolumeId"]], Tags=[{"Key": "Backup", "Value": "daily"}])
    [volume_call] = aws.calls_source.since(mark)
    aws.wait_idle(30)

    assert {fixture(name)["detail"]["eventName"] for name in done} == set(CALLS), (
        "every call ipamsync follows"
    )
    for name, action in done.items():
        call_ids = [c["id"] for c in action.calls if c["name"] != "CreateNetworkInterface"]
        assert len(call_ids) == 1, (name, action.calls)
        event_id = volume_call.id if name == "create-tags-volume" else call_ids[0]
        event = delivered(recorder, event_id)
        expected = fixture(name)
        assert structure(event) == structure(expected), name
        detail, want = event["detail"], expected["detail"]
        assert detail["eventName"] == want["eventName"] and detail["eventSource"] == "ec2.amazonaws.com"
        assert detail["recipientAccountId"] == event["account"] == aws.context.account_id
        assert detail["awsRegion"] == event["region"] == "us-east-1"
        for key in ("eventVersion", "readOnly", "eventType", "managementEvent", "eventCategory"):
            assert detail[key] == want[key], (name, key)
        assert event["time"] == detail["eventTime"] and re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"]
        )
        assert uuid.UUID(detail["eventID"]) and uuid.UUID(detail["requestID"]) and uuid.UUID(event["id"])
        assert detail["userAgent"].startswith("Boto3/") and "errorCode" not in detail
        call = parse_event(event)
        assert call.name == want["eventName"] and not call.ignored  # type: ignore[union-attr]

    # What the request and response say, value for value.
    assoc = delivered(recorder, done["associate-address"].calls[-1]["id"])["detail"]
    assert assoc["requestParameters"] == {
        "allocationId": eip["AllocationId"],
        "instanceId": iid,
        "allowReassociation": True,
    }
    assert assoc["responseElements"]["associationId"] == done["associate-address"].details["association_id"]
    assert assoc["responseElements"]["_return"] is True
    attach = delivered(recorder, attached.calls[-1]["id"])["detail"]
    assert attach["requestParameters"] == {
        "networkInterfaceId": attached.details["eni_id"],
        "instanceId": iid,
        "deviceIndex": 1,
    }
    assert attach["responseElements"]["attachmentId"] == attached.details["attachment_id"]
    assigned = delivered(recorder, added.calls[0]["id"])["detail"]["responseElements"]
    assert assigned["assignedPrivateIpAddressesSet"] == {
        "assignedPrivateIpAddressSetType": [{"privateIpAddress": added.details["addresses"][0]}]
    }, "only the address this call assigned (moto's response lists every address: fixed)"
    v6_event = delivered(recorder, v6.calls[0]["id"])["detail"]
    assert v6_event["responseElements"]["assignedIpv6Addresses"] == {
        "items": [{"ipv6Address": v6.details["addresses"][0]}]
    }
    tags = delivered(recorder, done["create-tags"].calls[0]["id"])["detail"]["requestParameters"]
    assert tags == {
        "resourcesSet": {"items": [{"resourceId": iid}]},
        "tagSet": {"items": [{"key": "Name", "value": "ct-web-renamed"}]},
    }
    modify = delivered(recorder, done["modify-instance-attribute"].calls[0]["id"])["detail"]
    assert modify["requestParameters"] == {
        "instanceId": other.instance_id,
        "instanceType": {"value": "t3.large"},
    }


def test_failed_calls_are_emitted_with_their_error_and_filtered_by_the_rule(
    shared: tuple[LocalAws, Recorder],
) -> None:
    aws, recorder = shared
    assert aws.fleet is not None and aws.calls_source is not None
    iid = aws.fleet.launch("ct-failed").instance_id
    aws.wait_idle(30)
    before = len(recorder.of_type(API_CALL))
    mark = aws.calls_source.mark()
    with pytest.raises(ClientError, match=r"InvalidAllocationID\.NotFound"):
        aws.ec2.associate_address(
            AllocationId="eipalloc-0a1b2c3d4e5f60009", InstanceId=iid, AllowReassociation=False
        )
    with pytest.raises(ClientError, match="IncorrectInstanceState"):  # a running instance's type
        aws.fleet.set_instance_type(iid, "t3.large")
    aws.ec2.reboot_instances(InstanceIds=[iid])  # not a call ipamsync follows: nothing emitted
    aws.wait_idle(30)
    failed = aws.calls_source.since(mark)
    assert [(c.name, c.error_code) for c in failed] == [
        ("AssociateAddress", "Client.InvalidAllocationID.NotFound"),
        ("ModifyInstanceAttribute", "Client.IncorrectInstanceState"),
    ]
    assert len(recorder.of_type(API_CALL)) == before, (
        "the rule's pattern (errorCode exists: false) filters them"
    )

    event = failed[0].event
    expected = fixture("associate-address-failed")
    assert structure(event) == structure(expected)
    assert event["detail"]["responseElements"] is None
    assert event["detail"]["requestParameters"] == {
        "allocationId": "eipalloc-0a1b2c3d4e5f60009",
        "instanceId": iid,
        "allowReassociation": False,
    }
    assert "eipalloc-0a1b2c3d4e5f60009" in event["detail"]["errorMessage"]
    # The same event put on the bus by hand without its errorCode is routed: the pattern decided.
    routed = json.loads(json.dumps(event))
    for key in ("errorCode", "errorMessage"):
        routed["detail"].pop(key)
    routed_id = aws.put_event(routed)
    aws.wait_idle(30)
    assert delivered(recorder, routed_id)["detail"]["eventName"] == "AssociateAddress"


def test_calls_through_moto_server_are_emitted_too(shared: tuple[LocalAws, Recorder]) -> None:
    """Whoever calls: a client of moto's server (as a Lambda execution environment is)."""
    aws, recorder = shared
    assert aws.fleet is not None and aws.calls_source is not None and aws.endpoint_url
    iid = aws.fleet.launch("ct-server").instance_id
    remote = boto3.client("ec2", region_name="us-east-1", endpoint_url=aws.endpoint_url)
    mark = aws.calls_source.mark()
    remote.create_tags(Resources=[iid], Tags=[{"Key": "team", "Value": "remote"}])
    [emitted] = aws.calls_source.since(mark)
    aws.wait_idle(30)
    assert delivered(recorder, emitted.id)["detail"]["requestParameters"]["resourcesSet"] == {
        "items": [{"resourceId": iid}]
    }


def test_the_fleet_helpers_say_what_they_did(shared: tuple[LocalAws, Recorder]) -> None:
    aws, _ = shared
    fleet = aws.fleet
    assert fleet is not None
    a = fleet.launch("ct-a", elastic_ip=True)
    b = fleet.launch("ct-b")
    ip = a.details["elastic_ip"]
    moved = fleet.move_elastic_ip(b.instance_id, public_ip=ip)
    assert moved.action == "move-elastic-ip" and moved.api_calls == ["AssociateAddress"]
    assert moved.details["previous_instance"] == a.instance_id and moved.details["public_ip"] == ip
    assert [c["name"] for c in moved.calls] == ["AssociateAddress"] and moved.events == []
    assert fleet.public_ip(b.instance_id) == ip
    assert fleet.public_ip(a.instance_id) is None, "A no longer holds it (moto kept it: fixed)"
    addresses = aws.ec2.describe_addresses(PublicIps=[ip])["Addresses"]
    assert addresses[0]["InstanceId"] == b.instance_id

    attached = fleet.attach_eni(b.instance_id, secondary_ips=1)
    assert attached.api_calls == ["CreateNetworkInterface", "AttachNetworkInterface"]
    assert attached.details["device_index"] == 1 and len(attached.details["private_ips"]) == 2
    detached = fleet.detach_eni(b.instance_id, attached.details["eni_id"], delete=True)
    assert detached.details["attachment_id"] == attached.details["attachment_id"]
    assert detached.api_calls == ["DetachNetworkInterface", "DeleteNetworkInterface"]
    assert [c["name"] for c in detached.calls] == ["DetachNetworkInterface"]

    renamed = fleet.rename_by_tag(b.instance_id, "ct-b-renamed")
    assert renamed.action == "rename-by-tag" and renamed.name == "ct-b-renamed"
    assert renamed.details["old_name"] == "ct-b" and renamed.events == [], "no restart"
    dropped = fleet.disassociate_address(b.instance_id)
    assert dropped.details["public_ip"] == ip and fleet.public_ip(b.instance_id) is None
    assert moved.to_dict()["calls"] == moved.calls


# --------------------------------------------------------------------------- the shape builder, alone


def test_the_shape_builder_renders_requests_and_responses_as_cloudtrail_does() -> None:
    assert request_parameters(
        {"Resources": ["i-1", "eni-2"], "Tags": [{"Key": "a", "Value": "b"}, {"Key": "c"}], "DryRun": False}
    ) == {
        "resourcesSet": {"items": [{"resourceId": "i-1"}, {"resourceId": "eni-2"}]},
        "tagSet": {"items": [{"key": "a", "value": "b"}, {"key": "c"}]},
    }
    assert request_parameters({"InstanceId": "i-1", "UserData": {"Value": "secret"}}) == {
        "instanceId": "i-1",
        "userData": {"value": "<sensitiveDataRemoved>"},
    }
    assert request_parameters({"InstanceId": "i-1", "Groups": ["sg-1"]}) == {
        "instanceId": "i-1",
        "groupSet": {"items": [{"groupId": "sg-1"}]},
    }
    assert response_elements("DetachNetworkInterface", None, "r") == {"requestId": "r", "_return": True}
    when = dt.datetime(2026, 11, 27, 7, 4, 58, 123456, tzinfo=dt.UTC)
    failed = Ec2Call(
        "CreateTags", {"Resources": ["i-1"]}, None, "123456789012", "eu-west-1", when, "X.Y", "no", True
    )
    detail = api_call_detail(failed, request_id="r", event_id="e")
    assert detail["errorCode"] == "Server.X.Y" and detail["responseElements"] is None
    assert detail["eventTime"] == "2026-11-27T07:04:58Z" and detail["awsRegion"] == "eu-west-1"
    assert list(detail)[:10] == [
        "eventVersion",
        "userIdentity",
        "eventTime",
        "eventSource",
        "eventName",
        "awsRegion",
        "sourceIPAddress",
        "userAgent",
        "errorCode",
        "errorMessage",
    ]


def test_delayed_calls_are_emitted_in_order_when_the_delay_ends() -> None:
    """What ``Fleet.launch`` relies on: events of calls made inside ``delayed()`` reach the bus at its
    end, in call order (nested delays end with the outermost)."""

    class Bus:
        def __init__(self) -> None:
            self.put: list[str] = []

        def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
            self.put.append(json.loads(Entries[0]["Detail"])["eventName"])
            return {"Entries": [{"EventId": str(uuid.uuid4())}]}

    bus = Bus()
    source = CloudTrailSource(bus)
    when = dt.datetime(2026, 11, 27, 7, 4, 58, tzinfo=dt.UTC)

    def call(name: str) -> Ec2Call:
        return Ec2Call(name, {"InstanceId": "i-1"}, None, "123456789012", "us-east-1", when)

    with source.delayed():
        source.on_calls([call("AssociateAddress")])
        with source.delayed():
            source.on_calls([call("CreateTags")])
        assert bus.put == [] and source.mark() == 0
    source.on_calls([call("DeleteTags")])
    assert bus.put == ["AssociateAddress", "CreateTags", "DeleteTags"]
    assert [c.name for c in source.since(0)] == bus.put
