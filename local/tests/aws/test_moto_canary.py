"""Canaries for every moto seam of ``ipamsync_local.aws.motohook``.

They fail loudly when moto changes what the hooks rely on: a signature, a module layout, a
behaviour the hook works around (Lambda echoing payloads, no Lambda targets on rules), or the
error names the interpreter derives from Lambda's answers.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import moto
import pytest
from moto import mock_aws

from ipamsync_local.aws import motohook
from ipamsync_local.aws.executions import _jsonable
from ipamsync_local.aws.motohook import (
    BOTO_CLIENT_FOR_MODULES,
    REQUIRED_MOTO_VERSION,
    MotoHooks,
    MotoVersionError,
    Throttled,
)
from local.tests.helpers import REPO

REGION = "us-east-1"
CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
FN_ARN = "arn:aws:lambda:us-east-1:123456789012:function:canary"
ROLE = "arn:aws:iam::123456789012:role/canary"


def _params(fn: Any) -> list[str]:
    return list(inspect.signature(fn).parameters)


def _hooks(**kw: Any) -> MotoHooks:
    kw.setdefault("invoke", lambda *a: None)
    kw.setdefault("deliver", lambda *a: False)
    return MotoHooks(**kw)


# --------------------------------------------------------------------------- version


def test_moto_is_the_pinned_version() -> None:
    assert moto.__version__ == REQUIRED_MOTO_VERSION
    version = re.escape(REQUIRED_MOTO_VERSION)
    declared = (REPO / "pyproject.toml").read_text()
    assert re.search(rf'^\s*"moto(\[[^\]]*\])?=={version}",', declared, re.M), (
        "pyproject.toml's `local` extra pins another moto than motohook.REQUIRED_MOTO_VERSION"
    )
    locked = (REPO / "requirements" / "lock.txt").read_text()
    assert re.search(rf"^moto=={version} ", locked, re.M), (
        "requirements/lock.txt pins another moto (make lock)"
    )


def test_another_moto_version_fails_loudly_and_patches_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.awslambda_simple.models import LambdaSimpleBackend

    before = LambdaSimpleBackend.invoke
    monkeypatch.setattr(moto, "__version__", "5.2.6")
    with pytest.raises(MotoVersionError, match=r"5\.2\.5.*5\.2\.6"):
        motohook.check_moto_version()
    with pytest.raises(MotoVersionError):
        _hooks().install()
    assert LambdaSimpleBackend.invoke is before
    assert motohook.active() is None


# --------------------------------------------------------------------------- 1. Lambda invoke


def test_lambda_simple_backend_invoke_signature() -> None:
    from moto.awslambda_simple.models import LambdaSimpleBackend

    assert _params(LambdaSimpleBackend.invoke) == [
        "self",
        "function_name",
        "qualifier",
        "body",
        "headers",
        "response_headers",
    ]


def test_without_the_hook_moto_lambda_echoes_the_payload() -> None:
    """Why the hook exists: use_docker=False runs no code at all."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def handler(e, c):\n    return {'ran': True}\n")
    with mock_aws(config=CONFIG):
        iam = boto3.client("iam", region_name=REGION)
        trust = {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ]
        }
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        lam = boto3.client("lambda", region_name=REGION)
        lam.create_function(
            FunctionName="f",
            Runtime="python3.13",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": buf.getvalue()},
        )
        out = lam.invoke(FunctionName="f", Payload=b'{"x": 1}')
        assert json.loads(out["Payload"].read()) == {"x": 1}


# --------------------------------------------------------------------------- 2. EventBridge


def test_rule_send_to_targets_signature() -> None:
    from moto.events.models import EventPattern, Rule

    assert _params(Rule.send_to_targets) == ["self", "original_event", "transform_input"]
    assert _params(EventPattern.matches_event) == ["self", "event"]
    assert "scheduled_expression" in inspect.getsource(Rule.__init__)


def _lambda_rule(events: Any, name: str = "r", state: str = "ENABLED", arn: str = FN_ARN) -> None:
    events.put_rule(Name=name, EventPattern=json.dumps({"source": ["aws.ec2"]}), State=state)
    events.put_targets(Rule=name, Targets=[{"Id": "t", "Arn": arn}])


EC2_EVENT = {
    "Source": "aws.ec2",
    "DetailType": "EC2 Instance State-change Notification",
    "Detail": json.dumps({"instance-id": "i-0123456789abcdef0", "state": "running"}),
    "Resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"],
}


def test_without_the_hook_rules_cannot_target_lambda() -> None:
    """Why the hook exists. If moto starts delivering to Lambda, revisit motohook (2)."""
    with mock_aws(config=CONFIG):
        events = boto3.client("events", region_name=REGION)
        _lambda_rule(events)
        with pytest.raises(NotImplementedError):
            events.put_events(Entries=[EC2_EVENT])


def test_moto_event_message_is_not_aws_shaped() -> None:
    """moto's message has a float ``time`` and an ``ingestion-time``: the hook reshapes it."""
    from moto.events.utils import _BASE_EVENT_MESSAGE

    assert set(_BASE_EVENT_MESSAGE) == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }
    shaped = motohook.aws_event_shape({**_BASE_EVENT_MESSAGE, "time": 1795590002.5, "ingestion-time": 1.0})
    assert list(shaped) == [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    ]
    assert shaped["time"] == "2026-11-25T07:00:02Z"  # UTC, second precision


def test_hooked_rules_deliver_aws_shaped_events_asynchronously() -> None:
    delivered: list[tuple[str, dict[str, Any], Any]] = []

    def deliver(arn: str, event: dict[str, Any], rule: Any) -> bool:
        if arn != FN_ARN:
            return False
        delivered.append((arn, event, rule))
        return True

    with mock_aws(config=CONFIG), _hooks(deliver=deliver):
        events = boto3.client("events", region_name=REGION)
        _lambda_rule(events, "on")
        _lambda_rule(events, "off", state="DISABLED")
        events.put_rule(Name="hourly", ScheduleExpression="rate(1 hour)")
        events.put_targets(Rule="hourly", Targets=[{"Id": "t", "Arn": FN_ARN}])
        events.put_events(Entries=[EC2_EVENT])
        events.put_events(Entries=[{**EC2_EVENT, "Source": "aws.s3"}])  # pattern does not match
        assert [r.name for _, _, r in delivered] == ["on"], (
            "disabled, schedule-only and non-matching rules deliver nothing"
        )
        _, event, _ = delivered[0]
        assert list(event) == [
            "version",
            "id",
            "detail-type",
            "source",
            "account",
            "time",
            "region",
            "resources",
            "detail",
        ]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])
        assert event["account"] == "123456789012" and event["region"] == REGION
        assert event["detail"] == {"instance-id": "i-0123456789abcdef0", "state": "running"}
        # a Lambda target the local service does not know keeps moto's behaviour
        _lambda_rule(events, "other", arn="arn:aws:lambda:us-east-1:123456789012:function:unknown")
        with pytest.raises(NotImplementedError):
            events.put_events(Entries=[EC2_EVENT])


# --------------------------------------------------------------------------- 3.-6. interpreter


def test_retry_waits_are_time_sleep_in_retrier_decl() -> None:
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    assert retrier_decl.time is time
    assert "time.sleep(interval_seconds)" in inspect.getsource(retrier_decl.RetrierDecl._eval_body)


def test_interpreter_loggers_live_under_moto_stepfunctions_parser() -> None:
    from moto.stepfunctions.parser.asl.component import eval_component
    from moto.stepfunctions.parser.asl.component.program import program

    for module in (program, eval_component):
        assert module.LOG.name.startswith(motohook.INTERPRETER_LOGGERS[0])


def test_parser_returns_a_program_and_a_reusable_tree() -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    definition = (REPO / "statemachine" / "sync.asl.json").read_text()
    program, tree = AmazonStateLanguageParser.parse(definition)
    again = Preprocessor().visit(tree)
    assert type(again) is type(program) and again is not program


def _parser_modules_naming(text: str) -> set[str]:
    """The modules of moto's Step Functions interpreter whose source contains ``text``."""
    root = Path(moto.__file__).parent / "stepfunctions" / "parser"
    found = set()
    for path in root.rglob("*.py"):
        if text in path.read_text():
            rel = path.relative_to(Path(moto.__file__).parent.parent).with_suffix("")
            found.add(".".join(rel.parts))
    return found


def test_json_paths_are_parsed_by_module_level_parse_in_known_modules() -> None:
    import importlib

    import jsonpath_ng
    import jsonpath_ng.ext

    assert _parser_modules_naming("jsonpath_ng") == set(motohook.JSON_PATH_MODULES)
    json_path, result_path = (importlib.import_module(m) for m in motohook.JSON_PATH_MODULES)
    assert json_path.parse is jsonpath_ng.ext.parse and result_path.parse is jsonpath_ng.parse
    assert "parse(path)" in inspect.getsource(json_path.extract_json)
    assert "parse(self.result_path_src)" in inspect.getsource(result_path)


def test_json_paths_are_parsed_once_while_installed_and_bad_ones_still_raise() -> None:
    import jsonpath_ng.ext
    from moto.stepfunctions.parser.asl.utils import json_path

    hooks = _hooks().install()
    try:
        first = json_path.parse("$.detail.instance")
        assert json_path.parse("$.detail.instance") is first
        assert json_path.extract_json("$.detail.instance", {"detail": {"instance": "i-1"}}) == "i-1"
        assert json_path.extract_json("$.a[*].b", {"a": [{"b": 1}, {"b": 2}]}) == [1, 2]
        for _ in range(2):
            with pytest.raises(Exception):  # noqa: B017 - jsonpath_ng's own error type
                json_path.parse("$.[")
    finally:
        hooks.uninstall()
    assert json_path.parse is jsonpath_ng.ext.parse
    assert json_path.parse("$.detail.instance") is not first


def test_boto_client_for_importers_are_known() -> None:
    assert _parser_modules_naming("boto_client_for") == set(BOTO_CLIENT_FOR_MODULES)
    from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for

    assert _params(boto_client_for) == ["region", "service", "state_credentials"]


def test_execution_end_is_reported_by_the_worker_communication() -> None:
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    assert _params(BaseExecutionWorkerCommunication.terminated) == ["self"]
    assert "self._execution_communication.terminated()" in inspect.getsource(ExecutionWorker._execution_logic)


# --------------------------------------------------------------------------- 7.-8. SQS, EC2


def test_sqs_backend_seams() -> None:
    from moto.sqs.models import Queue, SQSBackend

    assert _params(SQSBackend.receive_message) == [
        "self",
        "queue_name",
        "count",
        "wait_seconds_timeout",
        "visibility_timeout",
        "message_attribute_names",
    ]
    for name in (
        "send_message",
        "send_message_batch",
        "change_message_visibility",
        "change_message_visibility_batch",
    ):
        assert _params(getattr(SQSBackend, name))[1] == "queue_name"
    # the race the lock exists for: delete rebuilds the list a concurrent send appends to
    assert "self._messages = new_messages" in inspect.getsource(Queue.delete_message)


def test_ec2_backend_seams() -> None:
    from moto.ec2.models import EC2Backend

    for name in ("start_instances", "stop_instances", "terminate_instances"):
        assert _params(getattr(EC2Backend, name)) == ["self", "instance_ids"]
        assert "previous_state" in inspect.getsource(getattr(EC2Backend, name))
    assert "return new_reservation" in inspect.getsource(EC2Backend.run_instances)


def test_hooked_ec2_reports_transitions_in_aws_order() -> None:
    seen: list[tuple[str, str, str]] = []
    with (
        mock_aws(config=CONFIG),
        _hooks(
            on_ec2_transitions=lambda ts: seen.extend((t.instance_id, t.previous_state, t.state) for t in ts)
        ),
    ):
        ec2 = boto3.client("ec2", region_name=REGION)
        iid = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        ec2.start_instances(InstanceIds=[iid])  # already running: no change
        ec2.stop_instances(InstanceIds=[iid])
        ec2.stop_instances(InstanceIds=[iid])  # already stopped: no change
        ec2.start_instances(InstanceIds=[iid])
        ec2.reboot_instances(InstanceIds=[iid])  # not a state change
        ec2.terminate_instances(InstanceIds=[iid])
        ec2.terminate_instances(InstanceIds=[iid])  # already terminated
    assert [s for _, _, s in seen] == [
        "pending",
        "running",
        "stopping",
        "stopped",
        "pending",
        "running",
        "shutting-down",
        "terminated",
    ]
    assert {i for i, _, _ in seen} == {iid}


def test_sqs_lock_keeps_concurrent_sends_and_deletes() -> None:
    """Senders and a deleting consumer on one queue: with the hooks nothing is lost."""
    with mock_aws(config=CONFIG), _hooks():
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        sent, received = 120, []

        def send(k: int) -> None:
            for i in range(sent // 4):
                sqs.send_message(QueueUrl=url, MessageBody=f"{k}-{i}")

        threads = [threading.Thread(target=send, args=(k,)) for k in range(4)]  # 30 each
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(received) < sent and time.monotonic() < deadline:
            for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                received.append(m["Body"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        for t in threads:
            t.join()
        assert sorted(received) == sorted(f"{k}-{i}" for k in range(4) for i in range(sent // 4))


# --------------------------------------------------------------------------- the interpreter, end to end


ASL = {
    "StartAt": "Call",
    "States": {
        "Call": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": FN_ARN, "Payload.$": "$"},
            "Retry": [
                {
                    "ErrorEquals": ["Lambda.TooManyRequestsException", "SolidServerUnavailable"],
                    "IntervalSeconds": 1,
                    "BackoffRate": 1.0,
                    "MaxAttempts": 3,
                }
            ],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
            "End": True,
        },
        "Caught": {"Type": "Pass", "End": True},
    },
}


def test_interpreter_maps_throttling_and_error_types_and_scales_retry_waits() -> None:
    """Throttled → Lambda.TooManyRequestsException; errorType → the error name; 1 s waits x 0.01."""
    answers: list[Any] = [Throttled(), "SolidServerUnavailable", {"ok": True}, "OwnershipConflict"]
    ended: list[str] = []

    def invoke(
        name: str, qualifier: Any, body: Any, headers: Any, response_headers: dict[str, str]
    ) -> bytes | None:
        if name != FN_ARN:
            return None
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, str):
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps({"errorType": answer, "errorMessage": "m", "stackTrace": []}).encode()
        return json.dumps(answer).encode()

    parser_logger = logging.getLogger(motohook.INTERPRETER_LOGGERS[0])
    level_before = parser_logger.level
    with mock_aws(config=CONFIG):
        hooks = _hooks(invoke=invoke, on_execution_end=ended.append, time_scale=0.01).install()
        try:
            assert parser_logger.level > logging.CRITICAL
            sfn = boto3.client("stepfunctions", region_name=REGION)
            sm = sfn.create_state_machine(name="c", definition=json.dumps(ASL), roleArn=ROLE, type="EXPRESS")[
                "stateMachineArn"
            ]

            def run(name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
                arn = sfn.start_execution(stateMachineArn=sm, name=name, input="{}")["executionArn"]
                while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
                    time.sleep(0.01)
                return (
                    sfn.describe_execution(executionArn=arn),
                    sfn.get_execution_history(executionArn=arn)["events"],
                )

            desc, events = run("one")
            failures = [e["taskFailedEventDetails"] for e in events if e["type"] == "TaskFailed"]
            assert [f["error"] for f in failures] == [
                "Lambda.TooManyRequestsException",
                "SolidServerUnavailable",
            ]
            assert "Status Code: 429" in failures[0]["cause"]
            assert desc["status"] == "SUCCEEDED" and hooks.retry_waits == 2
            # what was scheduled, not how long it took: two waits of at most 1 s (then scaled by 0.01)
            assert [(w.execution_arn, w.state) for w in hooks.scheduled_waits] == [
                (desc["executionArn"], "Call")
            ] * 2
            assert all(0 < w.seconds <= 1.0 for w in hooks.scheduled_waits)
            assert ended == [desc["executionArn"]]
            assert _jsonable(motohook.execution_history(desc["executionArn"])) == _jsonable(events)

            desc, events = run("two")
            assert [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"] == [
                "OwnershipConflict"
            ]
            assert json.loads(desc["output"])["error"]["Error"] == "OwnershipConflict"

            # functions the router does not know keep moto's default behaviour (the echo)
            lam = boto3.client("lambda", region_name=REGION)
            assert json.loads(
                lam.invoke(FunctionName="not-local", Payload=b'{"echo": 1}')["Payload"].read()
            ) == {"echo": 1}
        finally:
            hooks.uninstall()
    assert parser_logger.level == level_before


def test_uninstall_restores_every_patched_attribute() -> None:
    import boto3 as b3
    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.ec2.models import EC2Backend
    from moto.events.models import Rule
    from moto.sqs.models import SQSBackend
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    before = {
        "invoke": LambdaSimpleBackend.invoke,
        "send": Rule.send_to_targets,
        "time": retrier_decl.time,
        "receive": SQSBackend.receive_message,
        "run": EC2Backend.run_instances,
        "client": b3.client,
        "ec2_own": "run_instances" in vars(EC2Backend),
    }
    hooks = _hooks().install()
    assert motohook.active() is hooks
    with pytest.raises(RuntimeError, match="another local AWS runtime"):
        _hooks().install()
    assert LambdaSimpleBackend.invoke is not before["invoke"] and b3.client is not before["client"]
    hooks.uninstall()
    assert motohook.active() is None
    assert LambdaSimpleBackend.invoke is before["invoke"]
    assert Rule.send_to_targets is before["send"]
    assert retrier_decl.time is before["time"]
    assert SQSBackend.receive_message is before["receive"]
    assert EC2Backend.run_instances is before["run"]
    assert ("run_instances" in vars(EC2Backend)) == before["ec2_own"]
    assert b3.client is before["client"]


# --------------------------------------------------------------------------- 14. EC2 calls (CloudTrail)


def test_ec2_response_seams_of_the_followed_calls() -> None:
    from moto.core.exceptions import ServiceException
    from moto.core.responses import ActionResult, BaseResponse
    from moto.core.utils import camelcase_to_underscores
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.responses import EC2Response

    from ipamsync.events import CALLS

    for call in CALLS:
        assert len(_params(getattr(EC2Response, camelcase_to_underscores(call)))) == 1, call  # (self)
    assert _params(BaseResponse._get_params) == ["self"]
    assert isinstance(inspect.getattr_static(ActionResult, "result"), property)
    assert issubclass(EC2ClientError, ServiceException)
    err = EC2ClientError("Some.Code", "text")
    assert (err.code, err.message) == ("Some.Code", "text")
    source = inspect.getsource(BaseResponse.call_action)
    assert "method_names_from_class(self.__class__)" in source and "response = method()" in source


def test_hooked_ec2_reports_followed_calls_whatever_their_outcome() -> None:
    from moto.ec2.responses import EC2Response

    from ipamsync.events import CALLS

    seen: list[Any] = []
    before = EC2Response.create_tags
    with mock_aws(config=CONFIG), _hooks(on_ec2_calls=seen.extend, ec2_calls=CALLS):
        assert EC2Response.create_tags is not before
        ec2 = boto3.client("ec2", region_name=REGION)
        iid = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        ec2.create_tags(Resources=[iid], Tags=[{"Key": "Name", "Value": "x"}])
        with pytest.raises(Exception, match="InvalidAllocationID"):
            ec2.associate_address(AllocationId="eipalloc-0123456789abcdef0", InstanceId=iid)
        ec2.reboot_instances(InstanceIds=[iid])  # not followed
    assert EC2Response.create_tags is before
    assert [(c.name, c.error_code) for c in seen] == [
        ("CreateTags", None),
        ("AssociateAddress", "InvalidAllocationID.NotFound"),
    ]
    tags = seen[0]
    assert tags.params == {"Resources": [iid], "Tags": [{"Key": "Name", "Value": "x"}]}
    assert tags.account_id == "123456789012" and tags.region == REGION and tags.result is None
    assert tags.user_agent.startswith("Boto3/") and not seen[1].server_error
