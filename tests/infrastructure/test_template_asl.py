"""statemachine/sync.asl.json: linters, substitutions, flow, retries, catches, retry budget."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ipamsync.errors import (
    PERMANENT_ERROR_NAMES,
    RETRY_POLICY,
    TRANSIENT_ERROR_NAMES,
)
from tests.infrastructure.helpers import (
    ASL,
    README,
    SUBSTITUTION_EXAMPLES,
    cfn_lint_wrapped,
    iter_states,
    run,
    tool,
)

LAMBDA_TASKS = {
    "SyncDevice": "DeviceFunctionArn",
    "SyncNetworks": "NetworksFunctionArn",
    "SyncAddresses": "AddressesFunctionArn",
    "SyncDns": "DnsFunctionArn",
    "ReleaseAfterFailure": "DeviceFunctionArn",
}
#: The tasks whose failure is caught into the release-then-dead-letter path.
SYNC_TASKS = ("SyncDevice", "SyncNetworks", "SyncAddresses", "SyncDns")
EXPRESS_LIMIT_SECONDS = 300


def substituted(asl_text: str) -> dict[str, Any]:
    for key, value in SUBSTITUTION_EXAMPLES.items():
        asl_text = asl_text.replace(f"${{{key}}}", value)
    assert "${" not in asl_text
    return json.loads(asl_text)


# --------------------------------------------------------------------------- linters


def test_statelint_accepts_the_definition() -> None:
    proc = run([tool("statelint"), str(ASL)])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_hyphenated_jsonpath_keys(asl_text: str) -> None:
    """statelint 3.1.0 wrongly rejects `$.a-b` paths; the definition does not need any."""
    assert not re.search(r'"\$\$?(\.[A-Za-z0-9_]+)*\.[A-Za-z0-9_]*-', asl_text)


def test_cfn_lint_state_machine_schema(asl_text: str, tmp_path: Path) -> None:
    assert cfn_lint_wrapped(substituted(asl_text), tmp_path) == ""


def test_cfn_lint_wrapper_does_catch_errors(asl_text: str, tmp_path: Path) -> None:
    """Control: the wrapper really runs E3601 (a broken copy must be rejected)."""
    broken = substituted(asl_text)
    device = broken["States"]["SyncDevice"]
    device["TimeoutSeconds"] = "sixty"
    assert "E3601" in cfn_lint_wrapped(broken, tmp_path)


# --------------------------------------------------------------------------- substitutions


def test_every_substitution_is_defined_and_used(asl_text: str, resources: dict[str, Any]) -> None:
    used = set(re.findall(r"\$\{([A-Za-z0-9]+)\}", asl_text))
    defined = set(resources["StateMachine"]["Properties"]["DefinitionSubstitutions"])
    assert used == defined == set(SUBSTITUTION_EXAMPLES)


def test_substitutions_only_inside_strings(asl: dict[str, Any]) -> None:
    """`${X}` never stands for a number: numbers are literal (valid JSON before substitution)."""

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in {
                    "TimeoutSeconds",
                    "IntervalSeconds",
                    "MaxAttempts",
                    "MaxDelaySeconds",
                    "MaxConcurrency",
                }:
                    assert isinstance(value, int), (key, value)
                if key == "BackoffRate":
                    assert isinstance(value, int | float), (key, value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(asl)


# --------------------------------------------------------------------------- shape and flow


def test_state_names(all_states: dict[str, Any]) -> None:
    assert set(all_states) == {
        "SyncDevice",
        "IsDone",
        "NothingToDo",
        "SkipNetworks",
        "SyncNetworks",
        "SyncAddresses",
        "SyncDns",
        "NeedsRefresh",
        "RequestRefresh",
        "Synced",
        "Failed",
        "ReleaseAfterFailure",
        "DeadLetter",
        "DeadLettered",
    }


RECORD = "States.ArrayGetItem($$.Execution.Input, 0)"
BODY = "States.ArrayGetItem($$.Execution.Input[*].body, 0)"


def test_one_record_per_execution_without_a_map(asl: dict[str, Any], template: dict[str, Any]) -> None:
    """The pipe's batch is one record (a Map would log the batch once more and add six events to
    every execution): the device step starts, and every step reads the record's body by index 0."""
    assert asl["StartAt"] == "SyncDevice"
    assert not [s for s in asl["States"].values() if s["Type"] == "Map"]
    source = template["Resources"]["EventPipe"]["Properties"]["SourceParameters"]
    assert source["SqsQueueParameters"]["BatchSize"] == 1
    # the pipe passes the message once, as JSON, without the receipt handle and attributes
    target = template["Resources"]["EventPipe"]["Properties"]["TargetParameters"]
    assert json.loads(target["InputTemplate"].replace("<$.body>", "{}")) == {
        "messageId": "<$.messageId>",
        "receiveCount": "<$.attributes.ApproximateReceiveCount>",
        "body": {},
    }


def test_transitions_stay_in_scope_and_everything_is_reachable(asl: dict[str, Any]) -> None:
    def check(scope: dict[str, Any]) -> None:
        states = scope["States"]
        seen: set[str] = set()
        todo = [scope["StartAt"]]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            assert name in states, f"transition to {name} leaves its scope"
            seen.add(name)
            state = states[name]
            targets = [state.get("Next"), state.get("Default")]
            targets += [c["Next"] for c in state.get("Choices", [])]
            targets += [c["Next"] for c in state.get("Catch", [])]
            todo += [t for t in targets if t]
            if state["Type"] == "Map":
                check(state["ItemProcessor"])
            if state["Type"] == "Parallel":
                for branch in state["Branches"]:
                    check(branch)
        assert seen == set(states), f"unreachable: {set(states) - seen}"

    check(asl)


def test_comments_everywhere(all_states: dict[str, Any], asl: dict[str, Any]) -> None:
    assert asl.get("Comment")
    missing = [name for name, state in all_states.items() if not state.get("Comment")]
    assert not missing


def test_device_runs_first_and_returns_the_guard_fields(item_states: dict[str, Any]) -> None:
    device = item_states["SyncDevice"]
    assert device["Resource"] == "arn:aws:states:::lambda:invoke"
    assert device["Parameters"] == {
        "FunctionName": "${DeviceFunctionArn}",
        "Payload": {
            "message.$": BODY,
            "execution.$": "$$.Execution.Name",
            "started.$": "$$.Execution.StartTime",
            # the batch's size: the step refuses more than the one record every step reads
            "batch.$": "States.ArrayLength($$.Execution.Input)",
        },
    }
    assert device["ResultSelector"] == {
        "device": {
            "stale.$": "$.Payload.stale",
            "unchanged.$": "$.Payload.unchanged",
            "complete.$": "$.Payload.complete",
            "lifecycle.$": "$.Payload.lifecycle",
            "device_id.$": "$.Payload.device_id",
            "interfaces.$": "$.Payload.interfaces",
            "lease_id.$": "$.Payload.lease_id",
            "refresh.$": "$.Payload.refresh",
        }
    }
    # the result replaces the batch: later states carry only small results
    assert device["ResultPath"] == "$"
    assert device["Next"] == "IsDone"


def test_choices(item_states: dict[str, Any]) -> None:
    is_done = item_states["IsDone"]
    assert is_done["Default"] == "SyncNetworks"
    [lookup, rule, complete, gone] = is_done["Choices"]
    # a lookup (no lease, nothing to write) goes straight to its refresh requests
    assert lookup["Next"] == "NeedsRefresh"
    assert {"Variable": "$.device.lifecycle", "StringEquals": "lookup"} in lookup["And"]
    assert rule["Next"] == "NothingToDo"
    tests = [t for branch in rule["Or"] for t in branch["And"]]
    assert {"Variable": "$.device.stale", "BooleanEquals": True} in tests
    assert {"Variable": "$.device.unchanged", "BooleanEquals": True} in tests
    assert item_states["NothingToDo"]["Type"] == "Succeed"
    # only the device's own fields changed: SyncDevice wrote them and gave the lease back
    assert complete["Next"] == "Synced"
    assert {"Variable": "$.device.complete", "BooleanEquals": True} in complete["And"]

    assert gone["Next"] == "SkipNetworks"
    assert {"Variable": "$.device.lifecycle", "StringEquals": "gone"} in gone.get("And", [gone])
    skip = item_states["SkipNetworks"]
    assert skip["Type"] == "Pass"
    assert skip["Result"] == {"space_id": None, "public_space_id": None}
    assert skip["ResultPath"] == "$.networks"
    assert skip["Next"] == "SyncAddresses"


def test_networks_then_addresses_then_dns_which_finishes(item_states: dict[str, Any]) -> None:
    networks = item_states["SyncNetworks"]
    assert networks["Parameters"] == {
        "FunctionName": "${NetworksFunctionArn}",
        "Payload": {"message.$": BODY},
    }
    assert networks["ResultSelector"] == {
        "space_id.$": "$.Payload.space_id",
        "public_space_id.$": "$.Payload.public_space_id",
    }
    assert networks["ResultPath"] == "$.networks"
    assert networks["Next"] == "SyncAddresses"

    ip_task = item_states["SyncAddresses"]
    dns_task = item_states["SyncDns"]
    assert ip_task["Parameters"] == {
        "FunctionName": "${AddressesFunctionArn}",
        "Payload": {"message.$": BODY, "device.$": "$.device", "networks.$": "$.networks"},
    }
    # only what later states need travels on (each state's input and output is logged)
    assert ip_task["ResultSelector"] == {"taken.$": "$.Payload.taken"}
    assert ip_task["ResultPath"] == "$.addresses" and ip_task["Next"] == "SyncDns"
    # the last step: DNS, then the lease given back (no ReleaseDevice task, no Parallel)
    assert dns_task["Parameters"] == {
        "FunctionName": "${DnsFunctionArn}",
        "Payload": {
            "message.$": BODY,
            "device.$": "$.device",
            "finish": True,
            "taken.$": "$.addresses.taken",
            "retry.$": "$$.State.RetryCount",
        },
    }
    # it names the refresh requests for the owners addresses were taken from
    assert dns_task["ResultSelector"] == {"entries.$": "$.Payload.refresh.entries"}
    assert dns_task["ResultPath"] == "$.device.refresh" and dns_task["Next"] == "NeedsRefresh"
    assert not [s for s in item_states.values() if s["Type"] == "Parallel"]
    needs = item_states["NeedsRefresh"]
    assert needs["Choices"] == [
        {"Variable": "$.device.refresh.entries[0]", "IsPresent": True, "Next": "RequestRefresh"}
    ]
    assert needs["Default"] == "Synced"
    request = item_states["RequestRefresh"]
    assert request["Resource"] == "arn:aws:states:::events:putEvents"
    assert request["Parameters"] == {"Entries.$": "$.device.refresh.entries"}
    assert request["ResultPath"] is None and request["Next"] == "Synced"
    # a request that cannot be put is left to the instance's next event or the reconcile
    assert request["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.refresh_error", "Next": "Synced"}
    ]
    assert item_states["Synced"]["Type"] == "Succeed"


def test_no_indexed_sub_paths(asl_text: str) -> None:
    """`$.a[0].b` evaluates differently in moto; keep to `$[0]` and plain dotted paths."""
    assert not re.search(r"\[\d+\]\.", asl_text)


# --------------------------------------------------------------------------- retries and catches


def lambda_tasks(asl: dict[str, Any]) -> dict[str, tuple[dict[str, Any], dict[str, Any] | None]]:
    """Lambda task name -> (state, enclosing Parallel state or None)."""
    found: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {}

    def walk(states: dict[str, Any], parallel: dict[str, Any] | None) -> None:
        for name, state in states.items():
            if state["Type"] == "Task" and state["Resource"] == "arn:aws:states:::lambda:invoke":
                found[name] = (state, parallel)
            if state["Type"] == "Map":
                walk(state["ItemProcessor"]["States"], None)
            if state["Type"] == "Parallel":
                for branch in state["Branches"]:
                    walk(branch["States"], state)

    walk(asl["States"], None)
    return found


def test_every_lambda_task_is_known(asl: dict[str, Any]) -> None:
    tasks = lambda_tasks(asl)
    assert set(tasks) == set(LAMBDA_TASKS)
    for name, (state, _) in tasks.items():
        assert state["Parameters"]["FunctionName"] == f"${{{LAMBDA_TASKS[name]}}}"


@pytest.mark.parametrize("name", sorted(LAMBDA_TASKS))
def test_lambda_task_timeout_and_retries_come_from_the_errors_module(asl: dict[str, Any], name: str) -> None:
    """Every Lambda task retries exactly ``ipamsync.errors.RETRY_POLICY`` — built from the error
    classes themselves — so the ASL and the named errors cannot drift apart."""
    state, _ = lambda_tasks(asl)[name]
    assert state["TimeoutSeconds"] == 60
    assert state["Retry"] == [dict(r) for r in RETRY_POLICY], (
        "regenerate the Retry blocks from ipamsync.errors.RETRY_POLICY: "
        + json.dumps([dict(r) for r in RETRY_POLICY])
    )
    transient = next(r for r in state["Retry"] if "SolidServerUnavailable" in r["ErrorEquals"])
    assert transient["ErrorEquals"] == list(TRANSIENT_ERROR_NAMES)


@pytest.mark.parametrize("name", SYNC_TASKS)
def test_a_failed_sync_task_gives_the_lease_back_then_dead_letters(
    asl: dict[str, Any], item_states: dict[str, Any], name: str
) -> None:
    state, parallel = lambda_tasks(asl)[name]
    catcher = parallel if parallel is not None else state
    # the error replaces the state (SyncDevice's input is the batch, an array: "$.error" cannot be
    # set on it); Failed keeps it as $.error, the field the dead-letter record and redrive read
    assert catcher.get("Catch") == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$", "Next": "Failed"}]
    failed = item_states["Failed"]
    assert failed["Type"] == "Pass" and failed["Parameters"] == {"error.$": "$"}
    assert failed["Next"] == "ReleaseAfterFailure"
    release = item_states["ReleaseAfterFailure"]
    assert release["Parameters"]["Payload"] == {
        "release": "failed",
        "message.$": BODY,
        "execution.$": "$$.Execution.Name",
    }
    assert release["Next"] == "DeadLetter"
    assert release["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.release_error", "Next": "DeadLetter"}
    ]
    if parallel is not None:
        assert "Catch" not in state, "a branch state cannot jump out of its branch"


def test_no_retry_on_permanent_errors(asl: dict[str, Any]) -> None:
    retried: list[str] = []
    for _, state, _ in iter_states(asl["States"]):
        for retrier in state.get("Retry", []):
            retried += retrier["ErrorEquals"]
    assert not set(retried) & set(PERMANENT_ERROR_NAMES)
    for name, (state, _) in lambda_tasks(asl).items():
        names = [e for r in state["Retry"] for e in r["ErrorEquals"]]
        assert "States.ALL" not in names, name
        assert "States.TaskFailed" not in names, name


def test_error_names_match_the_errors_module() -> None:
    from ipamsync import errors

    assert not set(TRANSIENT_ERROR_NAMES) & set(PERMANENT_ERROR_NAMES)
    for name in TRANSIENT_ERROR_NAMES:
        assert issubclass(getattr(errors, name), errors.TransientError), name
    for name in PERMANENT_ERROR_NAMES:
        assert issubclass(getattr(errors, name), errors.PermanentError), name


def test_dead_letter_path(item_states: dict[str, Any]) -> None:
    dl = item_states["DeadLetter"]
    assert dl["Type"] == "Task"
    assert dl["Resource"] == "arn:aws:states:::sqs:sendMessage"
    assert dl["Parameters"] == {
        "QueueUrl": "${WorkflowDeadLetterQueueUrl}",
        "MessageBody": {
            "kind": "workflow",
            "record.$": f"States.JsonMerge({RECORD}, $, false)",
            "execution_arn.$": "$$.Execution.Id",
            "state_machine_arn.$": "$$.StateMachine.Id",
            "dead_lettered_at.$": "$$.State.EnteredTime",
        },
    }
    assert "ResultPath" in dl and dl["ResultPath"] is None
    [retrier] = dl["Retry"]
    assert set(retrier["ErrorEquals"]) == {
        "SQS.SdkClientException",
        "SQS.AmazonSQSException",
        "States.TaskFailed",
    }
    assert retrier["MaxAttempts"] == 3
    assert retrier["BackoffRate"] > 1
    assert retrier["JitterStrategy"] == "FULL"
    assert "Catch" not in dl
    assert dl["Next"] == "DeadLettered"
    fail = item_states["DeadLettered"]
    assert fail["Type"] == "Fail"
    assert fail["Error"] == "EventDeadLettered"
    assert "dead-letter queue" in fail["Cause"]


# --------------------------------------------------------------------------- retry budget


def max_wait(retrier: dict[str, Any]) -> float:
    """Longest total sleep a retrier can add (full jitter draws from [0, delay])."""
    interval = retrier.get("IntervalSeconds", 1)
    rate = retrier.get("BackoffRate", 2.0)
    cap = retrier.get("MaxDelaySeconds", float("inf"))
    return sum(min(interval * rate**n, cap) for n in range(retrier.get("MaxAttempts", 3)))


def retry_budget(asl: dict[str, Any]) -> dict[str, float]:
    """Worst-case waiting: the success path (Device → Networks → Addresses → DNS, which gives the
    lease back → RequestRefresh) and the failure path (the same sync tasks, the last one failing,
    → ReleaseAfterFailure → DeadLetter)."""
    tasks = {name: state for name, (state, _) in lambda_tasks(asl).items()}
    per_task = {name: sum(max_wait(r) for r in state["Retry"]) for name, state in tasks.items()}
    item = asl["States"]
    dead_letter = sum(max_wait(r) for r in item["DeadLetter"]["Retry"])
    sync = per_task["SyncDevice"] + per_task["SyncNetworks"] + per_task["SyncAddresses"] + per_task["SyncDns"]
    refresh = sum(max_wait(r) for r in item["RequestRefresh"]["Retry"])
    success = sync + refresh
    failure = sync + per_task["ReleaseAfterFailure"] + dead_letter
    return {
        "per_task": max(per_task.values()),
        "path": success,
        "dead_letter": dead_letter,
        "total": max(success, failure),
    }


def test_retry_budget_well_inside_the_express_limit(asl: dict[str, Any]) -> None:
    budget = retry_budget(asl)
    # Worst-case sleeping along Device -> Networks -> Addresses -> DNS (-> ReleaseAfterFailure -> DeadLetter) leaves
    # at least 25 % of the 5 minutes for the attempts themselves.
    assert budget["total"] <= 0.75 * EXPRESS_LIMIT_SECONDS, budget


def test_readme_states_the_retry_budget(asl: dict[str, Any]) -> None:
    budget = retry_budget(asl)
    text = README.read_text()
    for key in ("per_task", "path", "total"):
        assert f"{budget[key]:g} s" in text, f"README does not state the {key} budget ({budget[key]:g} s)"
