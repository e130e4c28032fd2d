"""member/template.yaml: valid (cfn-lint with informational rules, `sam validate` both ways),
least privilege (the read-only role can only Describe what enrich reads; the forwarding role can only
put events on the hub bus), the trust policy's conditions (hub account, hub enrich/reconcile roles,
external id), and the forwarded patterns equal to the hub's rules. The hub's bus policy is checked too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.infrastructure.helpers import REPO, run, tool

MEMBER = REPO / "member" / "template.yaml"


@pytest.fixture(scope="module")
def member() -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    return yaml_parse(Path(MEMBER).read_text())


def test_cfn_lint_clean_with_informational_rules() -> None:
    proc = run([tool("cfn-lint"), "--include-checks", "I", "--", str(MEMBER)])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_sam_validate_lint_and_transform() -> None:
    proc = run([tool("sam"), "validate", "--lint", "--template-file", str(MEMBER)])
    assert proc.returncode == 0 and "is a valid SAM Template" in proc.stdout + proc.stderr
    proc = run([tool("sam"), "validate", "--region", "eu-west-1", "--template-file", str(MEMBER)])
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "basic SAM Validation" in out, out


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


def test_read_role_describes_exactly_what_enrich_reads(member, resources) -> None:
    (stmt,) = _statements(member["Resources"]["ReadRole"])
    assert stmt["Effect"] == "Allow" and stmt["Resource"] == "*"
    assert all(a.startswith("ec2:Describe") for a in stmt["Action"])
    hub = next(
        s
        for s in resources["EnrichFunction"]["Properties"]["Policies"][0]["Statement"]
        if isinstance(s, dict) and s.get("Sid") == "DescribeEc2ForEnrichment"
    )
    assert sorted(stmt["Action"]) == sorted(hub["Action"])  # the hub's enrich reads the same
    assert member["Resources"]["ReadRole"]["Properties"]["MaxSessionDuration"] == 3600


def test_read_role_trusts_only_the_hub_roles_with_the_external_id(member) -> None:
    props = member["Resources"]["ReadRole"]["Properties"]
    (stmt,) = props["AssumeRolePolicyDocument"]["Statement"]
    assert stmt["Action"] == "sts:AssumeRole" and stmt["Effect"] == "Allow"
    assert stmt["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${HubAccountId}:root"}}
    cond = stmt["Condition"]
    assert cond["StringEquals"] == {
        "sts:ExternalId": {"Ref": "ExternalId"},
        "aws:PrincipalAccount": {"Ref": "HubAccountId"},
    }
    arns = [a["Fn::Sub"] for a in cond["ArnLike"]["aws:PrincipalArn"]]
    assert arns == [
        "arn:${AWS::Partition}:iam::${HubAccountId}:role/${HubStackName}-EnrichFunctionRole-*",
        "arn:${AWS::Partition}:iam::${HubAccountId}:role/${HubStackName}-Reconcile*",
    ]
    # no wildcard principal, no other statement
    assert "*" not in str(stmt["Principal"])
    assert props["RoleName"] == {"Ref": "ReadRoleName"}
    # one role per account: only the stack in ReadRoleRegion creates it
    assert member["Resources"]["ReadRole"]["Condition"] == "CreatesReadRole"
    assert member["Conditions"]["CreatesReadRole"] == {
        "Fn::Equals": [{"Ref": "AWS::Region"}, {"Ref": "ReadRoleRegion"}]
    }


def test_forward_role_only_puts_events_on_the_hub_bus(member) -> None:
    role = member["Resources"]["ForwardRole"]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    (stmt,) = _statements(role)
    hub_bus = "arn:${AWS::Partition}:events:${HubRegion}:${HubAccountId}:event-bus/${HubEventBusName}"
    assert stmt["Action"] == "events:PutEvents" and stmt["Resource"] == {"Fn::Sub": hub_bus}


@pytest.mark.parametrize(
    ("forward", "hub_event"),
    [("ForwardEc2StateChange", "Ec2StateChange"), ("ForwardEc2ApiCall", "Ec2ApiCall")],
)
def test_forwarded_patterns_equal_the_hub_rules(member, resources, forward, hub_event) -> None:
    rule = member["Resources"][forward]["Properties"]
    events = resources["EnrichFunction"]["Properties"]["Events"]
    assert rule["EventPattern"] == events[hub_event]["Properties"]["Pattern"]
    assert rule["EventPattern"] == events[f"Member{hub_event}"]["Properties"]["Pattern"]
    assert events[f"Member{hub_event}"]["Properties"]["EventBusName"] == {"Ref": "IpamsyncEventBus"}
    (target,) = rule["Targets"]
    assert target["RoleArn"] == {"Fn::GetAtt": ["ForwardRole", "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["ForwardDeadLetterQueue", "Arn"]}}
    assert member["Resources"][forward]["Condition"] == "Forwards"


def test_hub_bus_admits_the_organisation_or_the_listed_accounts(resources, template) -> None:
    org = resources["IpamsyncEventBusOrganizationPolicy"]
    assert org["Condition"] == "HasOrganization"
    stmt = org["Properties"]["Statement"]
    assert stmt["Action"] == "events:PutEvents"
    assert stmt["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}}
    accounts = resources["IpamsyncEventBusAccountsPolicy"]
    assert accounts["Condition"] == "AdmitsAccountList"
    assert accounts["Properties"]["Statement"]["Principal"] == {
        "AWS": {"Fn::Split": [",", {"Ref": "CoveredAccounts"}]}
    }
    # enrich may assume only the member role name, in any account
    stmt = next(
        s
        for s in resources["EnrichFunction"]["Properties"]["Policies"][0]["Statement"]
        if isinstance(s, dict) and s.get("Sid") == "ReadMemberAccounts"
    )
    assert stmt["Action"] == "sts:AssumeRole"
    assert stmt["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${MemberRoleName}"}


def test_member_parameters_match_the_hub(member, template) -> None:
    assert (
        member["Parameters"]["ReadRoleName"]["Default"] == template["Parameters"]["MemberRoleName"]["Default"]
    )
    assert member["Parameters"]["HubEventBusName"]["Default"] == "ipamsync-events"  # <stack ipamsync>-events
    assert template["Resources"]["IpamsyncEventBus"]["Properties"]["Name"] == {
        "Fn::Sub": "${AWS::StackName}-events"
    }
