"""The calls and throughput benchmarks through the full local pipeline (moto + the emulator):
structure and bookkeeping only — no figure is asserted to be fast or small."""

from __future__ import annotations

import pytest

from ipamsync_local.bench import calls, cost, throughput

pytestmark = pytest.mark.slow


def test_calls_benchmark_attributes_every_call_to_an_event() -> None:
    result = calls.run()
    assert [s["scenario"] for s in result["scenarios"]] == [sc.key for sc in calls.SCENARIOS]
    for s in result["scenarios"]:
        assert s["events"] >= 1 and s["checks"]["all_succeeded"], s
        assert s["min_reads"] >= s["events"]  # at least the device lookup per event
        assert s["reads"] + s["writes"] == s["calls"]
    by = {s["scenario"]: s for s in result["scenarios"]}
    # Correctness facts, not speed: a replay changes nothing, a stale event stops at the device.
    assert by["replay"]["min_writes"] == 0
    warm = {k: v for k, v in by["stale"]["services"].items() if k.split(" ", 1)[1] not in calls.COLD_SERVICES}
    assert warm == {"GET hostdev_list": 1}
    # Fresh containers per scenario: the version probe is a cold call of every scenario.
    assert all(s["cold_reads"] >= 1 for s in result["scenarios"])
    assert sum(e["reads"] for e in result["events"]) == sum(s["reads"] for s in result["scenarios"])


def test_throughput_benchmark_accounts_for_every_event() -> None:
    result = throughput.run(2, paced=1, pace_s=0.1, profile=False)
    assert result["events"] == 8  # pending, running, shutting-down, terminated x 2
    assert [p["phase"] for p in result["phases"]] == ["launch", "terminate"]
    total = result["total"]
    assert total["applied"] + total["missing"] == total["events"]
    assert result["executions"]["count"] >= total["applied"]
    assert result["executions"]["transitions_per_execution"] > 0
    assert result["solidserver"]["calls"] == result["solidserver"]["client_calls"]
    out = cost.compute(result)
    assert out["totals"]["express"] > 0 and out["totals"]["standard"] > 0
    assert throughput.format_table(result)
