"""Enrich across accounts and regions, in-process, on moto: a member account's events are read
through its role (STS AssumeRole into that account), the hub's with its own credentials; refusals
are named errors; events outside the coverage are dropped."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from ipamsync.errors import MemberAccessRefused
from ipamsync.model import parse_message
from ipamsync.runtime import container
from tests.helpers import load_handler

ROOT = Path(__file__).resolve().parents[2]
HUB, MEMBER, STRANGER = "123456789012", "222222222222", "999999999999"
enrich_app = load_handler("enrich")


def member_client(service: str, account: str, region: str):
    sts = boto3.client("sts", region_name="us-east-1")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/setup", RoleSessionName="setup")[
        "Credentials"
    ]
    return boto3.client(
        service,
        region_name=region,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def launch(ec2, cidr: str = "10.0.0.0/16") -> str:
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr.replace("0.0/16", "1.0/24"))["Subnet"]["SubnetId"]
    return ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=sub)["Instances"][0][
        "InstanceId"
    ]


def event(iid: str, account: str, region: str, n: int = 1) -> dict:
    ev = json.loads((ROOT / "events/ec2-running.json").read_text())
    ev.update(id=f"evt-{iid}-{n}", account=account, region=region)
    ev["detail"]["instance-id"] = iid
    ev["resources"] = [f"arn:aws:ec2:{region}:{account}:instance/{iid}"]
    return ev


@pytest.fixture
def aws(monkeypatch):
    from ipamsync_local.aws.motohook import fix_moto_quirks

    fix_moto_quirks()
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        q = sqs.create_queue(QueueName="events.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        monkeypatch.setenv("EVENT_QUEUE_URL", q)
        monkeypatch.setenv("HUB_ACCOUNT_ID", HUB)
        monkeypatch.setenv("COVERED_ACCOUNTS", MEMBER)
        monkeypatch.setenv("COVERED_REGIONS", "us-east-1,us-west-2")
        monkeypatch.setenv("MEMBER_ROLE_NAME", "ipamsync-read")
        monkeypatch.setenv("MEMBER_EXTERNAL_ID", "ext-123")
        container.reset()
        yield {"sqs": sqs, "queue": q}
        container.reset()


def queued(aws) -> list:
    msgs = aws["sqs"].receive_message(QueueUrl=aws["queue"], MaxNumberOfMessages=10).get("Messages", [])
    return [parse_message(json.loads(m["Body"])) for m in msgs]


def test_a_member_account_in_another_region_is_read_through_its_role(aws, lambda_context):
    ec2 = member_client("ec2", MEMBER, "us-west-2")
    iid = launch(ec2)
    out = enrich_app.lambda_handler(event(iid, MEMBER, "us-west-2"), lambda_context)
    assert out["instance_id"] == iid
    (msg,) = queued(aws)
    assert (msg.account, msg.region) == (MEMBER, "us-west-2")
    assert msg.owner == f"aws:{MEMBER}:us-west-2:{iid}"
    assert msg.instance.known and msg.vpcs[0].cidrs_v4 == ("10.0.0.0/16",)
    # the hub cannot see the member's instance with its own credentials: the role was used
    hub_ec2 = boto3.client("ec2", region_name="us-west-2")
    assert hub_ec2.describe_instances()["Reservations"] == []


def test_credentials_are_assumed_once_per_account_and_the_hub_reads_itself(aws, lambda_context):
    m1 = launch(member_client("ec2", MEMBER, "us-east-1"))
    m2 = launch(member_client("ec2", MEMBER, "us-west-2"), "10.1.0.0/16")
    h1 = launch(boto3.client("ec2", region_name="us-east-1"))
    for n, (iid, account, region) in enumerate(
        [
            (m1, MEMBER, "us-east-1"),
            (m2, MEMBER, "us-west-2"),
            (h1, HUB, "us-east-1"),
            (m1, MEMBER, "us-east-1"),
        ]
    ):
        enrich_app.lambda_handler(event(iid, account, region, n), lambda_context)
    members = container.enrich_clients().members
    assert members.assumed == 1  # one AssumeRole for the member, none for the hub
    owners = {m.owner for m in queued(aws)}
    assert f"aws:{HUB}:us-east-1:{h1}" in owners and f"aws:{MEMBER}:us-west-2:{m2}" in owners


def test_a_refused_role_is_a_named_permanent_error(aws, lambda_context, monkeypatch):
    iid = launch(member_client("ec2", MEMBER, "us-east-1"))
    sts = container.enrich_clients().members.sts

    def refuse(**kw):
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, "AssumeRole")

    monkeypatch.setattr(sts, "assume_role", refuse)
    with pytest.raises(MemberAccessRefused) as info:
        enrich_app.lambda_handler(event(iid, MEMBER, "us-east-1"), lambda_context)
    assert MEMBER in str(info.value) and "ipamsync-read" in str(info.value)
    assert queued(aws) == []


def test_throttling_is_left_to_retries(aws, lambda_context, monkeypatch):
    iid = launch(member_client("ec2", MEMBER, "us-east-1"))
    sts = container.enrich_clients().members.sts

    def throttle(**kw):
        raise ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "AssumeRole")

    monkeypatch.setattr(sts, "assume_role", throttle)
    with pytest.raises(ClientError) as info:
        enrich_app.lambda_handler(event(iid, MEMBER, "us-east-1"), lambda_context)
    assert not isinstance(info.value, MemberAccessRefused)


@pytest.mark.parametrize(("account", "region"), [(STRANGER, "us-east-1"), (MEMBER, "eu-central-1")])
def test_events_outside_the_coverage_are_dropped_and_named(
    aws, lambda_context, capsys, caplog, account, region
):
    out = enrich_app.lambda_handler(event("i-0123456789abcdef0", account, region), lambda_context)
    assert out["queued"] == [] and out["account"] == account and account in out["out_of_scope"]
    assert queued(aws) == []
    assert '"EventsOutOfScope":[1.0]' in capsys.readouterr().out  # the metric
    (line,) = [r for r in caplog.records if r.getMessage() == "event outside the coverage dropped"]
    assert line.account == account and line.region == region
