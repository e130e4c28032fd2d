"""The cost model, the throughput run's bookkeeping, the usage figures and the CPU profiler, on
synthetic figures. Nothing here is timed: the assertions are about what was counted."""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace
from typing import Any

import pytest

from ipamsync_local.bench import cost, pipeline, profile, throughput, usage
from ipamsync_local.bench.fmt import as_markdown, as_text


def _used(key: str, events: int = 2, **over: Any) -> dict[str, Any]:
    """What one scenario used (totals over its events), as :func:`cost.record` reports it."""
    u: dict[str, Any] = {
        "label": key,
        "events": events,
        "executions": events,
        "succeeded": True,
        "states_per_execution": [9] * events,
        "history_events": 30 * events,
        "transitions": 9 * events,
        "execution_log_bytes": {
            "ALL+data": 20_000 * events,
            "ALL": 9_000 * events,
            "ERROR+data": 0,
            "OFF": 0,
        },
        "express_billed_ms": 200 * events,
        "lambda": {"A": {"invocations": 3 * events, "duration_ms": 60.0 * events}},
        "sqs_requests": {"send": events, "receive": events, "delete": events},
        "pipe_requests": events,
        "function_log_bytes": 1_000 * events,
        "function_log_lines": 4 * events,
        "traces": 2 * events,
        "custom_events": 0,
        "solidserver_calls": 8 * events,
    }
    u.update(over)
    return u


def _run() -> dict[str, Any]:
    return {
        "launch": _used("launch"),
        "replay": _used(
            "replay", 1, execution_log_bytes={"ALL+data": 9_000, "ALL": 5_000, "ERROR+data": 0, "OFF": 0}
        ),
        "stop": _used("stop"),
    }


def test_items_are_priced_from_the_counts() -> None:
    items = cost.items(_used("launch", 1))
    # 20 KB of execution log, ingested and stored 30 days
    assert items["execution logs"] == pytest.approx(20_000 / 1e9 * 0.53 * 1e6, abs=0.01)
    # 1 KB of the functions' own lines + START/END/REPORT per invocation
    assert items["function logs"] == pytest.approx((1_000 + 3 * 350) / 1e9 * 0.53 * 1e6, abs=0.01)
    assert items["X-Ray"] == pytest.approx(2 * cost.SAMPLE_RATE * 5.0, abs=0.01)
    assert items["SQS FIFO + Pipes"] == pytest.approx(3 * 0.5 + 0.4)
    assert items["Step Functions"] == pytest.approx(1.0 + 0.2 * 64 / 1024 * 0.00001667 * 1e6, abs=0.01)
    assert items["Lambda"] == pytest.approx(3 * 0.2 + 0.060 * 0.25 * 0.0000133334 * 1e6, abs=0.01)
    assert items["EventBridge"] == 0
    assert cost.items(_used("reconcile", 1, custom_events=1))["EventBridge"] == pytest.approx(1.0)
    assert cost.items(_used("launch", 1), sample_rate=1.0)["X-Ray"] == pytest.approx(10.0)
    assert cost.items(_used("launch", 1), log_setting="OFF")["execution logs"] == 0


def test_scenarios_totals_mix_and_settings() -> None:
    out = cost.compute(_run())
    by = {s["scenario"]: s for s in out["scenarios"]}
    for s in out["scenarios"]:
        assert s["total"] == pytest.approx(sum(s["usd"]), abs=0.02)
        assert s["by_log_setting"]["ALL+data"] == pytest.approx(s["total"], abs=0.02)
        assert s["by_log_setting"]["ALL+data"] > s["by_log_setting"]["ALL"] > s["by_log_setting"]["OFF"]
    assert by["replay"]["log_bytes_per_event"]["ALL+data"] == 9_000
    # the mix is the lifecycle scenarios' events only (a replay is reported on its own)
    assert out["mix"]["events"] == 4
    assert out["mix"]["total"] == pytest.approx((by["launch"]["total"] + by["stop"]["total"]) / 2, abs=0.02)
    assert out["mix"]["standard_workflow"] == pytest.approx(9 * 25.0)
    text = as_text(cost.report(out))
    assert f"${out['mix']['total']:.2f}" in text and "ERROR + data" in text
    targets = dict(cost.targets(out))
    assert any(name.startswith("cost: a replay costs less") and met for name, met in targets.items())
    assert cost.summary(out)[1].startswith(f"lifecycle mix ${out['mix']['total']:.2f}")


def test_a_scenario_without_events_has_no_cost() -> None:
    with pytest.raises(ValueError):
        cost.compute({"launch": _used("launch", 0)})


def test_every_price_says_how_it_was_checked() -> None:
    from ipamsync_local.bench.prices import PRICES, price_table

    for key, price in PRICES.items():
        assert price["verified"] and price["source"] and price["unit"], key
    assert as_markdown([price_table()]).count("\n") == len(PRICES) + 1


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert throughput.percentile(values, 50) == 50.0
    assert throughput.percentile(values, 99) == 99.0
    assert throughput.percentile([3.0], 99) == 3.0


def test_phase_links_calls_events_and_executions() -> None:
    calls = [
        pipeline.Call("launch", "i-1", 100.0, 100.5, ["e1", "e2"]),
        pipeline.Call("launch", "i-2", 100.5, 101.0, ["e3", "e4"]),
    ]
    ex = [
        pipeline.Execution(["e1"], 101.0, 101.5, "SUCCEEDED"),
        pipeline.Execution(["e2"], 102.0, 102.5, "SUCCEEDED"),
        pipeline.Execution(["e2"], 103.0, 103.5, "SUCCEEDED"),  # applied twice
        pipeline.Execution(["e3"], 101.5, 102.0, "FAILED"),
    ]
    out = throughput.phase("launch", calls, ex)
    assert (out["events"], out["applied"], out["missing"], out["duplicates"]) == (4, 2, 2, 1)
    assert out["latency_ms"] == {"p50": 1500.0, "p99": 2000.0}  # e1 1.0 s, e2 2.0 s after their call
    assert out["queue_wait_ms"] == {"p50": 1000.0} and out["execution_ms"] == {"p50": 500.0}
    assert out["seconds"] == pytest.approx(3.5) and out["events_per_s"] == pytest.approx(4 / 3.5, abs=0.01)
    assert throughput.phase("launch, paced", calls, ex, paced=True)["events_per_s"] is None
    assert throughput.targets({"phases": [{**out, "phase": "total"}]})[0][1] is False


def test_the_throughput_report_and_readme_row_use_the_saved_figures() -> None:
    from ipamsync_local.bench import results as res

    tp = res.load(res.RESULTS_PATH)["latest"]["sections"]["throughput"]["result"]
    text = as_text(throughput.report(tp))
    assert "ipamsync's own code 37.5 ms" in text and "ipamsync client (requests) 1.14 ms" in text
    row = throughput.summary(tp)
    assert row[1].startswith("2.16 events/s") and "paced latency p50 368 ms, p99 897 ms" in row[1]


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
    out = usage.history_figures(events, "arn:aws:states:us-east-1:1:execution:sm:x")
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
    assert usage.emf_metrics(text) == [
        "ipamsync/Reads[step=dns]",
        "ipamsync/Reads[step=ip]",
        "ipamsync/Writes[step=dns]",
        "ipamsync/Writes[step=ip]",
    ]


def test_cold_invocations_start_every_sync_invocation_fresh() -> None:
    fns = {
        lid: SimpleNamespace(spec=SimpleNamespace(logical_id=lid), always_cold=False)
        for lid in ("EnrichFunction", "DeviceFunction", "DnsFunction")
    }
    pipeline.cold_invocations(SimpleNamespace(lambdas=SimpleNamespace(functions=fns)))
    assert {lid: fn.always_cold for lid, fn in fns.items()} == {
        "EnrichFunction": False,
        "DeviceFunction": True,
        "DnsFunction": True,
    }


def test_solidserver_calls_are_the_difference_of_two_stats_documents() -> None:
    before = {"services": {"ip_add": {"methods": {"POST": 2}}}}
    after = {"services": {"ip_add": {"methods": {"POST": 5}}, "member_list": {"methods": {"GET": 1}}}}
    assert pipeline.solidserver_calls(before, after) == {"POST ip_add": 3, "GET member_list": 1}
    assert pipeline.solidserver_calls(after, after) == {}


def _frame(*files: str) -> Any:
    """A fake stack, outermost file first."""
    frame = None
    for f in files:
        frame = SimpleNamespace(f_code=SimpleNamespace(co_filename=f), f_back=frame)
    return frame


def test_cpu_is_charged_to_the_innermost_known_component() -> None:
    app = "/w/functions/dns/app.py"
    assert (
        profile.classify(_frame("/usr/lib/threading.py", app, "/w/src/ipamsync/sync/dns.py")) == "h:ipamsync"
    )
    assert (
        profile.classify(_frame(app, "/x/site-packages/urllib3/connection.py", "/usr/lib/json/x.py"))
        == "h:http"
    )
    assert profile.classify(_frame(app, "/x/site-packages/botocore/client.py")) == "h:botocore"
    assert profile.classify(_frame(app, "/x/site-packages/botocore/client.py", "/x/moto/ec2/m.py")) == "moto"
    assert profile.classify(_frame(app, "/usr/lib/json/decoder.py")) == "h:ipamsync"  # stdlib: its caller
    assert profile.classify(_frame("/x/site-packages/moto/stepfunctions/parser/a.py")) == "moto"
    assert profile.classify(_frame("/w/local/ipamsync_local/aws/pipe.py")) == "runtime"
    assert profile.classify(_frame("/usr/lib/python3.11/threading.py")) == "runtime"
    assert set(profile.OWN) == {k for k in profile.COMPONENTS_KEYS if k.startswith("h:")}


def test_sampler_charges_thread_cpu_to_a_component() -> None:
    sampler = profile.CpuSampler(interval=0.001).start()
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
    per_event = sampler.per_event_ms(process_cpu=sum(sampler.cpu.values()) + 1.0, events=1)
    assert list(per_event) == list(profile.COMPONENTS_KEYS)
    assert per_event["unsampled"] == pytest.approx(1000.0, abs=0.01)
