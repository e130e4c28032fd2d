"""template.yaml: the fixed contract (functions, layer, environment, parameters, queues, workflow,
pipe, alarms, outputs) and least-privilege IAM over the SAM-transformed template.

Over 600 lines: one short test per contract of the template. The IAM half (roles, policy helpers
and their tests) is the seam for a split, left for after the state-machine change now under way on
another branch, which edits these tests (splitting them now would only make it conflict).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from ipamsync.events import CALLS, REFRESH, REFRESH_SOURCE
from tests.infrastructure.helpers import FUNCTIONS, SYNC_FUNCTIONS

FOURTEEN_DAYS = 14 * 24 * 3600
EXPRESS_MAX_SECONDS = 300

ENVIRONMENT = {
    "POWERTOOLS_SERVICE_NAME": "ipamsync",
    "POWERTOOLS_METRICS_NAMESPACE": "ipamsync",
    "POWERTOOLS_LOG_LEVEL": {"Ref": "LogLevel"},
    "LOG_LEVEL": {"Ref": "LogLevel"},
    "SOLIDSERVER_URL": {"Ref": "SolidServerUrl"},
    "SOLIDSERVER_SECRET_ARN": {"Ref": "SolidServerSecretArn"},
    "SOLIDSERVER_AUTH_MODE": {"Ref": "SolidServerAuthMode"},
    "SOLIDSERVER_VERIFY_TLS": {"Ref": "SolidServerVerifyTls"},
    "SOLIDSERVER_CA_BUNDLE_PARAMETER": {"Ref": "SolidServerCaBundleParameter"},
    "SOLIDSERVER_REQUESTS_PER_SECOND": {"Ref": "SolidServerRequestsPerSecond"},
    "IPAM_SPACE_STRATEGY": {"Ref": "SpaceStrategy"},
    "IPAM_SPACE_NAME": {"Ref": "SpaceName"},
    "IPAM_PUBLIC_SPACE_NAME": {"Ref": "PublicSpaceName"},
    "DNS_SERVER_NAME": {"Ref": "DnsServerName"},
    "DNS_FORWARD_ZONE": {"Ref": "DnsForwardZone"},
    "DNS_ZONE_TAG_KEY": {"Ref": "DnsZoneTagKey"},
    "DNS_REVERSE": {"Ref": "DnsReverse"},
    "DNS_TTL": {"Ref": "DnsTtl"},
    "HOSTNAME_SOURCE": {"Ref": "HostnameSource"},
    "HOSTNAME_TAG_KEY": {"Ref": "HostnameTagKey"},
    "STOPPED_POLICY": {"Ref": "StoppedPolicy"},
    "TERMINATED_POLICY": {"Ref": "TerminatedPolicy"},
    "TOMBSTONE_RETENTION_HOURS": {"Ref": "TombstoneRetentionHours"},
    "EXECUTION_LEASE_SECONDS": {"Ref": "ExecutionLeaseSeconds"},
}

# name -> (default or REQUIRED, AllowedValues or None)
REQUIRED = object()
PARAMETERS: dict[str, tuple[Any, list[str] | None]] = {
    "SolidServerUrl": (REQUIRED, None),
    "SolidServerSecretArn": (REQUIRED, None),
    "SolidServerSecretKmsKeyArn": ("", None),
    "SolidServerAuthMode": ("native", ["native", "basic", "token"]),
    "SolidServerVerifyTls": ("true", ["true", "false"]),
    "SolidServerCaBundleParameter": ("", None),
    "SolidServerRequestsPerSecond": ("10", None),
    "SolidServerMaxConcurrency": ("5", None),
    "SpaceStrategy": ("single", ["single", "per-account", "per-account-region", "per-vpc"]),
    "SpaceName": ("AWS", None),
    "PublicSpaceName": ("", None),
    "DnsServerName": ("", None),
    "DnsForwardZone": ("", None),
    "DnsZoneTagKey": ("ipamsync:zone", None),
    "DnsReverse": ("true", ["true", "false"]),
    "DnsTtl": ("300", None),
    "HostnameSource": ("name-tag", ["name-tag", "tag", "private-dns"]),
    "HostnameTagKey": ("Hostname", None),
    "StoppedPolicy": ("keep", ["keep", "remove-dns"]),
    "TerminatedPolicy": ("delete", ["delete", "retain"]),
    "TombstoneRetentionHours": ("336", None),
    "ExecutionLeaseSeconds": ("330", None),
    "LambdaSubnetIds": ("", None),
    "LambdaSecurityGroupIds": ("", None),
    "LogLevel": ("INFO", None),
    "ExecutionLogLevel": ("ALL", ["ALL", "ERROR", "OFF"]),
    "IncludeExecutionData": ("true", ["true", "false"]),
    "ExecutionLogClass": ("INFREQUENT_ACCESS", ["INFREQUENT_ACCESS", "STANDARD"]),
    "TracingSampleRate": ("0.01", None),
    "LogRetentionDays": ("30", None),
    "AlarmEmail": ("", None),
    "AlarmTopicArn": ("", None),
    "EventQueueMaxReceiveCount": ("3", None),
    "OrganizationId": ("", None),
    "CoveredAccounts": ("", None),
    "CoveredOrganizationalUnits": ("", None),
    "CoveredRegions": ("", None),
    "MemberRoleName": ("ipamsync-read", None),
    "MemberExternalId": ("", None),
    "ReconcileSchedule": ("rate(6 hours)", None),
    "ReconcileDeepSchedule": ("rate(7 days)", None),
}

# Actions AWS does not scope to a resource: the only ones allowed with Resource "*".
UNSCOPED_ACTIONS = {
    "ec2:DescribeInstances",
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeAddresses",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeNetworkInterfaces",
    # Organizations' list actions on parents take no resource (only with CoveredOrganizationalUnits)
    "organizations:ListAccountsForParent",
    "organizations:ListOrganizationalUnitsForParent",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
}
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
XRAY = "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"
VPC = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
ROLES = {
    # role -> (managed policies, exact set of actions of its own policies)
    "EnrichFunctionRole": (
        {BASIC, XRAY},
        {
            "ec2:DescribeInstances",
            "ec2:DescribeVpcs",
            "ec2:DescribeSubnets",
            "ec2:DescribeAddresses",
            "ec2:DescribeInstanceTypes",
            "ec2:DescribeNetworkInterfaces",
            "sqs:SendMessage",
            # member accounts' read-only role (arn:…:iam::*:role/<MemberRoleName>)
            "sts:AssumeRole",
            # the accounts under CoveredOrganizationalUnits (an Fn::If: only when set)
            "organizations:ListAccountsForParent",
            "organizations:ListOrganizationalUnitsForParent",
        },
    ),
    **{
        f"{fn}Role": (
            # SAM attaches the VPC policy whenever VpcConfig is present, also as an Fn::If
            # (README, Decisions log): ENI management only, no data access. The template's own
            # SyncFunctionsPolicy is attached to each of the four.
            {BASIC, XRAY, VPC, "SyncFunctionsPolicy"},
            {"secretsmanager:GetSecretValue", "kms:Decrypt", "ssm:GetParameter"},
        )
        for fn in SYNC_FUNCTIONS
    },
    "StateMachineRole": (
        {XRAY},
        {"lambda:InvokeFunction", "sqs:SendMessage", "events:PutEvents"}
        | {a for a in UNSCOPED_ACTIONS if a.startswith("logs:")},
    ),
    "EventPipeRole": (
        set(),
        {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "states:StartSyncExecution"},
    ),
    # reconcile: reads EC2 and SOLIDserver, queues on EventQueue; its workflow invokes it only; the
    # schedules only start the workflow
    "ReconcileFunctionRole": (
        {BASIC, XRAY, VPC, "SyncFunctionsPolicy"},
        {
            "ec2:DescribeInstances",
            "ec2:DescribeVpcs",
            "ec2:DescribeSubnets",
            "ec2:DescribeAddresses",
            "ec2:DescribeInstanceTypes",
            "sqs:SendMessage",
            # members listed through their read-only role; the accounts under the OUs (Fn::If)
            "sts:AssumeRole",
            "organizations:ListAccountsForParent",
            "organizations:ListOrganizationalUnitsForParent",
            "secretsmanager:GetSecretValue",
            "kms:Decrypt",
            "ssm:GetParameter",
        },
    ),
    "ReconcileStateMachineRole": (set(), {"lambda:InvokeFunction"}),
    "ReconcileTimerRole": (set(), {"states:StartExecution"}),
}


def branches(node: Any) -> Iterator[Any]:
    """Every concrete alternative of a node: both sides of Fn::If, nothing for AWS::NoValue."""
    if isinstance(node, dict) and set(node) == {"Fn::If"}:
        for side in node["Fn::If"][1:]:
            yield from branches(side)
    elif node == {"Ref": "AWS::NoValue"}:
        return
    else:
        yield node


def as_list(node: Any) -> list[Any]:
    out = []
    for alt in branches(node):
        for item in alt if isinstance(alt, list) else [alt]:
            out += list(branches(item))
    return out


def statements(document: Any) -> Iterator[dict[str, Any]]:
    for doc in branches(document):
        yield from as_list(doc["Statement"])


def managed_arns(role: dict[str, Any]) -> set[str]:
    """The role's managed policies: AWS ARNs, and the logical ids of the template's own."""
    out = set()
    for arn in as_list(role["Properties"].get("ManagedPolicyArns", [])):
        out.add(arn["Ref"] if isinstance(arn, dict) and "Ref" in arn else arn)
    return out


def role_policies(role: dict[str, Any], cfn: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """The role's own statements: inline policies and (with ``cfn``) the template's managed ones."""
    for policy in as_list(role["Properties"].get("Policies", [])):
        yield from statements(policy["PolicyDocument"])
    for name in managed_arns(role) if cfn is not None else ():
        res = cfn["Resources"].get(name)
        if res is not None and res["Type"] == "AWS::IAM::ManagedPolicy":
            yield from statements(res["Properties"]["PolicyDocument"])


def all_policy_documents(cfn: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(resource, kind, statement) for every IAM/resource policy statement in the template."""
    for name, res in cfn["Resources"].items():
        props = res.get("Properties", {})
        kind = res["Type"]
        if kind == "AWS::IAM::Role":
            for st in role_policies(res):
                yield name, "identity", st
        elif kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for st in statements(props["PolicyDocument"]):
                yield name, "identity", st
        elif kind in ("AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy"):
            for st in statements(props["PolicyDocument"]):
                yield name, "resource", st
        elif kind == "AWS::KMS::Key":
            for st in statements(props["KeyPolicy"]):
                yield name, "key", st


# --------------------------------------------------------------------------- functions and layer


def test_functions_contract(template: dict[str, Any], resources: dict[str, Any]) -> None:
    glob = template["Globals"]["Function"]
    assert glob["Runtime"] == "python3.13"
    assert glob["Architectures"] == ["arm64"]
    assert glob["Handler"] == "app.lambda_handler"
    assert glob["Tracing"] == "Active"
    assert glob["Layers"] == [{"Ref": "IpamsyncLayer"}]
    assert glob["MemorySize"] == 256
    functions = {n: r for n, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    assert {n: r["Properties"]["CodeUri"] for n, r in functions.items()} == FUNCTIONS
    for name, res in functions.items():
        props = res["Properties"]
        own = ("Runtime", "Architectures", "Handler", "Tracing", "Layers")
        for key in (*own, "MemorySize") if name != "ReconcileFunction" else own:
            if (name, key) == ("EnrichFunction", "Tracing"):
                # Lambda samples enrich's asynchronous invocations itself, ignoring sampling rules
                assert props[key] == {"Fn::If": ["TraceEverything", "Active", "PassThrough"]}
                continue
            assert key not in props, f"{name} overrides {key} from Globals"
        timeout = props.get("Timeout", glob["Timeout"])
        assert timeout == {"EnrichFunction": 20, "ReconcileFunction": 900}.get(name, 30), name


def test_layer_contract(resources: dict[str, Any]) -> None:
    layer = resources["IpamsyncLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Properties"]["ContentUri"] == "src/"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}


def test_environment_contract(template: dict[str, Any], resources: dict[str, Any]) -> None:
    assert template["Globals"]["Function"]["Environment"]["Variables"] == ENVIRONMENT
    for name in FUNCTIONS:
        own = resources[name]["Properties"].get("Environment", {}).get("Variables", {})
        expected = (
            {
                "EVENT_QUEUE_URL": {"Ref": "EventQueue"},
                # the coverage: ipamsync.accounts.Coverage.from_env
                "HUB_ACCOUNT_ID": {"Ref": "AWS::AccountId"},
                "COVERED_ACCOUNTS": {"Ref": "CoveredAccounts"},
                "COVERED_ORGANIZATIONAL_UNITS": {"Ref": "CoveredOrganizationalUnits"},
                "COVERED_REGIONS": {"Ref": "CoveredRegions"},
                "MEMBER_ROLE_NAME": {"Ref": "MemberRoleName"},
                "MEMBER_EXTERNAL_ID": {"Ref": "MemberExternalId"},
            }
            if name in ("EnrichFunction", "ReconcileFunction")
            else {}
        )
        assert own == expected, name


def test_every_function_has_its_own_log_group_with_retention(resources: dict[str, Any]) -> None:
    groups = set()
    for name in FUNCTIONS:
        ref = resources[name]["Properties"]["LoggingConfig"]["LogGroup"]
        group = resources[ref["Ref"]]
        assert group["Type"] == "AWS::Logs::LogGroup"
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        groups.add(ref["Ref"])
    assert len(groups) == len(FUNCTIONS)
    for res in resources.values():
        if res["Type"] == "AWS::Logs::LogGroup":
            assert "RetentionInDays" in res["Properties"]


def test_vpc_placement_only_for_the_functions_that_reach_solidserver(resources: dict[str, Any]) -> None:
    assert "VpcConfig" not in resources["EnrichFunction"]["Properties"]
    for name in (*SYNC_FUNCTIONS, "ReconcileFunction"):
        props = resources[name]["Properties"]
        if name == "ReconcileFunction":
            # not bounded by the sync functions' concurrency: the workflow's Map bounds it
            assert "ReservedConcurrentExecutions" not in props
            assert props["VpcConfig"] == resources["DeviceFunction"]["Properties"]["VpcConfig"]
            continue
        cond, in_vpc, out = props["VpcConfig"]["Fn::If"]
        assert cond == "InVpc"
        assert in_vpc == {
            "SubnetIds": {"Ref": "LambdaSubnetIds"},
            "SecurityGroupIds": {"Ref": "LambdaSecurityGroupIds"},
        }
        assert out == {"Ref": "AWS::NoValue"}
        assert props["ReservedConcurrentExecutions"] == {
            "Fn::If": ["HasMaxConcurrency", {"Ref": "SolidServerMaxConcurrency"}, {"Ref": "AWS::NoValue"}]
        }


def test_conditions(template: dict[str, Any]) -> None:
    cond = template["Conditions"]
    assert cond["InVpc"] == {
        "Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": "LambdaSubnetIds"}]}, ""]}]
    }
    assert cond["HasMaxConcurrency"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "SolidServerMaxConcurrency"}, "0"]}]
    }
    assert cond["HasCaBundle"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "SolidServerCaBundleParameter"}, ""]}]}
    assert cond["HasSecretKmsKey"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "SolidServerSecretKmsKeyArn"}, ""]}]
    }


def test_enrich_events_and_async_config(resources: dict[str, Any]) -> None:
    props = resources["EnrichFunction"]["Properties"]
    events = props["Events"]
    assert set(events) == {
        "Ec2StateChange",
        "Ec2ApiCall",
        "RefreshRequest",
        # the same two rules on the ipamsync bus (member accounts): test_member_template.py
        "MemberEc2StateChange",
        "MemberEc2ApiCall",
    }
    patterns = {name: event["Properties"]["Pattern"] for name, event in events.items()}
    assert patterns["Ec2StateChange"] == {
        "source": ["aws.ec2"],
        "detail-type": ["EC2 Instance State-change Notification"],
        "detail": {"state": ["pending", "running", "stopping", "stopped", "shutting-down", "terminated"]},
    }
    # the calls the rule lets through are the calls enrich follows; failed calls never reach it
    assert patterns["Ec2ApiCall"] == {
        "source": ["aws.ec2"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            "eventSource": ["ec2.amazonaws.com"],
            "eventName": list(CALLS),
            "errorCode": [{"exists": False}],
        },
    }
    assert patterns["RefreshRequest"] == {"source": [REFRESH_SOURCE], "detail-type": [REFRESH]}
    for event in events.values():
        assert event["Type"] == "EventBridgeRule"
        rule = event["Properties"]
        assert rule["RetryPolicy"]["MaximumRetryAttempts"] >= 1
        assert rule["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["WorkflowDeadLetterQueue", "Arn"]}}
    invoke = props["EventInvokeConfig"]
    assert invoke["MaximumRetryAttempts"] == 2
    assert invoke["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS",
        "Destination": {"Fn::GetAtt": ["WorkflowDeadLetterQueue", "Arn"]},
    }


def test_eventbridge_may_dead_letter_into_the_workflow_queue(resources: dict[str, Any]) -> None:
    policy = resources["WorkflowDeadLetterQueuePolicy"]["Properties"]
    assert policy["Queues"] == [{"Ref": "WorkflowDeadLetterQueue"}]
    [st] = policy["PolicyDocument"]["Statement"]
    assert st["Effect"] == "Allow"
    assert st["Principal"] == {"Service": "events.amazonaws.com"}
    assert st["Action"] == "sqs:SendMessage"
    assert st["Condition"] == {
        "ArnEquals": {
            "aws:SourceArn": [
                {"Fn::GetAtt": [f"EnrichFunction{name}", "Arn"]}
                for name in (
                    "Ec2StateChange",
                    "Ec2ApiCall",
                    "RefreshRequest",
                    "MemberEc2StateChange",
                    "MemberEc2ApiCall",
                )
            ]
        }
    }


def test_device_gc_schedule(resources: dict[str, Any]) -> None:
    events = resources["DeviceFunction"]["Properties"]["Events"]
    [event] = events.values()
    assert event["Type"] == "Schedule"
    assert event["Properties"]["Schedule"] == "rate(1 hour)"
    assert json.loads(event["Properties"]["Input"]) == {"action": "gc"}
    for name in ("NetworksFunction", "AddressesFunction", "DnsFunction"):
        assert "Events" not in resources[name]["Properties"], f"{name} is only started by the state machine"


# --------------------------------------------------------------------------- parameters


def test_parameters(template: dict[str, Any]) -> None:
    params = template["Parameters"]
    assert set(params) == set(PARAMETERS)
    for name, (default, allowed) in PARAMETERS.items():
        p = params[name]
        assert p.get("Description"), name
        if default is REQUIRED:
            assert "Default" not in p, name
        else:
            assert str(p["Default"]) == default, name
        if allowed is not None:
            assert p["AllowedValues"] == allowed, name
    assert params["LambdaSubnetIds"]["Type"] == "CommaDelimitedList"
    assert params["LambdaSecurityGroupIds"]["Type"] == "CommaDelimitedList"


def test_parameter_interface_lists_every_parameter_once(template: dict[str, Any]) -> None:
    groups = template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
    listed = [p for g in groups for p in g["Parameters"]]
    assert sorted(listed) == sorted(template["Parameters"])


# --------------------------------------------------------------------------- queues


def test_every_queue_is_encrypted_and_keeps_14_days(resources: dict[str, Any]) -> None:
    queues = {n: r["Properties"] for n, r in resources.items() if r["Type"] == "AWS::SQS::Queue"}
    assert set(queues) == {"EventQueue", "EventDeadLetterQueue", "WorkflowDeadLetterQueue"}
    for name, props in queues.items():
        assert props.get("SqsManagedSseEnabled") is True or props.get("KmsMasterKeyId"), name
        assert props["MessageRetentionPeriod"] == FOURTEEN_DAYS, name


def test_event_queue_fifo_redrive_and_visibility(resources: dict[str, Any]) -> None:
    q = resources["EventQueue"]["Properties"]
    assert q["FifoQueue"] is True
    assert q["ContentBasedDeduplication"] is False  # enrich sets the EventBridge event id
    assert q["VisibilityTimeout"] > EXPRESS_MAX_SECONDS
    assert q["VisibilityTimeout"] == 360
    assert q["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["EventDeadLetterQueue", "Arn"]},
        "maxReceiveCount": {"Ref": "EventQueueMaxReceiveCount"},
    }
    assert resources["EventDeadLetterQueue"]["Properties"]["FifoQueue"] is True
    # Lambda destinations and EventBridge DLQs need a standard queue.
    assert not resources["WorkflowDeadLetterQueue"]["Properties"].get("FifoQueue")


# --------------------------------------------------------------------------- workflow and pipe


def test_state_machine(template: dict[str, Any], resources: dict[str, Any]) -> None:
    sm = resources["StateMachine"]
    assert sm["Type"] == "AWS::Serverless::StateMachine"
    props = sm["Properties"]
    assert props["Type"] == "EXPRESS"
    assert props["DefinitionUri"] == "statemachine/sync.asl.json"
    assert "Definition" not in props
    assert props["DefinitionSubstitutions"] == {
        "DeviceFunctionArn": {"Fn::GetAtt": ["DeviceFunction", "Arn"]},
        "NetworksFunctionArn": {"Fn::GetAtt": ["NetworksFunction", "Arn"]},
        "AddressesFunctionArn": {"Fn::GetAtt": ["AddressesFunction", "Arn"]},
        "DnsFunctionArn": {"Fn::GetAtt": ["DnsFunction", "Arn"]},
        "WorkflowDeadLetterQueueUrl": {"Ref": "WorkflowDeadLetterQueue"},
    }
    logging = props["Logging"]
    # the defaults (ALL, "true") keep every execution inspectable in the console
    assert logging["Level"] == {"Ref": "ExecutionLogLevel"}
    assert logging["IncludeExecutionData"] == {"Fn::If": ["LogExecutionData", True, False]}
    assert template["Conditions"]["LogExecutionData"] == {
        "Fn::Equals": [{"Ref": "IncludeExecutionData"}, "true"]
    }
    [dest] = logging["Destinations"]
    group = dest["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
    assert resources[group]["Properties"]["LogGroupName"]["Fn::Sub"].startswith("/aws/vendedlogs/states/")
    assert props["Tracing"] == {"Enabled": True}
    rule = resources["TracingSamplingRule"]["Properties"]["SamplingRule"]
    assert rule["FixedRate"] == {"Ref": "TracingSampleRate"}
    assert rule["ReservoirSize"] == 0
    assert rule["ResourceARN"] == {"Ref": "StateMachine"}
    invoked = [
        p["LambdaInvokePolicy"]["FunctionName"]["Ref"] for p in props["Policies"] if "LambdaInvokePolicy" in p
    ]
    assert sorted(invoked) == sorted(SYNC_FUNCTIONS)


def test_pipe(resources: dict[str, Any]) -> None:
    pipe = resources["EventPipe"]
    assert pipe["Type"] == "AWS::Pipes::Pipe"
    props = pipe["Properties"]
    assert props["Source"] == {"Fn::GetAtt": ["EventQueue", "Arn"]}
    assert props["SourceParameters"] == {"SqsQueueParameters": {"BatchSize": 1}}
    assert props["Target"] == {"Ref": "StateMachine"}
    assert props["TargetParameters"]["StepFunctionStateMachineParameters"] == {
        "InvocationType": "REQUEST_RESPONSE"
    }
    assert props["RoleArn"] == {"Fn::GetAtt": ["EventPipeRole", "Arn"]}
    trust = resources["EventPipeRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "pipes.amazonaws.com"}]


# --------------------------------------------------------------------------- alarms


ALARMS = {
    "EventDeadLetterQueueAlarm": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "GreaterThanThreshold", 0),
    "WorkflowDeadLetterQueueAlarm": (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        "GreaterThanThreshold",
        0,
    ),
    "StateMachineFailedAlarm": ("AWS/States", "ExecutionsFailed", "GreaterThanOrEqualToThreshold", 1),
    "StateMachineTimedOutAlarm": ("AWS/States", "ExecutionsTimedOut", "GreaterThanOrEqualToThreshold", 1),
}


@pytest.mark.parametrize("name", sorted(ALARMS))
def test_alarms(resources: dict[str, Any], name: str) -> None:
    namespace, metric, operator, threshold = ALARMS[name]
    props = resources[name]["Properties"]
    assert (props["Namespace"], props["MetricName"], props["ComparisonOperator"]) == (
        namespace,
        metric,
        operator,
    )
    assert props["Threshold"] == threshold
    assert props["TreatMissingData"] == "notBreaching"
    assert props["AlarmActions"] == [
        {"Fn::If": ["CreateAlarmTopic", {"Ref": "AlarmTopic"}, {"Ref": "AWS::NoValue"}]},
        {"Fn::If": ["HasExistingAlarmTopic", {"Ref": "AlarmTopicArn"}, {"Ref": "AWS::NoValue"}]},
    ]


def test_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use(resources: dict[str, Any]) -> None:
    """alias/aws/sns would silently break the alarm e-mails: CloudWatch cannot use that key."""
    topic = resources["AlarmTopic"]
    assert topic["Condition"] == "CreateAlarmTopic"
    assert topic["Properties"]["KmsMasterKeyId"] == {"Ref": "AlarmTopicKey"}
    assert topic["Properties"]["Subscription"] == [{"Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}]
    key_policy = resources["AlarmTopicKey"]["Properties"]["KeyPolicy"]["Statement"]
    cw = [s for s in key_policy if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    assert cw and {"kms:Decrypt", "kms:GenerateDataKey"} <= set(cw[0]["Action"])
    assert resources["AlarmTopicKey"]["Properties"]["EnableKeyRotation"] is True


# --------------------------------------------------------------------------- outputs


def test_outputs(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    wanted = {
        "EventQueueUrl",
        "EventQueueArn",
        "EventDeadLetterQueueUrl",
        "EventDeadLetterQueueArn",
        "WorkflowDeadLetterQueueUrl",
        "WorkflowDeadLetterQueueArn",
        "StateMachineArn",
        "PipeArn",
        "EventRuleArn",
        "LayerArn",
        "AlarmTopicArn",
        "StateMachineLogGroupName",
        "PipeLogGroupName",
    }
    for fn in FUNCTIONS:
        short = fn.removesuffix("Function")
        wanted |= {f"{fn}Name", f"{fn}Arn", f"{short}LogGroupName"}
    assert wanted <= set(outputs), wanted - set(outputs)


# --------------------------------------------------------------------------- IAM (after the SAM transform)


def test_roles_are_the_expected_ones(transformed: dict[str, Any]) -> None:
    roles = {n for n, r in transformed["Resources"].items() if r["Type"] == "AWS::IAM::Role"}
    assert roles == set(ROLES)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_role_permissions_are_exactly_the_needed_ones(transformed: dict[str, Any], role: str) -> None:
    managed, actions = ROLES[role]
    assert managed_arns(transformed["Resources"][role]) == managed
    granted = set()
    for st in role_policies(transformed["Resources"][role], transformed):
        assert st["Effect"] == "Allow"
        granted |= set(as_list(st["Action"]))
    assert granted == actions


def test_no_wildcard_actions(transformed: dict[str, Any]) -> None:
    for name, _, st in all_policy_documents(transformed):
        if st["Effect"] != "Allow":
            continue
        for action in as_list(st["Action"]):
            assert "*" not in action, f"{name}: {action}"


def test_resource_star_only_for_unscoped_actions(transformed: dict[str, Any]) -> None:
    for name, kind, st in all_policy_documents(transformed):
        resources = as_list(st.get("Resource", []))
        if "*" not in resources:
            continue
        if kind == "key":  # in a key policy "*" means this key
            continue
        assert kind == "identity", f"{name}: resource policy on *"
        bad = set(as_list(st["Action"])) - UNSCOPED_ACTIONS
        assert not bad, f"{name}: {bad} on Resource *"


def test_secret_and_parameter_access_is_scoped(transformed: dict[str, Any]) -> None:
    for fn in SYNC_FUNCTIONS:
        for st in role_policies(transformed["Resources"][f"{fn}Role"], transformed):
            action = as_list(st["Action"])
            if action == ["secretsmanager:GetSecretValue"]:
                assert "SolidServerSecretArn" in json.dumps(st["Resource"])
            elif action == ["kms:Decrypt"]:
                assert st["Resource"] == {"Ref": "SolidServerSecretKmsKeyArn"}
                assert "kms:ViaService" in st["Condition"]["StringEquals"]
            elif action == ["ssm:GetParameter"]:
                assert "parameter${SolidServerCaBundleParameter}" in json.dumps(st["Resource"])
            else:
                raise AssertionError(f"{fn}: unexpected statement {st}")


def test_optional_permissions_are_conditional(transformed: dict[str, Any]) -> None:
    policy = transformed["Resources"]["SyncFunctionsPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    conditions = sorted(p["Fn::If"][0] for p in policy if "Fn::If" in p)
    assert conditions == ["HasCaBundle", "HasSecretKmsKey"]
    for fn in SYNC_FUNCTIONS:
        assert "SyncFunctionsPolicy" in managed_arns(transformed["Resources"][f"{fn}Role"]), fn


def test_lambda_invoke_limited_to_the_four_sync_functions(transformed: dict[str, Any]) -> None:
    targets = set()
    for st in role_policies(transformed["Resources"]["StateMachineRole"]):
        if as_list(st["Action"]) == ["lambda:InvokeFunction"]:
            targets.add(st["Resource"]["Fn::Sub"][1]["functionName"]["Ref"])
    assert targets == set(SYNC_FUNCTIONS)


def test_the_lease_outlives_an_execution_and_expires_before_a_redelivery(template: dict[str, Any]) -> None:
    """Express executions end at 300 s; a failed event comes back after the queue's visibility
    timeout: every lease value the template allows lies in between."""
    lease = template["Parameters"]["ExecutionLeaseSeconds"]
    visibility = template["Resources"]["EventQueue"]["Properties"]["VisibilityTimeout"]
    assert 300 < lease["MinValue"] <= int(lease["Default"]) <= lease["MaxValue"] < visibility


def test_the_state_machine_may_only_put_its_own_refresh_requests(transformed: dict[str, Any]) -> None:
    """RequestRefresh: PutEvents on the default bus of the stack's account and region, and only
    events whose source is ipamsync (the enrich rule's pattern)."""
    [st] = [
        st
        for st in role_policies(transformed["Resources"]["StateMachineRole"], transformed)
        if "events:PutEvents" in as_list(st["Action"])
    ]
    assert as_list(st["Action"]) == ["events:PutEvents"]
    assert "event-bus/default" in json.dumps(st["Resource"])
    assert st["Condition"] == {"StringEquals": {"events:source": "ipamsync"}}
