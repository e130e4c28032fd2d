"""Throughput and latency through the full local pipeline, and where the CPU goes.

The workload: ``launches`` instances are launched as fast as EC2 (moto) accepts them, the pipeline
drains, then all of them are terminated and the pipeline drains again. Each launch produces two
EC2 state-change events (pending, running) and each termination two (shutting-down, terminated):
``4 x launches`` events, every one enriched, queued, piped and synced into the SOLIDserver emulator
(in its own process, so it has the second core). Before that burst, ``paced`` launches then their
terminations one every ``pace_s`` seconds (far below capacity): the pipeline's own latency.

Per event (the EventBridge event id links an EC2 call, its events and their executions):

* **latency** — from the moment the EC2 call that produced the event returned to the moment the
  pipe saw the execution that applied it succeed; split into **queue wait** (call returned →
  execution started) and **execution** (start → succeeded);
* **throughput** — events / (last execution succeeded - first EC2 call started), per phase;
* every event applied exactly once (``missing``, ``duplicates``).

Where the time goes: :mod:`.profile` (sampling, by component), the emulator process's CPU per
SOLIDserver call (its own counters and ``/proc``), :mod:`.client_cpu` (the client's CPU per call).
What the run used per event is measured by :mod:`.usage` (the cost section runs its own scenarios).

The instances are created with plain ``RunInstances`` calls (:func:`.pipeline.launch`) instead of
``Fleet.launch``, whose address allocation re-describes every ENI and instance of the subnet
(0.8 s per launch at 800 instances on moto): that would measure the helper, not the pipeline.
"""

from __future__ import annotations

import collections
import math
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ipamsync_local.bench import pipeline, usage
from ipamsync_local.bench.fmt import Block, Table, dist_ms, ms
from ipamsync_local.bench.pipeline import Call, Execution, PipeTap
from ipamsync_local.bench.profile import COMPONENTS, OWN, CpuSampler
from ipamsync_local.bench.sections import Context

LAUNCHES = (1000, 50)  # full run, --quick
PACED = (10, 3)
PACE_S = 1.5
PIPE_WORKERS = 4
PROFILE_INTERVAL_S = 0.01

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class Workload:
    """The running pipeline, the tap on its executions, the addresses for new instances."""

    aws: Any
    emu: Any
    tap: PipeTap
    addresses: pipeline.Addresses
    lambda_log: Path
    log: Log

    def launches(self, count: int, first_index: int, pace_s: float = 0.0) -> list[Call]:
        calls = []
        for i in range(count):
            calls.append(pipeline.launch(self.aws, self.addresses, first_index + i))
            self._progress("launched", i + 1, count)
            time.sleep(pace_s)
        return calls

    def terminations(self, launched: list[Call], pace_s: float = 0.0) -> list[Call]:
        calls = []
        for i, call in enumerate(launched):
            calls.append(pipeline.terminate(self.aws, call.instance_id))
            self._progress("terminated", i + 1, len(launched))
            time.sleep(pace_s)
        return calls

    def drain(self, calls: int) -> None:
        self.aws.wait_idle(max(600.0, calls * 4.0))

    def _progress(self, what: str, done: int, count: int) -> None:
        if count >= 10 and done % (count // 10) == 0:
            self.log(f"  {what} {done}/{count}")


def run(
    launches: int = LAUNCHES[0],
    *,
    paced: int = PACED[0],
    pace_s: float = PACE_S,
    pipe_workers: int = PIPE_WORKERS,
    profile: bool = True,
    log: Log = _quiet,
) -> dict[str, Any]:
    """Warm up, the paced phase, then the burst; return the figures. CPU, counters and the profile
    cover the burst; Lambda and execution durations for the cost model come from the paced phase."""
    from ipamsync_local.aws import LocalAws
    from ipamsync_local.emulator.process import EmulatorProcess

    if launches < 1:
        raise ValueError("launches must be >= 1")
    subnets = max(1, math.ceil((launches + paced + 1) / pipeline.HOSTS_PER_SUBNET))
    with tempfile.TemporaryDirectory(prefix="ipamsync-bench-") as tmp, EmulatorProcess() as emu:
        client_cpu = _client_cpu(emu) if profile else None
        lambda_log = Path(tmp) / "lambda.log"
        with LocalAws(
            solidserver_url=emu.url,
            ca_bundle_pem=emu.ca_pem,
            parameters=pipeline.PARAMETERS,
            state_dir=Path(tmp) / "state",
            time_scale=1.0,
            pipe_workers=pipe_workers,
            lambda_log=lambda_log,
        ) as aws:
            network = aws.fleet.ensure_network(subnets=subnets)
            w = Workload(
                aws, emu, PipeTap(aws), pipeline.Addresses(aws.ec2, network.subnet_ids), lambda_log, log
            )
            w.launches(1, 0)  # warm-up, not measured: imports, connections, caches
            w.drain(1)
            paced_phases, timing = _paced(w, paced, pace_s, first_index=launches + 1) if paced else ([], None)
            result = _burst(w, launches, profile=profile, timing=timing)
    result["phases"] += paced_phases
    result.update({"pipe_workers": pipe_workers, "paced_launches": paced, "pace_s": pace_s})
    if client_cpu is not None:
        result["client_cpu_ms_per_call"] = client_cpu
    return result


def _client_cpu(emu: Any) -> dict[str, float]:
    from ipamsync_local.bench import client_cpu

    return client_cpu.measure(emu)


def _paced(w: Workload, paced: int, pace_s: float, first_index: int) -> tuple[list[dict[str, Any]], Any]:
    """``paced`` launches then their terminations, one every ``pace_s`` s: phases and durations."""
    w.log(f"  paced: {paced} launches then {paced} terminations, one every {pace_s} s")
    before, start = usage.mark(w.aws, w.lambda_log), w.tap.mark()
    launched = w.launches(paced, first_index, pace_s)
    w.drain(paced)
    middle = w.tap.mark()
    terminated = w.terminations(launched, pace_s)
    w.drain(paced)
    done = w.tap.since(start)
    phases = [
        phase("launch, paced", launched, done[: middle - start], paced=True),
        phase("terminate, paced", terminated, done[middle - start :], paced=True),
    ]
    return phases, usage.durations(w.aws, before)


def _burst(w: Workload, launches: int, *, profile: bool, timing: Any) -> dict[str, Any]:
    """``launches`` launches as fast as EC2 accepts them, drain, as many terminations, drain."""
    w.log(f"  burst: {launches} launches then {launches} terminations ({4 * launches} events)")
    admin = w.emu.admin
    admin.reset_stats()
    before, start = usage.mark(w.aws, w.lambda_log), w.tap.mark()
    sampler = CpuSampler(PROFILE_INTERVAL_S).start() if profile else None
    cpu0, emu0 = time.process_time(), w.emu.cpu_seconds()
    launched = w.launches(launches, 1)
    w.drain(launches)
    middle = w.tap.mark()
    terminated = w.terminations(launched)
    w.drain(launches)
    process_cpu, emulator_cpu = time.process_time() - cpu0, w.emu.cpu_seconds() - emu0
    if sampler is not None:
        sampler.stop()
    calls = admin.stats()["totals"]["total"]
    admin.close()
    done = w.tap.since(start)
    total = phase("total", launched + terminated, done)
    events = max(1, total["events"])
    cpu: dict[str, Any] = {
        "process_ms_per_event": round(process_cpu / events * 1000, 1),
        "emulator_ms_per_event": round(emulator_cpu / events * 1000, 2),
        "emulator_ms_per_call": round(emulator_cpu / max(1, calls) * 1000, 3),
    }
    if sampler is not None:
        cpu["profile_ms_per_event"] = sampler.per_event_ms(process_cpu, events)
    timing_from = "paced phase (no backlog)" if timing else "burst"
    return {
        "launches": launches,
        "events": total["events"],
        "phases": [
            phase("launch", launched, done[: middle - start]),
            phase("terminate", terminated, done[middle - start :]),
            total,
        ],
        "solidserver_calls_per_event": round(calls / events, 2),
        "cpu": cpu,
        "usage": usage.usage(
            w.aws,
            before,
            w.lambda_log,
            events=total["events"],
            solidserver_calls=calls,
            timing=timing,
            timing_from=timing_from,
        ),
    }


# --------------------------------------------------------------------------- bookkeeping


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def phase(
    name: str, calls: list[Call], executions: list[Execution], *, paced: bool = False
) -> dict[str, Any]:
    """Link each event of ``calls`` to the executions that applied it: applied once, missing,
    applied more than once; latency, queue wait and execution time; events per second (not for a
    paced phase, whose rate is the pacing's)."""
    by_event: dict[str, list[Execution]] = collections.defaultdict(list)
    for ex in executions:
        for eid in ex.event_ids:
            by_event[eid].append(ex)
    latency, queue, run_ = [], [], []
    events = missing = duplicates = 0
    for call in calls:
        for eid in call.events:
            events += 1
            done = [ex for ex in by_event.get(eid, []) if ex.status == "SUCCEEDED"]
            if not done:
                missing += 1
                continue
            duplicates += len(done) - 1
            latency.append((done[0].ended - call.returned) * 1000)
            queue.append((done[0].started - call.returned) * 1000)
            run_.append((done[0].ended - done[0].started) * 1000)
    first = min((c.started for c in calls), default=0.0)
    seconds = max((ex.ended for ex in executions), default=first) - first

    def dist(values: list[float], *keys: str) -> dict[str, float]:
        found = {"p50": statistics.median(values), "p99": percentile(values, 99)} if values else {}
        return {k: round(found[k], 1) for k in keys if k in found}

    return {
        "phase": name,
        "events": events,
        "applied": len(latency),
        "missing": missing,
        "duplicates": duplicates,
        "seconds": round(seconds, 2),
        "events_per_s": round(events / seconds, 2) if seconds > 0 and not paced else None,
        "latency_ms": dist(latency, "p50", "p99"),
        "queue_wait_ms": dist(queue, "p50"),
        "execution_ms": dist(run_, "p50"),
    }


# --------------------------------------------------------------------------- the section


def measure(ctx: Context) -> dict[str, Any]:
    launches = ctx.launches or ctx.size(*LAUNCHES)
    return run(launches, paced=ctx.size(*PACED), log=ctx.log)


def _total(result: Mapping[str, Any]) -> Mapping[str, Any]:
    return next(p for p in result["phases"] if p["phase"] == "total")


def targets(result: Mapping[str, Any]) -> list[tuple[str, bool]]:
    t = _total(result)
    return [
        (
            f"throughput: every event applied exactly once ({t['applied']}/{t['events']}, "
            f"{t['duplicates']} duplicates)",
            t["missing"] == 0 and t["duplicates"] == 0,
        )
    ]


def report(result: Mapping[str, Any]) -> list[Block]:
    rows = [
        (
            p["phase"],
            p["events"],
            f"{p['applied']}/{p['events']}",
            p["missing"],
            p["duplicates"],
            f"{p['seconds']:.1f}",
            p["events_per_s"] if p["events_per_s"] is not None else "(paced)",
            dist_ms(p["latency_ms"], "p50"),
            dist_ms(p["latency_ms"], "p99"),
            dist_ms(p["queue_wait_ms"], "p50"),
            dist_ms(p["execution_ms"], "p50"),
        )
        for p in result["phases"]
    ]
    header = ("phase", "events", "applied", "missing", "duplicates", "seconds", "events/s")
    n = result["launches"]
    blocks: list[Block] = [
        Table((*header, "latency p50", "latency p99", "queue wait p50", "execution p50"), rows),
        f"{n} launches as fast as EC2 accepts them, drain, then {n} terminations: {result['events']} "
        f"events, {result['pipe_workers']} pipe workers; the burst's latency is mostly the backlog (queue "
        f"wait). The *paced* rows were measured first: {result['paced_launches']} launches then "
        f"terminations, one every {result['pace_s']} s, no backlog: the pipeline's own latency. "
        "Latency = the EC2 call returned → the execution that applied the event succeeded.",
    ]
    return blocks + _cpu_report(result)


def _cpu_report(result: Mapping[str, Any]) -> list[Block]:
    cpu = result["cpu"]
    blocks: list[Block] = []
    line = f"This process: {cpu['process_ms_per_event']} ms CPU per event (one core, the GIL)"
    prof = cpu.get("profile_ms_per_event")
    if prof:
        labels = {key: (label, mine) for key, label, mine in COMPONENTS}
        rows: list[tuple[Any, ...]] = [
            (
                "ipamsync" if labels[k][1] else ("" if k == "unsampled" else "stand-in"),
                labels[k][0],
                f"{v:.2f}",
            )
            for k, v in prof.items()
            if k in labels and v > 0
        ]
        emulator = "SOLIDserver emulator (separate process, second core)"
        rows.append(("stand-in", emulator, f"{cpu['emulator_ms_per_event']:.2f}"))
        interval = f"{PROFILE_INTERVAL_S * 1000:.0f} ms"
        blocks += [
            f"Where the CPU goes (sampling every thread's CPU clock every {interval}):",
            Table(("", "component", "CPU ms per event"), rows),
        ]
        own = sum(prof.get(k, 0.0) for k in OWN)
        line += f", of which ipamsync's own code {own:.1f} ms"
        line += f" (one core would sustain ≈ {1000 / own:.0f} events/s of it alone)" if own else ""
        line += f" and moto {prof.get('moto', 0.0):.1f} ms"
    line += (
        f". The emulator: {cpu['emulator_ms_per_call']} ms CPU per SOLIDserver call, "
        f"{result['solidserver_calls_per_event']} calls per event."
    )
    clients = result.get("client_cpu_ms_per_call") or {}
    if clients:
        each = ", ".join(f"{k} {v:.2f} ms" for k, v in clients.items())
        line += f" CPU per SOLIDserver call, one thread, same emulator over TLS: {each}."
    return [*blocks, line]


def summary(result: Mapping[str, Any]) -> tuple[str, str, str]:
    t = _total(result)
    paced = [p for p in result["phases"] if p["events_per_s"] is None]

    def paced_ms(key: str) -> str:
        values = [p["latency_ms"][key] for p in paced if key in p["latency_ms"]]
        return ms(max(values)) if values else "-"

    return (
        f"Local pipeline, {result['launches']} launches + {result['launches']} terminations",
        f"{t['events_per_s']} events/s; burst latency p50 {dist_ms(t['latency_ms'], 'p50')}, p99 "
        f"{dist_ms(t['latency_ms'], 'p99')} (backlog); paced latency p50 {paced_ms('p50')}, p99 "
        f"{paced_ms('p99')}",
        f"{t['applied']}/{t['events']} applied, {t['missing']} missing, {t['duplicates']} duplicates",
    )


def headline(result: Mapping[str, Any]) -> dict[str, Any]:
    t = _total(result)
    prof = result["cpu"].get("profile_ms_per_event") or {}
    return {
        "events_per_s": t["events_per_s"],
        "latency_p50_ms": t["latency_ms"].get("p50"),
        "latency_p99_ms": t["latency_ms"].get("p99"),
        "cpu_ms_per_event": result["cpu"]["process_ms_per_event"],
        **({"ipamsync_cpu_ms_per_event": round(sum(prof.get(k, 0.0) for k in OWN), 1)} if prof else {}),
    }
