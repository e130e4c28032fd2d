"""Cost per million events on AWS list prices, from the *measured* figures of the throughput run.

Everything per event comes from the local run (:mod:`.throughput`): Lambda invocations and mean
durations per function, executions per event, state transitions (states entered + retries, from
the execution histories), the bytes an Express execution logs at level ``ALL`` with execution data
(the history events shaped as Step Functions' log events), the functions' own log bytes (Powertools
JSON logs and EMF metrics), SQS requests and the pipe's batches.

**Local durations stand in for Lambda's.** They were measured on this machine against the local
emulator (a loopback SOLIDserver answering in about a millisecond), with all five functions sharing
one Python process. A real appliance is slower per call and a 256 MB arm64 function has about 1/7 of
a vCPU, so real durations will be longer: the *sensitivity* line gives the Lambda cost of every
additional 10 ms per SOLIDserver call.

Two workflow types are priced: **Express** (the chosen design: requests + duration at 64 MB,
logging ``ALL`` with execution data as in template.yaml) and **Standard** (per state transition;
its history is kept by the service for 90 days, so it is priced without execution logging).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

#: us-east-1 list prices, USD. ``verified``: how the figure was checked from here (this machine has
#: no live access to aws.amazon.com; the stored copies of the official pricing pages render their
#: rate tables client-side, so most numbers were cross-checked against third-party summaries).
PRICES_DATE = "2026-11-27"
PRICES: dict[str, dict[str, Any]] = {
    "lambda_request": {
        "usd": 0.20 / 1e6,
        "unit": "request",
        "source": "aws.amazon.com/lambda/pricing",
        "verified": "third-party summaries (2026); official table not readable offline",
    },
    "lambda_gb_s_arm64": {
        "usd": 0.0000133334,
        "unit": "GB-second (arm64, first 7.5 billion GB-s/month)",
        "source": "aws.amazon.com/lambda/pricing",
        "verified": "third-party summaries (2026); official table not readable offline",
    },
    "sfn_express_request": {
        "usd": 1.00 / 1e6,
        "unit": "Express execution",
        "source": "aws.amazon.com/step-functions/pricing",
        "verified": "third-party summary (2026-03); billing rules (100 ms, 64 MB) on the official page",
    },
    "sfn_express_gb_s": {
        "usd": 0.00001667,
        "unit": "GB-second (first 1,000 GB-hours/month; 100 ms and 64 MB increments)",
        "source": "aws.amazon.com/step-functions/pricing",
        "verified": "third-party summary (2026-03); billing rules on the official page",
    },
    "sfn_standard_transition": {
        "usd": 25.0 / 1e6,
        "unit": "state transition (incl. retries; 4,000 free/month)",
        "source": "aws.amazon.com/step-functions/pricing",
        "verified": "third-party summary (2026-03); counting rule on the official page",
    },
    "sqs_fifo_request": {
        "usd": 0.50 / 1e6,
        "unit": "FIFO request (per 64 KB chunk)",
        "source": "aws.amazon.com/sqs/pricing",
        "verified": "third-party summaries (2026-03, 2026-06)",
    },
    "pipes_request": {
        "usd": 0.40 / 1e6,
        "unit": "pipe request (per 64 KB chunk, after filtering)",
        "source": "aws.amazon.com/eventbridge/pricing",
        "verified": "third-party summaries (2026-03, 2026-06)",
    },
    "eventbridge_aws_event": {
        "usd": 0.0,
        "unit": "AWS service event on the default bus (and its delivery to a Lambda target)",
        "source": "aws.amazon.com/eventbridge/pricing",
        "verified": "third-party summaries (2026): AWS service events are free",
    },
    "logs_ingest_gb": {
        "usd": 0.50,
        "unit": "GB ingested (Standard class; vended logs first 10 TB)",
        "source": "aws.amazon.com/cloudwatch/pricing",
        "verified": "third-party summaries (2026-06)",
    },
    "logs_store_gb_month": {
        "usd": 0.03,
        "unit": "GB-month archived (billed compressed: the uncompressed size used here is an upper bound)",
        "source": "aws.amazon.com/cloudwatch/pricing",
        "verified": "third-party summaries (2026-06)",
    },
    "xray_trace": {
        "usd": 5.00 / 1e6,
        "unit": "trace recorded (100,000 free/month)",
        "source": "aws.amazon.com/xray/pricing",
        "verified": "official page (stored copy, de): 5 USD per million",
    },
    "custom_metric_month": {
        "usd": 0.30,
        "unit": "custom metric per month (first 10,000; EMF metrics count)",
        "source": "aws.amazon.com/cloudwatch/pricing",
        "verified": "UNVERIFIED here (list price as commonly published)",
    },
    "alarm_month": {
        "usd": 0.10,
        "unit": "standard-resolution alarm per month",
        "source": "aws.amazon.com/cloudwatch/pricing",
        "verified": "UNVERIFIED here (list price as commonly published)",
    },
    "secret_month": {
        "usd": 0.40,
        "unit": "secret per month (+ $0.05 per 10,000 GetSecretValue, cached 5 min per container)",
        "source": "aws.amazon.com/secrets-manager/pricing",
        "verified": "UNVERIFIED here (list price as commonly published)",
    },
}

LAMBDA_MEMORY_GB = 256 / 1024
EXPRESS_MEMORY_GB = 64 / 1024
CHUNK = 64 * 1024
#: Lambda's START/END/REPORT lines per invocation (REPORT carries the X-Ray trace id): an estimate.
PLATFORM_LOG_BYTES = 350
#: Traces per event before sampling: the enrich invocation (asynchronous, from EventBridge) and the
#: execution (the sync functions join the state machine's trace).
TRACES_PER_EVENT = 2
#: Share of traces X-Ray records. The default rule records 1 request/s plus 5 %: a million events a
#: month (0.4/s on average) is almost entirely inside the reservoir, so 1.0 is the honest bound.
SAMPLED = 1.0
RETENTION_DAYS = 30
MILLION = 1_000_000


def _price(key: str) -> float:
    return float(PRICES[key]["usd"])


def compute(tp: Mapping[str, Any]) -> dict[str, Any]:
    """Cost per million events for Express and Standard from a throughput result."""
    events = tp["events"]
    if not events:
        raise ValueError("the throughput run has no events")
    functions = tp["functions"]
    ex = tp["executions"]
    q = tp["queue"]
    exec_per_event = ex["per_event"]
    invocations = sum(f["per_event"] for f in functions.values())
    # Durations: the paced phase's when measured (no backlog: the burst's durations grow with moto's
    # scans of the backlog and of every instance it knows), else the burst's.
    paced = tp.get("paced_durations") or {}
    paced_fn = paced.get("function_duration_ms_mean") or {}
    use_paced = bool(paced_fn) and all(lid in paced_fn for lid in functions) and paced.get("billed_ms_mean")
    durations = {lid: (paced_fn[lid] if use_paced else f["duration_ms_mean"]) for lid, f in functions.items()}
    gb_s = sum(f["per_event"] * durations[lid] / 1000 * LAMBDA_MEMORY_GB for lid, f in functions.items())
    chunks = max(1, math.ceil((ex.get("input_bytes_mean") or 0) / CHUNK))
    sqs_requests = (
        q["sends_per_event"] + q["receives_with_messages_per_event"] + q["deletes_per_event"]
    ) * chunks
    fn_log_bytes = tp["logs"]["function_log_bytes_per_event"] + invocations * PLATFORM_LOG_BYTES
    sfn_log_bytes = ex["log_bytes_per_execution"] * exec_per_event
    transitions = ex["transitions_per_execution"] * exec_per_event
    billed_ms = paced["billed_ms_mean"] if use_paced else ex.get("billed_ms_mean")
    billed_s = (billed_ms or 100) / 1000
    duration_source = "paced phase (no backlog)" if use_paced else "burst"

    def line(item: str, quantity: float, unit: str, price_key: str, note: str = "") -> dict[str, Any]:
        usd = quantity * MILLION * _price(price_key)
        return {
            "item": item,
            "per_event": round(quantity, 6),
            "unit": unit,
            "price_key": price_key,
            "usd_per_million": round(usd, 2),
            "note": note,
        }

    common = [
        line("Lambda requests", invocations, "invocations", "lambda_request"),
        line(
            "Lambda duration (256 MB arm64)",
            gb_s,
            "GB-s",
            "lambda_gb_s_arm64",
            "local durations stand in for Lambda's: "
            + ", ".join(f"{lid.removesuffix('Function').lower()} {d:.0f} ms" for lid, d in durations.items())
            + f" ({duration_source})",
        ),
        line(
            "SQS FIFO requests (send, receive, delete)",
            sqs_requests,
            "requests",
            "sqs_fifo_request",
            "the pipe's empty long-poll receives are a fixed monthly cost, below",
        ),
        line("EventBridge Pipes", exec_per_event * chunks, "requests", "pipes_request"),
        line(
            "EventBridge rule (EC2 state-change events)",
            1.0,
            "events",
            "eventbridge_aws_event",
            "AWS service events are free",
        ),
        line(
            "CloudWatch Logs: functions (JSON logs, EMF, platform lines)",
            fn_log_bytes / 1e9,
            "GB",
            "logs_ingest_gb",
            f"{fn_log_bytes:,.0f} B/event measured (+{PLATFORM_LOG_BYTES} B/invocation estimated)",
        ),
        line(
            "X-Ray traces",
            TRACES_PER_EVENT * SAMPLED,
            "traces",
            "xray_trace",
            "enrich + execution per event, all sampled (upper bound)",
        ),
    ]
    express = [
        line("Step Functions Express requests", exec_per_event, "executions", "sfn_express_request"),
        line(
            "Step Functions Express duration (64 MB)",
            exec_per_event * billed_s * EXPRESS_MEMORY_GB,
            "GB-s",
            "sfn_express_gb_s",
            f"{billed_ms} ms billed per execution (local, {duration_source}, rounded up to 100 ms)",
        ),
        line(
            "CloudWatch Logs: executions (level ALL + execution data)",
            sfn_log_bytes / 1e9,
            "GB",
            "logs_ingest_gb",
            f"{ex['log_bytes_per_execution']:,} B per execution, from the histories",
        ),
    ]
    standard = [
        line(
            "Step Functions Standard transitions",
            transitions,
            "transitions",
            "sfn_standard_transition",
            f"{ex['transitions_per_execution']} per execution",
        ),
    ]
    storage_gb = (fn_log_bytes + sfn_log_bytes) / 1e9
    storage_standard_gb = fn_log_bytes / 1e9
    express.append(
        line(
            "CloudWatch Logs storage (30 days)",
            storage_gb * RETENTION_DAYS / 30,
            "GB-month",
            "logs_store_gb_month",
            "upper bound (billed compressed)",
        )
    )
    standard.append(
        line(
            "CloudWatch Logs storage (30 days)",
            storage_standard_gb * RETENTION_DAYS / 30,
            "GB-month",
            "logs_store_gb_month",
            "upper bound (billed compressed)",
        )
    )
    lines = {"express": common + express, "standard": common + standard}
    totals = {k: round(sum(x["usd_per_million"] for x in v), 2) for k, v in lines.items()}

    metrics = len(tp["logs"].get("emf_metrics") or [])
    fixed = [
        {
            "item": f"custom metrics (EMF, {metrics} seen in the run)",
            "usd_per_month": round(metrics * PRICES["custom_metric_month"]["usd"], 2),
        },
        {"item": "4 CloudWatch alarms", "usd_per_month": round(4 * PRICES["alarm_month"]["usd"], 2)},
        {"item": "Secrets Manager secret", "usd_per_month": PRICES["secret_month"]["usd"]},
        {
            "item": "pipe's idle long polling (≈ 5 pollers x 3 empty receives/min, an estimate)",
            "usd_per_month": round(5 * 3 * 60 * 24 * 30 * _price("sqs_fifo_request"), 2),
        },
    ]
    calls = tp["solidserver"]["calls_per_event"] or 0
    sensitivity = round(calls * 0.010 * LAMBDA_MEMORY_GB * _price("lambda_gb_s_arm64") * MILLION, 2)
    no_data = ex.get("log_bytes_no_data_per_execution")
    options = {}
    if no_data is not None:
        saved = (
            (ex["log_bytes_per_execution"] - no_data)
            * exec_per_event
            / 1e9
            * _price("logs_ingest_gb")
            * MILLION
        )
        options["express_logs_without_execution_data_saves_usd_per_million"] = round(saved, 2)
        options["express_log_bytes_without_execution_data"] = no_data
    options["express_logs_level_error_saves_usd_per_million"] = round(
        sfn_log_bytes / 1e9 * _price("logs_ingest_gb") * MILLION, 2
    )
    return {
        "prices_date": PRICES_DATE,
        "inputs": {
            "events_measured": events,
            "lambda_invocations_per_event": round(invocations, 3),
            "lambda_gb_s_per_event": round(gb_s, 6),
            "durations_from": duration_source,
            "lambda_duration_ms_mean": durations,
            "express_billed_ms_mean": billed_ms,
            "executions_per_event": exec_per_event,
            "transitions_per_execution": ex["transitions_per_execution"],
            "sfn_log_bytes_per_execution": ex["log_bytes_per_execution"],
            "function_log_bytes_per_event": tp["logs"]["function_log_bytes_per_event"],
            "message_chunks": chunks,
            "sqs_requests_per_event": round(sqs_requests, 3),
            "solidserver_calls_per_event": calls,
        },
        "lines": lines,
        "totals": totals,
        "fixed_monthly": fixed,
        "fixed_monthly_total": round(sum(f["usd_per_month"] for f in fixed), 2),
        "sensitivity_per_10ms_per_solidserver_call": sensitivity,
        "options": options,
    }


def _per_event_text(line: Mapping[str, Any]) -> str:
    q, unit = float(line["per_event"]), str(line["unit"])
    if unit in ("GB", "GB-month"):
        return f"{q * 1e6:,.1f} KB" + (" (30 days)" if unit == "GB-month" else "")
    if unit == "GB-s":
        return f"{q:.4f} GB-s"
    return f"{q:g} {unit}"


def format_table(result: Mapping[str, Any]) -> str:
    from ipamsync_local.report import table

    express = {x["item"]: x for x in result["lines"]["express"]}
    standard = {x["item"]: x for x in result["lines"]["standard"]}
    items = list(dict.fromkeys([*express, *standard]))
    rows = []
    for item in items:
        e, s = express.get(item), standard.get(item)
        ref = e or s
        assert ref is not None
        rows.append(
            (
                item,
                _per_event_text(ref),
                f"${e['usd_per_million']:.2f}" if e else "-",
                f"${s['usd_per_million']:.2f}" if s else "-",
            )
        )
    rows.append(
        (
            "Total per million events",
            "",
            f"${result['totals']['express']:.2f}",
            f"${result['totals']['standard']:.2f}",
        )
    )
    text = table(
        ("item (us-east-1, free tiers ignored)", "per event (measured)", "Express (chosen)", "Standard"), rows
    )
    fixed = "; ".join(f"{f['item']} ${f['usd_per_month']:.2f}" for f in result["fixed_monthly"])
    opts = result["options"]
    lines = [
        text,
        f"Prices: list prices of {result['prices_date']} (docs/benchmarks.md: each price and how it was "
        "checked). Lambda durations are this machine's (loopback emulator, shared process): they stand in "
        "for Lambda's. Every additional 10 ms per SOLIDserver call adds "
        f"${result['sensitivity_per_10ms_per_solidserver_call']:.2f} "
        "per million events.",
        f"Fixed per month: {fixed} (≈ ${result['fixed_monthly_total']:.2f}).",
        "Standard is priced without execution logging (its history stays in the service for 90 days) and "
        "could not keep per-instance order (pipes start Standard workflows fire-and-forget only).",
    ]
    if "express_logs_without_execution_data_saves_usd_per_million" in opts:
        lines.append(
            "Express log options: without execution data "
            f"({opts['express_log_bytes_without_execution_data']:,} B/execution) saves "
            f"${opts['express_logs_without_execution_data_saves_usd_per_million']:.2f}; level ERROR saves "
            f"${opts['express_logs_level_error_saves_usd_per_million']:.2f} per million events."
        )
    return "\n".join(lines)


def price_table() -> str:
    """The price table as markdown (docs/benchmarks.md)."""
    rows = ["| price | USD | unit | source | checked |", "|---|---|---|---|---|"]
    for key, p in PRICES.items():
        usd = p["usd"]
        shown = (
            f"{usd * 1e6:.2f} per million"
            if 0 < usd < 1e-4 and p["unit"].split(" ")[0] not in ("GB-second",)
            else f"{usd:g}"
        )
        rows.append(f"| `{key}` | {shown} | {p['unit']} | {p['source']} | {p['verified']} |")
    return "\n".join(rows)
