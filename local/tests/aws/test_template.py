"""template.yaml read like CloudFormation/SAM, and the runtime following a changed copy of it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ipamsync_local.aws import LocalAws
from ipamsync_local.aws.template import Template, TemplateError, load_yaml
from local.tests.helpers import TEMPLATE, Script, message, template_copy

URL = "https://solidserver.example.com"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ipamsync/solidserver-AbCdEf"
PARAMS = {"SolidServerUrl": URL, "SolidServerSecretArn": SECRET}


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return load_yaml(TEMPLATE)


@pytest.fixture(scope="module")
def template() -> Template:
    return Template(TEMPLATE, PARAMS)


# --------------------------------------------------------------------------- reading


def test_short_form_tags(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        """
Resources:
  R:
    Type: X
    Properties:
      A: !Ref P
      B: !GetAtt Q.Arn
      C: !Sub "${AWS::Region}-x"
      D: !If [C1, !Ref AWS::NoValue, b]
      E: !Equals [a, b]
      F: !Not [!Equals [a, b]]
      G: !And [!Condition C1, !Or [!Equals [1, 1]]]
      H: !Join [",", [a, b]]
      I: !Select [1, !Split [",", "a,b"]]
      J: !FindInMap [M, k, v]
      K: !Base64 hi
"""
    )
    props = load_yaml(path)["Resources"]["R"]["Properties"]
    assert props["A"] == {"Ref": "P"}
    assert props["B"] == {"Fn::GetAtt": ["Q", "Arn"]}
    assert props["C"] == {"Fn::Sub": "${AWS::Region}-x"}
    assert props["D"] == {"Fn::If": ["C1", {"Ref": "AWS::NoValue"}, "b"]}
    assert props["F"] == {"Fn::Not": [{"Fn::Equals": ["a", "b"]}]}
    assert props["G"] == {"Fn::And": [{"Condition": "C1"}, {"Fn::Or": [{"Fn::Equals": [1, 1]}]}]}
    assert props["I"] == {"Fn::Select": [1, {"Fn::Split": [",", "a,b"]}]}
    assert props["J"] == {"Fn::FindInMap": ["M", "k", "v"]}
    assert props["K"] == {"Fn::Base64": "hi"}


def test_intrinsics_resolve(template: Template) -> None:
    r = template.resolve
    assert r({"Fn::Sub": "${AWS::Region}:${AWS::AccountId}:${AWS::StackName}:${!Literal}"}) == (
        "us-east-1:123456789012:ipamsync:${Literal}"
    )
    assert r({"Fn::Sub": ["${X}-${EventQueue.QueueName}", {"X": {"Ref": "SpaceName"}}]}) == (
        "AWS-ipamsync-EventQueue.fifo"
    )
    assert r({"Fn::Join": ["/", ["a", {"Ref": "AWS::Partition"}]]}) == "a/aws"
    assert r({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}) == "b"
    assert r({"k": {"Ref": "AWS::NoValue"}, "l": [1, {"Ref": "AWS::NoValue"}, 2]}) == {"l": [1, 2]}
    assert r({"Fn::If": ["HasMaxConcurrency", "yes", "no"]}) == "yes"
    assert r({"Fn::And": [{"Condition": "HasMaxConcurrency"}, {"Fn::Not": [{"Condition": "InVpc"}]}]}) is True
    assert r({"Fn::Or": [{"Fn::Equals": [{"Ref": "SolidServerAuthMode"}, "token"]}, False]}) is False
    assert r({"Ref": "LambdaSubnetIds"}) == [""]  # CommaDelimitedList
    assert r({"Fn::GetAtt": ["EnrichFunctionEc2StateChange", "Arn"]}) == (
        "arn:aws:events:us-east-1:123456789012:rule/ipamsync-EnrichFunctionEc2StateChange"
    )
    with pytest.raises(TemplateError, match="AlarmTopic is not created"):
        r({"Ref": "AlarmTopic"})


def test_parameters_defaults_overrides_and_constraints(raw: dict[str, Any]) -> None:
    t = Template(
        TEMPLATE, {**PARAMS, "LambdaSubnetIds": ["subnet-1", "subnet-2"], "SolidServerMaxConcurrency": 0}
    )
    for name, decl in raw["Parameters"].items():
        if name in ("LambdaSubnetIds", "SolidServerMaxConcurrency", *PARAMS) or "Default" not in decl:
            continue
        assert t.parameters[name] == str(decl["Default"]) or decl["Type"] == "CommaDelimitedList"
    assert t.conditions["InVpc"] is True and t.conditions["HasMaxConcurrency"] is False
    assert all(f.reserved_concurrency is None for f in t.functions().values())
    assert "VpcConfig" in t.functions()["DeviceFunction"].properties
    with pytest.raises(TemplateError, match=r"SolidServerUrl='http://x' does not match"):
        Template(TEMPLATE, {**PARAMS, "SolidServerUrl": "http://x"})
    with pytest.raises(TemplateError, match="not one of"):
        Template(TEMPLATE, {**PARAMS, "SolidServerAuthMode": "kerberos"})
    with pytest.raises(TemplateError, match="above"):
        Template(TEMPLATE, {**PARAMS, "EventQueueMaxReceiveCount": 5000})
    with pytest.raises(TemplateError, match="unknown parameter"):
        Template(TEMPLATE, {**PARAMS, "Nope": "x"})
    with pytest.raises(TemplateError, match="SolidServerUrl: no value"):
        Template(TEMPLATE, {"SolidServerSecretArn": SECRET})
    lax = Template(TEMPLATE, {**PARAMS, "SolidServerUrl": "http://127.0.0.1:1"}, strict=False)
    assert lax.parameter_problems and lax.parameters["SolidServerUrl"] == "http://127.0.0.1:1"


# --------------------------------------------------------------------------- specs


def test_queues(template: Template, raw: dict[str, Any]) -> None:
    queues = template.queues()
    assert list(queues)[-1] == "EventQueue", "a queue with a redrive policy comes after its DLQ"
    for lid, spec in queues.items():
        props = raw["Resources"][lid]["Properties"]
        assert spec.fifo == bool(props.get("FifoQueue", False))
        assert spec.name == f"ipamsync-{lid}" + (".fifo" if spec.fifo else "")
        assert spec.url == f"https://sqs.us-east-1.amazonaws.com/123456789012/{spec.name}"
        assert spec.message_retention_period == props["MessageRetentionPeriod"]
        assert spec.sse is True and spec.attributes["SqsManagedSseEnabled"] == "true"
    events = queues["EventQueue"]
    props = raw["Resources"]["EventQueue"]["Properties"]
    assert events.visibility_timeout == props["VisibilityTimeout"]
    assert events.content_based_deduplication is False
    assert events.attributes["DeduplicationScope"] == props["DeduplicationScope"]
    assert events.redrive is not None
    assert events.redrive.max_receive_count == int(raw["Parameters"]["EventQueueMaxReceiveCount"]["Default"])
    assert events.redrive.dead_letter_logical_id == "EventDeadLetterQueue"
    assert json.loads(events.attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": queues["EventDeadLetterQueue"].arn,
        "maxReceiveCount": events.redrive.max_receive_count,
    }


def test_functions(template: Template, raw: dict[str, Any]) -> None:
    functions = template.functions()
    globals_ = raw["Globals"]["Function"]
    assert set(functions) == {
        lid for lid, r in raw["Resources"].items() if r["Type"] == "AWS::Serverless::Function"
    }
    for lid, spec in functions.items():
        props = raw["Resources"][lid]["Properties"]
        assert spec.code_uri == (TEMPLATE.parent / props["CodeUri"]).resolve()
        assert spec.handler == globals_["Handler"] and spec.runtime == globals_["Runtime"]
        assert spec.timeout == props.get("Timeout", globals_["Timeout"])
        assert spec.memory_size == props.get("MemorySize", globals_["MemorySize"])
        assert set(globals_["Environment"]["Variables"]) <= set(spec.environment)
        assert spec.environment["SOLIDSERVER_URL"] == URL
        assert spec.environment["SOLIDSERVER_SECRET_ARN"] == SECRET
        assert spec.environment["SOLIDSERVER_CA_BUNDLE_PARAMETER"] == ""
    default_concurrency = int(raw["Parameters"]["SolidServerMaxConcurrency"]["Default"])
    assert functions["EnrichFunction"].reserved_concurrency is None
    assert {
        functions[f].reserved_concurrency
        for f in ("DeviceFunction", "NetworksFunction", "AddressesFunction", "DnsFunction")
    } == {default_concurrency}
    enrich = functions["EnrichFunction"]
    assert enrich.environment["EVENT_QUEUE_URL"] == template.queues()["EventQueue"].url
    assert "EVENT_QUEUE_URL" not in functions["DeviceFunction"].environment
    assert enrich.log_group == "/aws/lambda/ipamsync-enrich"
    cfg = raw["Resources"]["EnrichFunction"]["Properties"]["EventInvokeConfig"]
    assert enrich.async_config.maximum_retry_attempts == cfg["MaximumRetryAttempts"]
    assert enrich.async_config.on_failure is not None
    assert enrich.async_config.on_failure.type == "SQS"
    assert enrich.async_config.on_failure.arn == template.queues()["WorkflowDeadLetterQueue"].arn
    events = raw["Resources"]["EnrichFunction"]["Properties"]["Events"]
    rules = {rule.event_name: rule for rule in enrich.rules}
    # state changes, CloudTrail's EC2 calls (on the default bus, and forwarded by member accounts on
    # ipamsync's bus), and the refresh requests the state machine sends
    assert (
        set(rules)
        == {
            "Ec2StateChange",
            "Ec2ApiCall",
            "MemberEc2StateChange",
            "MemberEc2ApiCall",
            "RefreshRequest",
        }
        == set(events)
    )
    for name, rule in rules.items():
        event = events[name]["Properties"]
        bus = "ipamsync-events" if name.startswith("Member") else "default"
        assert rule.pattern == event["Pattern"] and rule.state == "ENABLED" and rule.event_bus_name == bus
        assert rule.retry_policy == event["RetryPolicy"]
        assert rule.dead_letter_arn == template.queues()["WorkflowDeadLetterQueue"].arn
    assert rules["MemberEc2StateChange"].pattern == rules["Ec2StateChange"].pattern
    (schedule,) = functions["DeviceFunction"].schedules
    sched = raw["Resources"]["DeviceFunction"]["Properties"]["Events"]["TombstoneGc"]["Properties"]
    assert (schedule.expression, schedule.input, schedule.event_name) == (
        sched["Schedule"],
        sched["Input"],
        "TombstoneGc",
    )


def test_state_machine_and_pipe(template: Template, raw: dict[str, Any]) -> None:
    sm = template.state_machine()
    props = raw["Resources"]["StateMachine"]["Properties"]
    assert sm.type == props["Type"] == "EXPRESS"
    assert sm.definition_uri == (TEMPLATE.parent / props["DefinitionUri"]).resolve()
    assert set(sm.substitutions) == set(props["DefinitionSubstitutions"])
    functions = template.functions()
    assert sm.substitutions["DeviceFunctionArn"] == functions["DeviceFunction"].arn
    assert sm.substitutions["WorkflowDeadLetterQueueUrl"] == template.queues()["WorkflowDeadLetterQueue"].url
    assert "${" not in sm.definition
    assert functions["DnsFunction"].arn in sm.definition
    reconcile = template.state_machine("ReconcileStateMachine")
    assert reconcile.type == "STANDARD" and "${" not in reconcile.definition
    assert functions["ReconcileFunction"].arn in reconcile.definition
    assert set(template.state_machines()) == {"StateMachine", "ReconcileStateMachine"}
    pipe = template.pipe()
    pprops = raw["Resources"]["EventPipe"]["Properties"]
    assert pipe.source_logical_id == "EventQueue" and pipe.target_logical_id == "StateMachine"
    assert pipe.source_arn == template.queues()["EventQueue"].arn and pipe.target_arn == sm.arn
    assert pipe.batch_size == pprops["SourceParameters"]["SqsQueueParameters"]["BatchSize"]
    assert (
        pipe.invocation_type
        == pprops["TargetParameters"]["StepFunctionStateMachineParameters"]["InvocationType"]
    )


# --------------------------------------------------------------------------- the runtime follows the template


def _edit(text: str) -> str:
    replacements = [
        ("maxReceiveCount: !Ref EventQueueMaxReceiveCount", "maxReceiveCount: 2"),
        ("      VisibilityTimeout: 360\n", "      VisibilityTimeout: 100\n"),
        ("          BatchSize: 1\n", "          BatchSize: 2\n"),
        (
            "state: [pending, running, stopping, stopped, shutting-down, terminated]",
            "state: [running, terminated]",
        ),
        ("        MaximumRetryAttempts: 2\n", "        MaximumRetryAttempts: 0\n"),
    ]
    for old, new in replacements:
        # the state-change pattern is on the default bus and on the ipamsync bus
        assert text.count(old) == (2 if old.startswith("state:") else 1), old
        text = text.replace(old, new)
    return text


def test_the_runtime_follows_a_changed_template(tmp_path: Path, script: Script) -> None:
    path = template_copy(tmp_path, _edit)
    delivered: list[dict[str, Any]] = []

    def enrich(event: dict[str, Any], context: Any) -> None:
        delivered.append(event)
        raise RuntimeError("no enrichment in this test")

    overrides = {**script.overrides(), "enrich": enrich}
    with LocalAws(path, state_dir=tmp_path / "state", time_scale=0.001, handler_overrides=overrides) as aws:
        attrs = aws.sqs.get_queue_attributes(QueueUrl=aws.queue_url("EventQueue"), AttributeNames=["All"])[
            "Attributes"
        ]
        assert json.loads(attrs["RedrivePolicy"])["maxReceiveCount"] == 2
        assert attrs["VisibilityTimeout"] == "100"
        assert aws.pipe_spec.batch_size == 2
        described = aws.pipes.describe_pipe(Name="ipamsync-EventPipe")
        assert described["SourceParameters"]["SqsQueueParameters"]["BatchSize"] == 2
        assert described["Target"] == aws.state_machine.arn
        cfg = aws.lambda_.get_function_event_invoke_config(FunctionName="ipamsync-EnrichFunction")
        assert cfg["MaximumRetryAttempts"] == 0

        # BatchSize 2: two messages of one instance arrive in one execution, in order; the device
        # step is told the batch's size (the product refuses anything but 1: ipamsync.steps)
        aws.pipe.pause()
        aws.send_message(message("i-00000000000000001", seq=0))
        aws.send_message(message("i-00000000000000001", seq=1))
        aws.pipe.resume()
        aws.wait_idle(30)
        (summary,) = aws.executions.list()
        assert summary.status == "SUCCEEDED" and len(summary.message_ids) == 2
        (sync,) = [e for e in script.calls["device"] if "release" not in e]
        assert sync["batch"] == 2 and sync["message"]["seq"] == 0

        # maxReceiveCount 2: a message whose execution always fails is dead-lettered after 2 receives
        script.on["device"] = lambda e, c: (_ for _ in ()).throw(RuntimeError("permanent"))
        aws.send_message(message("i-00000000000000002"))
        aws.wait_idle(30)
        failed = aws.executions.list(status="FAILED")
        assert sorted(s.receive_count for s in failed) == [1, 2]
        (dead,) = aws.dead_letters("EventDeadLetterQueue")
        assert dead["body"]["instance"]["id"] == "i-00000000000000002"

        # the rule's states: stopping/stopped are emitted but not delivered; MaximumRetryAttempts 0
        launched = aws.fleet.launch("web")
        aws.wait_idle(30)
        stopped = aws.fleet.stop(launched.instance_id)
        aws.wait_idle(30)
        assert stopped.states == ["stopping", "stopped"]
        assert [e["detail"]["state"] for e in delivered] == ["running"]
        stats = aws.counters()["lambda"]["EnrichFunction"]
        assert (stats["async_accepted"], stats["invocations"], stats["async_failed"]) == (1, 1, 1)
        (record,) = [
            d["body"] for d in aws.dead_letters("WorkflowDeadLetterQueue") if "requestContext" in d["body"]
        ]
        assert record["requestContext"]["approximateInvokeCount"] == 1
        assert re.fullmatch(r"i-[0-9a-f]+", record["requestPayload"]["detail"]["instance-id"])
