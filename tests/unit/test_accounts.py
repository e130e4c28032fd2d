"""The hub's coverage (accounts, OUs, regions, member role) and the member credentials cache."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from ipamsync.accounts import AccountDirectory, Coverage, accounts_under, targets
from ipamsync.errors import ConfigurationError, MemberAccessRefused
from ipamsync.runtime.members import REFRESH_MARGIN, MemberSessions

HUB, A, B = "111111111111", "222222222222", "333333333333"


def test_coverage_from_env_explicit_accounts_and_regions():
    c = Coverage.from_env(
        {
            "HUB_ACCOUNT_ID": HUB,
            "AWS_REGION": "eu-west-1",
            "COVERED_ACCOUNTS": f"{A}, {B} {A}",
            "COVERED_REGIONS": "eu-west-1,us-east-1",
            "MEMBER_ROLE_NAME": "ipamsync-read",
            "MEMBER_EXTERNAL_ID": "ext-123",
        }
    )
    assert c.accounts == (A, B) and c.regions == ("eu-west-1", "us-east-1")
    assert c.role_arn(A) == f"arn:aws:iam::{A}:role/ipamsync-read" and c.external_id == "ext-123"
    assert c.refusal(A, "us-east-1") is None and c.refusal(HUB, "eu-west-1") is None
    assert c.refusal("444444444444", "us-east-1") == "account 444444444444 is not in COVERED_ACCOUNTS"
    why = c.refusal(A, "ap-south-1")
    assert why is not None and A in why and "ap-south-1" in why


def test_no_region_list_covers_the_hub_region_only():
    c = Coverage.from_env({"HUB_ACCOUNT_ID": HUB, "AWS_REGION": "eu-west-1"})
    assert c.covered_regions == ("eu-west-1",)
    assert c.refusal(A, "eu-west-1") is None  # no account list: the bus policy is the filter
    assert c.refusal(A, "us-east-1") is not None


@pytest.mark.parametrize(
    "env",
    [
        {"HUB_ACCOUNT_ID": "12"},
        {"COVERED_ACCOUNTS": "12345"},
        {"COVERED_REGIONS": "mars"},
        {"COVERED_ORGANIZATIONAL_UNITS": "team-a"},
        {"COVERED_ACCOUNTS": A, "COVERED_ORGANIZATIONAL_UNITS": "r-ab12"},
        {"MEMBER_ROLE_NAME": "bad name"},
        {"MEMBER_EXTERNAL_ID": "x"},
    ],
)
def test_bad_coverage_is_a_configuration_error(env):
    with pytest.raises(ConfigurationError):
        Coverage.from_env(env)


@pytest.fixture
def org():
    with mock_aws():
        client = boto3.client("organizations", region_name="us-east-1")
        client.create_organization(FeatureSet="ALL")
        root = client.list_roots()["Roots"][0]["Id"]
        team = client.create_organizational_unit(ParentId=root, Name="team")["OrganizationalUnit"]["Id"]
        nested = client.create_organizational_unit(ParentId=team, Name="nested")["OrganizationalUnit"]["Id"]
        other = client.create_organizational_unit(ParentId=root, Name="other")["OrganizationalUnit"]["Id"]

        def account(name: str, parent: str) -> str:
            req = client.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
            acct = client.describe_create_account_status(CreateAccountRequestId=req["Id"])
            aid = acct["CreateAccountStatus"]["AccountId"]
            client.move_account(AccountId=aid, SourceParentId=root, DestinationParentId=parent)
            return aid

        ids = {"a": account("a", team), "n": account("n", nested), "o": account("o", other)}
        yield client, {"root": root, "team": team, "nested": nested, "other": other}, ids


def test_accounts_under_ous_include_nested_ones(org):
    client, ous, ids = org
    assert accounts_under(client, [ous["team"]]) == sorted([ids["a"], ids["n"]])
    assert accounts_under(client, [ous["other"]]) == [ids["o"]]
    assert set(accounts_under(client, [ous["root"]])) >= set(ids.values())


def test_targets_every_account_times_every_region(org):
    client, ous, ids = org
    c = Coverage(hub_account=HUB, organizational_units=(ous["team"],), regions=("eu-west-1", "us-east-1"))
    got = targets(c, client)
    want = sorted((a, r) for a in (HUB, ids["a"], ids["n"]) for r in ("eu-west-1", "us-east-1"))
    assert got == want
    explicit = Coverage(hub_account=HUB, accounts=(A,), regions=("us-east-1",))
    assert targets(explicit) == [(HUB, "us-east-1"), (A, "us-east-1")]
    with pytest.raises(ConfigurationError):
        targets(Coverage(organizational_units=(ous["team"],), regions=("us-east-1",)))


def test_directory_refuses_accounts_outside_the_ous_and_caches(org):
    client, ous, ids = org
    calls = []
    now = [0.0]

    def organizations():
        calls.append(1)
        return client

    c = Coverage(hub_account=HUB, hub_region="us-east-1", organizational_units=(ous["team"],))
    d = AccountDirectory(c, organizations, max_age=60, clock=lambda: now[0])
    assert c.refusal(ids["n"], "us-east-1", d) is None
    why = c.refusal(ids["o"], "us-east-1", d)
    assert why is not None and ids["o"] in why
    assert len(calls) == 1  # one read of Organizations for both
    now[0] = 61.0
    c.refusal(ids["a"], "us-east-1", d)
    assert len(calls) == 2


class FakeSts:
    """STS whose answers the test chooses (moto accepts every AssumeRole)."""

    def __init__(self, error: str | None = None, lifetime: float = 3600.0, now=lambda: 0.0) -> None:
        self.error = error
        self.lifetime = lifetime
        self.now = now
        self.calls: list[dict] = []

    def assume_role(self, **kw):
        self.calls.append(kw)
        if self.error:
            raise ClientError({"Error": {"Code": self.error, "Message": "no"}}, "AssumeRole")
        exp = dt.datetime.fromtimestamp(self.now() + self.lifetime, tz=dt.UTC)
        n = len(self.calls)
        return {
            "Credentials": {
                "AccessKeyId": f"AKIA{n}",
                "SecretAccessKey": "secret",
                "SessionToken": "token",
                "Expiration": exp,
            }
        }


def _sessions(sts, now):
    made = []

    def make(service, region, creds):
        made.append((service, region, creds and creds["aws_access_key_id"]))
        return object()

    c = Coverage(hub_account=HUB, role_name="ipamsync-read", external_id="ext-123")
    return MemberSessions(c, sts, make, clock=lambda: now[0]), made


def test_member_credentials_are_cached_per_account_until_they_expire():
    now = [1000.0]
    sts = FakeSts(now=lambda: now[0])
    s, made = _sessions(sts, now)
    c1 = s.client("ec2", A, "us-east-1")
    assert s.client("ec2", A, "us-east-1") is c1
    s.client("ec2", A, "eu-west-1")  # another region: the same credentials
    assert len(sts.calls) == 1
    assert sts.calls[0] == {
        "RoleArn": f"arn:aws:iam::{A}:role/ipamsync-read",
        "RoleSessionName": "ipamsync",
        "DurationSeconds": 3600,
        "ExternalId": "ext-123",
    }
    s.client("ec2", B, "us-east-1")
    assert len(sts.calls) == 2
    now[0] += 3600 - REFRESH_MARGIN + 1  # within the margin before expiry: renewed
    c2 = s.client("ec2", A, "us-east-1")
    assert len(sts.calls) == 3 and c2 is not c1
    assert made[-1] == ("ec2", "us-east-1", "AKIA3")


def test_the_hub_account_uses_its_own_credentials():
    now = [0.0]
    sts = FakeSts()
    s, made = _sessions(sts, now)
    s.client("ec2", HUB, "us-east-1")
    assert sts.calls == [] and made == [("ec2", "us-east-1", None)]


@pytest.mark.parametrize("code", ["AccessDenied", "RegionDisabledException"])
def test_a_refusal_is_a_permanent_error_naming_the_account(code):
    s, _ = _sessions(FakeSts(error=code), [0.0])
    with pytest.raises(MemberAccessRefused) as info:
        s.client("ec2", A, "us-east-1")
    assert A in str(info.value) and code in str(info.value)
    assert info.value.to_dict()["account"] == A and not info.value.retryable


def test_throttling_is_not_a_refusal():
    s, _ = _sessions(FakeSts(error="Throttling"), [0.0])
    with pytest.raises(ClientError):
        s.client("ec2", A, "us-east-1")
