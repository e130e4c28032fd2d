"""SOLIDserver calls per event, counted by the emulator, next to the minimum a correct sync needs.

Every scenario runs through the whole local pipeline (EC2 in moto → EventBridge → enrich → SQS FIFO
→ pipe → Express state machine → the four sync functions → the SOLIDserver emulator) with one pipe
worker, so executions run one at a time. Around each execution the benchmark reads the emulator's
counters and a full snapshot of what SOLIDserver holds, so every call and every changed object is
attributed to the event that caused it.

**Warm and cold.** Each function gets its own execution environment (:class:`~.throughput.Containers`)
and every scenario starts with fresh ones, as after a deployment or a scale-out. The calls a
container makes once (and again every 5 minutes at most) are the *cold* calls: the version probe
(``member_list``), the space lookup (``ip_site_list``), the zone cache (``dns_zone_list``, and
``dns_server_list`` when the server has no zone). Those services are called on no other path, so
the counts split exactly: cold = those services, warm = everything else.

**The minimum** (derived in docs/benchmarks.md):

* writes = SOLIDserver objects that actually changed, from the snapshots before and after the
  execution (created + deleted + modified), not counting what the appliance changes by itself when
  a device is deleted (its interfaces go, its addresses are unlinked);
* reads = one query per kind of object the event must check, per IP version (REST v1 has no
  multi-service query, and ipamsync's queries already cover all objects of a kind in one call):
  the device (with its interfaces, in one ``hostiface_list`` joined with the device's metadata, when
  the device exists with interfaces), the networks per IP version the instance's VPC and subnets
  use, the addresses per IP version it has *or may already own* (it can only own something when its
  device existed before the event), the DNS records (when DNS is on). A stale event needs only the
  device. Networks are not needed for a terminated instance.

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

from ipamsync_local.bench.throughput import DNS_SERVER, PARAMETERS, Containers, PipeTap

#: Services only called when a container's caches are empty (probe, space, zones).
COLD_SERVICES = frozenset({"member_list", "ip_site_list", "dns_zone_list", "dns_server_list"})
RATIO_TARGET = 1.5

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


# --------------------------------------------------------------------------- snapshots and diffs


def snapshot(ss: Any) -> dict[tuple[str, int, str], Any]:
    """Every object SOLIDserver holds, keyed by (kind, IP version, id)."""
    from ipamsync_local.inventory import read_inventory

    inv = read_inventory(ss, DNS_SERVER)
    objects: dict[tuple[str, int, str], Any] = {}
    for s in inv.spaces:
        objects[("space", 0, s.id)] = s
    for n in inv.networks:
        objects[("network", n.version, n.id)] = n
    for a in inv.addresses:
        objects[("address", a.version, a.id)] = a
    for d in inv.devices:
        objects[("device", 0, d.id)] = d
    for i in inv.interfaces:
        objects[("interface", 0, i.id)] = i
    for r in inv.records:
        objects[("record", 0, r.id)] = r
    return objects


def diff(
    before: Mapping[tuple[str, int, str], Any], after: Mapping[tuple[str, int, str], Any]
) -> dict[str, int]:
    """Objects created, deleted and modified, without the appliance's own cascades."""
    deleted_devices = {k[2] for k in before if k[0] == "device" and k not in after}
    deleted_ifaces = {k[2] for k in before if k[0] == "interface" and k not in after}
    out: collections.Counter[str] = collections.Counter()
    for key in after:
        if key not in before:
            out[f"created:{key[0]}"] += 1
    for key, obj in before.items():
        if key in after:
            continue
        if key[0] == "interface" and obj.device_id in deleted_devices:
            continue  # deleting a device deletes its interfaces
        out[f"deleted:{key[0]}"] += 1
    for key, old in before.items():
        new = after.get(key)
        if new is None or new == old:
            continue
        if key[0] == "address":
            cascaded = (old.device_id in deleted_devices or old.iface_id in deleted_ifaces) and (
                new.device_id is None and new.iface_id is None
            )
            if cascaded and _same_except_links(old, new):
                continue  # unlinked by the appliance when its device/interface was deleted
        out[f"modified:{key[0]}"] += 1
    return dict(out)


def _same_except_links(old: Any, new: Any) -> bool:
    from dataclasses import replace

    return replace(old, device_id=None, iface_id=None) == replace(new, device_id=None, iface_id=None)


# --------------------------------------------------------------------------- the minimum


def minimum_reads(
    message: Mapping[str, Any], before: Mapping[tuple[str, int, str], Any], *, dns: bool
) -> dict[str, int]:
    """The reads a correct sync of ``message`` needs, given what SOLIDserver held before it (see the
    module documentation). Returned per kind so the derivation shows in the results."""
    from ipamsync.model import parse_time

    inst = message.get("instance") or {}
    account = (message.get("event") or {}).get("account", "")
    region = (message.get("event") or {}).get("region", "")
    owner = f"aws:{account}:{region}:{inst.get('id', '')}"
    gone = inst.get("state") in ("shutting-down", "terminated")
    device = next(
        (o for k, o in before.items() if k[0] == "device" and o.metadata.get("ipamsync_owner") == owner), None
    )
    ifaces = [
        o
        for k, o in before.items()
        if k[0] == "interface" and device is not None and o.device_id == device.id
    ]
    tombstone = device is not None and "ipamsync_tombstone" in device.metadata
    reads = {"device": 1}
    if device is not None:
        seen = device.metadata.get("ipamsync_observed_at")
        stale = False
        if seen:
            try:
                stale = parse_time(seen) > parse_time(message["observed_at"])
            except (KeyError, ValueError):
                stale = False
        if stale or (tombstone and not gone):
            return reads
    if not gone and device is not None and not tombstone and not ifaces:
        reads["interfaces"] = 1  # an existing device without interfaces: its interfaces cannot come with it
    enis = inst.get("network_interfaces") or []
    existed = device is not None
    if not gone:
        used_vpcs = {e.get("vpc_id") for e in enis}
        used_subnets = {e.get("subnet_id") for e in enis}
        v4 = any(v.get("cidrs_v4") for v in message.get("vpcs") or [] if v.get("id") in used_vpcs) or any(
            s.get("cidr_v4") for s in message.get("subnets") or [] if s.get("id") in used_subnets
        )
        v6 = any(v.get("cidrs_v6") for v in message.get("vpcs") or [] if v.get("id") in used_vpcs) or any(
            s.get("cidrs_v6") for s in message.get("subnets") or [] if s.get("id") in used_subnets
        )
        public = any(ip.get("public_ip") for e in enis for ip in e.get("private_ipv4") or [])
        if v4 or public:
            reads["networks v4"] = 1
        if v6:
            reads["networks v6"] = 1
    wants_v4 = not gone and any(e.get("private_ipv4") for e in enis)
    wants_v6 = not gone and any(e.get("ipv6") for e in enis)
    if wants_v4 or existed:
        reads["addresses v4"] = 1
    if wants_v6 or existed:
        reads["addresses v6"] = 1
    wants_records = not gone and bool(inst.get("hostname")) and bool(enis)
    if dns and (wants_records or existed):
        reads["dns records"] = 1
    return reads


# --------------------------------------------------------------------------- scenarios


@dataclass
class EventCalls:
    """What one execution (one event) cost and what it needed."""

    scenario: str
    state: str
    instance_id: str
    status: str
    reads: int = 0
    writes: int = 0
    cold_reads: int = 0
    cold_writes: int = 0
    services: dict[str, int] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)
    min_reads: int = 0
    min_writes: int = 0
    min_reads_detail: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str


SCENARIOS = (
    Scenario("new-vpc", "new instance, new VPC"),
    Scenario("known-subnets", "new instance, known subnets"),
    Scenario("replay", "replay of an applied event"),
    Scenario("stale", "late (stale) event"),
    Scenario("stop", "stop"),
    Scenario("start", "start"),
    Scenario("terminate", "terminate"),
    Scenario("multi-eni", "multi-ENI launch (3 ENIs, 6 addresses)"),
)


def _calls(stats_before: Mapping[str, Any], stats_after: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """Per-service {method: count} difference of two emulator stats documents."""
    out: dict[str, dict[str, int]] = {}
    for service, after in (stats_after.get("services") or {}).items():
        before = ((stats_before.get("services") or {}).get(service) or {}).get("methods") or {}
        for method, n in (after.get("methods") or {}).items():
            d = n - before.get(method, 0)
            if d:
                out.setdefault(service, {})[method] = d
    return out


class _Recorder:
    """Before/after hooks of the pipe tap: emulator counters and snapshots around each execution."""

    def __init__(self, admin: Any, ss: Any) -> None:
        self.admin = admin
        self.ss = ss
        self.scenario = ""
        self.events: list[EventCalls] = []

    def before(self, records: list[dict[str, Any]]) -> Any:
        snap = snapshot(self.ss)
        return snap, self.admin.stats()

    def after(self, records: list[dict[str, Any]], token: Any) -> dict[str, Any]:
        stats_after = self.admin.stats()
        snap_before, stats_before = token
        snap_after = snapshot(self.ss)
        message = json.loads(records[0]["body"]) if records else {}
        calls = _calls(stats_before, stats_after)
        ev = EventCalls(
            scenario=self.scenario,
            state=str((message.get("event") or {}).get("state", "")),
            instance_id=str((message.get("instance") or {}).get("id", "")),
            status="",
        )
        for service, methods in calls.items():
            for method, n in methods.items():
                cold = service in COLD_SERVICES
                if method == "GET":
                    if cold:
                        ev.cold_reads += n
                    else:
                        ev.reads += n
                elif cold:
                    ev.cold_writes += n
                else:
                    ev.writes += n
                ev.services[f"{method} {service}"] = n
        ev.changes = diff(snap_before, snap_after)
        ev.min_writes = sum(ev.changes.values())
        ev.min_reads_detail = minimum_reads(message, snap_before, dns=True)
        ev.min_reads = sum(ev.min_reads_detail.values())
        self.events.append(ev)
        return {"calls": ev}


def _wait(aws: Any, tap: PipeTap, mark: int, expected: int, timeout: float = 120.0) -> list[Any]:
    """Wait for the pipeline to drain and for ``expected`` executions since ``mark``."""
    deadline = time.monotonic() + timeout
    while True:
        aws.wait_idle(timeout)
        done = tap.since(mark)
        if len(done) >= expected or time.monotonic() > deadline:
            return done
        time.sleep(0.05)


def run(*, log: Log = _quiet) -> dict[str, Any]:
    """Run every scenario; returns per-event and per-scenario figures."""
    from ipamsync.solidserver import ClientConfig, SolidServer, SolidServerClient
    from ipamsync.solidserver.config import Credentials, Secret
    from ipamsync_local.aws import LocalAws
    from ipamsync_local.emulator import EmulatorServer

    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="ipamsync-bench-calls-") as tmp,
        EmulatorServer(tls=True, seed=True) as emu,
    ):
        ca_pem = Path(str(emu.cert_path)).read_text(encoding="utf-8")
        reader = SolidServerClient(
            ClientConfig(
                url=emu.url,
                credentials=Credentials("ipmadmin", Secret("admin")),
                ca_bundle=str(emu.cert_path),
                requests_per_second=0,
            )
        )
        ss = SolidServer(reader)
        recorder = _Recorder(emu.admin, ss)
        with LocalAws(
            solidserver_url=emu.url,
            ca_bundle_pem=ca_pem,
            parameters=PARAMETERS,
            state_dir=Path(tmp) / "state",
            time_scale=0.05,
            pipe_workers=1,
            lambda_log=Path(tmp) / "lambda.log",
            environment={"POWERTOOLS_LOG_LEVEL": "WARNING"},
        ) as aws:
            containers = Containers(aws)
            tap = PipeTap(aws, before=recorder.before, after=recorder.after)
            fleet = aws.fleet
            messages: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)

            def scenario(key: str, action: Callable[[], int]) -> None:
                recorder.scenario = key
                containers.cold()
                mark = tap.mark()
                expected = action()
                done = _wait(aws, tap, mark, expected)
                for ex in done:
                    ex.extra["calls"].status = ex.status
                log(f"  {key}: {len(done)} execution(s)")

            def launch(name: str, **kw: Any) -> Any:
                return fleet.launch(name, **kw)

            holder: dict[str, Any] = {}

            def new_vpc() -> int:
                fleet.ensure_network()  # a VPC SOLIDserver has never seen (IPv4 + IPv6, 2 subnets)
                holder["web1"] = launch("web-1")
                return len(holder["web1"].events)

            def known() -> int:
                holder["web2"] = launch("web-2")
                return len(holder["web2"].events)

            def replay() -> int:
                msg = _last_message(aws, holder["web2"].instance_id, messages)
                aws.send_message(msg, dedup_id=str(uuid.uuid4()))  # what `ipamsync redrive` does
                return 1

            def stale() -> int:
                first = _first_message(aws, holder["web2"].instance_id, messages)
                aws.send_message(first, dedup_id=str(uuid.uuid4()))  # an older observation, late
                return 1

            def stop() -> int:
                return len(fleet.stop(holder["web2"].instance_id).events)

            def start() -> int:
                return len(fleet.start(holder["web2"].instance_id).events)

            def terminate() -> int:
                return len(fleet.terminate(holder["web2"].instance_id).events)

            def multi() -> int:
                holder["multi"] = launch("multi-1", enis=3, secondary_ips=1)
                return len(holder["multi"].events)

            actions = {
                "new-vpc": new_vpc,
                "known-subnets": known,
                "replay": replay,
                "stale": stale,
                "stop": stop,
                "start": start,
                "terminate": terminate,
                "multi-eni": multi,
            }
            for sc in SCENARIOS:
                scenario(sc.key, actions[sc.key])
        reader.close()

    events = recorder.events
    scenarios = []
    for sc in SCENARIOS:
        evs = [e for e in events if e.scenario == sc.key]
        scenarios.append(summarize(sc, evs))
    return {
        "scenarios": scenarios,
        "events": [e.to_dict() for e in events],
        "ratio_target": RATIO_TARGET,
        "targets_met": all(s["meets_targets"] for s in scenarios),
        "seconds": round(time.monotonic() - started, 1),
    }


def summarize(sc: Scenario, evs: list[EventCalls]) -> dict[str, Any]:
    reads = sum(e.reads for e in evs)
    writes = sum(e.writes for e in evs)
    min_reads = sum(e.min_reads for e in evs)
    min_writes = sum(e.min_writes for e in evs)
    total, minimum = reads + writes, min_reads + min_writes
    ratio = round(total / minimum, 2) if minimum else (1.0 if total == 0 else 99.0)
    checks = {"ratio": ratio <= RATIO_TARGET, "all_succeeded": all(e.status == "SUCCEEDED" for e in evs)}
    if sc.key == "replay":
        checks["zero_writes"] = writes == 0
    services: collections.Counter[str] = collections.Counter()
    for e in evs:
        services.update(e.services)
    return {
        "scenario": sc.key,
        "label": sc.label,
        "events": len(evs),
        "states": [e.state for e in evs],
        "reads": reads,
        "writes": writes,
        "calls": total,
        "min_reads": min_reads,
        "min_writes": min_writes,
        "min_calls": minimum,
        "ratio": ratio,
        "cold_reads": sum(e.cold_reads for e in evs),
        "cold_writes": sum(e.cold_writes for e in evs),
        "services": dict(sorted(services.items())),
        "checks": checks,
        "meets_targets": all(checks.values()),
    }


def _messages_of(aws: Any, instance_id: str, cache: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The enriched messages the executions of an instance applied, oldest first."""
    found = []
    for summary in aws.executions.list():
        if summary.instance_id != instance_id or summary.status != "SUCCEEDED":
            continue
        _, events = aws.executions.get(summary.name)
        started = next(e for e in events if e["type"] == "ExecutionStarted")
        records = json.loads(started["executionStartedEventDetails"]["input"])
        for record in records:
            found.append(json.loads(record["body"]))
    found.sort(key=lambda m: m["observed_at"])
    cache[instance_id] = found
    return found


def _last_message(aws: Any, instance_id: str, cache: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return copy.deepcopy(_messages_of(aws, instance_id, cache)[-1])


def _first_message(aws: Any, instance_id: str, cache: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return copy.deepcopy(_messages_of(aws, instance_id, cache)[0])


# --------------------------------------------------------------------------- report


def format_table(result: Mapping[str, Any]) -> str:
    from ipamsync_local.bench import results as res
    from ipamsync_local.report import table

    lines = [
        table(res.CALLS_HEADER, res.calls_rows(result)),
        "reads/writes/calls: warm containers (what every event costs); cold calls: once per fresh execution "
        "environment (version probe, space, zones; cached 5 min), paid by the scenario's first event.",
        res.calls_targets(result),
    ]
    ev_rows = []
    for e in result["events"]:
        extra = {k: v for k, v in e["min_reads_detail"].items()}
        ev_rows.append(
            (
                e["scenario"],
                e["state"],
                e["reads"],
                e["writes"],
                e["cold_reads"],
                e["min_reads"],
                e["min_writes"],
                ", ".join(f"{k}" for k in extra),
                ", ".join(
                    f"{k.split(' ', 1)[1]} ({n})" if n > 1 else k.split(" ", 1)[1]
                    for k, n in e["services"].items()
                    if k.split(" ", 1)[1] not in COLD_SERVICES
                ),
            )
        )
    lines.append("")
    lines.append(
        table(
            (
                "scenario",
                "event",
                "reads",
                "writes",
                "cold",
                "min reads",
                "min writes",
                "reads needed",
                "services called (warm)",
            ),
            ev_rows,
        )
    )
    return "\n".join(lines)
