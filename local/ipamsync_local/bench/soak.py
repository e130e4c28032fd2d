"""Soak: thousands of events, shuffled and duplicated, against a faulty SOLIDserver with an outage,
then recovery and redrive. Nothing may be lost, wrong or duplicated.

The run, through the full local pipeline (EC2 on moto → EventBridge → enrich → SQS FIFO → pipe →
state machine → handlers → SOLIDserver emulator over TLS):

1. **Events.** ``instances`` instances are launched (a mix of plain, IPv6, secondary addresses,
   public and Elastic IPs, two interfaces) and then stopped, started, renamed and terminated at
   random (seeded) until EC2 has emitted ``events`` state-change events. The real enrich function
   observes EC2 for every event while the pipe is paused; its messages (one snapshot per event) are
   collected from the queue.
2. **Disorder and duplicates.** ``duplicate_ratio`` of the snapshots are copied, and everything is
   sent back in one seeded shuffled order (per instance, FIFO order is the shuffled order: older
   observations arrive after newer ones), in chunks of :data:`CHUNK` as the pipe drains the queue.
3. **Overlap.** ``overlap_ratio`` of the deliveries are also executed by hand at the same time as
   their queued execution (as when a message becomes visible again while its first execution still
   runs, or is copied into the console): two executions of one instance overlap. The local runtime
   runs in parallel mode: as many executions at once as the sync functions' reserved concurrency
   (5), one process per Lambda execution environment, against one emulator.
4. **Faults.** SOLIDserver fails ``fault_rate`` of the calls (500, 503, 429, connections dropped before
   and after the request was applied) and is completely down for ``outage_seconds`` once a quarter
   of the deliveries have run.
5. **Recovery.** Faults cleared; ``redrive`` replays the dead-letter queues until the event
   dead-letter queue is empty (at most 5 rounds); a last redrive must find nothing to replay.
6. **Check.** Every event emitted has a succeeded execution (``lost`` otherwise); SOLIDserver holds
   exactly what EC2 describes (``wrong``: missing, unexpected or wrong objects, objects ipamsync does
   not own changed; :mod:`ipamsync_local.truth`); nothing exists twice (``duplicates``).

``run()`` returns a dict (``lost``, ``wrong`` and ``duplicates`` at the top level: the benchmark CLI
flags them when not 0); ``format_table()`` renders it. Alone: ``python -m ipamsync_local.bench.soak``.

Time: about 0.3 s per execution and 0.1 s per enrich on one core (moto's interpreter and the
handlers dominate), so 2,000 events (+20 % duplicates) take 15-20 minutes.

Just over 600 lines because the six phases above share one run's state (the fleet, the emulator's
fault schedule, the overlap threads, the execution counts) and read as one story; the report and
the keep-dir dump are the only parts that could move, and they are a few dozen lines.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ipamsync_local.bench.fmt import Block, Table, as_text
from ipamsync_local.bench.names import NOTHING_TO_DO_STATE
from ipamsync_local.bench.pipeline import DNS_SERVER, FORWARD_ZONE, PARAMETERS
from ipamsync_local.bench.sections import Context
from ipamsync_local.emulator.process import EmulatorProcess
from ipamsync_local.redrive import redrive_local

REVERSE_ZONES = ("10.in-addr.arpa", "16.172.in-addr.arpa", "168.192.in-addr.arpa", "0.0.4.2.ip6.arpa")
USERNAME = "soak"
#: Share of the fault rate per kind of fault (429s carry Retry-After: 0 so that a long run is not
#: made of the client's own waits; the suite measures Retry-After on its own).
FAULT_MIX = {"500": 0.3, "503": 0.3, "429": 0.1, "drop": 0.15, "drop_after_commit": 0.15}
REDRIVE_ROUNDS = 5
#: Executions started by hand at once (the overlapping copies), beside the pipe's.
OVERLAP_WORKERS = 3
#: moto's SQS computes every queue attribute for each message it hands out (O(queue depth) per
#: message), so a queue thousands deep makes the local pipeline quadratic: snapshots are collected
#: and deliveries fed in chunks, the queue never holds much more than this many messages.
CHUNK = 200

Log = Callable[[str], None]


# --------------------------------------------------------------------------- SOLIDserver


class _Emulator:
    """The emulator over TLS, in a child process (its own core) or in this one."""

    def __init__(self, password: str, separate_process: bool) -> None:
        self.password = password
        self.separate_process = separate_process
        self.url = ""
        self.ca_path = ""
        self._server: Any = None

    def start(self) -> _Emulator:
        if self.separate_process:
            self._server = EmulatorProcess(seed=False, username=USERNAME, password=self.password).start()
            self.url, self.ca_path = self._server.url, self._server.ca_path
        else:
            from ipamsync_local.emulator import EmulatorServer

            self._server = EmulatorServer(tls=True, username=USERNAME, password=self.password).start()
            self.url, self.ca_path = self._server.url, str(self._server.cert_path)
        return self

    @property
    def admin(self) -> Any:
        return self._server.admin

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()


def _solidserver(emu: _Emulator) -> Any:
    from ipamsync.solidserver import ClientConfig, SolidServer, SolidServerClient
    from ipamsync.solidserver.config import Credentials, Secret

    config = ClientConfig(
        url=emu.url,
        credentials=Credentials(USERNAME, Secret(emu.password)),
        ca_bundle=emu.ca_path,
        requests_per_second=0,
    )
    return SolidServer(SolidServerClient(config))


def fault_config(fault_rate: float, seed: int) -> dict[str, Any]:
    """``fault_rate`` of the calls fail, split per :data:`FAULT_MIX`."""
    rule: dict[str, Any] = {
        "error_rates": {code: fault_rate * FAULT_MIX[code] for code in ("500", "503", "429")},
        "retry_after": 0,
        "drop_rate": fault_rate * FAULT_MIX["drop"],
        "drop_after_commit_rate": fault_rate * FAULT_MIX["drop_after_commit"],
    }
    return {"seed": seed, "rules": {"*": rule}}


# --------------------------------------------------------------------------- the run


def _launch(fleet: Any, rng: random.Random, n: int) -> str:
    kind = rng.choices(
        ["plain", "ipv6", "secondary", "public", "elastic", "two-enis"], weights=[4, 2, 2, 1, 1, 1]
    )[0]
    subnet = fleet.ensure_network().subnet_ids[n % 2]
    opts: dict[str, Any] = {
        "plain": {},
        "ipv6": {"ipv6": 1},
        "secondary": {"secondary_ips": 1},
        "public": {"public_ip": True},
        "elastic": {"elastic_ip": True},
        "two-enis": {"enis": 2, "ipv6": 1},
    }[kind]
    tags = {"env": rng.choice(["prod", "dev", "test"]), "soak": str(n)}
    return str(fleet.launch(f"soak-{n}", tags=tags, subnet_id=subnet, **opts).instance_id)


def _lifecycle(
    aws: Any, events: int, instances: int, rng: random.Random, log: Log, collect: Callable[[], None]
) -> dict[str, int]:
    """Launch, then stop/start/rename/terminate at random until ``events`` events were emitted;
    ``collect()`` after every :data:`CHUNK` events and at the end."""
    fleet, source = aws.fleet, aws.events_source
    fleet.ensure_network(subnets=2)
    state: dict[str, str] = {}
    actions: Counter[str] = Counter()
    collected = 0

    def maybe_collect() -> None:
        nonlocal collected
        if len(source.emitted) - collected >= CHUNK:
            collect()
            collected = len(source.emitted)

    for n in range(min(instances, max(1, events // 2))):
        state[_launch(fleet, rng, n)] = "running"
        actions["launch"] += 1
        maybe_collect()
    log(f"soak: {len(state)} instances launched")
    renames = 0
    while len(source.emitted) < events:
        alive = sorted(i for i, s in state.items() if s != "terminated")
        if not alive:
            break
        iid = rng.choice(alive)
        left = events - len(source.emitted)
        if state[iid] == "running":
            action = rng.choices(["stop", "rename", "terminate"], weights=[5, 3, 2])[0]
            if action == "rename" and left < 4:
                action = "stop"
        else:
            action = rng.choices(["start", "terminate"], weights=[4, 1])[0]
        if action == "stop":
            fleet.stop(iid)
            state[iid] = "stopped"
        elif action == "start":
            fleet.start(iid)
            state[iid] = "running"
        elif action == "rename":
            renames += 1
            fleet.rename(iid, f"soak-r{renames}")
        else:
            fleet.terminate(iid)
            state[iid] = "terminated"
        actions[action] += 1
        maybe_collect()
    collect()
    return dict(actions)


@contextlib.contextmanager
def _phase(timings: dict[str, float], name: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        timings[name] = round(time.monotonic() - started, 1)


@contextlib.contextmanager
def _work_dir(keep_dir: str | Path | None) -> Iterator[str]:
    if keep_dir is None:
        with tempfile.TemporaryDirectory(prefix="ipamsync-soak-") as tmp:
            yield tmp
        return
    Path(keep_dir).mkdir(parents=True, exist_ok=True)
    yield str(keep_dir)


def run(
    events: int = 2000,
    instances: int = 200,
    duplicate_ratio: float = 0.2,
    fault_rate: float = 0.2,
    outage_seconds: float = 10.0,
    seed: int = 1127,
    time_scale: float = 0.05,
    *,
    overlap_ratio: float = 0.1,
    separate_process: bool = True,
    keep_dir: str | Path | None = None,
    log: Log | None = None,
) -> dict[str, Any]:
    """The soak (see the module doc). Returns the figures; ``lost``/``wrong``/``duplicates`` must be 0.

    ``keep_dir``: keep the run's state directory (execution records) and the functions' log
    (``lambda.log``) there, to examine a failing run; by default both go to a temporary directory."""
    from ipamsync_local.aws import LocalAws
    from ipamsync_local.inventory import read_inventory
    from ipamsync_local.truth import foreign_snapshot

    say: Log = log or (lambda _text: None)
    rng = random.Random(seed)
    timings: dict[str, float] = {}
    started = time.monotonic()
    emu = _Emulator(secrets.token_urlsafe(16), separate_process).start()
    try:
        admin = emu.admin
        admin.seed(dns_server=DNS_SERVER, forward_zones=[FORWARD_ZONE], reverse_zones=list(REVERSE_ZONES))
        ss = _solidserver(emu)
        foreign_before = foreign_snapshot(read_inventory(ss, DNS_SERVER))
        with (
            _work_dir(keep_dir) as tmp,
            LocalAws(
                solidserver_url=emu.url,
                parameters=PARAMETERS,
                state_dir=Path(tmp) / "state",
                time_scale=time_scale,
                credentials={"username": USERNAME, "password": emu.password},
                ca_bundle_pem=Path(emu.ca_path).read_text(encoding="utf-8"),
                lambda_log=Path(tmp) / "lambda.log",
            ) as aws,
        ):
            with _phase(timings, "events_s"):
                bodies, actions = _observe(aws, events, instances, rng, say)
            emitted = list(aws.events_source.emitted)
            say(f"soak: {len(emitted)} events emitted and enriched ({timings['events_s']} s)")
            deliveries, copies, overlapping = _shuffled(bodies, rng, duplicate_ratio, overlap_ratio, say)
            admin.reset_stats()
            admin.set_faults(fault_config(fault_rate, seed))
            say(f"soak: SOLIDserver fails {fault_rate:.0%} of the calls")
            with _phase(timings, "delivery_s"):
                _deliver(aws, admin, deliveries, overlapping, outage_seconds, say)
            admin.clear_faults()
            with _phase(timings, "redrive_s"):
                recovery = _recover(aws, say)
            figures = {
                **recovery,
                **_check(aws, ss, emitted, foreign_before),
                "solidserver": admin.stats()["totals"],
            }
            summaries = list(aws.recorder.summaries)
    finally:
        emu.stop()
    return _figures(
        figures,
        summaries,
        timings,
        started,
        emitted=emitted,
        deliveries=deliveries,
        copies=copies,
        actions=actions,
        overlapping=len(overlapping),
        fault_rate=fault_rate,
        outage_seconds=outage_seconds,
        seed=seed,
        time_scale=time_scale,
    )


def _shuffled(
    bodies: list[Any], rng: random.Random, duplicate_ratio: float, overlap_ratio: float, say: Log
) -> tuple[list[Any], list[Any], set[int]]:
    """Every body plus duplicates, shuffled; which deliveries are also executed by hand at once."""
    copies = rng.sample(bodies, k=round(duplicate_ratio * len(bodies)))
    deliveries = bodies + copies
    rng.shuffle(deliveries)
    say(f"soak: {len(deliveries)} deliveries ({len(copies)} duplicates), shuffled")
    overlapping = set(rng.sample(range(len(deliveries)), k=round(overlap_ratio * len(deliveries))))
    say(f"soak: {len(overlapping)} of them also executed by hand at the same time")
    return deliveries, copies, overlapping


def _figures(
    figures: dict[str, Any],
    summaries: list[Any],
    timings: dict[str, float],
    started: float,
    *,
    emitted: list[Any],
    deliveries: list[Any],
    copies: list[Any],
    actions: dict[str, int],
    **settings: Any,
) -> dict[str, Any]:
    """The run's result: what was sent, what SOLIDserver ended with, what it took."""
    status = Counter(s.status for s in summaries)
    return {
        "events": len(emitted),
        "instances": actions.get("launch", 0),
        "actions": actions,
        # the messages enrich queued: one per state change, and one per instance a CloudTrail call
        # (a rename by its Name tag) changed
        "messages": len(deliveries) - len(copies),
        "deliveries": len(deliveries),
        "duplicates_sent": len(copies),
        **settings,
        "concurrency": "parallel",
        "lost": len(figures["lost_events"]),
        "wrong": len(figures["wrong_differences"]),
        "duplicates": len(figures["duplicate_keys"]),
        "lost_events": figures["lost_events"][:20],
        "differences": figures["differences"],
        "truth": figures["truth"],
        "executions": len(summaries),
        "executions_by_status": dict(status),
        "stale_skipped": sum(1 for s in summaries if NOTHING_TO_DO_STATE in s.states),
        "task_retries": sum(s.retries for s in summaries),
        # executions that ran longer than the instance's lease (scaled like the runtime scales it,
        # while executions are not): another execution of that instance could take it meanwhile
        "past_lease": sum(1 for s in summaries if (s.duration_ms or 0) / 1000 > _lease_s(settings)),
        "dead_lettered": figures["dead_lettered"],
        "workflow_records": figures["workflow_records"],
        "redrive_rounds": figures["redrive_rounds"],
        "redriven": figures["redriven"],
        "redrive_left": figures["redrive_left"],
        "solidserver_reads": figures["solidserver"]["reads"],
        "solidserver_writes": figures["solidserver"]["writes"],
        "solidserver_statuses": figures["solidserver"]["statuses"],
        "wall_s": round(time.monotonic() - started, 1),
        "phases_s": timings,
        "events_per_s": round(len(deliveries) / timings["delivery_s"], 2)
        if timings.get("delivery_s")
        else None,
    }


def _lease_s(settings: Mapping[str, Any]) -> float:
    """The execution lease the functions get locally (``LocalAws`` scales it by ``time_scale``)."""
    return max(1, int(int(PARAMETERS.get("ExecutionLeaseSeconds", 330)) * settings["time_scale"]))


def _observe(
    aws: Any, events: int, instances: int, rng: random.Random, say: Log
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Emit the events with the pipe paused; the enriched messages, collected from the queue."""
    aws.pipe.pause()
    bodies: list[dict[str, Any]] = []

    def collect() -> None:
        aws.lambdas.wait_idle(3600)
        bodies.extend(m["body"] for m in aws.dead_letters("EventQueue", delete=True))

    actions = _lifecycle(aws, events, instances, rng, say, collect)
    return bodies, actions


def _deliver(
    aws: Any,
    admin: Any,
    deliveries: list[dict[str, Any]],
    overlapping: set[int],
    outage_seconds: float,
    say: Log,
) -> None:
    """Send the deliveries in their shuffled order, keeping the queue shallow; each of
    ``overlapping`` is also executed by hand as it is sent; SOLIDserver goes down for
    ``outage_seconds`` once a quarter of them has run."""
    from concurrent.futures import ThreadPoolExecutor

    def outage() -> None:
        deadline = time.monotonic() + 3600
        while len(aws.recorder.summaries) < len(deliveries) // 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        say(f"soak: SOLIDserver down for {outage_seconds} s")
        admin.outage(True)
        time.sleep(outage_seconds)
        admin.outage(False)

    outage_thread = threading.Thread(target=outage, name="soak-outage", daemon=True)
    aws.pipe.resume()
    if outage_seconds > 0:
        outage_thread.start()
    sent = 0
    with ThreadPoolExecutor(OVERLAP_WORKERS, thread_name_prefix="soak-by-hand") as by_hand:
        while sent < len(deliveries):
            if sum(aws.queue_depth("EventQueue").values()) > CHUNK // 4:
                time.sleep(0.1)
                continue
            for n in range(sent, min(sent + CHUNK, len(deliveries))):
                aws.send_message(deliveries[n], dedup_id=f"soak-{n}")
                if n in overlapping:
                    by_hand.submit(_execute_by_hand, aws, deliveries[n], n)
            sent = min(sent + CHUNK, len(deliveries))
        if outage_seconds > 0:
            outage_thread.join()
    aws.wait_idle(7200)


def _execute_by_hand(aws: Any, body: dict[str, Any], n: int) -> None:
    """An execution started outside the queue with a copy of the record (its outcome is counted
    with the others; if it fails it dead-letters like any execution)."""
    record = {"messageId": f"by-hand-{n}", "body": json.dumps(body), "attributes": {}}
    aws.execute([record], name=f"by-hand-{n}-{secrets.token_hex(4)}", timeout=3600)


def _recover(aws: Any, say: Log) -> dict[str, Any]:
    """Redrive the dead-letter queues until the event queue's is empty; a last redrive finds nothing."""
    parked = aws.dead_letters("EventDeadLetterQueue")
    workflow_records = len(aws.dead_letters("WorkflowDeadLetterQueue"))
    say(f"soak: delivered; {len(parked)} events dead-lettered, {workflow_records} workflow records")
    rounds, replayed = 0, 0
    while rounds < REDRIVE_ROUNDS and (rounds == 0 or aws.dead_letters("EventDeadLetterQueue")):
        rounds += 1
        report = redrive_local(aws)
        replayed += report.replayed_messages + report.replayed_events
        aws.wait_idle(3600)
    last = redrive_local(aws)
    return {
        "dead_lettered": len(parked),
        "workflow_records": workflow_records,
        "redrive_rounds": rounds,
        "redriven": replayed,
        "redrive_left": last.replayed_messages + last.replayed_events + len(last.kept_invalid),
    }


def _check(aws: Any, ss: Any, emitted: list[Any], foreign_before: Any) -> dict[str, Any]:
    """Lost events, wrong records and duplicate objects: SOLIDserver against what EC2 describes."""
    from ipamsync_local.inventory import read_inventory
    from ipamsync_local.truth import (
        compare,
        compute_truth,
        format_differences,
        settings_from_parameters,
        zones_of,
    )

    succeeded = {s.event_id for s in aws.recorder.summaries if s.status == "SUCCEEDED"}
    truth = compute_truth(aws.ec2, settings_from_parameters(PARAMETERS), zones=zones_of(ss, DNS_SERVER))
    inventory = read_inventory(ss, DNS_SERVER)
    diffs = compare(inventory, truth, foreign_before=foreign_before)
    duplicate_keys = {f"{d.object_type} {d.key}" for d in diffs if d.kind == "duplicate"}
    duplicate_keys |= {f"{kind} {key}" for kind, keys in inventory.duplicates().items() for key in keys}
    return {
        "lost_events": sorted({e.id for e in emitted} - succeeded),
        "wrong_differences": [d for d in diffs if d.kind != "duplicate"],
        "duplicate_keys": duplicate_keys,
        "differences": format_differences(diffs, limit=30) if diffs else "",
        "truth": truth.summary(),
    }


CHECKS = ("lost", "wrong", "duplicates")
EVENTS, INSTANCES = (2000, 200), (200, 20)  # full run, --quick
#: What the benchmark does not save of a run: the seed's details and what only explains a failure.
NOT_SAVED = ("actions", "seed", "time_scale", "lost_events", "differences", "truth")
NOT_SAVED += ("solidserver_reads", "solidserver_writes", "solidserver_statuses")


def report(result: Mapping[str, Any]) -> list[Block]:
    by_status = ", ".join(f"{k} {v}" for k, v in sorted(result["executions_by_status"].items()))
    phases = result["phases_s"]
    rows = [
        ("events (EC2 state changes)", f"{result['events']} across {result['instances']} instances"),
        (
            "deliveries",
            f"{result['deliveries']} ({result['duplicates_sent']} duplicates), shuffled; "
            f"{result.get('overlapping', 0)} also executed by hand at the same time "
            f"({result.get('concurrency', 'serial')} mode)",
        ),
        ("faults", f"{result['fault_rate']:.0%} of calls + one {result['outage_seconds']} s outage"),
        ("lost", result["lost"]),
        ("wrong records", result["wrong"]),
        ("duplicate objects", result["duplicates"]),
        (
            "dead-lettered, then redriven",
            f"{result['dead_lettered']} events ({result['workflow_records']} workflow records); "
            f"{result['redriven']} replayed in {result['redrive_rounds']} round(s), "
            f"{result['redrive_left']} left",
        ),
        (
            "executions",
            f"{result['executions']} ({by_status}); "
            f"{result['stale_skipped']} stale or already applied, {result['task_retries']} task retries"
            + (f", {result['past_lease']} ran past their lease" if result.get("past_lease") else ""),
        ),
    ]
    if "solidserver_statuses" in result:  # a run's full figures (not saved)
        faulted = {k: v for k, v in result["solidserver_statuses"].items() if not k.startswith("2")}
        faults = ", ".join(f"{k} {v}" for k, v in sorted(faulted.items())) or "none"
        calls = f"{result['solidserver_reads']} reads, {result['solidserver_writes']} writes"
        rows.append(("SOLIDserver calls", f"{calls}; faulted: {faults}"))
        rows.append(("SOLIDserver holds", ", ".join(f"{v} {k}" for k, v in result["truth"].items())))
    rows.append(
        (
            "wall time",
            f"{result['wall_s']} s (events {phases.get('events_s')} s, "
            f"delivery {phases.get('delivery_s')} s, redrive {phases.get('redrive_s')} s; "
            f"{result['events_per_s']} deliveries/s)",
        )
    )
    blocks: list[Block] = [Table(("soak", "result"), rows)]
    if result.get("differences"):
        blocks.append(result["differences"])
    return blocks


def format_table(result: Mapping[str, Any]) -> str:
    return as_text(report(result))


# --------------------------------------------------------------------------- the section


def measure(ctx: Context) -> dict[str, Any]:
    result = run(events=ctx.size(*EVENTS), instances=ctx.size(*INSTANCES), log=ctx.log)
    saved = {key: value for key, value in result.items() if key not in NOT_SAVED}
    if result.get("differences"):
        saved["differences"] = result["differences"]
    return saved


def targets(result: Mapping[str, Any]) -> list[tuple[str, bool]]:
    return [(f"soak: {key} = 0 ({result[key]})", result[key] == 0) for key in CHECKS]


def summary(result: Mapping[str, Any]) -> tuple[str, str, str]:
    return ("Soak", ", ".join(f"{key} {result[key]}" for key in CHECKS), "all 0")


def headline(result: Mapping[str, Any]) -> dict[str, Any]:
    return {f"soak_{key}": result[key] for key in CHECKS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ipamsync_local.bench.soak", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--instances", type=int, default=200)
    parser.add_argument("--duplicate-ratio", type=float, default=0.2)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--outage-seconds", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1127)
    parser.add_argument("--time-scale", type=float, default=0.05)
    parser.add_argument("--overlap-ratio", type=float, default=0.1)
    parser.add_argument("--in-process", action="store_true", help="run the emulator in this process")
    parser.add_argument("--keep-dir", help="keep the state directory and lambda.log here")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = run(
        events=args.events,
        instances=args.instances,
        duplicate_ratio=args.duplicate_ratio,
        fault_rate=args.fault_rate,
        outage_seconds=args.outage_seconds,
        seed=args.seed,
        time_scale=args.time_scale,
        overlap_ratio=args.overlap_ratio,
        separate_process=not args.in_process,
        keep_dir=args.keep_dir,
        log=lambda text: print(text, file=sys.stderr, flush=True),
    )
    print(json.dumps(result, indent=2, default=str) if args.json else format_table(result))
    return 0 if all(result[key] == 0 for key in CHECKS) else 1


if __name__ == "__main__":
    sys.exit(main())
