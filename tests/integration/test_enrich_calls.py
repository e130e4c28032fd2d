"""Enrich for EC2 API calls (CloudTrail) and refresh requests, in-process against moto's EC2 and a
real (moto) FIFO queue: each call resolved to the instances it changed, one snapshot per instance,
what EC2 can no longer tie to an instance left to a lookup, batches for bursts."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ipamsync.ec2 import Ec2Reader
from ipamsync.enrich import enrich_event, send_messages
from ipamsync.errors import InvalidMessage, QueueRefused
from ipamsync.events import parse_event
from ipamsync.model import LOOKUP_SCHEMA, parse_any, parse_message
from ipamsync.runtime import container
from ipamsync.settings import Settings
from tests.helpers import ROOT, call_event, items, load_handler

enrich_app = load_handler("enrich")


@pytest.fixture
def aws(monkeypatch):
    from ipamsync_local.aws.motohook import fix_moto_quirks

    fix_moto_quirks()
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        q = sqs.create_queue(QueueName="events.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        monkeypatch.setenv("EVENT_QUEUE_URL", q)
        monkeypatch.setenv("HOSTNAME_SOURCE", "name-tag")
        container.reset()
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]
        subnet = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.0.0.0/22")["Subnet"]
        yield {"ec2": ec2, "sqs": sqs, "queue": q, "vpc": vpc, "subnet": subnet}
        container.reset()


def launch(aws: dict[str, Any], name: str = "web-1", count: int = 1) -> list[str]:
    resp = aws["ec2"].run_instances(
        ImageId="ami-12c6146b",
        MinCount=count,
        MaxCount=count,
        InstanceType="t3.micro",
        SubnetId=aws["subnet"]["SubnetId"],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}],
    )
    return [i["InstanceId"] for i in resp["Instances"]]


def drain(aws: dict[str, Any]) -> list[dict[str, Any]]:
    """Every message on the queue (FIFO: one group's next message shows once the previous is gone)."""
    out = []
    for _ in range(2000):
        msgs = (
            aws["sqs"]
            .receive_message(QueueUrl=aws["queue"], MaxNumberOfMessages=10, AttributeNames=["All"])
            .get("Messages", [])
        )
        if not msgs:
            return out
        for m in msgs:
            out.append({"body": json.loads(m["Body"]), "attributes": m["Attributes"]})
            aws["sqs"].delete_message(QueueUrl=aws["queue"], ReceiptHandle=m["ReceiptHandle"])
    raise AssertionError("queue never drained")


def snapshots(aws: dict[str, Any]) -> dict[str, Any]:
    return {
        m["body"]["instance"]["id"]: parse_message(m["body"]) for m in drain(aws) if "instance" in m["body"]
    }


def test_a_rename_by_tag_queues_the_renamed_snapshot(aws, lambda_context):
    [iid] = launch(aws, "web-1")
    aws["ec2"].create_tags(Resources=[iid], Tags=[{"Key": "Name", "Value": "web-1-renamed"}])
    event = call_event(
        "CreateTags",
        {
            "resourcesSet": items("resourceId", [iid]),
            "tagSet": {"items": [{"key": "Name", "value": "web-1-renamed"}]},
        },
    )
    out = enrich_app.lambda_handler(event, lambda_context)
    assert out["kind"] == "call" and out["instance_id"] == iid
    [m] = drain(aws)
    msg = parse_message(m["body"])
    assert msg.instance.name == "web-1-renamed" and msg.instance.hostname == "web-1-renamed"
    assert msg.event.call == "CreateTags" and msg.event.detail_type == "AWS API Call via CloudTrail"
    assert msg.event.state == "running" and msg.event.id == event["id"]
    assert (
        m["attributes"]["MessageGroupId"] == iid and m["attributes"]["MessageDeduplicationId"] == event["id"]
    )


def test_one_tag_call_over_many_resources_is_described_and_queued_in_batches(
    aws, lambda_context, monkeypatch
):
    """A CreateTags over 1,000 resources (its limit) — instances (one EC2 does not know), ENIs of other instances,
    a volume, the VPC — is one DescribeInstances per 1,000 ids (plus one by filter for the batch
    with the unknown id), one DescribeNetworkInterfaces, and SendMessageBatch calls of ten."""
    import botocore.client

    ids = launch(aws, "fleet", count=300)
    [other] = launch(aws, "other")
    other_eni = aws["ec2"].describe_instances(InstanceIds=[other])["Reservations"][0]["Instances"][0][
        "NetworkInterfaces"
    ][0]["NetworkInterfaceId"]
    unknown = "i-0000000000000dead"
    resources = [*ids, unknown, other_eni, "vol-0d1e2f3a4b5c60005", aws["vpc"]["VpcId"]]
    resources += [f"snap-{n:017x}" for n in range(1000 - len(resources))]
    calls: Counter[str] = Counter()
    real = botocore.client.BaseClient._make_api_call

    def spy(self, operation, params):
        calls[operation] += 1
        return real(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
    # moto's SQS slows down quadratically with a thousand messages in a queue: a recording queue
    # stands in (the moto queue's behaviour is covered by the other tests)
    sqs = RecordingSqs()
    container.enrich_clients().sqs = sqs
    event = call_event(
        "CreateTags",
        {
            "resourcesSet": items("resourceId", resources),
            "tagSet": {"items": [{"key": "team", "value": "a"}]},
        },
    )
    out = enrich_app.lambda_handler(event, lambda_context)
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", real)
    queued = {q["instance_id"] for q in out["queued"]}
    assert queued == {*ids, other}  # the VPC's one instance is already among them
    # 302 instance ids (batches of 1,000): one batch, asked again without the id EC2 says it does not know,
    # plus one filtered call for the VPC's instance
    assert calls["DescribeInstances"] == 3, calls
    assert (
        calls["DescribeNetworkInterfaces"] == 1
        and calls["DescribeVpcs"] == 1
        and calls["DescribeSubnets"] == 1
    )
    assert len(sqs.batches) == 31 and max(len(b) for b in sqs.batches) == 10
    got = [parse_message(e["MessageBody"]) for b in sqs.batches for e in b]
    assert {m.instance.id for m in got} == queued and all(m.event.call == "CreateTags" for m in got)


def test_an_attached_eni_resolves_to_its_instance_and_carries_its_attachment(aws, lambda_context):
    [iid] = launch(aws)
    ec2 = aws["ec2"]
    eni = ec2.create_network_interface(SubnetId=aws["subnet"]["SubnetId"])["NetworkInterface"][
        "NetworkInterfaceId"
    ]
    attachment = ec2.attach_network_interface(NetworkInterfaceId=eni, InstanceId=iid, DeviceIndex=1)[
        "AttachmentId"
    ]
    event = call_event(
        "AttachNetworkInterface",
        {"networkInterfaceId": eni, "instanceId": iid, "deviceIndex": 1},
        {"requestId": "r", "attachmentId": attachment, "networkCardIndex": 0},
    )
    enrich_app.lambda_handler(event, lambda_context)
    msg = snapshots(aws)[iid]
    second = next(e for e in msg.instance.network_interfaces if e.id == eni)
    assert second.attachment_id == attachment and second.device_index == 1


def test_a_secondary_ip_call_names_the_eni_only(aws, lambda_context):
    [iid] = launch(aws)
    ec2 = aws["ec2"]
    eni = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["NetworkInterfaces"][
        0
    ]["NetworkInterfaceId"]
    ec2.assign_private_ip_addresses(NetworkInterfaceId=eni, PrivateIpAddresses=["10.0.3.200"])
    event = call_event(
        "AssignPrivateIpAddresses",
        {"networkInterfaceId": eni, "privateIpAddressesSet": items("privateIpAddress", ["10.0.3.200"])},
    )
    enrich_app.lambda_handler(event, lambda_context)
    msg = snapshots(aws)[iid]
    assert "10.0.3.200" in {ip.address for e in msg.instance.network_interfaces for ip in e.private_ipv4}


def test_a_detached_eni_is_left_to_a_lookup(aws, lambda_context):
    """After DetachNetworkInterface EC2 ties the attachment to nothing: a lookup goes on the queue."""
    [iid] = launch(aws)
    ec2 = aws["ec2"]
    eni = ec2.create_network_interface(SubnetId=aws["subnet"]["SubnetId"])["NetworkInterface"][
        "NetworkInterfaceId"
    ]
    attachment = ec2.attach_network_interface(NetworkInterfaceId=eni, InstanceId=iid, DeviceIndex=1)[
        "AttachmentId"
    ]
    ec2.detach_network_interface(AttachmentId=attachment)
    out = enrich_app.lambda_handler(
        call_event("DetachNetworkInterface", {"attachmentId": attachment, "force": False}), lambda_context
    )
    assert out["queued"] == [] and out["lookup"] is True
    [m] = drain(aws)
    lookup = parse_any(m["body"])
    assert m["body"]["schema"] == LOOKUP_SCHEMA and lookup.attachment_ids == (attachment,)
    assert m["attributes"]["MessageGroupId"].startswith("lookup-")


def test_an_elastic_ip_association_resolves_to_the_new_holder_and_a_disassociation_to_a_lookup(
    aws, lambda_context
):
    ec2 = aws["ec2"]
    [a, b] = launch(aws, "ab", count=2)
    alloc = ec2.allocate_address(Domain="vpc")
    first = ec2.associate_address(AllocationId=alloc["AllocationId"], InstanceId=a)["AssociationId"]
    moved = ec2.associate_address(AllocationId=alloc["AllocationId"], InstanceId=b, AllowReassociation=True)[
        "AssociationId"
    ]
    event = call_event(
        "AssociateAddress",
        {"allocationId": alloc["AllocationId"], "instanceId": b, "allowReassociation": True},
        {"requestId": "r", "_return": True, "associationId": moved},
    )
    enrich_app.lambda_handler(event, lambda_context)
    got = snapshots(aws)
    assert set(got) == {b}  # A is found by the addresses step that takes the address from it
    public = [
        ip
        for e in got[b].instance.network_interfaces
        for ip in e.private_ipv4
        if ip.public_ip == alloc["PublicIp"]
    ]
    assert public and public[0].elastic and public[0].association_id == moved
    assert first != moved
    ec2.disassociate_address(AssociationId=moved)
    out = enrich_app.lambda_handler(
        call_event("DisassociateAddress", {"associationId": moved}), lambda_context
    )
    assert out["lookup"] is True and out["queued"] == []
    [m] = drain(aws)
    assert parse_any(m["body"]).association_ids == (moved,)


def test_calls_that_change_nothing_are_counted_and_dropped(aws, lambda_context, capsys):
    """A failed call, a call ipamsync does not follow, a tag on a volume: nothing queued, no error
    (a dead letter would only be noise), the CallsIgnored metric says so."""
    [iid] = launch(aws)
    failed = json.loads((ROOT / "events/cloudtrail-associate-address-failed.json").read_text())
    volume = json.loads((ROOT / "events/cloudtrail-create-tags-volume.json").read_text())
    other = call_event("RebootInstances", {"instancesSet": items("instanceId", [iid])})
    for event in (failed, volume, other):
        out = enrich_app.lambda_handler(event, lambda_context)
        assert out["queued"] == [] and out["ignored"], out
    assert drain(aws) == []
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert sum(m.get("CallsIgnored", [0])[0] for m in metrics) == 3


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda e: e["detail"].pop("requestParameters"), "requestParameters"),
        (lambda e: e["detail"].update(eventSource="s3.amazonaws.com"), "eventSource"),
        (lambda e: e["detail"].update(eventName=["CreateTags"]), "eventName"),
        (lambda e: e.update(account="me"), "account"),
        (lambda e: e.update(detail="x"), "detail"),
    ],
)
def test_a_malformed_call_is_a_named_error(aws, lambda_context, mutate, field):
    event = json.loads((ROOT / "events/cloudtrail-create-tags.json").read_text())
    mutate(event)
    with pytest.raises(InvalidMessage, match=field):
        enrich_app.lambda_handler(event, lambda_context)
    assert drain(aws) == []


def test_a_refresh_request_queues_a_snapshot_and_an_unknown_instance_is_gone(aws, lambda_context):
    [iid] = launch(aws)
    request = json.loads((ROOT / "events/ipamsync-refresh-request.json").read_text())
    request["detail"]["instance-id"] = iid
    out = enrich_app.lambda_handler(request, lambda_context)
    assert out["kind"] == "refresh"
    msg = snapshots(aws)[iid]
    assert msg.event.source == "ipamsync" and msg.instance.state == "running" and msg.instance.known
    request["id"], request["detail"]["instance-id"] = "another", "i-0000000000000dead"
    enrich_app.lambda_handler(request, lambda_context)
    gone = snapshots(aws)["i-0000000000000dead"]
    assert gone.instance.state == "terminated" and not gone.instance.known


def test_every_fixture_parses(aws):
    for path in sorted((ROOT / "events").glob("cloudtrail-*.json")):
        event = parse_event(json.loads(path.read_text()))
        assert event.name.lower() in path.stem.replace("-", "").lower(), path  # type: ignore[union-attr]


class RecordingSqs:
    def __init__(self) -> None:
        self.batches: list[list[dict[str, Any]]] = []

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.batches.append(Entries)
        return {"Successful": [{"Id": e["Id"], "MessageId": f"m{e['Id']}"} for e in Entries]}


class RefusingSqs:
    def __init__(self) -> None:
        self.batches: list[int] = []

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.batches.append(len(Entries))
        ok = [{"Id": e["Id"], "MessageId": f"m{e['Id']}"} for e in Entries[1:]]
        return {
            "Successful": ok,
            "Failed": [{"Id": Entries[0]["Id"], "Code": "InternalError", "SenderFault": False}],
        }


def test_a_batch_sqs_refuses_in_part_is_a_transient_error(aws):
    """The event is retried whole by Lambda; the copies SQS took are dropped as duplicates."""
    ids = launch(aws, count=3)
    event = parse_event(call_event("CreateTags", {"resourcesSet": items("resourceId", ids)}))
    sqs = RefusingSqs()
    with pytest.raises(QueueRefused, match="1 of 3"):
        enrich_event(event, Ec2Reader(aws["ec2"]), Settings.from_env({}), sqs, "url")
    assert sqs.batches == [3]


def test_one_event_over_several_instances_has_one_deduplication_id_per_instance(aws):
    ids = launch(aws, count=2)
    event = parse_event(
        call_event("CreateTags", {"resourcesSet": items("resourceId", ids)}, event_id="evt-1")
    )
    enrich_event(event, Ec2Reader(aws["ec2"]), Settings.from_env({}), aws["sqs"], aws["queue"])
    dedup = {m["attributes"]["MessageDeduplicationId"] for m in drain(aws)}
    assert dedup == {f"evt-1:{i}" for i in ids}
    assert send_messages(aws["sqs"], aws["queue"], []) == []
