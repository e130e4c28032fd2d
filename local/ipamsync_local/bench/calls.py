"""SOLIDserver calls per event, counted by the emulator, next to the minimum a correct sync needs.

Every scenario of :data:`SCENARIOS` runs through the whole local pipeline (EC2 in moto →
EventBridge → enrich → SQS FIFO → pipe → Express state machine → the four sync functions → the
SOLIDserver emulator) with one pipe worker, so executions run one at a time. Around each execution
the benchmark reads the emulator's counters and a full snapshot of what SOLIDserver holds, so every
call and every changed object is attributed to the event that caused it (:mod:`.calls_model`).

**Warm and cold.** Every sync function invocation runs in a fresh execution environment
(:func:`.pipeline.cold_invocations`). The calls a container makes once (and again every 5 minutes
at most) are the *cold* calls: the version probe (``member_list``), the space lookup
(``ip_site_list``), the zone cache (``dns_zone_list``, and ``dns_server_list`` when the server has
no zone). Those services are called on no other path, so the counts split exactly: warm = every
other service (what every event costs), cold = those services, reported for the scenario's first
event (what a fresh set of containers pays on top).

A new scenario is a method of :class:`Driver` and a row of :data:`SCENARIOS` (with a setup, waited
for and not measured, when it needs one). Changes on running instances (Elastic IP move, ENI
attach, rename by tag) reach the pipeline as CloudTrail events the local runtime emits.
Targets: a replay makes 0 writes; calls ≤ 1.5 x the minimum in every scenario.
"""

from __future__ import annotations

import collections
import copy
import json
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ipamsync_local.aws.pipe import record_body
from ipamsync_local.bench.calls_model import diff, minimum_reads, snapshot
from ipamsync_local.bench.fmt import Block, Table, ok
from ipamsync_local.bench.pipeline import PARAMETERS, PipeTap, cold_invocations, solidserver_calls
from ipamsync_local.bench.sections import Context

#: Services only called when a container's caches are empty (probe, space, zones).
COLD_SERVICES = frozenset({"member_list", "ip_site_list", "dns_zone_list", "dns_server_list"})
RATIO_TARGET = 1.5

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class EventCalls:
    """What one execution (one event) cost and what it needed."""

    scenario: str
    state: str
    status: str = ""
    reads: int = 0  # warm
    writes: int = 0  # warm
    cold: int = 0
    services: dict[str, int] = field(default_factory=dict)  # {"METHOD service": count}
    changes: dict[str, int] = field(default_factory=dict)  # {"created:device": 1, …}
    min_reads_detail: dict[str, int] = field(default_factory=dict)

    @property
    def min_reads(self) -> int:
        return sum(self.min_reads_detail.values())

    @property
    def min_writes(self) -> int:
        return sum(self.changes.values())

    def count(self, calls: Mapping[str, int]) -> None:
        """Split ``{"METHOD service": n}`` into warm reads, warm writes and cold calls."""
        for key, n in calls.items():
            method, service = key.split(" ", 1)
            if service in COLD_SERVICES:
                self.cold += n
            elif method == "GET":
                self.reads += n
            else:
                self.writes += n
            self.services[key] = self.services.get(key, 0) + n


# --------------------------------------------------------------------------- scenarios


class Driver:
    """The scenarios' actions on the local pipeline. Each starts one scenario and returns the number
    of executions it causes (the benchmark waits for them)."""

    def __init__(self, aws: Any) -> None:
        self.aws = aws
        self.fleet = aws.fleet
        self.instances: dict[str, Any] = {}

    def _launch(self, name: str, **options: Any) -> int:
        self.instances[name] = self.fleet.launch(name, **options)
        return len(self.instances[name].events)

    def _messages(self, name: str) -> list[dict[str, Any]]:
        """The enriched messages the executions of an instance applied, oldest first."""
        iid = self.instances[name].instance_id
        found = []
        for summary in self.aws.executions.list():
            if summary.instance_id == iid and summary.status == "SUCCEEDED":
                _, events = self.aws.executions.get(summary.name)
                started = next(e for e in events if e["type"] == "ExecutionStarted")
                records = json.loads(started["executionStartedEventDetails"]["input"])
                found += [record_body(record) for record in records]
        return sorted(found, key=lambda m: m["observed_at"])

    def _resend(self, message: dict[str, Any]) -> int:
        self.aws.send_message(copy.deepcopy(message), dedup_id=str(uuid.uuid4()))
        return 1

    def new_vpc(self) -> int:
        self.fleet.ensure_network()  # a VPC SOLIDserver has never seen (IPv4 + IPv6, 2 subnets)
        return self._launch("web-1")

    def known_subnets(self) -> int:
        return self._launch("web-2")

    def replay(self) -> int:
        return self._resend(self._messages("web-2")[-1])  # what `ipamsync redrive` does

    def stale(self) -> int:
        return self._resend(self._messages("web-2")[0])  # an older observation, late

    def stop(self) -> int:
        return len(self.fleet.stop(self.instances["web-2"].instance_id).events)

    def start(self) -> int:
        return len(self.fleet.start(self.instances["web-2"].instance_id).events)

    def terminate(self) -> int:
        return len(self.fleet.terminate(self.instances["web-2"].instance_id).events)

    def multi_eni(self) -> int:
        return self._launch("multi-1", enis=3, secondary_ips=1)

    # Changes on running instances: no state change, a CloudTrail event (the local runtime's).

    def two_running(self) -> int:
        """Setup of the running-instance scenarios (not measured): A with an Elastic IP, and B."""
        return self._launch("eip-a", elastic_ip=True) + self._launch("eip-b")

    def eip_move(self) -> int:
        """A's Elastic IP fails over to B: B's message takes it over, then A's (a refresh request)."""
        a, b = self.instances["eip-a"].instance_id, self.instances["eip-b"].instance_id
        self.fleet.move_elastic_ip(b, public_ip=self.fleet.public_ip(a))
        return 2

    def eni_attach(self) -> int:
        self.fleet.attach_eni(self.instances["eip-b"].instance_id, secondary_ips=1)
        return 1

    def tag_rename(self) -> int:
        """A new Name tag on B (its Elastic IP and two ENIs): device, addresses, records renamed."""
        self.fleet.rename_by_tag(self.instances["eip-b"].instance_id, "eip-b-renamed")
        return 1


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    action: Callable[[Driver], int]
    #: run (and waited for) before the scenario, not measured
    setup: Callable[[Driver], int] | None = None


SCENARIOS = (
    Scenario("new-vpc", "new instance, new VPC", Driver.new_vpc),
    Scenario("known-subnets", "new instance, known subnets", Driver.known_subnets),
    Scenario("replay", "replay of an applied event", Driver.replay),
    Scenario("stale", "late (stale) event", Driver.stale),
    Scenario("stop", "stop", Driver.stop),
    Scenario("start", "start", Driver.start),
    Scenario("terminate", "terminate", Driver.terminate),
    Scenario("multi-eni", "multi-ENI launch (3 ENIs, 6 addresses)", Driver.multi_eni),
    Scenario("eip-move", "Elastic IP moved A→B (B, then A)", Driver.eip_move, setup=Driver.two_running),
    Scenario("eni-attach", "ENI attached (2 addresses)", Driver.eni_attach),
    Scenario("tag-rename", "rename by tag, no restart", Driver.tag_rename),
)


class _Recorder:
    """Before/after hooks of the pipe tap: emulator counters and snapshots around each execution
    (the snapshot's own reads fall outside the two counter readings)."""

    def __init__(self, admin: Any, ss: Any) -> None:
        self.admin = admin
        self.ss = ss
        self.scenario = ""

    def before(self, records: list[dict[str, Any]]) -> Any:
        return snapshot(self.ss), self.admin.stats()

    def after(self, records: list[dict[str, Any]], token: Any) -> dict[str, Any]:
        stats_after = self.admin.stats()
        snap_before, stats_before = token
        message = record_body(records[0]) if records else {}
        ev = EventCalls(self.scenario, str((message.get("event") or {}).get("state", "")))
        ev.count(solidserver_calls(stats_before, stats_after))
        ev.changes = diff(snap_before, snapshot(self.ss))
        ev.min_reads_detail = minimum_reads(message, snap_before, dns=True)
        return {"calls": ev}


def record(*, log: Log = _quiet) -> list[EventCalls]:
    """Run every scenario; one :class:`EventCalls` per execution, in order."""
    from ipamsync.solidserver import ClientConfig, SolidServer, SolidServerClient
    from ipamsync.solidserver.config import Credentials, Secret
    from ipamsync_local.aws import LocalAws
    from ipamsync_local.emulator import EmulatorServer

    events: list[EventCalls] = []
    with (
        tempfile.TemporaryDirectory(prefix="ipamsync-bench-calls-") as tmp,
        EmulatorServer(tls=True, seed=True) as emu,
    ):
        config = ClientConfig(
            url=emu.url,
            credentials=Credentials("ipmadmin", Secret("admin")),
            ca_bundle=str(emu.cert_path),
            requests_per_second=0,
        )
        ss = SolidServer(SolidServerClient(config))
        recorder = _Recorder(emu.admin, ss)
        with LocalAws(
            solidserver_url=emu.url,
            ca_bundle_pem=Path(str(emu.cert_path)).read_text(encoding="utf-8"),
            parameters=PARAMETERS,
            state_dir=Path(tmp) / "state",
            time_scale=0.05,
            pipe_workers=1,
            lambda_log=Path(tmp) / "lambda.log",
            environment={"POWERTOOLS_LOG_LEVEL": "WARNING"},
        ) as aws:
            cold_invocations(aws)
            tap = PipeTap(aws, before=recorder.before, after=recorder.after)
            driver = Driver(aws)
            for sc in SCENARIOS:
                if sc.setup is not None:
                    recorder.scenario = f"{sc.key}:setup"
                    _wait(aws, tap, tap.mark(), sc.setup(driver))
                recorder.scenario = sc.key
                mark = tap.mark()
                done = _wait(aws, tap, mark, sc.action(driver))
                for ex in done:
                    ex.extra["calls"].status = ex.status
                    events.append(ex.extra["calls"])
                log(f"  {sc.key}: {len(done)} execution(s)")
        ss.client.close()
    return events


def _wait(aws: Any, tap: PipeTap, mark: int, expected: int, timeout: float = 120.0) -> list[Any]:
    """Wait for the pipeline to drain and for ``expected`` executions since ``mark``."""
    deadline = time.monotonic() + timeout
    while True:
        aws.wait_idle(timeout)
        done = tap.since(mark)
        if len(done) >= expected or time.monotonic() > deadline:
            return done
        time.sleep(0.05)


def summarize(sc: Scenario, evs: list[EventCalls]) -> dict[str, Any]:
    """One scenario's figures: warm reads and writes, the minimum, their ratio, the cold calls of its
    first event."""
    reads, writes = sum(e.reads for e in evs), sum(e.writes for e in evs)
    min_reads, min_writes = sum(e.min_reads for e in evs), sum(e.min_writes for e in evs)
    calls, minimum = reads + writes, min_reads + min_writes
    return {
        "scenario": sc.key,
        "label": sc.label,
        "states": [e.state for e in evs],
        "reads": reads,
        "writes": writes,
        "calls": calls,
        "min_reads": min_reads,
        "min_writes": min_writes,
        "min_calls": minimum,
        "ratio": round(calls / minimum, 2) if minimum else (1.0 if calls == 0 else 99.0),
        "cold": evs[0].cold if evs else 0,
        "succeeded": bool(evs) and all(e.status == "SUCCEEDED" for e in evs),
    }


def summarize_all(events: list[EventCalls]) -> dict[str, Any]:
    return {
        "ratio_target": RATIO_TARGET,
        "scenarios": [summarize(sc, [e for e in events if e.scenario == sc.key]) for sc in SCENARIOS],
    }


# --------------------------------------------------------------------------- the section


def measure(ctx: Context) -> dict[str, Any]:
    return summarize_all(record(log=ctx.log))


def _met(s: Mapping[str, Any], target: float) -> bool:
    return s["succeeded"] and s["ratio"] <= target and (s["scenario"] != "replay" or s["writes"] == 0)


def targets(result: Mapping[str, Any]) -> list[tuple[str, bool]]:
    target = result["ratio_target"]
    out = [
        (f"calls: replay makes 0 writes ({s['writes']})", s["writes"] == 0)
        for s in result["scenarios"]
        if s["scenario"] == "replay"
    ]
    out += [
        (f"calls: {s['label']} succeeded, ≤ {target} x minimum ({s['ratio']:.2f})", _met(s, target))
        for s in result["scenarios"]
    ]
    return out


def report(result: Mapping[str, Any]) -> list[Block]:
    target = result["ratio_target"]
    rows = [
        (
            s["label"],
            " + ".join(s["states"]) or "-",
            s["reads"],
            s["writes"],
            s["calls"],
            s["min_reads"],
            s["min_writes"],
            s["min_calls"],
            f"{s['ratio']:.2f}",
            s["cold"],
            ok(_met(s, target)),
        )
        for s in result["scenarios"]
    ]
    header = ("scenario", "events", "reads", "writes", "calls", "min reads", "min writes", "min calls")
    replay = [s["writes"] == 0 for s in result["scenarios"] if s["scenario"] == "replay"]
    return [
        Table((*header, "calls / min", "cold calls", "targets"), rows),
        "Warm containers (what every event costs); *cold calls* are paid once per fresh execution "
        "environment (version probe, space and zone lookups, cached 5 minutes) by the scenario's first "
        f"event. Targets: replay makes 0 writes {ok(replay[0] if replay else None)}; calls ≤ {target} x "
        f"the minimum in every scenario {ok(all(s['ratio'] <= target for s in result['scenarios']))}.",
    ]


def summary(result: Mapping[str, Any]) -> tuple[str, str, str]:
    by = {s["scenario"]: s for s in result["scenarios"]}

    def per_event(key: str) -> str:
        s = by.get(key)
        return f"{s['calls'] / max(1, len(s['states'])):.1f}" if s else "-"

    worst = max(result["scenarios"], key=lambda s: s["ratio"])
    met = all(_met(s, result["ratio_target"]) for s in result["scenarios"])
    return (
        "SOLIDserver calls per event (warm)",
        f"launch {per_event('known-subnets')} (new VPC {per_event('new-vpc')}), stop/start "
        f"{per_event('stop')}, terminate {per_event('terminate')}, replay {per_event('replay')} "
        f"({by['replay']['writes'] if 'replay' in by else '?'} writes); "
        f"+ {max(s['cold'] for s in result['scenarios'])} cold calls per new set of containers",
        f"replay 0 writes; ≤ {result['ratio_target']} x minimum (worst {worst['ratio']:.2f}) {ok(met)}",
    )


def headline(result: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "calls_max_ratio": max(s["ratio"] for s in result["scenarios"]),
        "calls_targets_met": all(_met(s, result["ratio_target"]) for s in result["scenarios"]),
    }


def services_by_scenario(events: list[EventCalls]) -> dict[str, collections.Counter[str]]:
    """``{scenario: {"METHOD service": count}}`` (for checks and investigations; not saved)."""
    out: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for e in events:
        out[e.scenario].update(e.services)
    return dict(out)
