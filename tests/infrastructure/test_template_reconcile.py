"""The reconcile workflow as deployed: statemachine/reconcile.asl.json (linters, substitutions, flow,
bounded retries, a failed target fails the run) and its template resources (function, Standard
state machine, EventBridge Scheduler schedules that may be off, the alarm)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ipamsync.errors import LAMBDA_SERVICE_ERRORS, PERMANENT_ERROR_NAMES, RETRY_POLICY, ListingIncomplete
from tests.infrastructure.helpers import RECONCILE_ASL, cfn_lint_wrapped, iter_states, run, tool

ARN = "arn:aws:lambda:us-east-1:123456789012:function:ipamsync-ReconcileFunction-AbC123"


@pytest.fixture(scope="module")
def rasl_text() -> str:
    return RECONCILE_ASL.read_text()


@pytest.fixture(scope="module")
def rasl(rasl_text: str) -> dict[str, Any]:
    return json.loads(rasl_text)


@pytest.fixture(scope="module")
def item(rasl: dict[str, Any]) -> dict[str, Any]:
    return rasl["States"]["ReconcileEach"]["ItemProcessor"]["States"]


def test_statelint_accepts_the_definition() -> None:
    proc = run([tool("statelint"), str(RECONCILE_ASL)])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_cfn_lint_state_machine_schema(rasl_text: str, tmp_path: Path) -> None:
    definition = json.loads(rasl_text.replace("${ReconcileFunctionArn}", ARN))
    assert cfn_lint_wrapped(definition, tmp_path, "STANDARD") == ""
    definition["TimeoutSeconds"] = "an hour"  # control: the wrapper does lint
    assert "E3601" in cfn_lint_wrapped(definition, tmp_path, "STANDARD")


def test_substitutions_are_the_template_s(rasl_text: str, resources: dict[str, Any]) -> None:
    used = set(re.findall(r"\$\{([A-Za-z0-9]+)\}", rasl_text))
    sm = resources["ReconcileStateMachine"]["Properties"]
    assert used == set(sm["DefinitionSubstitutions"]) == {"ReconcileFunctionArn"}
    assert sm["DefinitionSubstitutions"]["ReconcileFunctionArn"] == {
        "Fn::GetAtt": ["ReconcileFunction", "Arn"]
    }


def test_map_over_the_targets_one_reconcile_step_each(rasl: dict[str, Any], item: dict[str, Any]) -> None:
    each = rasl["States"]["ReconcileEach"]
    # targets given (the CLI's --account/--region) are reconciled as given; none (the schedules):
    # every covered (account, region), listed by the function first
    assert rasl["StartAt"] == "HasTargets"
    assert rasl["States"]["HasTargets"]["Choices"] == [
        {"Variable": "$.targets", "IsPresent": True, "Next": "ReconcileEach"}
    ]
    listing = rasl["States"]["ListTargets"]
    assert rasl["States"]["HasTargets"]["Default"] == "ListTargets"
    assert listing["Parameters"] == {
        "FunctionName": "${ReconcileFunctionArn}",
        "Payload": {"list_targets": True},
    }
    assert listing["Next"] == "TargetsListed" and "Catch" not in listing  # a failed list fails the run
    assert rasl["States"]["TargetsListed"]["Parameters"]["targets.$"] == "$.listed.targets"
    assert rasl["States"]["TargetsListed"]["Next"] == "ReconcileEach" and each["Type"] == "Map"
    assert each["ItemsPath"] == "$.targets" and each["ItemProcessor"]["ProcessorConfig"]["Mode"] == "INLINE"
    assert each["ItemSelector"] == {
        "account.$": "$$.Map.Item.Value.account",
        "region.$": "$$.Map.Item.Value.region",
        "deep.$": "$.deep",
        "dry_run.$": "$.dry_run",
        "run.$": "$$.Execution.Name",
    }
    assert 1 <= each["MaxConcurrency"] <= 10
    assert "Distributed Map" in rasl["Comment"]  # the threshold is written down
    task = item["Reconcile"]
    assert task["Parameters"] == {"FunctionName": "${ReconcileFunctionArn}", "Payload.$": "$"}
    assert task["TimeoutSeconds"] == 900
    for _, state, _ in iter_states(rasl["States"]):
        assert state.get("Comment"), state


def test_retries_are_bounded_and_never_on_permanent_errors(item: dict[str, Any]) -> None:
    retry = item["Reconcile"]["Retry"]
    assert retry[:2] == [dict(r) for r in RETRY_POLICY[:2]]  # Lambda's own errors, as the sync's
    assert retry[0]["ErrorEquals"] == list(LAMBDA_SERVICE_ERRORS)
    listing = next(r for r in retry if "ListingIncomplete" in r["ErrorEquals"])
    assert listing["MaxAttempts"] <= 3 and listing["IntervalSeconds"] >= 10
    assert ListingIncomplete.__name__ == "ListingIncomplete"
    retried = {e for r in retry for e in r["ErrorEquals"]}
    assert not retried & set(PERMANENT_ERROR_NAMES)
    assert "States.ALL" not in retried and "States.TaskFailed" not in retried
    total = sum(r["MaxAttempts"] for r in retry)
    assert total <= 20


def test_a_failed_target_does_not_stop_the_others_but_fails_the_run(
    rasl: dict[str, Any], item: dict[str, Any]
) -> None:
    assert item["Reconcile"]["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "TargetFailed"}
    ]
    assert item["Reconcile"]["ResultSelector"]["failed"] is False
    assert item["TargetFailed"]["Parameters"]["failed"] is True and item["TargetFailed"]["End"] is True
    states = rasl["States"]
    assert states["ReconcileEach"]["ResultSelector"]["failed.$"] == "$[*].failed"
    assert "States.ArrayContains" in states["CountFailures"]["Parameters"]["any_failed.$"]
    assert states["AnyFailed"]["Choices"] == [
        {"Variable": "$.any_failed", "BooleanEquals": True, "Next": "RunFailed"}
    ]
    assert states["RunFailed"]["Type"] == "Fail" and states["Done"]["Type"] == "Succeed"


def test_function_and_standard_state_machine(resources: dict[str, Any]) -> None:
    fn = resources["ReconcileFunction"]["Properties"]
    assert fn["CodeUri"] == "functions/reconcile/" and fn["Timeout"] == 900
    # the queue, and the coverage as enrich has it (members are read through the same role)
    assert (
        fn["Environment"]["Variables"]
        == resources["EnrichFunction"]["Properties"]["Environment"]["Variables"]
    )
    assert "Events" not in fn  # started by its workflow only
    sm = resources["ReconcileStateMachine"]["Properties"]
    assert sm["Type"] == "STANDARD" and sm["DefinitionUri"] == "statemachine/reconcile.asl.json"
    assert sm["Policies"] == [{"LambdaInvokePolicy": {"FunctionName": {"Ref": "ReconcileFunction"}}}]


@pytest.mark.parametrize(
    ("timer", "parameter", "condition", "deep"),
    [
        ("ReconcileTimer", "ReconcileSchedule", "ReconcileEnabled", False),
        ("ReconcileDeepTimer", "ReconcileDeepSchedule", "ReconcileDeepEnabled", True),
    ],
)
def test_schedules_start_the_workflow_and_may_be_off(
    template: dict[str, Any],
    resources: dict[str, Any],
    timer: str,
    parameter: str,
    condition: str,
    deep: bool,
) -> None:
    res = resources[timer]
    assert res["Type"] == "AWS::Scheduler::Schedule" and res["Condition"] == condition
    assert template["Conditions"][condition] == {"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, "off"]}]}
    props = res["Properties"]
    assert props["ScheduleExpression"] == {"Ref": parameter}
    target = props["Target"]
    assert target["Arn"] == {"Ref": "ReconcileStateMachine"}
    assert target["RoleArn"] == {"Fn::GetAtt": ["ReconcileTimerRole", "Arn"]}
    # no targets: the workflow's ListTargets step lists every covered (account, region)
    assert json.loads(target["Input"]) == {"deep": deep, "dry_run": False}
    pattern = re.compile(template["Parameters"][parameter]["AllowedPattern"])
    for ok in ("off", "rate(6 hours)", "rate(1 day)", "cron(0 */6 * * ? *)"):
        assert pattern.match(ok), ok
    for bad in ("", "6h", "rate(6)", "weekly"):
        assert not pattern.match(bad), bad
    assert resources["ReconcileTimerRole"]["Condition"] == "ReconcileAnyEnabled"


def test_alarm_on_runs_that_did_not_succeed(resources: dict[str, Any]) -> None:
    alarm = resources["ReconcileFailedAlarm"]["Properties"]
    metrics = {m["Id"]: m for m in alarm["Metrics"]}
    names = {
        m["MetricStat"]["Metric"]["MetricName"]
        for m in metrics.values()
        if "MetricStat" in m and m["MetricStat"]["Metric"]["Namespace"] == "AWS/States"
    }
    assert names == {"ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"}
    for m in metrics.values():
        if "MetricStat" in m:
            assert m["MetricStat"]["Metric"]["Dimensions"] == [
                {"Name": "StateMachineArn", "Value": {"Ref": "ReconcileStateMachine"}}
            ]
    assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"


def test_the_schedules_may_start_only_the_reconcile_workflow(transformed: dict[str, Any]) -> None:
    role = transformed["Resources"]["ReconcileTimerRole"]["Properties"]
    [statement] = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    [policy] = role["Policies"]
    assert policy["PolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Action": "states:StartExecution", "Resource": {"Ref": "ReconcileStateMachine"}}
    ]
