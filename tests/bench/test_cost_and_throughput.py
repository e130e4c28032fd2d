"""The cost model and the throughput run's bookkeeping, on synthetic figures."""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace
from typing import Any

import pytest

from ipamsync_local.bench import cost, throughput


def _tp(**over: Any) -> dict[str, Any]:
    tp: dict[str, Any] = {
        "events": 4,
        "functions": {
            "EnrichFunction": {"per_event": 1.0, "duration_ms_mean": 40.0},
            "DeviceFunction": {"per_event": 1.0, "duration_ms_mean": 40.0},
            "SubnetFunction": {"per_event": 0.5, "duration_ms_mean": 40.0},
            "IpFunction": {"per_event": 1.0, "duration_ms_mean": 40.0},
            "DnsFunction": {"per_event": 1.0, "duration_ms_mean": 40.0},
        },
        "executions": {
            "per_event": 1.0,
            "transitions_per_execution": 9.0,
            "log_bytes_per_execution": 70_000,
            "log_bytes_no_data_per_execution": 10_000,
            "input_bytes_mean": 2_000,
            "billed_ms_mean": 300.0,
        },
        "queue": {"sends_per_event": 1.0, "receives_with_messages_per_event": 1.0, "deletes_per_event": 1.0},
        "logs": {"function_log_bytes_per_event": 5_000, "emf_metrics": ["a", "b"]},
        "solidserver": {"calls_per_event": 8.0},
    }
    tp.update(over)
    return tp


def test_cost_lines_add_up_and_use_the_price_table() -> None:
    out = cost.compute(_tp())
    for kind in ("express", "standard"):
        assert out["totals"][kind] == pytest.approx(
            sum(x["usd_per_million"] for x in out["lines"][kind]), abs=0.02
        )
    standard = {x["item"]: x for x in out["lines"]["standard"]}
    assert standard["Step Functions Standard transitions"]["usd_per_million"] == pytest.approx(9 * 25.0)
    express = {x["item"]: x for x in out["lines"]["express"]}
    assert express["Step Functions Express requests"]["usd_per_million"] == pytest.approx(1.0)
    # 0.3 s at 64 MB, a million times
    assert express["Step Functions Express duration (64 MB)"]["usd_per_million"] == pytest.approx(
        0.3 * 64 / 1024 * 0.00001667 * 1e6, abs=0.01
    )
    assert express["CloudWatch Logs: executions (level ALL + execution data)"][
        "usd_per_million"
    ] == pytest.approx(35.0)
    assert out["options"]["express_logs_without_execution_data_saves_usd_per_million"] == pytest.approx(30.0)
    text = cost.format_table(out)
    assert f"${out['totals']['express']:.2f}" in text and f"${out['totals']['standard']:.2f}" in text


def test_durations_come_from_the_paced_phase_when_measured() -> None:
    paced = {
        "function_duration_ms_mean": {lid: 20.0 for lid in _tp()["functions"]},
        "billed_ms_mean": 200.0,
    }
    out = cost.compute(_tp(paced_durations=paced))
    assert out["inputs"]["durations_from"] == "paced phase (no backlog)"
    assert out["inputs"]["lambda_gb_s_per_event"] == pytest.approx(4.5 * 0.020 * 0.25)
    assert out["inputs"]["express_billed_ms_mean"] == 200.0
    partial = cost.compute(_tp(paced_durations={"function_duration_ms_mean": {"DnsFunction": 1.0}}))
    assert partial["inputs"]["durations_from"] == "burst"


def test_messages_over_64_kb_count_twice() -> None:
    big = _tp()
    big["executions"] = {**big["executions"], "input_bytes_mean": 70_000}
    lines = {x["item"]: x for x in cost.compute(big)["lines"]["express"]}
    assert lines["EventBridge Pipes"]["per_event"] == 2
    assert lines["SQS FIFO requests (send, receive, delete)"]["per_event"] == 6


def test_every_price_says_how_it_was_checked() -> None:
    for key, price in cost.PRICES.items():
        assert price["verified"] and price["source"] and price["unit"], key
    assert cost.price_table().count("\n") == len(cost.PRICES) + 1


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert throughput.percentile(values, 50) == 50.0
    assert throughput.percentile(values, 99) == 99.0
    assert throughput.percentile([3.0], 99) == 3.0


def test_phase_links_calls_events_and_executions() -> None:
    calls = [
        throughput.Call("launch", "i-1", 100.0, 100.5, [("e1", "pending"), ("e2", "running")]),
        throughput.Call("launch", "i-2", 100.5, 101.0, [("e3", "pending"), ("e4", "running")]),
    ]
    ex = [
        throughput.Execution(["e1"], "i-1", "pending", 101.0, 101.5, "SUCCEEDED", "x1"),
        throughput.Execution(["e2"], "i-1", "running", 102.0, 102.5, "SUCCEEDED", "x2"),
        throughput.Execution(["e2"], "i-1", "running", 103.0, 103.5, "SUCCEEDED", "x3"),  # applied twice
        throughput.Execution(["e3"], "i-2", "pending", 101.5, 102.0, "FAILED", "x4"),
    ]
    out = throughput._phase("launch", calls, ex)
    assert (out["events"], out["applied"], out["missing"], out["duplicate_applications"]) == (4, 2, 2, 1)
    assert out["failed_executions"] >= 1
    assert out["latency_ms"]["p50"] == pytest.approx(1500.0)  # e1 1.0 s, e2 2.0 s after their call returned
    assert out["latency_ms"]["max"] == pytest.approx(2000.0)
    assert out["makespan_s"] == pytest.approx(3.5)


def test_history_figures_count_transitions_and_log_bytes() -> None:
    events = [
        {
            "id": 1,
            "type": "ExecutionStarted",
            "previousEventId": 0,
            "executionStartedEventDetails": {"input": "[1, 2]"},
        },
        {
            "id": 2,
            "type": "PassStateEntered",
            "previousEventId": 1,
            "stateEnteredEventDetails": {"name": "A", "input": "{}"},
        },
        {"id": 3, "type": "TaskFailed", "previousEventId": 2, "taskFailedEventDetails": {"error": "E"}},
        {
            "id": 4,
            "type": "TaskScheduled",
            "previousEventId": 3,
            "taskScheduledEventDetails": {"parameters": "{}"},
        },
        {
            "id": 5,
            "type": "ExecutionSucceeded",
            "previousEventId": 4,
            "executionSucceededEventDetails": {"output": "{}"},
        },
    ]
    out = throughput.history_figures(events, "arn:aws:states:us-east-1:1:execution:sm:x")
    assert out["transitions"] == 2  # one state entered, one retry
    assert out["input_bytes"] == len("[1, 2]")
    assert 0 < out["log_bytes_no_data"] < out["log_bytes"]


def test_emf_metrics_are_counted_once_per_name_and_dimensions() -> None:
    doc = {
        "_aws": {
            "CloudWatchMetrics": [
                {
                    "Namespace": "ipamsync",
                    "Dimensions": [["step"]],
                    "Metrics": [{"Name": "Reads"}, {"Name": "Writes"}],
                }
            ]
        },
        "step": "ip",
    }
    text = "\n".join([json.dumps(doc), json.dumps(doc), "not json", json.dumps({**doc, "step": "dns"})])
    assert throughput.emf_metrics(text) == [
        "ipamsync/Reads[step=dns]",
        "ipamsync/Reads[step=ip]",
        "ipamsync/Writes[step=dns]",
        "ipamsync/Writes[step=ip]",
    ]


def test_components_by_file() -> None:
    assert throughput._package("/x/site-packages/moto/stepfunctions/parser/a.py") == "moto-sfn"
    assert throughput._package("/x/site-packages/moto/sqs/models.py") == "moto"
    assert throughput._package("/work/main/src/ipamsync/sync/device.py") == "ipamsync"
    assert throughput._package("/work/main/functions/dns/app.py") == "ipamsync"
    assert throughput._package("/x/site-packages/urllib3/connection.py") == "http"
    assert throughput._package("/usr/lib/python3.11/json/decoder.py") is None


def test_moto_cpu_is_split_by_package() -> None:
    assert throughput._moto_package("/x/site-packages/moto/ec2/models/instances.py") == "ec2"
    assert throughput._moto_package("/x/site-packages/moto/sqs/models.py") == "sqs"
    assert throughput._moto_package("/x/site-packages/moto/settings.py") == "settings"
    assert throughput._moto_package("/x/site-packages/antlr4/Parser.py") == "antlr4"


def test_sampler_charges_thread_cpu_to_a_component() -> None:
    sampler = throughput.CpuSampler(interval=0.001).start()
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            sum(range(1000))

    worker = threading.Thread(target=spin)
    worker.start()
    threading.Event().wait(0.05)
    stop.set()
    worker.join()
    sampler.stop()
    assert threading.Thread.run is sampler._original_run  # restored
    assert sum(sampler.cpu.values()) > 0
    rows = sampler.report(process_cpu=10.0)
    assert rows[-1]["component"] == "unsampled"


def test_containers_give_each_function_its_own_context() -> None:
    from ipamsync import lambda_support

    seen: list[tuple[str, Any]] = []

    def handler_for(name: str) -> Any:
        def handler(event: Any, context: Any) -> Any:
            seen.append((name, lambda_support._context))
            lambda_support._context = f"ctx-{name}"  # what get_context() does on first use
            return name

        return handler

    fns = {
        n: SimpleNamespace(spec=SimpleNamespace(short_name=n), handler=handler_for(n))
        for n in ("device", "dns")
    }
    aws = SimpleNamespace(lambdas=SimpleNamespace(functions=fns))
    saved = lambda_support._context
    try:
        containers = throughput.Containers(aws)
        for _ in range(2):
            fns["device"].handler({}, None)
            fns["dns"].handler({}, None)
        assert seen == [("device", None), ("dns", None), ("device", "ctx-device"), ("dns", "ctx-dns")]
        assert lambda_support._context is saved
        containers.contexts.clear()
        fns["device"].handler({}, None)
        assert seen[-1] == ("device", None)
        assert containers.calls["device"] == 3
    finally:
        lambda_support._context = saved
