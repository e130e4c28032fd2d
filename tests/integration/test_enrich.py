"""The enrich Lambda, in-process, against moto's EC2 and a real (moto) FIFO queue."""

import ipaddress
import json
from pathlib import Path

import boto3
import jsonschema
import pytest
from moto import mock_aws

from ipamsync.errors import InstanceNotFound, InvalidMessage
from ipamsync.model import parse_message
from ipamsync.runtime import container
from tests.helpers import call_event, load_handler

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = jsonschema.Draft202012Validator(json.loads((ROOT / "docs/message.schema.json").read_text()))
enrich_app = load_handler("enrich")


def event_for(iid: str, state: str, n: int = 1) -> dict:
    ev = json.loads((ROOT / f"events/ec2-{state}.json").read_text())
    ev["id"] = f"evt-{iid}-{state}-{n}"
    ev["detail"]["instance-id"] = iid
    ev["resources"] = [f"arn:aws:ec2:us-east-1:123456789012:instance/{iid}"]
    return ev


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
        monkeypatch.setenv("HUB_ACCOUNT_ID", "123456789012")  # as the template sets it
        container.reset()
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
        ec2.create_tags(Resources=[vpc["VpcId"]], Tags=[{"Key": "Name", "Value": "prod"}])
        v6 = ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0][
            "Ipv6CidrBlock"
        ]
        sub6 = str(next(iter(ipaddress.ip_network(v6).subnets(new_prefix=64))))
        subnet = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.0.1.0/24", Ipv6CidrBlock=sub6)["Subnet"]
        ec2.modify_subnet_attribute(SubnetId=subnet["SubnetId"], MapPublicIpOnLaunch={"Value": True})
        yield {"ec2": ec2, "sqs": sqs, "queue": q, "vpc": vpc, "subnet": subnet}
        container.reset()


def launch(aws, name="Web Server #1", **kw):
    tags = [{"Key": "Name", "Value": name}, {"Key": "env", "Value": "prod"}]
    return aws["ec2"].run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        SubnetId=aws["subnet"]["SubnetId"],
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
        **kw,
    )["Instances"][0]["InstanceId"]


def received(aws) -> list[dict]:
    msgs = (
        aws["sqs"]
        .receive_message(
            QueueUrl=aws["queue"],
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        .get("Messages", [])
    )
    return msgs


def test_running_instance_is_enriched_onto_the_fifo_queue(aws, lambda_context):
    iid = launch(aws, Ipv6AddressCount=1)
    out = enrich_app.lambda_handler(event_for(iid, "running"), lambda_context)
    assert out["instance_id"] == iid and out["state"] == "running" and out["message_id"]
    (sqs_msg,) = received(aws)
    assert sqs_msg["Attributes"]["MessageGroupId"] == iid
    assert sqs_msg["Attributes"]["MessageDeduplicationId"] == f"evt-{iid}-running-1"
    body = json.loads(sqs_msg["Body"])
    VALIDATOR.validate(body)
    msg = parse_message(body)
    inst = msg.instance
    assert inst.hostname == "web-server-1" and inst.name == "Web Server #1" and inst.tags["env"] == "prod"
    assert inst.instance_type == "t3.micro" and inst.architecture and inst.availability_zone
    assert inst.cpu_cores and inst.cpu_cores >= 1
    (eni,) = inst.network_interfaces
    assert eni.subnet_id == aws["subnet"]["SubnetId"] and eni.device_index == 0
    assert eni.private_ipv4[0].primary and ipaddress.ip_address(
        eni.private_ipv4[0].address
    ) in ipaddress.ip_network("10.0.1.0/24")
    assert eni.private_ipv4[0].public_ip and not eni.private_ipv4[0].elastic
    assert len(eni.ipv6) == 1
    assert msg.vpcs[0].name == "prod" and msg.vpcs[0].cidrs_v4 == ("10.0.0.0/16",) and msg.vpcs[0].cidrs_v6
    assert msg.subnets[0].cidr_v4 == "10.0.1.0/24" and msg.subnets[0].cidrs_v6
    assert msg.event.state == "running" and msg.observed_at


def test_multi_eni_secondary_and_elastic_ips(aws, lambda_context):
    ec2 = aws["ec2"]
    iid = launch(aws, name="db-1")
    eni = ec2.create_network_interface(SubnetId=aws["subnet"]["SubnetId"], SecondaryPrivateIpAddressCount=2)
    eni_id = eni["NetworkInterface"]["NetworkInterfaceId"]
    ec2.attach_network_interface(NetworkInterfaceId=eni_id, InstanceId=iid, DeviceIndex=1)
    eip = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=eip["AllocationId"], NetworkInterfaceId=eni_id)
    enrich_app.lambda_handler(event_for(iid, "running"), lambda_context)
    msg = parse_message(received(aws)[0]["Body"])
    enis = sorted(msg.instance.network_interfaces, key=lambda e: e.device_index)
    assert [e.device_index for e in enis] == [0, 1]
    second = enis[1]
    assert len(second.private_ipv4) == 3 and sum(ip.primary for ip in second.private_ipv4) == 1
    elastic = [ip for ip in second.private_ipv4 if ip.public_ip]
    assert elastic and elastic[0].public_ip == eip["PublicIp"] and elastic[0].elastic
    assert enis[0].private_ipv4[0].public_ip and not enis[0].private_ipv4[0].elastic


def test_snapshot_reflects_ec2_now_not_the_event(aws, lambda_context):
    iid = launch(aws)
    aws["ec2"].stop_instances(InstanceIds=[iid])
    enrich_app.lambda_handler(event_for(iid, "running"), lambda_context)  # a late 'running' event
    msg = parse_message(received(aws)[0]["Body"])
    assert msg.event.state == "running" and msg.instance.state == "stopped"
    assert msg.instance.network_interfaces[0].private_ipv4[0].public_ip is None  # ephemeral IP released


def test_terminated_instance_carries_no_interfaces(aws, lambda_context):
    iid = launch(aws)
    aws["ec2"].terminate_instances(InstanceIds=[iid])
    enrich_app.lambda_handler(event_for(iid, "terminated"), lambda_context)
    msg = parse_message(received(aws)[0]["Body"])
    assert msg.instance.state == "terminated" and msg.instance.known
    assert msg.instance.network_interfaces == () and msg.vpcs == () and msg.subnets == ()


def test_unknown_instance(aws, lambda_context):
    gone = "i-0123456789abcdef0"
    enrich_app.lambda_handler(event_for(gone, "terminated"), lambda_context)
    msg = parse_message(received(aws)[0]["Body"])
    assert msg.instance.known is False and msg.instance.state == "terminated"
    with pytest.raises(InstanceNotFound):
        enrich_app.lambda_handler(event_for(gone, "running"), lambda_context)
    assert received(aws) == []


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.update(source="aws.s3"),
        lambda e: e["detail"].update({"instance-id": "i-NOPE"}),
        lambda e: e["detail"].update(state="melting"),
        lambda e: e.pop("detail"),
        lambda e: e.update(account="abc"),
        lambda e: e.update(time="not-a-time"),
        lambda e: e.update(id="x" * 500),
    ],
)
def test_malformed_events_are_refused_with_a_named_error(aws, lambda_context, mutate):
    ev = event_for("i-0123456789abcdef0", "running")
    mutate(ev)
    with pytest.raises(InvalidMessage):
        enrich_app.lambda_handler(ev, lambda_context)
    assert received(aws) == []


def test_duplicate_delivery_is_deduplicated_by_the_queue(aws, lambda_context):
    iid = launch(aws)
    for _ in range(3):
        enrich_app.lambda_handler(event_for(iid, "running"), lambda_context)
    assert len(received(aws)) == 1


def _template() -> dict:
    """template.yaml with CloudFormation's short tags kept as plain values (enough for policies)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def any_tag(loader, suffix, node):
        if isinstance(node, yaml.ScalarNode):
            return loader.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_mapping(node, deep=True)

    Loader.add_multi_constructor("!", any_tag)
    return yaml.load((ROOT / "template.yaml").read_text(), Loader=Loader)  # noqa: S506 - SafeLoader subclass


def test_enrich_calls_exactly_what_its_role_allows(aws, lambda_context, monkeypatch):
    """Least privilege, from behaviour: the AWS operations enrich performs are the ones its policy
    lists in template.yaml, and every listed action is used."""
    import botocore.client

    called: set[str] = set()
    real = botocore.client.BaseClient._make_api_call

    def spy(self, operation, params):
        # IAM authorises a batch call with its single action (SendMessageBatch: sqs:SendMessage)
        called.add(f"{self.meta.service_model.endpoint_prefix}:{operation.removesuffix('Batch')}")
        return real(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
    ec2 = aws["ec2"]
    iid = launch(aws, name="x")  # before the spy matters: only enrich's calls are counted below
    eni_id = ec2.create_network_interface(SubnetId=aws["subnet"]["SubnetId"])["NetworkInterface"][
        "NetworkInterfaceId"
    ]
    ec2.attach_network_interface(NetworkInterfaceId=eni_id, InstanceId=iid, DeviceIndex=1)
    eip = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=eip["AllocationId"], NetworkInterfaceId=eni_id)
    from tests.integration.test_enrich_members import launch as launch_in
    from tests.integration.test_enrich_members import member_client

    member, member_iid = "222222222222", launch_in(member_client("ec2", "222222222222", "us-east-1"))
    container.reset()  # a cold container: the instance-type lookup happens
    called.clear()
    enrich_app.lambda_handler(event_for(iid, "running"), lambda_context)
    # a member account's instance: read through the member's role (sts:AssumeRole)
    member_event = event_for(member_iid, "running")
    member_event["account"] = member
    enrich_app.lambda_handler(member_event, lambda_context)
    # a call names an ENI: enrich resolves it to its instance
    request = {"networkInterfaceId": eni_id, "instanceId": iid, "deviceIndex": 1}
    enrich_app.lambda_handler(call_event("AttachNetworkInterface", request), lambda_context)
    allowed = set()
    for statement in _template()["Resources"]["EnrichFunction"]["Properties"]["Policies"][0]["Statement"]:
        if isinstance(statement, list):  # !If [HasCoveredOUs, …]: absent without CoveredOrganizationalUnits
            continue
        actions = statement["Action"]
        allowed |= {actions} if isinstance(actions, str) else set(actions)
    assert {c.lower() for c in called} == {a.lower() for a in allowed}, (sorted(called), sorted(allowed))
