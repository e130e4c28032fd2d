"""EC2 state changes → EventBridge events in AWS's shape and order; the fleet helper."""

from __future__ import annotations

import ipaddress
import re
import tempfile
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from ipamsync_local.aws import LocalAws
from local.tests.helpers import Recorder, Script

AWS_KEYS = ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[LocalAws, Recorder]]:
    recorder = Recorder()
    overrides = {**Script().overrides(), "enrich": recorder}
    with (
        tempfile.TemporaryDirectory() as state,
        LocalAws(state_dir=state, time_scale=0.01, handler_overrides=overrides) as aws,
    ):
        yield aws, recorder


def _delivered_states(aws: LocalAws, recorder: Recorder, action: Any) -> list[str]:
    aws.wait_idle(30)
    by_id = {e["id"]: e for e in recorder.for_instance(action.instance_id)}
    assert {e["id"] for e in action.events} <= set(by_id), "every emitted event was delivered"
    return [by_id[e["id"]]["detail"]["state"] for e in action.events]


def test_each_action_produces_aws_shaped_events_in_aws_order(shared: tuple[LocalAws, Recorder]) -> None:
    aws, recorder = shared
    assert aws.fleet is not None
    launched = aws.fleet.launch("shape-1")
    iid = launched.instance_id
    assert launched.states == ["pending", "running"]
    assert _delivered_states(aws, recorder, launched) == ["pending", "running"]

    event = recorder.for_instance(iid)[0]
    assert list(event) == AWS_KEYS
    assert event["version"] == "0" and uuid.UUID(event["id"])
    assert event["detail-type"] == "EC2 Instance State-change Notification" and event["source"] == "aws.ec2"
    assert event["account"] == "123456789012" and event["region"] == "us-east-1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])
    assert event["resources"] == [f"arn:aws:ec2:us-east-1:123456789012:instance/{iid}"]
    assert event["detail"] in (
        {"instance-id": iid, "state": "pending"},
        {"instance-id": iid, "state": "running"},
    )

    assert aws.fleet.start(iid).events == [], "starting a running instance changes nothing"
    assert aws.fleet.reboot(iid).events == [], "a reboot is not a state change"
    stopped = aws.fleet.stop(iid)
    assert _delivered_states(aws, recorder, stopped) == ["stopping", "stopped"]
    started = aws.fleet.start(iid)
    assert _delivered_states(aws, recorder, started) == ["pending", "running"]
    terminated = aws.fleet.terminate(iid)
    assert _delivered_states(aws, recorder, terminated) == ["shutting-down", "terminated"]
    assert aws.fleet.describe(iid)["State"]["Name"] == "terminated"

    # the direct EC2 API produces the same events (the hook is on EC2, not on the fleet helper)
    other = aws.ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0][
        "InstanceId"
    ]
    aws.ec2.stop_instances(InstanceIds=[other])
    aws.wait_idle(30)
    assert [e.state for e in aws.events_source.emitted if e.instance_id == other] == [
        "pending",
        "running",
        "stopping",
        "stopped",
    ]
    assert len(recorder.for_instance(other)) == 4


def test_fleet_launch_options_and_what_it_returns(shared: tuple[LocalAws, Recorder]) -> None:
    aws, _ = shared
    assert aws.fleet is not None
    big = aws.fleet.launch(
        "db-1",
        tags={"env": "prod"},
        enis=2,
        secondary_ips=1,
        ipv6=1,
        elastic_ip=True,
        instance_type="m5.large",
    )
    d = big.details
    assert big.action == "launch" and big.name == "db-1" and big.api_calls[-1] == "RunInstances"
    assert "AllocateAddress" in big.api_calls and d["elastic_ip"]
    assert [c["name"] for c in big.calls] == ["AssociateAddress"]  # emitted once the instance exists
    assert len(d["enis"]) == 2 and len(d["private_ips"]) == 4 and len(d["ipv6"]) == 2
    subnet = ipaddress.ip_network(
        aws.ec2.describe_subnets(SubnetIds=[d["subnet_id"]])["Subnets"][0]["CidrBlock"]
    )
    reserved = {subnet.network_address + i for i in range(4)} | {subnet.broadcast_address}
    assert (
        len(set(d["private_ips"])) == 4
        and not {ipaddress.ip_address(ip) for ip in d["private_ips"]} & reserved
    )
    described = aws.fleet.describe(big.instance_id)
    assert described["InstanceType"] == "m5.large"
    assert {t["Key"]: t["Value"] for t in described["Tags"]} == {"Name": "db-1", "env": "prod"}
    primary = next(n for n in described["NetworkInterfaces"] if n["Attachment"]["DeviceIndex"] == 0)
    assert primary["Association"]["PublicIp"] == d["elastic_ip"]
    assert ipaddress.ip_address(d["elastic_ip"]) in ipaddress.ip_network("203.0.113.0/24")
    with pytest.raises(ValueError, match="public_ip cannot be combined"):
        aws.fleet.launch("bad", public_ip=True, ipv6=1)
    public = aws.fleet.launch("web-public", public_ip=True)
    assert public.details["public_ip"]
    network = aws.fleet.ensure_network()
    assert aws.fleet.ensure_network() is network and network.ipv6_cidr

    renamed = aws.fleet.rename(public.instance_id, "web-renamed")
    assert renamed.api_calls == ["CreateTags", "StopInstances", "StartInstances"]
    assert [c["name"] for c in renamed.calls] == ["CreateTags"]  # its CloudTrail event
    assert renamed.details == {"old_name": "web-public"} and renamed.name == "web-renamed"
    assert renamed.states == ["stopping", "stopped", "pending", "running"]
    listed = {i["instance_id"]: i for i in aws.fleet.instances()}
    assert (
        listed[public.instance_id]["name"] == "web-renamed"
        and listed[public.instance_id]["state"] == "running"
    )
    assert big.to_dict()["instance_id"] == big.instance_id
