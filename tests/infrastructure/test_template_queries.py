"""template.yaml: the CloudWatch Logs Insights queries shipped with the stack (README, "Logs Insights")."""

from __future__ import annotations

import re
from typing import Any

from tests.infrastructure.helpers import FUNCTIONS

QUERIES = {
    "FailuresByErrorQuery": "failures-by-error",
    "SlowSolidServerCallsQuery": "slow-solidserver-calls",
    "SkippedMessagesQuery": "stale-and-unchanged-skips",
    "InstanceHistoryQuery": "instance-history",
    "EventTraceQuery": "event-by-correlation-id",
}


def _queries(resources: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resources.items() if v["Type"] == "AWS::Logs::QueryDefinition"}


def test_the_queries_are_saved_under_the_stack_name(resources: dict[str, Any]) -> None:
    queries = _queries(resources)
    assert set(queries) == set(QUERIES)
    for logical, name in QUERIES.items():
        assert queries[logical]["Properties"]["Name"] == {"Fn::Sub": f"${{AWS::StackName}}/{name}"}


def test_the_queries_read_the_functions_log_groups_and_their_fields(resources: dict[str, Any]) -> None:
    function_groups = {f.removesuffix("Function") + "LogGroup" for f in FUNCTIONS}
    for logical, query in _queries(resources).items():
        groups = {g["Ref"] for g in query["Properties"]["LogGroupNames"]}
        assert groups and groups <= function_groups, logical
        text = query["Properties"]["QueryString"]
        assert text.startswith("fields @timestamp"), logical
        # only fields the functions log (README "Metrics, logs and traces")
        fields = set(re.findall(r"\b(correlation_id|instance_id|step|failure\.error|sds_service|ms)\b", text))
        assert fields, logical
    slow = _queries(resources)["SlowSolidServerCallsQuery"]["Properties"]["QueryString"]
    assert 'message = "solidserver call"' in slow and "pct(ms, 95)" in slow
    history = _queries(resources)["InstanceHistoryQuery"]["Properties"]["QueryString"]
    assert 'filter instance_id = "i-' in history and "correlation_id" in history
