"""Cost per million events on AWS list prices (:mod:`.prices`), from what a run *measured*.

The input is a :func:`.usage.usage` document (per event: Lambda invocations and mean durations per
function, executions, state transitions, execution log bytes, message size, SQS requests, function
log bytes, EMF metrics, SOLIDserver calls), normally the throughput section's.

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

from ipamsync_local.bench.fmt import Block, Table
from ipamsync_local.bench.names import short
from ipamsync_local.bench.prices import PRICES_DATE, price, price_table
from ipamsync_local.bench.sections import Context

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
MILLION = 1_000_000
COST_RUN_LAUNCHES = (100, 25)  # when no throughput figures exist: a small run for the cost model
BOTH, EXPRESS, STANDARD = ("express", "standard"), ("express",), ("standard",)


def _line(
    item: str,
    quantity: float,
    unit: str,
    price_key: str,
    workflows: tuple[str, ...] = BOTH,
    note: str = "",
    standard_quantity: float | None = None,
) -> dict[str, Any]:
    """One item: its quantity per event and its USD per million events for each workflow type."""
    quantities = {
        "express": quantity,
        "standard": quantity if standard_quantity is None else standard_quantity,
    }
    usd = {
        w: round(q * MILLION * price(price_key), 2) if w in workflows else None for w, q in quantities.items()
    }
    return {"item": item, "per_event": round(quantity, 6), "unit": unit, **usd, "note": note}


def compute(u: Mapping[str, Any]) -> dict[str, Any]:
    """Cost per million events for Express and Standard from a usage document.

    One piece on purpose: the list of line items is the cost table itself, each item next to the
    quantity it prices, in the order the docs show them."""
    if not u["events"]:
        raise ValueError("the run has no events")
    lambdas, per_exec = u["lambda"], u["executions_per_event"]
    invocations = sum(f["per_event"] for f in lambdas.values())
    gb_s = sum(f["per_event"] * f["duration_ms"] / 1000 * LAMBDA_MEMORY_GB for f in lambdas.values())
    chunks = max(1, math.ceil((u["message_bytes"] or 0) / CHUNK))
    fn_log_bytes = u["function_log_bytes_per_event"] + invocations * PLATFORM_LOG_BYTES
    sfn_log_bytes = u["execution_log_bytes"] * per_exec
    billed_ms = u["express_billed_ms"] or 100
    durations = ", ".join(f"{short(lid)} {f['duration_ms']:.0f} ms" for lid, f in lambdas.items())
    lines = [
        _line("Lambda requests", invocations, "invocations", "lambda_request"),
        _line(
            "Lambda duration (256 MB arm64)",
            gb_s,
            "GB-s",
            "lambda_gb_s_arm64",
            note=f"local durations stand in for Lambda's: {durations} ({u['durations_from']})",
        ),
        _line(
            "SQS FIFO requests (send, receive, delete)",
            sum(u["sqs_requests_per_event"].values()) * chunks,
            "requests",
            "sqs_fifo_request",
            note="the pipe's empty long-poll receives are a fixed monthly cost, below",
        ),
        _line("EventBridge Pipes", per_exec * chunks, "requests", "pipes_request"),
        _line(
            "EventBridge rule (EC2 state-change events)",
            1.0,
            "events",
            "eventbridge_aws_event",
            note="AWS service events are free",
        ),
        _line(
            "CloudWatch Logs: functions (JSON logs, EMF, platform lines)",
            fn_log_bytes / 1e9,
            "GB",
            "logs_ingest_gb",
            note=f"{u['function_log_bytes_per_event']:,} B/event measured "
            f"(+{PLATFORM_LOG_BYTES} B/invocation estimated)",
        ),
        _line(
            "X-Ray traces",
            TRACES_PER_EVENT * SAMPLED,
            "traces",
            "xray_trace",
            note="enrich + execution per event, all sampled (upper bound)",
        ),
        _line("Step Functions Express requests", per_exec, "executions", "sfn_express_request", EXPRESS),
        _line(
            "Step Functions Express duration (64 MB)",
            per_exec * billed_ms / 1000 * EXPRESS_MEMORY_GB,
            "GB-s",
            "sfn_express_gb_s",
            EXPRESS,
            f"{billed_ms} ms billed per execution (local, {u['durations_from']}, rounded up to 100 ms)",
        ),
        _line(
            "CloudWatch Logs: executions (level ALL + execution data)",
            sfn_log_bytes / 1e9,
            "GB",
            "logs_ingest_gb",
            EXPRESS,
            f"{u['execution_log_bytes']:,} B per execution, from the histories",
        ),
        _line(
            "CloudWatch Logs storage (30 days)",
            (fn_log_bytes + sfn_log_bytes) / 1e9,
            "GB-month",
            "logs_store_gb_month",
            note="upper bound (billed compressed)",
            standard_quantity=fn_log_bytes / 1e9,
        ),
        _line(
            "Step Functions Standard transitions",
            u["transitions_per_execution"] * per_exec,
            "transitions",
            "sfn_standard_transition",
            STANDARD,
            f"{u['transitions_per_execution']} per execution",
        ),
    ]
    return {
        "prices_date": PRICES_DATE,
        "lines": lines,
        "totals": {w: round(sum(x[w] for x in lines if x[w] is not None), 2) for w in BOTH},
        **_fixed(u),
        "sensitivity_per_10ms_per_solidserver_call": round(
            u["solidserver_calls_per_event"]
            * 0.010
            * LAMBDA_MEMORY_GB
            * price("lambda_gb_s_arm64")
            * MILLION,
            2,
        ),
        "options": _log_options(u),
    }


def _fixed(u: Mapping[str, Any]) -> dict[str, Any]:
    metrics = u["emf_metrics"]
    fixed = [
        {
            "item": f"custom metrics (EMF, {metrics} seen in the run)",
            "usd_per_month": round(metrics * price("custom_metric_month"), 2),
        },
        {"item": "4 CloudWatch alarms", "usd_per_month": round(4 * price("alarm_month"), 2)},
        {"item": "Secrets Manager secret", "usd_per_month": price("secret_month")},
        {
            "item": "pipe's idle long polling (≈ 5 pollers x 3 empty receives/min, an estimate)",
            "usd_per_month": round(5 * 3 * 60 * 24 * 30 * price("sqs_fifo_request"), 2),
        },
    ]
    return {"fixed_monthly": fixed, "fixed_monthly_total": round(sum(f["usd_per_month"] for f in fixed), 2)}


def _log_options(u: Mapping[str, Any]) -> dict[str, Any]:
    """What the two cheaper execution-log settings would save per million events."""
    per_exec, full, bare = (
        u["executions_per_event"],
        u["execution_log_bytes"],
        u["execution_log_bytes_no_data"],
    )
    usd_per_byte = per_exec / 1e9 * price("logs_ingest_gb") * MILLION
    return {
        "log_bytes_without_execution_data": bare,
        "without_execution_data_saves": round((full - bare) * usd_per_byte, 2),
        "level_error_saves": round(full * usd_per_byte, 2),
    }


# --------------------------------------------------------------------------- the section


def measure(ctx: Context) -> dict[str, Any]:
    """From this run's throughput figures, else the saved ones (not with ``--quick``), else a small
    throughput run made for the purpose."""
    from ipamsync_local.bench import throughput

    tp, source = ctx.measured.get("throughput"), "this run's throughput section"
    saved = ctx.saved.get("throughput")
    if tp is None and saved is not None and not ctx.quick:
        tp, source = saved["result"], f"the saved throughput section of {saved.get('measured_at')}"
    if tp is None:
        launches = ctx.launches or ctx.size(*COST_RUN_LAUNCHES)
        ctx.log(f"  no throughput figures: measuring {launches} launches + terminations first…")
        tp = throughput.run(launches, paced=0, profile=False, log=ctx.log)
        source = f"a throughput run of {launches} launches made for the cost model"
    result = compute(tp["usage"])
    result["inputs_from"] = f"{source} ({tp['events']} events)"
    return result


def _per_event_text(line: Mapping[str, Any]) -> str:
    q, unit = float(line["per_event"]), str(line["unit"])
    if unit in ("GB", "GB-month"):
        return f"{q * 1e6:,.1f} KB" + (" (30 days)" if unit == "GB-month" else "")
    if unit == "GB-s":
        return f"{q:.4f} GB-s"
    return f"{q:g} {unit}"


def report(result: Mapping[str, Any]) -> list[Block]:
    def usd(value: float | None) -> str:
        return "-" if value is None else f"${value:.2f}"

    rows = [
        (x["item"], _per_event_text(x), usd(x["express"]), usd(x["standard"]), x["note"])
        for x in result["lines"]
    ]
    totals = result["totals"]
    rows.append(
        (
            "**Total per million events**",
            "",
            f"**{usd(totals['express'])}**",
            f"**{usd(totals['standard'])}**",
            "",
        )
    )
    fixed = "; ".join(f"{f['item']} ${f['usd_per_month']:.2f}" for f in result["fixed_monthly"])
    opts = result["options"]
    return [
        Table(("item", "per event (measured)", "Express (chosen)", "Standard", "note"), rows),
        f"us-east-1 list prices of {result['prices_date']}, free tiers ignored; inputs from "
        f"{result.get('inputs_from', '?')}. Lambda durations are local stand-ins: every additional 10 ms per "
        f"SOLIDserver call adds ${result['sensitivity_per_10ms_per_solidserver_call']:.2f}. Fixed per month: "
        f"{fixed}. Standard is priced without execution logging (its history stays in the service for 90 "
        "days) and could not keep per-instance order (pipes start Standard workflows fire-and-forget only).",
        "Execution logs dominate: without execution data "
        f"({opts['log_bytes_without_execution_data']:,} bytes per execution) the Express total drops by "
        f"${opts['without_execution_data_saves']:.2f}, at level ERROR by ${opts['level_error_saves']:.2f} "
        "per million events.",
        "Prices used (`local/ipamsync_local/bench/prices.py`):",
        price_table(),
    ]


def summary(result: Mapping[str, Any]) -> tuple[str, str, str]:
    t = result["totals"]
    return (
        "Cost per million events (us-east-1)",
        f"Express ${t['express']:.2f} (chosen), Standard ${t['standard']:.2f}",
        f"+ ≈ ${result['fixed_monthly_total']:.2f}/month fixed",
    )


def headline(result: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "usd_per_million_express": result["totals"]["express"],
        "usd_per_million_standard": result["totals"]["standard"],
    }
