"""What the pipeline used per event, measured in a run: the inputs of the cost model (:mod:`.cost`).

Between two :class:`Mark` s of a :class:`~ipamsync_local.aws.LocalAws`: Lambda invocations and
mean durations per function (the local Lambda service's counters), executions, state transitions
(states entered + retries, from the execution histories), the bytes an Express execution logs at
level ``ALL`` with and without execution data (:func:`history_figures`), the message size, SQS
requests (enrich's sends, the pipe's receives and deletes), the functions' own log bytes and their
EMF metrics (:func:`emf_metrics`). The cost section (:mod:`.cost`) prices its own scenarios with
:func:`history_figures`.
"""

from __future__ import annotations

import collections
import json
import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ipamsync_local.bench.names import ENRICH_FUNCTION


@dataclass(frozen=True)
class Mark:
    """The counters of a local pipeline at one moment."""

    lambdas: dict[str, Any]
    executions: int
    pipe: dict[str, Any]
    log_offset: int


def mark(aws: Any, lambda_log: Path) -> Mark:
    return Mark(
        aws.counters()["lambda"],
        len(aws.recorder.summaries),
        dict(vars(aws.pipe.stats)),
        lambda_log.stat().st_size if lambda_log.exists() else 0,
    )


def _billed(duration_ms: float) -> int:
    """Express bills duration in 100 ms increments."""
    return max(100, math.ceil(duration_ms / 100) * 100)


def durations(aws: Any, since: Mark) -> dict[str, Any]:
    """Mean Lambda durations per function and mean (billed) execution durations since ``since``."""
    functions = {}
    for lid, now in aws.counters()["lambda"].items():
        then = since.lambdas.get(lid, {})
        n = now["invocations"] - then.get("invocations", 0)
        if n:
            functions[lid] = round((now["duration_ms_total"] - then.get("duration_ms_total", 0.0)) / n, 2)
    runs = [s.duration_ms for s in aws.recorder.summaries[since.executions :] if s.duration_ms is not None]
    return {
        "lambda_ms": functions,
        "execution_ms": round(statistics.fmean(runs), 1) if runs else None,
        "billed_ms": round(statistics.fmean(_billed(d) for d in runs), 1) if runs else None,
    }


def usage(
    aws: Any,
    since: Mark,
    lambda_log: Path,
    *,
    events: int,
    solidserver_calls: int,
    timing: Mapping[str, Any] | None = None,
    timing_from: str = "burst",
) -> dict[str, Any]:
    """Per event since ``since``: the cost model's inputs. Durations come from ``timing`` (a
    :func:`durations` result, e.g. of a phase without backlog) when given, else from this span."""
    n = max(1, events)
    lambdas = aws.counters()["lambda"]
    timing = timing or durations(aws, since)
    summaries = aws.recorder.summaries[since.executions :]
    hist: collections.Counter[str] = collections.Counter()
    for s in summaries:
        hist.update(history_figures(aws.executions.get(s.name)[1], s.execution_arn))
    n_exec = max(1, len(summaries))
    pipe = dict(vars(aws.pipe.stats))
    log_text = lambda_log.read_bytes()[since.log_offset :].decode("utf-8", errors="replace")
    invocations = {
        lid: c["invocations"] - since.lambdas.get(lid, {}).get("invocations", 0) for lid, c in lambdas.items()
    }
    return {
        "events": events,
        "lambda": {
            lid: {"per_event": round(k / n, 3), "duration_ms": timing["lambda_ms"].get(lid, 0.0)}
            for lid, k in invocations.items()
        },
        "durations_from": timing_from,
        "executions_per_event": round(len(summaries) / n, 3),
        "transitions_per_execution": round(hist["transitions"] / n_exec, 2),
        "execution_log_bytes": round(hist["log_bytes"] / n_exec),
        "execution_log_bytes_no_data": round(hist["log_bytes_no_data"] / n_exec),
        "message_bytes": round(hist["input_bytes"] / n_exec),
        "express_billed_ms": timing["billed_ms"],
        "sqs_requests_per_event": {
            "send": round(invocations.get(ENRICH_FUNCTION, 0) / n, 3),
            "receive": round((pipe["batches"] - since.pipe["batches"]) / n, 3),
            "delete": round((pipe["deleted"] - since.pipe["deleted"]) / n, 3),
        },
        "function_log_bytes_per_event": round(len(log_text.encode()) / n),
        "emf_metrics": len(emf_metrics(log_text)),
        "solidserver_calls_per_event": round(solidserver_calls / n, 2),
    }


#: History event fields that are "execution data" (left out of the logs without IncludeExecutionData).
_EXECUTION_DATA = frozenset({"input", "output", "parameters", "inputDetails", "outputDetails"})


def history_figures(events: list[Mapping[str, Any]], execution_arn: str) -> dict[str, int]:
    """State transitions (states entered + task retries, what Standard bills) and the bytes an
    Express execution logs at level ALL with execution data: one CloudWatch log event per history
    event, shaped as Step Functions writes them (id, type, details, previous_event_id,
    event_timestamp, execution_arn)."""
    from ipamsync_local.aws.executions import retries_in

    entered = sum(1 for e in events if str(e.get("type", "")).endswith("StateEntered"))
    log_bytes = log_bytes_no_data = 0
    arn = execution_arn.replace(":execution:", ":express:") + ":5b0c3ad4-3f35-4b1e-8a3c-3c8b3b6a1e2f"
    for e in events:
        details = next((v for k, v in e.items() if k.endswith("EventDetails") and isinstance(v, Mapping)), {})
        record = {
            "id": str(e.get("id")),
            "type": e.get("type"),
            "details": details,
            "previous_event_id": str(e.get("previousEventId") or 0),
            "event_timestamp": "1764233400000",
            "execution_arn": arn,
        }
        log_bytes += len(json.dumps(record, separators=(",", ":")).encode())
        record["details"] = {k: v for k, v in details.items() if k not in _EXECUTION_DATA}
        log_bytes_no_data += len(json.dumps(record, separators=(",", ":")).encode())
    started = next((e for e in events if e.get("type") == "ExecutionStarted"), None)
    input_bytes = 0
    if started is not None:
        details = started.get("executionStartedEventDetails") or {}
        input_bytes = len(str(details.get("input", "")).encode())
    return {
        "transitions": entered + retries_in(list(events)),
        "states_entered": entered,
        "history_events": len(events),
        "log_bytes": log_bytes,
        "log_bytes_no_data": log_bytes_no_data,
        "input_bytes": input_bytes,
    }


def emf_metrics(log_text: str) -> list[str]:
    """Distinct custom metrics (name + dimension values) in the functions' EMF output."""
    found: set[str] = set()
    for line in log_text.splitlines():
        if '"_aws"' not in line:
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        meta = doc.get("_aws") or {}
        for block in meta.get("CloudWatchMetrics") or []:
            for dims in block.get("Dimensions") or [[]]:
                values = ",".join(f"{d}={doc.get(d, '')}" for d in dims)
                for metric in block.get("Metrics") or []:
                    found.add(f"{block.get('Namespace')}/{metric.get('Name')}[{values}]")
    return sorted(found)
