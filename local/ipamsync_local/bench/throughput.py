"""Throughput and latency through the full local pipeline, and where the CPU goes.

The workload: ``launches`` instances are launched as fast as EC2 (moto) accepts them, the pipeline
drains, then all of them are terminated and the pipeline drains again. Each launch produces two
EC2 state-change events (pending, running) and each termination two (shutting-down, terminated):
``4 x launches`` events, every one enriched, queued, piped and synced into the SOLIDserver emulator.

Measured per event (the EventBridge event id links an EC2 call, its events and their executions):

* **latency** — from the moment the EC2 call that produced the event returned (the events are on the
  bus by then) to the moment the pipe saw the execution that applied it succeed;
* split into **queue wait** (call returned → execution started: EventBridge, enrich, SQS FIFO,
  the pipe's backlog) and **execution** (start → succeeded);
* **throughput** — events / (last execution succeeded - first EC2 call started), per phase.

Where the time goes: a CPU-time-weighted sampling profiler (every thread's CPU clock read every
5 ms, each delta charged to the component at the top of that thread's stack), exact CPU timers
around every Lambda handler and every SOLIDserver call, the emulator's own CPU (it runs in a
separate process, on the second core), the cost figures the cost model needs (state transitions,
execution history bytes, function log bytes, queue requests per event).

The instances are created with plain ``RunInstances`` calls (one ENI, a private IPv4 chosen here,
exactly what ``Fleet.launch`` does by default) instead of ``Fleet.launch``: the fleet helper
re-describes every ENI and instance of the subnet to choose an address, which costs O(instances)
per launch on moto (0.8 s per launch at 800 instances) and would measure the helper, not the
pipeline. The events are the same: moto's EC2 hook turns every transition into an EventBridge event.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
import math
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ipamsync_local.bench.results import fmt_ms
from ipamsync_local.emulator.process import EmulatorProcess

DNS_SERVER = "ns.ipamsync.local"
FORWARD_ZONE = "ec2.example.internal"
#: Template parameters of every benchmark run (template defaults otherwise). The rate limit is
#: per execution environment; locally one process is the environment of all five functions.
PARAMETERS = {
    "DnsServerName": DNS_SERVER,
    "DnsForwardZone": FORWARD_ZONE,
    "SolidServerRequestsPerSecond": "1000",
}
IMAGE_ID = "ami-12c6146b"  # an AMI moto knows (the fleet's default)
HOSTS_PER_SUBNET = 200

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


# --------------------------------------------------------------------------- instrumentation


class Containers:
    """One execution environment per function, as in Lambda.

    The local runtime runs all five functions in one process, so they share the layer's container
    context (client, credentials, the 5-minute space and zone caches): the subnet function's space
    lookup would serve the IP function too, and one version probe would serve all four. Each
    handler is wrapped so that it sees its own context (handler bodies never overlap: the local
    Lambda service runs them one at a time), and its thread CPU time is measured.
    """

    def __init__(self, aws: Any) -> None:
        from ipamsync.runtime import container

        self._ls = container
        self.contexts: dict[str, Any] = {}
        self.cpu: collections.Counter[str] = collections.Counter()
        self.calls: collections.Counter[str] = collections.Counter()
        assert aws.lambdas is not None
        for fn in aws.lambdas.functions.values():
            fn.handler = self._wrap(fn.spec.short_name, fn.handler)

    def _wrap(self, name: str, handler: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        def run(event: Any, context: Any) -> Any:
            ls = self._ls
            saved = ls._context
            ls._context = self.contexts.get(name)
            started = time.thread_time()
            try:
                return handler(event, context)
            finally:
                self.cpu[name] += time.thread_time() - started
                self.calls[name] += 1
                self.contexts[name] = ls._context
                ls._context = saved

        return run

    def cold(self) -> None:
        """Fresh execution environments for every function (the next calls are cold)."""
        for ctx in self.contexts.values():
            if ctx is not None:
                ctx.ss.client.close()
        self.contexts.clear()

    def reset_timers(self) -> None:
        self.cpu.clear()
        self.calls.clear()


@dataclass
class CallStats:
    calls: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    by_service: collections.Counter[str] = field(default_factory=collections.Counter)


@contextlib.contextmanager
def client_timers() -> Iterator[CallStats]:
    """Wall and thread-CPU time of every SOLIDserver call ipamsync's client makes (instrumentation
    of the class for the duration of the block; nothing on disk changes)."""
    from ipamsync.solidserver.client import SolidServerClient

    stats = CallStats()
    lock = threading.Lock()
    original = SolidServerClient._call

    def timed(self: Any, method: str, service: str, params: Any, probe: bool = False) -> Any:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return original(self, method, service, params, probe)
        finally:
            w, c = time.perf_counter() - wall, time.thread_time() - cpu
            with lock:
                stats.calls += 1
                stats.wall += w
                stats.cpu += c
                stats.by_service[f"{method} {service}"] += 1

    SolidServerClient._call = timed  # type: ignore[method-assign]
    try:
        yield stats
    finally:
        SolidServerClient._call = original  # type: ignore[method-assign]


@dataclass
class Execution:
    """One batch the pipe ran: its event(s), when it started and when the pipe saw it end."""

    event_ids: list[str]
    instance_id: str
    state: str
    started: float
    ended: float
    status: str
    name: str
    extra: dict[str, Any] = field(default_factory=dict)


class PipeTap:
    """Wraps the pipe's per-batch execution: timestamps (wall clock), and optional hooks run just
    before the execution starts and just after it ended (in the pipe's worker thread)."""

    def __init__(
        self,
        aws: Any,
        before: Callable[[list[dict[str, Any]]], Any] | None = None,
        after: Callable[[list[dict[str, Any]], Any], dict[str, Any]] | None = None,
    ) -> None:
        assert aws.pipe is not None
        pipe = aws.pipe
        if not callable(getattr(pipe, "_execute", None)):
            raise RuntimeError(
                "ipamsync_local.aws.pipe.Pipe has no _execute(records): the tap needs updating"
            )
        self.executions: list[Execution] = []
        self._lock = threading.Lock()
        original = pipe._execute

        def execute(records: list[dict[str, Any]]) -> tuple[str, Any]:
            token = before(records) if before is not None else None
            started = time.time()
            status, desc = original(records)
            ended = time.time()
            extra = after(records, token) if after is not None else {}
            ids, instance_id, state = [], "", ""
            for r in records:
                try:
                    body = json.loads(r.get("body") or "{}")
                except ValueError:
                    body = {}
                ids.append(str((body.get("event") or {}).get("id", "")))
                instance_id = str((body.get("instance") or {}).get("id", ""))
                state = str((body.get("event") or {}).get("state", ""))
            name = str((desc or {}).get("name", ""))
            with self._lock:
                self.executions.append(
                    Execution(ids, instance_id, state, started, ended, status, name, extra)
                )
            return status, desc

        pipe._execute = execute

    def since(self, mark: int) -> list[Execution]:
        with self._lock:
            return list(self.executions[mark:])

    def mark(self) -> int:
        with self._lock:
            return len(self.executions)


# Components of the CPU profile, in report order: (key, label, part of ipamsync's own cost?).
COMPONENTS: tuple[tuple[str, str, bool], ...] = (
    ("h:ipamsync", "ipamsync code (sync logic, model, client)", True),
    ("h:http", "HTTP client to SOLIDserver (requests, urllib3, ssl)", True),
    ("h:powertools", "Powertools (logging, metrics)", True),
    ("h:botocore", "boto3/botocore in enrich (EC2 reads, SQS send: client side)", True),
    ("h:other", "stdlib and other code inside handlers (json, logging, …)", True),
    ("h:moto", "moto serving enrich's EC2/SQS calls (stand-in for AWS)", False),
    ("moto-sfn", "moto Step Functions interpreter (stand-in for AWS)", False),
    ("moto", "moto EC2, SQS, EventBridge, Lambda APIs (stand-in for AWS)", False),
    ("botocore", "boto3/botocore outside handlers (interpreter→Lambda, pipe→SQS/SFN, EC2 calls)", False),
    ("local", "local runtime (pipe, Lambda service, execution records)", False),
    ("bench", "benchmark instrumentation", False),
    ("other", "stdlib and other code outside handlers (threads, json, …)", False),
)


def _package(filename: str) -> str | None:
    f = filename.replace("\\", "/")
    if "/functions/" in f or "/src/ipamsync/" in f or "/site-packages/ipamsync/" in f:
        return "ipamsync"
    if "aws_lambda_powertools" in f or "aws_xray_sdk" in f:
        return "powertools"
    if "/requests/" in f or "/urllib3/" in f or f.endswith(("/http/client.py", "/ssl.py", "/socket.py")):
        return "http"
    if "/moto/stepfunctions/" in f or "/antlr4/" in f:
        return "moto-sfn"
    if "/moto/" in f or "/responses/" in f or "/werkzeug/" in f:
        return "moto"
    if "/botocore/" in f or "/boto3/" in f or "/s3transfer/" in f:
        return "botocore"
    if "ipamsync_local/aws/" in f:
        return "local"
    if "ipamsync_local/bench/" in f:
        return "bench"
    return None


def _moto_package(filename: str) -> str:
    f = filename.replace("\\", "/")
    if "/moto/" in f:
        return f.rsplit("/moto/", 1)[1].split("/", 1)[0].removesuffix(".py")
    return "responses" if "/responses/" in f else ("antlr4" if "/antlr4/" in f else "other")


class CpuSampler:
    """A CPU-time-weighted sampling profiler of the whole process.

    Every ``interval`` the sampler reads each thread's CPU clock and charges the CPU it used since
    the previous sample to the component at the top of its current stack (the innermost frame that
    belongs to a known package; stdlib frames count for their caller). CPU of a thread that ends
    between two samples is charged to its last sampled component (``threading.Thread.run`` is
    wrapped while the sampler runs; moto runs every execution, map iteration, branch and task on
    threads of their own). Inside a Lambda handler (a ``functions/<name>/app.py`` frame on the
    stack) the component is prefixed ``h:`` and the CPU is also counted per function.
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.cpu: collections.Counter[str] = collections.Counter()
        self.by_function: collections.Counter[str] = collections.Counter()
        self.functions: collections.Counter[str] = collections.Counter()
        #: CPU of moto by the package of its innermost frame (``ec2``, ``sqs``, ``core``, …).
        self.moto: collections.Counter[str] = collections.Counter()
        self.samples = 0
        self.own_cpu = 0.0
        self._last: dict[int, float] = {}
        self._last_key: dict[int, tuple[str, str | None, str | None]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._original_run = threading.Thread.run

    def start(self) -> CpuSampler:
        sampler, original = self, self._original_run

        def run(thread: threading.Thread) -> None:
            try:
                original(thread)
            finally:
                sampler._thread_ended(threading.get_ident(), time.thread_time())

        threading.Thread.run = run  # type: ignore[method-assign]
        self._thread = threading.Thread(target=self._loop, name="bench-cpu-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        threading.Thread.run = self._original_run  # type: ignore[method-assign]

    def _charge(self, key: tuple[str, str | None, str | None], cpu: float) -> None:
        component, function, moto = key
        self.cpu[component] += cpu
        if function:
            self.functions[function] += cpu
        if moto:
            self.moto[moto] += cpu

    def _thread_ended(self, ident: int, final: float) -> None:
        with self._lock:
            previous = self._last.pop(ident, None)
            key = self._last_key.pop(ident, None)
            if key is None:
                key = ("moto-sfn" if previous is None else "other", None, None)
            used = final - (previous or 0.0)
            if used > 0:
                self._charge(key, used)

    def _classify(self, frame: Any) -> tuple[str, str | None, str | None]:
        component: str | None = None
        function: str | None = None
        moto: str | None = None
        while frame is not None:
            filename = frame.f_code.co_filename
            if component is None:
                component = _package(filename)
                if component in ("moto", "moto-sfn"):
                    moto = _moto_package(filename)
            if function is None and "/functions/" in filename and filename.endswith("/app.py"):
                function = filename.rsplit("/functions/", 1)[1].split("/", 1)[0]
            frame = frame.f_back
        component = component or "other"
        if function is not None:
            component = "h:" + ("moto" if component in ("moto", "moto-sfn", "local") else component)
        return component, function, moto

    def _loop(self) -> None:
        me = threading.get_ident()
        started = time.thread_time()
        while not self._stop.wait(self.interval):
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                try:
                    now = time.clock_gettime(time.pthread_getcpuclockid(ident))
                except (OSError, ProcessLookupError):
                    continue
                key = self._classify(frame)
                with self._lock:
                    previous = self._last.get(ident)
                    self._last[ident] = now
                    self._last_key[ident] = key
                    if previous is not None and now > previous:
                        self.samples += 1
                        self._charge(key, now - previous)
            del frame
        self.own_cpu = time.thread_time() - started

    def report(self, process_cpu: float) -> list[dict[str, Any]]:
        sampled = sum(self.cpu.values())
        rows = []
        for key, label, own in COMPONENTS:
            cpu = self.cpu.get(key, 0.0)
            rows.append({"component": key, "label": label, "ipamsync": own, "cpu_s": round(cpu, 3)})
        rows.append(
            {
                "component": "unsampled",
                "label": "not attributed (process CPU - sampled CPU, incl. the sampler itself)",
                "ipamsync": False,
                "cpu_s": round(max(0.0, process_cpu - sampled), 3),
            }
        )
        return rows


# --------------------------------------------------------------------------- workload


class Addresses:
    """Private IPv4 addresses for the instances: AWS's reserved ones excluded, one /24 per
    ``HOSTS_PER_SUBNET`` instances."""

    def __init__(self, ec2: Any, subnet_ids: tuple[str, ...]) -> None:
        import ipaddress

        self.slots: list[tuple[str, str]] = []
        for sid in subnet_ids:
            cidr = ec2.describe_subnets(SubnetIds=[sid])["Subnets"][0]["CidrBlock"]
            net = ipaddress.ip_network(cidr)
            hosts = [str(ip) for ip in net.hosts()][9 : 9 + HOSTS_PER_SUBNET]  # .10 upwards
            self.slots += [(sid, ip) for ip in hosts]
        self._next = 0

    def take(self) -> tuple[str, str]:
        slot = self.slots[self._next]
        self._next += 1
        return slot


@dataclass
class Call:
    """One EC2 call of the workload and the events it produced."""

    action: str
    instance_id: str
    started: float
    returned: float
    events: list[tuple[str, str]]  # (event id, state)


def _launch(aws: Any, addresses: Addresses, index: int) -> Call:
    subnet_id, ip = addresses.take()
    mark = aws.events_source.mark()
    started = time.time()
    resp = aws.ec2.run_instances(
        ImageId=IMAGE_ID,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        NetworkInterfaces=[
            {
                "DeviceIndex": 0,
                "SubnetId": subnet_id,
                "PrivateIpAddress": ip,
                "AssociatePublicIpAddress": False,
            }
        ],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": f"load-{index}"}]}],
    )
    returned = time.time()
    iid = resp["Instances"][0]["InstanceId"]
    events = [(e.id, e.state) for e in aws.events_source.since(mark, {iid})]
    return Call("launch", iid, started, returned, events)


def _terminate(aws: Any, instance_id: str) -> Call:
    mark = aws.events_source.mark()
    started = time.time()
    aws.ec2.terminate_instances(InstanceIds=[instance_id])
    returned = time.time()
    events = [(e.id, e.state) for e in aws.events_source.since(mark, {instance_id})]
    return Call("terminate", instance_id, started, returned, events)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _phase(name: str, calls: list[Call], executions: list[Execution]) -> dict[str, Any]:
    by_event: dict[str, list[Execution]] = collections.defaultdict(list)
    for ex in executions:
        for eid in ex.event_ids:
            by_event[eid].append(ex)
    latency, queue, run = [], [], []
    missing = failed = duplicates = 0
    events = 0
    for call in calls:
        for eid, _state in call.events:
            events += 1
            done = [ex for ex in by_event.get(eid, []) if ex.status == "SUCCEEDED"]
            if not done:
                missing += 1
                failed += int(bool(by_event.get(eid)))
                continue
            duplicates += len(done) - 1
            ex = done[0]
            latency.append((ex.ended - call.returned) * 1000)
            queue.append((ex.started - call.returned) * 1000)
            run.append((ex.ended - ex.started) * 1000)
    first = min(c.started for c in calls)
    last = max((ex.ended for ex in executions), default=first)
    makespan = last - first
    issue = max(c.returned for c in calls) - first

    def dist(values: list[float]) -> dict[str, float]:
        if not values:
            return {}
        return {
            "p50": round(statistics.median(values), 1),
            "p90": round(percentile(values, 90), 1),
            "p99": round(percentile(values, 99), 1),
            "max": round(max(values), 1),
            "mean": round(statistics.fmean(values), 1),
        }

    return {
        "phase": name,
        "calls": len(calls),
        "events": events,
        "executions": len(executions),
        "applied": len(latency),
        "missing": missing,
        "failed_executions": failed + sum(1 for ex in executions if ex.status != "SUCCEEDED"),
        "duplicate_applications": duplicates,
        "issue_s": round(issue, 2),
        "makespan_s": round(makespan, 2),
        "events_per_s": round(events / makespan, 2) if makespan > 0 else None,
        "latency_ms": dist(latency),
        "queue_wait_ms": dist(queue),
        "execution_ms": dist(run),
    }


# --------------------------------------------------------------------------- figures for the cost model


def _durations(before: Mapping[str, Any], after: Mapping[str, Any], summaries: list[Any]) -> dict[str, Any]:
    """Mean Lambda and execution durations between two counter snapshots (the paced phase's)."""
    functions = {}
    for lid, a in after.items():
        b = before.get(lid, {})
        n = a["invocations"] - b.get("invocations", 0)
        if n:
            functions[lid] = round((a["duration_ms_total"] - b.get("duration_ms_total", 0.0)) / n, 2)
    durations = [s.duration_ms for s in summaries if s.duration_ms is not None]
    billed = [max(100, math.ceil(d / 100) * 100) for d in durations]
    return {
        "function_duration_ms_mean": functions,
        "execution_ms_mean": round(statistics.fmean(durations), 1) if durations else None,
        "billed_ms_mean": round(statistics.fmean(billed), 1) if billed else None,
        "executions": len(durations),
    }


#: History event fields that are "execution data" (left out of the logs without IncludeExecutionData).
_EXECUTION_DATA = frozenset({"input", "output", "parameters", "inputDetails", "outputDetails"})


def history_figures(events: list[Mapping[str, Any]], execution_arn: str) -> dict[str, int]:
    """State transitions (states entered + task retries, what Standard bills) and the bytes an
    Express execution logs at level ALL with execution data: one CloudWatch log event per history
    event, shaped as Step Functions writes them (id, type, details, previous_event_id,
    event_timestamp, execution_arn)."""
    from ipamsync_local.aws.executions import retries_in

    entered = sum(1 for e in events if str(e.get("type", "")).endswith("StateEntered"))
    log_bytes = log_bytes_no_data = 0
    arn = execution_arn.replace(":execution:", ":express:") + ":5b0c3ad4-3f35-4b1e-8a3c-3c8b3b6a1e2f"
    for e in events:
        details = next((v for k, v in e.items() if k.endswith("EventDetails") and isinstance(v, Mapping)), {})
        record = {
            "id": str(e.get("id")),
            "type": e.get("type"),
            "details": details,
            "previous_event_id": str(e.get("previousEventId") or 0),
            "event_timestamp": "1764233400000",
            "execution_arn": arn,
        }
        log_bytes += len(json.dumps(record, separators=(",", ":")).encode())
        record["details"] = {k: v for k, v in details.items() if k not in _EXECUTION_DATA}
        log_bytes_no_data += len(json.dumps(record, separators=(",", ":")).encode())
    started = next((e for e in events if e.get("type") == "ExecutionStarted"), None)
    input_bytes = 0
    if started is not None:
        details = started.get("executionStartedEventDetails") or {}
        input_bytes = len(str(details.get("input", "")).encode())
    return {
        "transitions": entered + retries_in(list(events)),
        "states_entered": entered,
        "history_events": len(events),
        "log_bytes": log_bytes,
        "log_bytes_no_data": log_bytes_no_data,
        "input_bytes": input_bytes,
    }


def emf_metrics(log_text: str) -> list[str]:
    """Distinct custom metrics (name + dimension values) in the functions' EMF output."""
    found: set[str] = set()
    for line in log_text.splitlines():
        if '"_aws"' not in line:
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        meta = doc.get("_aws") or {}
        for block in meta.get("CloudWatchMetrics") or []:
            for dims in block.get("Dimensions") or [[]]:
                values = ",".join(f"{d}={doc.get(d, '')}" for d in dims)
                for metric in block.get("Metrics") or []:
                    found.add(f"{block.get('Namespace')}/{metric.get('Name')}[{values}]")
    return sorted(found)


# --------------------------------------------------------------------------- client overhead


def client_overhead(emu: EmulatorProcess, calls: int = 300) -> dict[str, Any]:
    """CPU and wall time per SOLIDserver call, one thread, same emulator and TLS connection reuse:
    ipamsync's client (``requests``) against the bare ``requests`` session, ``urllib3`` and
    ``http.client`` making the same GET (``ip_site_list WHERE site_name='AWS'``) and decoding it."""
    import base64
    import http.client
    import ssl
    from urllib.parse import urlencode, urlsplit

    import requests
    import urllib3

    from ipamsync.solidserver import ClientConfig, SolidServerClient
    from ipamsync.solidserver.config import Credentials, Secret

    params = {"WHERE": "site_name='AWS'"}
    headers = {
        "Accept": "application/json",
        "X-IPM-Username": base64.b64encode(b"ipmadmin").decode(),
        "X-IPM-Password": base64.b64encode(b"admin").decode(),
    }
    url = f"{emu.url}/rest/ip_site_list"
    ca = emu.ca_path or None
    client = SolidServerClient(
        ClientConfig(
            url=emu.url,
            credentials=Credentials("ipmadmin", Secret("admin")),
            ca_bundle=ca,
            requests_per_second=0,
        )
    )
    session = requests.Session()
    session.trust_env = False
    pool = urllib3.PoolManager(ca_certs=ca, cert_reqs="CERT_REQUIRED", retries=False)
    parts = urlsplit(emu.url)
    conn = http.client.HTTPSConnection(
        parts.hostname or "127.0.0.1", parts.port, context=ssl.create_default_context(cafile=ca)
    )
    path = f"{parts.path}/rest/ip_site_list?{urlencode(params)}"

    def ipamsync_client() -> None:
        client.get("ip_site_list", params)

    def bare_requests() -> None:
        session.get(url, params=params, headers=headers, verify=ca, timeout=(3.05, 10)).json()

    def bare_urllib3() -> None:
        json.loads(
            pool.request("GET", url, fields=params, headers=headers, timeout=urllib3.Timeout(3.05, 10)).data
        )

    def bare_http_client() -> None:
        conn.request("GET", path, headers=headers)
        json.loads(conn.getresponse().read())

    out: dict[str, Any] = {"calls": calls, "clients": {}}
    try:
        for name, fn in (
            ("ipamsync client (requests)", ipamsync_client),
            ("requests.Session", bare_requests),
            ("urllib3.PoolManager", bare_urllib3),
            ("http.client", bare_http_client),
        ):
            for _ in range(20):
                fn()
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(calls):
                fn()
            out["clients"][name] = {
                "cpu_ms": round((time.process_time() - cpu) / calls * 1000, 3),
                "wall_ms": round((time.perf_counter() - wall) / calls * 1000, 3),
            }
    finally:
        client.close()
        session.close()
        pool.clear()
        conn.close()
    return out


# --------------------------------------------------------------------------- the run


def run(
    launches: int = 1000,
    *,
    paced: int = 10,
    pace_s: float = 1.5,
    pipe_workers: int = 4,
    profile: bool = True,
    log: Log = _quiet,
) -> dict[str, Any]:
    """Launch ``launches`` instances, drain, terminate them all, drain; return the figures.

    Before that burst, ``paced`` instances are launched one every ``pace_s`` seconds and then
    terminated the same way (well below the pipeline's capacity): their latency is the pipeline's
    own, without a backlog. Counters, CPU and the profile cover the burst only."""
    from ipamsync_local.aws import LocalAws

    if launches < 1:
        raise ValueError("launches must be >= 1")
    wall_started = time.monotonic()
    subnets = max(1, math.ceil((launches + paced + 1) / HOSTS_PER_SUBNET))
    with tempfile.TemporaryDirectory(prefix="ipamsync-bench-") as tmp, EmulatorProcess() as emu:
        overhead = client_overhead(emu) if profile else None
        lambda_log = Path(tmp) / "lambda.log"
        with (
            LocalAws(
                solidserver_url=emu.url,
                ca_bundle_pem=emu.ca_pem,
                parameters=PARAMETERS,
                state_dir=Path(tmp) / "state",
                time_scale=1.0,
                pipe_workers=pipe_workers,
                lambda_log=lambda_log,
            ) as aws,
            client_timers() as timers,
        ):
            containers = Containers(aws)
            tap = PipeTap(aws)
            network = aws.fleet.ensure_network(subnets=subnets)
            addresses = Addresses(aws.ec2, network.subnet_ids)
            # Warm-up (not measured): imports, connections, per-function caches.
            warm = _launch(aws, addresses, 0)
            aws.wait_idle(120)
            paced_phases: list[dict[str, Any]] = []
            paced_durations: dict[str, Any] = {}
            if paced:
                log(f"  paced: {paced} launches then {paced} terminations, one every {pace_s} s")
                mark = tap.mark()
                paced_recorded = len(aws.recorder.summaries)
                paced_lambda = aws.counters()["lambda"]
                pl = []
                for i in range(paced):
                    pl.append(_launch(aws, addresses, launches + 1 + i))
                    time.sleep(pace_s)
                aws.wait_idle(300)
                middle = tap.mark()
                pt = []
                for call in pl:
                    pt.append(_terminate(aws, call.instance_id))
                    time.sleep(pace_s)
                aws.wait_idle(300)
                done = tap.since(mark)
                for name, calls_, execs in (
                    ("launch, paced", pl, done[: middle - mark]),
                    ("terminate, paced", pt, done[middle - mark :]),
                ):
                    phase = _phase(name, calls_, execs)
                    phase["events_per_s"] = None  # set by the pacing, not a throughput
                    paced_phases.append(phase)
                paced_durations = _durations(
                    paced_lambda, aws.counters()["lambda"], aws.recorder.summaries[paced_recorded:]
                )
            admin = emu.admin
            admin.reset_stats()
            mark = tap.mark()
            recorded = len(aws.recorder.summaries)
            lambda_before = aws.counters()["lambda"]
            pipe_before = dict(vars(aws.pipe.stats))
            log_offset = lambda_log.stat().st_size
            timers.calls = 0
            timers.wall = timers.cpu = 0.0
            timers.by_service.clear()
            containers.reset_timers()

            sampler = CpuSampler(interval=0.01).start() if profile else None
            cpu0, emu0 = time.process_time(), emu.cpu_seconds()
            t0 = time.monotonic()
            launch_calls: list[Call] = []
            step = max(1, launches // 10)
            for i in range(launches):
                launch_calls.append(_launch(aws, addresses, i + 1))
                if (i + 1) % step == 0:
                    log(f"  launched {i + 1}/{launches} ({time.monotonic() - t0:.0f} s)")
            aws.wait_idle(max(600.0, launches * 4.0))
            log(f"  launch phase drained ({time.monotonic() - t0:.0f} s)")
            launch_mark = tap.mark()
            terminate_calls: list[Call] = []
            for i, call in enumerate(launch_calls):
                terminate_calls.append(_terminate(aws, call.instance_id))
                if (i + 1) % step == 0:
                    log(f"  terminated {i + 1}/{launches} ({time.monotonic() - t0:.0f} s)")
            aws.wait_idle(max(600.0, launches * 4.0))
            elapsed = time.monotonic() - t0
            log(f"  terminate phase drained ({elapsed:.0f} s)")
            process_cpu = time.process_time() - cpu0
            emulator_cpu = emu.cpu_seconds() - emu0
            if sampler is not None:
                sampler.stop()

            executions = tap.since(mark)
            launch_execs, terminate_execs = executions[: launch_mark - mark], executions[launch_mark - mark :]
            phases = [
                _phase("launch", launch_calls, launch_execs),
                _phase("terminate", terminate_calls, terminate_execs),
            ]
            total = _phase("total", launch_calls + terminate_calls, executions)
            n_events = total["events"]

            emu_stats = admin.stats()
            admin.close()
            lambda_after = aws.counters()["lambda"]
            pipe_after = dict(vars(aws.pipe.stats))
            functions: dict[str, Any] = {}
            for lid, after in lambda_after.items():
                before = lambda_before.get(lid, {})
                inv = after["invocations"] - before.get("invocations", 0)
                dur = after["duration_ms_total"] - before.get("duration_ms_total", 0.0)
                short = lid.removesuffix("Function").lower()
                functions[lid] = {
                    "invocations": inv,
                    "per_event": round(inv / n_events, 3) if n_events else 0,
                    "duration_ms_mean": round(dur / inv, 2) if inv else 0.0,
                    "cpu_ms_mean": round(containers.cpu[short] / containers.calls[short] * 1000, 2)
                    if containers.calls[short]
                    else 0.0,
                    "errors": after["errors"] - before.get("errors", 0),
                    "throttles": after["throttles"] - before.get("throttles", 0),
                }

            # Execution histories: transitions, log bytes, input size (every execution of the run).
            summaries = aws.recorder.summaries[recorded:]
            hist = collections.Counter()
            billed_ms = []
            durations = []
            for s in summaries:
                _, events = aws.executions.get(s.name)
                figures = history_figures(events, s.execution_arn)
                hist.update(figures)
                if s.duration_ms is not None:
                    durations.append(s.duration_ms)
                    billed_ms.append(max(100, math.ceil(s.duration_ms / 100) * 100))
            n_exec = len(summaries) or 1
            log_text = lambda_log.read_text(encoding="utf-8", errors="replace")[log_offset:]
            log_bytes = len(log_text.encode())

            result: dict[str, Any] = {
                "launches": launches,
                "events": n_events,
                "pipe_workers": pipe_workers,
                "subnets": subnets,
                "phases": phases,
                "total": total,
                "paced": paced_phases,
                "pace_s": pace_s,
                "paced_durations": paced_durations,
                "elapsed_s": round(elapsed, 1),
                "cpu": {
                    "process_s": round(process_cpu, 2),
                    "process_ms_per_event": round(process_cpu / n_events * 1000, 1) if n_events else None,
                    "emulator_s": round(emulator_cpu, 2),
                    "emulator_ms_per_event": round(emulator_cpu / n_events * 1000, 2) if n_events else None,
                    "emulator_ms_per_call": round(
                        emulator_cpu / max(1, emu_stats["totals"]["total"]) * 1000, 3
                    ),
                },
                "solidserver": {
                    "calls": emu_stats["totals"]["total"],
                    "reads": emu_stats["totals"]["reads"],
                    "writes": emu_stats["totals"]["writes"],
                    "calls_per_event": round(emu_stats["totals"]["total"] / n_events, 2)
                    if n_events
                    else None,
                    "statuses": emu_stats["totals"].get("statuses", {}),
                    "client_calls": timers.calls,
                    "client_wall_ms_per_call": round(timers.wall / timers.calls * 1000, 3)
                    if timers.calls
                    else None,
                    "client_cpu_ms_per_call": round(timers.cpu / timers.calls * 1000, 3)
                    if timers.calls
                    else None,
                    "client_cpu_s": round(timers.cpu, 2),
                },
                "functions": functions,
                "executions": {
                    "count": len(summaries),
                    "per_event": round(len(summaries) / n_events, 3) if n_events else None,
                    "transitions_per_execution": round(hist["transitions"] / n_exec, 2),
                    "states_entered_per_execution": round(hist["states_entered"] / n_exec, 2),
                    "history_events_per_execution": round(hist["history_events"] / n_exec, 2),
                    "log_bytes_per_execution": round(hist["log_bytes"] / n_exec),
                    "log_bytes_no_data_per_execution": round(hist["log_bytes_no_data"] / n_exec),
                    "input_bytes_mean": round(hist["input_bytes"] / n_exec),
                    "duration_ms_mean": round(statistics.fmean(durations), 1) if durations else None,
                    "billed_ms_mean": round(statistics.fmean(billed_ms), 1) if billed_ms else None,
                    "retries": sum(s.retries for s in summaries),
                },
                "queue": {
                    "sends_per_event": round(
                        functions.get("EnrichFunction", {}).get("invocations", 0) / n_events, 3
                    )
                    if n_events
                    else None,
                    "receives_with_messages_per_event": round(
                        (pipe_after["batches"] - pipe_before["batches"]) / n_events, 3
                    )
                    if n_events
                    else None,
                    "deletes_per_event": round((pipe_after["deleted"] - pipe_before["deleted"]) / n_events, 3)
                    if n_events
                    else None,
                },
                "logs": {
                    "function_log_bytes_per_event": round(log_bytes / n_events) if n_events else None,
                    "emf_metrics": emf_metrics(log_text),
                },
                "warmup_instance": warm.instance_id,
            }
            if overhead is not None:
                result["client_overhead"] = overhead
            if sampler is not None:
                rows = sampler.report(process_cpu)
                for row in rows:
                    row["ms_per_event"] = round(row["cpu_s"] / n_events * 1000, 2) if n_events else None
                    row["share"] = round(row["cpu_s"] / process_cpu, 4) if process_cpu else None
                result["profile"] = {
                    "components": rows,
                    "by_function_cpu_s": {k: round(v, 3) for k, v in sampler.functions.items()},
                    "samples": sampler.samples,
                    "sampler_cpu_s": round(sampler.own_cpu, 2),
                    "moto_by_package_ms_per_event": {
                        k: round(v / n_events * 1000, 2) for k, v in sampler.moto.most_common(8)
                    },
                    "moto_sfn_ms_per_execution": round(sampler.cpu.get("moto-sfn", 0.0) / n_exec * 1000, 1),
                }
    result["seconds"] = round(time.monotonic() - wall_started, 1)
    return result


# --------------------------------------------------------------------------- report


def format_table(result: Mapping[str, Any]) -> str:
    from ipamsync_local.report import table

    rows = []
    for p in [*result["phases"], result["total"], *result.get("paced", [])]:
        lat, q, ex = p["latency_ms"], p["queue_wait_ms"], p["execution_ms"]
        rows.append(
            (
                p["phase"],
                p["events"],
                f"{p['applied']}/{p['events']}",
                p["missing"],
                p["duplicate_applications"],
                f"{p['makespan_s']:.1f}",
                f"{p['events_per_s']:.2f}" if p["events_per_s"] else "-",
                fmt_ms(lat, "p50", digits=2),
                fmt_ms(lat, "p99", digits=2),
                fmt_ms(q, "p50", digits=2),
                fmt_ms(ex, "p50", digits=2),
                fmt_ms(ex, "p99", digits=2),
            )
        )
    out = [
        table(
            (
                "phase",
                "events",
                "applied",
                "missing",
                "dup",
                "seconds",
                "events/s",
                "latency p50",
                "latency p99",
                "queue wait p50",
                "execution p50",
                "execution p99",
            ),
            rows,
        )
    ]
    cpu, ss, ex = result["cpu"], result["solidserver"], result["executions"]
    out.append(
        f"{result['launches']} launches then {result['launches']} terminations, {result['events']} events, "
        f"{result['pipe_workers']} pipe workers; latency = EC2 call returned → execution that applied the "
        "event succeeded (queue wait + execution). Paced rows: "
        f"{len(result.get('paced') or []) and result['paced'][0]['calls']} launches then terminations, one "
        f"every {result.get('pace_s')} s, before the burst (no backlog)."
    )
    out.append(
        f"CPU: this process {cpu['process_s']} s ({cpu['process_ms_per_event']} ms/event, GIL-bound: one "
        "core); "
        f"emulator process {cpu['emulator_s']} s ({cpu['emulator_ms_per_call']} ms per SOLIDserver call). "
        f"SOLIDserver: {ss['calls_per_event']} calls/event; client {ss['client_wall_ms_per_call']} ms wall, "
        f"{ss['client_cpu_ms_per_call']} ms CPU per call. Executions: {ex['transitions_per_execution']} "
        f"transitions, {ex['log_bytes_per_execution']:,} log bytes (ALL + data), "
        f"{ex['duration_ms_mean']} ms mean."
    )
    fn_rows = [
        (
            lid,
            f["invocations"],
            f"{f['per_event']:.2f}",
            f"{f['duration_ms_mean']:.1f}",
            f"{f['cpu_ms_mean']:.1f}",
            f["errors"],
            f["throttles"],
        )
        for lid, f in result["functions"].items()
    ]
    out.append("")
    out.append(
        table(
            (
                "function",
                "invocations",
                "per event",
                "duration ms (mean)",
                "CPU ms (mean)",
                "errors",
                "throttles",
            ),
            fn_rows,
        )
    )
    prof = result.get("profile")
    if prof:
        out.append("")
        out.append(format_profile(result))
    overhead = result.get("client_overhead")
    if overhead:
        out.append("")
        out.append(
            table(
                (
                    "one SOLIDserver GET, one thread, TLS, same emulator",
                    "CPU ms per call",
                    "wall ms per call",
                ),
                [(k, f"{v['cpu_ms']:.2f}", f"{v['wall_ms']:.2f}") for k, v in overhead["clients"].items()],
            )
        )
    return "\n".join(out)


def format_profile(result: Mapping[str, Any]) -> str:
    from ipamsync_local.report import table

    prof = result["profile"]
    rows = []
    own = 0.0
    for row in prof["components"]:
        if row["cpu_s"] <= 0 and row["component"] != "unsampled":
            continue
        if row["ipamsync"]:
            own += row["cpu_s"]
        rows.append(
            (
                ("ipamsync: " if row["ipamsync"] else "stand-in: ") + row["label"]
                if row["component"] != "unsampled"
                else row["label"],
                f"{row['cpu_s']:.2f}",
                f"{row['ms_per_event']:.2f}",
                f"{row['share'] * 100:.1f} %" if row["share"] is not None else "-",
            )
        )
    events = result["events"] or 1
    emu = result["cpu"]["emulator_s"]
    rows.append(
        ("stand-in: SOLIDserver emulator (separate process)", f"{emu:.2f}", f"{emu / events * 1000:.2f}", "-")
    )
    text = table(("where the CPU goes (sampled)", "CPU s", "ms/event", "share of process"), rows)
    return (
        text + f"\nipamsync's own code: {own:.2f} s = {own / events * 1000:.2f} ms CPU per event (one core "
        f"would sustain ≈ {events / own if own else 0:.0f} events/s of it alone); moto's Step "
        f"Functions interpreter ≈ {prof['moto_sfn_ms_per_execution']} ms CPU per execution. "
        f"{prof['samples']} samples; the sampler itself used {prof['sampler_cpu_s']} s."
        + (
            "\nmoto by package (ms CPU per event): "
            + ", ".join(f"{k} {v}" for k, v in prof["moto_by_package_ms_per_event"].items())
            if prof.get("moto_by_package_ms_per_event")
            else ""
        )
    )


def _iso_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
