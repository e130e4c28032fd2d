"""Cost per million events on AWS list prices (:mod:`.prices`), per scenario and per item, from what
a run of the real pipeline *measured*.

Every scenario of :data:`SCENARIOS` runs through the whole local pipeline (EC2 in moto →
EventBridge → enrich → SQS FIFO → pipe → the Express state machine's real ASL → the four sync
functions → the SOLIDserver emulator) with one pipe worker and the template's defaults (functions
log at ``INFO``). Per scenario the run counts Lambda invocations and their durations per function,
executions, SQS requests, the functions' own log bytes, SOLIDserver calls, and reads each
execution's history: the bytes an Express execution logs are computed from those events, shaped as
Step Functions writes them (:func:`.usage.history_figures`), at each ``ExecutionLogLevel`` /
``IncludeExecutionData`` setting.

**Local durations stand in for Lambda's** (a loopback SOLIDserver answering in about a
millisecond, every function in one Python process): the *sensitivity* figure is the Lambda cost of
every additional 10 ms per SOLIDserver call.

The items (per event, USD per million events): Lambda (requests + 256 MB arm64 duration + the
platform's START/END/REPORT lines are in *function logs*), SQS FIFO + Pipes (send, receive, delete
+ one pipe request), Step Functions (Express request + 64 MB duration, billed per 100 ms),
execution logs (ingest + 30 days' storage, upper bound), function logs (same), X-Ray (traces x
the sampling rule's rate), EventBridge (EC2's events are free; a reconcile's or refresh request's
custom event is not). The headline is the *lifecycle* mix (every event of launch, stop, start and
terminate); replay and reconcile-triggered events are reported and checked on their own.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ipamsync_local.aws.pipe import record_body
from ipamsync_local.bench.fmt import Block, Table, ok
from ipamsync_local.bench.pipeline import PARAMETERS, PipeTap, solidserver_calls
from ipamsync_local.bench.prices import PRICES_DATE, price, price_table
from ipamsync_local.bench.sections import Context
from ipamsync_local.bench.usage import history_figures

LAMBDA_MEMORY_GB = 256 / 1024
EXPRESS_MEMORY_GB = 64 / 1024
#: Lambda's START/END/REPORT lines per invocation (REPORT carries the X-Ray trace id): an estimate,
#: counted only for functions whose ``LoggingConfig`` keeps them (``SystemLogLevel`` INFO or DEBUG,
#: or the text log format).
PLATFORM_LOG_BYTES = 350


def platform_log_bytes(logging_config: Mapping[str, Any]) -> int:
    """The platform lines one invocation of a function with this ``LoggingConfig`` writes."""
    if logging_config.get("LogFormat") == "JSON" and logging_config.get("SystemLogLevel") in (
        "WARN",
        "ERROR",
        "FATAL",
    ):
        return 0
    return PLATFORM_LOG_BYTES


#: template.yaml's TracingSampleRate default: the share of executions the X-Ray sampling rule
#: records (reservoir 0: a million events a month is 0.4/s, a reservoir would trace them all).
SAMPLE_RATE = 0.01
TARGET_USD = 10.00
MILLION = 1_000_000
LOG_USD_PER_GB = price("logs_ingest_gb") + price("logs_store_gb_month")
#: Per log class of the execution log group (template parameter ExecutionLogClass).
EXECUTION_LOG_USD_PER_GB = {
    "STANDARD": LOG_USD_PER_GB,
    "INFREQUENT_ACCESS": price("logs_ingest_gb_ia") + price("logs_store_gb_month"),
}
#: Execution-log settings priced besides the default (level, include execution data).
LOG_SETTINGS = (("ALL", True), ("ALL", False), ("ERROR", True), ("OFF", False))
LIFECYCLE = ("launch", "stop", "start", "terminate")

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


# --------------------------------------------------------------------------- the run


class Driver:
    """The scenarios' actions; each returns the number of executions it causes."""

    def __init__(self, aws: Any) -> None:
        self.aws = aws
        self.instance_id = ""

    def launch(self) -> int:
        self.aws.fleet.ensure_network()
        action = self.aws.fleet.launch("web-cost")
        self.instance_id = action.instance_id
        return len(action.events)

    def _applied(self) -> dict[str, Any]:
        """The newest message of the instance an execution applied."""
        found = []
        for summary in self.aws.executions.list():
            if summary.instance_id == self.instance_id and summary.status == "SUCCEEDED":
                _, events = self.aws.executions.get(summary.name)
                started = next(e for e in events if e["type"] == "ExecutionStarted")
                found += [
                    record_body(r) for r in json.loads(started["executionStartedEventDetails"]["input"])
                ]
        return max(found, key=lambda m: m["observed_at"])

    def replay(self) -> int:
        """The applied message again (what ``ipamsync redrive`` or a duplicate delivery does)."""
        self.aws.send_message(copy.deepcopy(self._applied()), dedup_id=str(uuid.uuid4()))
        return 1

    def reconcile(self) -> int:
        """A snapshot equal to the applied one, observed now (what a reconcile sends for an
        instance that did not change)."""
        message = copy.deepcopy(self._applied())
        message["observed_at"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        message["event"]["id"] = str(uuid.uuid4())
        self.aws.send_message(message, dedup_id=str(uuid.uuid4()))
        return 1

    def stop(self) -> int:
        return len(self.aws.fleet.stop(self.instance_id).events)

    def start(self) -> int:
        return len(self.aws.fleet.start(self.instance_id).events)

    def tag(self) -> int:
        """``CreateTags`` on the running instance (CloudTrail): only the device changes, as in AWS's
        second event of a launch or a start (``running`` after ``pending``) and ``stopping``."""
        self.aws.fleet.tag(self.instance_id, {"cost-center": "cc-42"})
        return 1

    def new_address(self) -> int:
        """``AssignPrivateIpAddresses`` on the running instance (CloudTrail): every step runs, as in
        AWS for an instance with an auto-assigned public IP when it stops (the address goes) or
        starts (a new one)."""
        self.aws.fleet.assign_private_ip(self.instance_id)
        return 1

    def terminate(self) -> int:
        return len(self.aws.fleet.terminate(self.instance_id).events)


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    action: Callable[[Driver], int]
    #: Does an event of this scenario go through enrich (EC2 events do; a replay is put on the
    #: queue by the redrive, a reconcile's snapshot by the reconcile itself)?
    enriched: bool = True


SCENARIOS = (
    Scenario("launch", "launch (pending, running)", Driver.launch),
    Scenario("replay", "replay of an applied event", Driver.replay, enriched=False),
    Scenario(
        "reconcile",
        "reconcile-triggered (snapshot equal to the applied one)",
        Driver.reconcile,
        enriched=False,
    ),
    Scenario("stop", "stop (stopping, stopped)", Driver.stop),
    Scenario("start", "start (pending, running)", Driver.start),
    Scenario("device-only", "only the device changes (a tag; AWS's running after pending)", Driver.tag),
    Scenario(
        "full",
        "every step runs (a new address; AWS's stopped or pending with a public IP)",
        Driver.new_address,
    ),
    Scenario("terminate", "terminate (shutting-down, terminated)", Driver.terminate),
)
#: The AWS-shaped estimate for instances with an auto-assigned public IP: moto moves ``pending`` →
#: ``running`` (and ``stopping`` → ``stopped``) at once, so its pairs are one change and one
#: unchanged snapshot. In AWS each pair of such an instance is one event that moves an address and
#: one that changes only the device: the mean of these two scenarios, per event.
AWS_SHAPED = ("full", "device-only")


def _wait(aws: Any, tap: PipeTap, mark: int, expected: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        aws.wait_idle(timeout)
        if len(tap.since(mark)) >= expected or time.monotonic() > deadline:
            return
        time.sleep(0.05)


def _billed(duration_ms: float) -> int:
    return max(100, math.ceil(duration_ms / 100) * 100)


def record(*, log: Log = _quiet) -> dict[str, Any]:
    """Run every scenario; per scenario what it used (totals over its events)."""
    from ipamsync_local.aws import LocalAws
    from ipamsync_local.emulator import EmulatorServer

    out: dict[str, Any] = {}
    with (
        tempfile.TemporaryDirectory(prefix="ipamsync-bench-cost-") as tmp,
        EmulatorServer(tls=True, seed=True) as emu,
    ):
        lambda_log = Path(tmp) / "lambda.log"
        with LocalAws(
            solidserver_url=emu.url,
            ca_bundle_pem=Path(str(emu.cert_path)).read_text(encoding="utf-8"),
            parameters=PARAMETERS,
            state_dir=Path(tmp) / "state",
            time_scale=0.05,
            pipe_workers=1,
            lambda_log=lambda_log,
        ) as aws:
            tap = PipeTap(aws)
            platform = {
                f.logical_id: platform_log_bytes(f.properties.get("LoggingConfig") or {})
                for f in aws.template.functions().values()
            }
            group = aws.template.properties("StateMachineLogGroup")
            log_class = str(group.get("LogGroupClass") or "STANDARD")
            # warm containers first (a fresh local container pays imports that Lambda pays once)
            warm = Driver(aws)
            mark = tap.mark()
            _wait(aws, tap, mark, warm.launch())
            driver = Driver(aws)
            for sc in SCENARIOS:
                lambdas0 = aws.counters()["lambda"]
                pipe0 = dict(vars(aws.pipe.stats))
                stats0 = emu.admin.stats()
                n_exec0 = len(aws.recorder.summaries)
                log0 = lambda_log.stat().st_size if lambda_log.exists() else 0
                mark = tap.mark()
                events = sc.action(driver)
                _wait(aws, tap, mark, events)
                time.sleep(0.2)
                aws.wait_idle(60)
                out[sc.key] = _usage(aws, sc, events, lambdas0, pipe0, n_exec0, log0, lambda_log, stats0, emu)
                out[sc.key]["execution_log_class"] = log_class
                out[sc.key]["platform_log_bytes"] = sum(
                    platform.get(lid, PLATFORM_LOG_BYTES) * f["invocations"]
                    for lid, f in out[sc.key]["lambda"].items()
                )
                log(f"  {sc.key}: {events} event(s), {out[sc.key]['executions']} execution(s)")
    return out


def _usage(
    aws: Any,
    sc: Scenario,
    events: int,
    lambdas0: Mapping[str, Any],
    pipe0: Mapping[str, Any],
    n_exec0: int,
    log0: int,
    lambda_log: Path,
    stats0: Mapping[str, Any],
    emu: Any,
) -> dict[str, Any]:
    summaries = aws.recorder.summaries[n_exec0:]
    hist = {"transitions": 0, "history_events": 0, "states": []}
    logs = {f"{level}{'+data' if data else ''}": 0 for level, data in LOG_SETTINGS}
    billed = 0
    for s in summaries:
        _, history = aws.executions.get(s.name)
        f = history_figures(history, s.execution_arn)
        hist["transitions"] += f["transitions"]
        hist["history_events"] += f["history_events"]
        hist["states"].append(len(s.states))
        failed = s.status != "SUCCEEDED"
        logs["ALL+data"] += f["log_bytes"]
        logs["ALL"] += f["log_bytes_no_data"]
        logs["ERROR+data"] += f["log_bytes"] if failed else 0  # level ERROR: failed executions only
        billed += _billed(s.duration_ms or 0)
    lambdas = {}
    for lid, now in aws.counters()["lambda"].items():
        then = lambdas0.get(lid, {})
        n = now["invocations"] - then.get("invocations", 0)
        if n:
            ms = now["duration_ms_total"] - then.get("duration_ms_total", 0.0)
            lambdas[lid] = {"invocations": n, "duration_ms": round(ms, 1)}
    pipe = dict(vars(aws.pipe.stats))
    fn_log = lambda_log.read_bytes()[log0:] if lambda_log.exists() else b""
    calls = solidserver_calls(stats0, emu.admin.stats())
    return {
        "label": sc.label,
        "events": events,
        "executions": len(summaries),
        "succeeded": all(s.status == "SUCCEEDED" for s in summaries) and len(summaries) == events,
        "states_per_execution": hist["states"],
        "history_events": hist["history_events"],
        "transitions": hist["transitions"],
        "execution_log_bytes": logs,
        "express_billed_ms": billed,
        "lambda": lambdas,
        "sqs_requests": {
            "send": events,
            "receive": pipe["batches"] - pipe0["batches"],
            "delete": pipe["deleted"] - pipe0["deleted"],
        },
        "pipe_requests": len(summaries),
        "function_log_bytes": len(fn_log),
        "function_log_lines": fn_log.count(b"\n"),
        "traces": len(summaries) + (events if sc.enriched else 0),
        "custom_events": 0 if sc.enriched else (1 if sc.key == "reconcile" else 0),
        "solidserver_calls": sum(calls.values()),
    }


# --------------------------------------------------------------------------- the model


def _platform_bytes(u: Mapping[str, Any]) -> int:
    """The platform lines of a scenario's invocations (measured per function from the template's
    LoggingConfig when the run recorded them, else :data:`PLATFORM_LOG_BYTES` each)."""
    if "platform_log_bytes" in u:
        return int(u["platform_log_bytes"])
    return sum(f["invocations"] for f in u["lambda"].values()) * PLATFORM_LOG_BYTES


def items(
    u: Mapping[str, Any], *, log_setting: str = "ALL+data", sample_rate: float = SAMPLE_RATE
) -> dict[str, float]:
    """USD per million events of one scenario, per item."""
    n = max(1, u["events"])
    lambdas = u["lambda"].values()
    invocations = sum(f["invocations"] for f in lambdas)
    gb_s = sum(f["duration_ms"] / 1000 * LAMBDA_MEMORY_GB for f in lambdas)
    sfn_gb_s = u["express_billed_ms"] / 1000 * EXPRESS_MEMORY_GB
    sqs = sum(u["sqs_requests"].values())
    fn_log_bytes = u["function_log_bytes"] + _platform_bytes(u)
    per_million = {
        "Lambda": invocations * price("lambda_request") + gb_s * price("lambda_gb_s_arm64"),
        "SQS FIFO + Pipes": sqs * price("sqs_fifo_request") + u["pipe_requests"] * price("pipes_request"),
        "Step Functions": u["executions"] * price("sfn_express_request")
        + sfn_gb_s * price("sfn_express_gb_s"),
        "execution logs": u["execution_log_bytes"][log_setting]
        / 1e9
        * EXECUTION_LOG_USD_PER_GB[u.get("execution_log_class", "STANDARD")],
        "function logs": fn_log_bytes / 1e9 * LOG_USD_PER_GB,
        "X-Ray": u["traces"] * sample_rate * price("xray_trace"),
        "EventBridge": u["custom_events"] * price("eventbridge_custom_event"),
    }
    return {k: round(v / n * MILLION, 2) for k, v in per_million.items()}


ITEMS = (
    "Lambda",
    "SQS FIFO + Pipes",
    "Step Functions",
    "execution logs",
    "function logs",
    "X-Ray",
    "EventBridge",
)


def compute(used: Mapping[str, Any]) -> dict[str, Any]:
    """Per scenario and for the lifecycle mix: USD per million events per item, at each log setting."""
    if not used or any(u["events"] < 1 for u in used.values()):
        raise ValueError("a scenario of the run has no events")
    scenarios = []
    for key, u in used.items():
        cost = items(u)
        n = max(1, u["events"])
        scenarios.append(
            {
                "scenario": key,
                "label": u["label"],
                "events": u["events"],
                "succeeded": u["succeeded"],
                "log_bytes_per_event": {k: round(v / n) for k, v in u["execution_log_bytes"].items()},
                "history_events_per_event": round(u["history_events"] / n, 1),
                "function_log_bytes_per_event": round(u["function_log_bytes"] / n),
                "lambda_invocations_per_event": round(
                    sum(f["invocations"] for f in u["lambda"].values()) / n, 2
                ),
                "solidserver_calls_per_event": round(u["solidserver_calls"] / n, 1),
                "usd": [cost[i] for i in ITEMS],
                "total": round(sum(cost.values()), 2),
                "by_log_setting": {
                    s: round(sum(items(u, log_setting=s).values()), 2) for s in u["execution_log_bytes"]
                },
            }
        )
    life = [used[k] for k in LIFECYCLE if k in used]
    merged = _merge(life)
    mix_items = items(merged)
    mix = {
        "events": merged["events"],
        "usd": [mix_items[i] for i in ITEMS],
        "total": round(sum(mix_items.values()), 2),
        "log_bytes_per_event": {
            k: round(v / max(1, merged["events"])) for k, v in merged["execution_log_bytes"].items()
        },
        "by_log_setting": {
            s: round(sum(items(merged, log_setting=s).values()), 2) for s in merged["execution_log_bytes"]
        },
        "x_ray_at_100_percent": round(items(merged, sample_rate=1.0)["X-Ray"], 2),
        "standard_workflow": round(
            merged["transitions"] / max(1, merged["events"]) * price("sfn_standard_transition") * MILLION, 2
        ),
    }
    shaped = [used[k] for k in AWS_SHAPED if k in used]
    if len(shaped) == len(AWS_SHAPED):
        aws_items = items(_merge(shaped))
        mix["aws_shaped_public_ip"] = round(sum(aws_items.values()), 2)
    calls_per_event = merged["solidserver_calls"] / max(1, merged["events"])
    return {
        "prices_date": PRICES_DATE,
        "sample_rate": SAMPLE_RATE,
        "target_usd": TARGET_USD,
        "scenarios": scenarios,
        "mix": mix,
        "sensitivity_per_10ms_per_solidserver_call": round(
            calls_per_event * 0.010 * LAMBDA_MEMORY_GB * price("lambda_gb_s_arm64") * MILLION, 2
        ),
        "fixed_monthly": _fixed(),
    }


def _merge(usages: list[Mapping[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "events": 0,
        "executions": 0,
        "transitions": 0,
        "express_billed_ms": 0,
        "pipe_requests": 0,
        "function_log_bytes": 0,
        "platform_log_bytes": 0,
        "traces": 0,
        "custom_events": 0,
        "solidserver_calls": 0,
        "execution_log_bytes": {},
        "sqs_requests": {},
        "lambda": {},
        "execution_log_class": next(
            (u["execution_log_class"] for u in usages if "execution_log_class" in u), "STANDARD"
        ),
    }
    for u in usages:
        for k in (
            "events",
            "executions",
            "transitions",
            "express_billed_ms",
            "pipe_requests",
            "function_log_bytes",
            "traces",
            "custom_events",
            "solidserver_calls",
        ):
            out[k] += u[k]
        out["platform_log_bytes"] += _platform_bytes(u)
        for k, v in u["execution_log_bytes"].items():
            out["execution_log_bytes"][k] = out["execution_log_bytes"].get(k, 0) + v
        for k, v in u["sqs_requests"].items():
            out["sqs_requests"][k] = out["sqs_requests"].get(k, 0) + v
        for lid, f in u["lambda"].items():
            acc = out["lambda"].setdefault(lid, {"invocations": 0, "duration_ms": 0.0})
            acc["invocations"] += f["invocations"]
            acc["duration_ms"] += f["duration_ms"]
    return out


def _fixed() -> list[dict[str, Any]]:
    return [
        {"item": "4 CloudWatch alarms", "usd_per_month": round(4 * price("alarm_month"), 2)},
        {"item": "Secrets Manager secret", "usd_per_month": price("secret_month")},
        {
            "item": "pipe's idle long polling (≈ 5 pollers x 3 empty receives/min, an estimate)",
            "usd_per_month": round(5 * 3 * 60 * 24 * 30 * price("sqs_fifo_request"), 2),
        },
        {
            "item": "custom metrics (EMF, per metric and dimension set)",
            "usd_per_month": price("custom_metric_month"),
        },
    ]


# --------------------------------------------------------------------------- the section


def measure(ctx: Context) -> dict[str, Any]:
    return compute(record(log=ctx.log))


def targets(result: Mapping[str, Any]) -> list[tuple[str, bool]]:
    target, mix = result["target_usd"], result["mix"]["total"]
    by = {s["scenario"]: s for s in result["scenarios"]}
    out = [(f"cost: lifecycle mix ≤ ${target:.2f} per million events (${mix:.2f})", mix <= target)]
    out += [(f"cost: {s['scenario']} succeeded", s["succeeded"]) for s in result["scenarios"]]
    if "replay" in by and "launch" in by:
        replay, launch = by["replay"]["total"], by["launch"]["total"]
        out.append(
            (f"cost: a replay costs less than a new event (${replay:.2f} < ${launch:.2f})", replay < launch)
        )
    if "device-only" in by and "full" in by:
        only, full = by["device-only"], by["full"]
        out.append(
            (
                f"cost: a change of the device alone ends after SyncDevice "
                f"({only['lambda_invocations_per_event']:g} vs {full['lambda_invocations_per_event']:g} "
                "Lambda invocations per event)",
                only["lambda_invocations_per_event"] < full["lambda_invocations_per_event"],
            )
        )
    return out


def by_item(s: Mapping[str, Any]) -> dict[str, float]:
    """A scenario's (or the mix's) USD per million events by item (saved as a list, in ITEMS order)."""
    return dict(zip(ITEMS, s["usd"], strict=True))


def _usd(v: float) -> str:
    return f"${v:.2f}"


SETTINGS = ("ALL+data", "ALL", "ERROR+data", "OFF")


def _row(label: str, s: Mapping[str, Any], events: str, calls: str) -> tuple[str, ...]:
    log = f"{s['log_bytes_per_event']['ALL+data']:,} B"
    return (label, log, events, calls, *(_usd(by_item(s)[i]) for i in ITEMS), f"**{_usd(s['total'])}**")


def _setting_row(label: str, s: Mapping[str, Any]) -> tuple[str, ...]:
    cells = (f"{s['log_bytes_per_event'][k]:,} B / {_usd(s['by_log_setting'][k])}" for k in SETTINGS)
    return (label, *cells)


def report(result: Mapping[str, Any]) -> list[Block]:
    mix = result["mix"]
    rows = [
        _row(s["label"], s, f"{s['history_events_per_event']:g}", f"{s['solidserver_calls_per_event']:g}")
        for s in result["scenarios"]
    ]
    rows.append(_row("**lifecycle mix** (launch, stop, start, terminate)", mix, "", ""))
    header = ("scenario (per event)", "execution log", "history events", "SOLIDserver calls", *ITEMS, "total")
    settings = Table(
        ("scenario", "ALL + data (default)", "ALL", "ERROR + data", "OFF"),
        [_setting_row(s["label"], s) for s in result["scenarios"]] + [_setting_row("lifecycle mix", mix)],
    )
    fixed = "; ".join(f"{f['item']} ${f['usd_per_month']:.2f}" for f in result["fixed_monthly"])
    met = mix["total"] <= result["target_usd"]
    x_ray_all = mix["x_ray_at_100_percent"] - by_item(mix)["X-Ray"]
    return [
        Table(header, rows),
        f"USD per million events, us-east-1 list prices of {result['prices_date']}, free tiers "
        "ignored, default configuration (ExecutionLogLevel ALL with execution data, TracingSampleRate "
        f"{result['sample_rate']}, LogLevel INFO); logs priced ingested + 30 days stored. Target: "
        f"lifecycle mix ≤ ${result['target_usd']:.2f} {ok(met)}. X-Ray at 100 % would add "
        f"${x_ray_all:.2f}; a Standard workflow's transitions alone would cost "
        f"${mix['standard_workflow']:.2f}. {_aws_shaped(mix)}Lambda durations are local stand-ins: "
        "every additional 10 ms per SOLIDserver call adds "
        f"${result['sensitivity_per_10ms_per_solidserver_call']:.2f}. Fixed per month: {fixed}.",
        "Execution log bytes per event and the total per million events at each logging setting "
        "(ExecutionLogLevel + IncludeExecutionData; ERROR logs failed executions only, none failed here):",
        settings,
        "Prices used (`local/ipamsync_local/bench/prices.py`):",
        price_table(),
    ]


def _aws_shaped(mix: Mapping[str, Any]) -> str:
    if "aws_shaped_public_ip" not in mix:
        return ""
    return (
        "In AWS, an instance with an auto-assigned public IP moves an address in one event of each "
        "pair (stopped, pending) and only the device in the other (moto moves to running and stopped "
        f"at once): the mean of the two running-instance scenarios above, ${mix['aws_shaped_public_ip']:.2f} "
        "per million events. "
    )


def summary(result: Mapping[str, Any]) -> tuple[str, str, str]:
    by = {s["scenario"]: _usd(s["total"]) for s in result["scenarios"]}
    mix, target = result["mix"]["total"], result["target_usd"]
    return (
        "Cost per million events (us-east-1, default config)",
        f"lifecycle mix {_usd(mix)} (launch {by.get('launch')}, stop {by.get('stop')}, "
        f"start {by.get('start')}, terminate {by.get('terminate')}); replay {by.get('replay')}, "
        f"reconcile-triggered {by.get('reconcile')}; AWS-shaped with a public IP "
        f"{_usd(result['mix'].get('aws_shaped_public_ip', 0.0))}",
        f"≤ {_usd(target)} {ok(mix <= target)}",
    )


def headline(result: Mapping[str, Any]) -> dict[str, Any]:
    return {"usd_per_million_mix": result["mix"]["total"]}
