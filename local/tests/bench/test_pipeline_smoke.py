"""The calls, throughput and emulator benchmarks for real, small: structure and bookkeeping only —
no figure is asserted to be fast or small."""

from __future__ import annotations

import pytest

from ipamsync_local.bench import calls, cost, emulator_bench, throughput
from ipamsync_local.bench.fmt import as_text

pytestmark = pytest.mark.slow


def test_calls_benchmark_attributes_every_call_to_an_event() -> None:
    events = calls.record()
    result = calls.summarize_all(events)
    assert [s["scenario"] for s in result["scenarios"]] == [sc.key for sc in calls.SCENARIOS]
    for s in result["scenarios"]:
        assert s["succeeded"] and s["states"], s
        assert s["min_reads"] >= len(s["states"])  # at least the device lookup per event
        assert s["reads"] + s["writes"] == s["calls"]
        assert s["cold"] >= 1  # fresh containers: at least the version probe
    by = {s["scenario"]: s for s in result["scenarios"]}
    # Correctness facts, not speed: a replay changes nothing, a stale event stops at the device.
    assert by["replay"]["min_writes"] == 0
    stale = calls.services_by_scenario(events)["stale"]
    assert {k: v for k, v in stale.items() if k.split(" ", 1)[1] not in calls.COLD_SERVICES} == {
        "GET hostdev_list": 1
    }
    # Changes on running instances: the move is B's message then A's refresh; each changes something.
    assert by["eip-move"]["states"] == ["running", "running"]
    for key in ("eip-move", "eni-attach", "tag-rename"):
        assert by[key]["min_writes"] >= 1, by[key]
    # Every sync function invocation starts cold here: each one's version probe is counted in a
    # launch's first event (one per function: device, networks, addresses, DNS, which also gives the
    # lease back).
    first_launch = next(e for e in events if e.scenario == "known-subnets")
    assert first_launch.services["GET member_list"] == 4
    assert sum(e.reads for e in events) == sum(s["reads"] for s in result["scenarios"])
    assert as_text(calls.report(result))


def test_throughput_benchmark_accounts_for_every_event() -> None:
    result = throughput.run(2, paced=1, pace_s=0.1, profile=False)
    assert result["events"] == 8  # pending, running, shutting-down, terminated x 2
    phases = {p["phase"]: p for p in result["phases"]}
    assert list(phases) == ["launch", "terminate", "total", "launch, paced", "terminate, paced"]
    total = phases["total"]
    assert total["events"] == phases["launch"]["events"] + phases["terminate"]["events"] == 8
    assert total["applied"] + total["missing"] == total["events"]
    assert phases["launch, paced"]["events"] == 2 and phases["launch, paced"]["events_per_s"] is None
    u = result["usage"]
    assert u["events"] == 8 and u["durations_from"] == "paced phase (no backlog)"
    assert u["transitions_per_execution"] > 0 and u["execution_log_bytes"] > u["execution_log_bytes_no_data"]
    assert u["solidserver_calls_per_event"] == result["solidserver_calls_per_event"] > 0
    assert as_text(throughput.report(result))


def test_cost_benchmark_runs_every_scenario_through_the_real_state_machine() -> None:
    used = cost.record()
    assert list(used) == [s.key for s in cost.SCENARIOS]
    for key, u in used.items():
        assert u["succeeded"] and u["executions"] == u["events"] >= 1, key
        assert u["execution_log_bytes"]["ALL+data"] > u["execution_log_bytes"]["ALL"] > 0, key
    # an applied event again, or a snapshot equal to the applied one, ends after the first Lambda
    # state (SyncDevice, IsDone, NothingToDo): one device invocation, no other
    for key in ("replay", "reconcile"):
        assert used[key]["states_per_execution"] == [3], key
        assert list(used[key]["lambda"]) == ["DeviceFunction"], key
    result = cost.compute(used)
    by = {s["scenario"]: s for s in result["scenarios"]}
    assert by["replay"]["total"] < by["launch"]["total"]
    assert as_text(cost.report(result))


def test_emulator_benchmark_smoke() -> None:
    result = emulator_bench.run(addresses=500, samples=20)
    assert result["addresses"] == 500 and result["samples"] == 20
    for key, _, _ in emulator_bench.CALLS:
        assert set(result[key]) == {"median", "p95", "max"}
        assert 0 < result[key]["median"] <= result[key]["p95"] <= result[key]["max"]
    text = as_text(emulator_bench.report(result))
    assert "500 addresses" in text and "ip_add" in text
