"""The one helpers module of the end-to-end tests. Every test runs the real chain: EC2 (moto) →
EventBridge → enrich → SQS FIFO → pipe → the state machine (moto's interpreter, the real ASL) → the
real handlers → the SOLIDserver emulator over TLS, and asserts SOLIDserver's exact contents against
the truth computed from what moto's EC2 says (:mod:`ipamsync_local.truth`: written from README's
rules, no ipamsync sync code), plus its own explicit facts.

Two ways to run the pipeline:

* the reliability runs (:func:`pipeline`, :class:`Run`): one pipeline per test on the session's
  emulator with distinctive credentials, a log of every request the emulator receives, foreign
  objects planted; with execution-history analysis and a secret scanner;
* the scenario pipelines (:func:`pipeline_fixture`, :class:`Pipeline`): one
  :class:`~ipamsync_local.aws.LocalAws` per module with its template parameters (moto is
  process-global: one runtime at a time) on the freshly reset session TLS emulator, with the demo's
  network (:mod:`ipamsync_local.demo.fleet`). Tests of a module share the runtime and use their own
  instances. Ephemeral public IPs come from moto's random generator: :meth:`Pipeline.seed_moto`
  (moto's seeding endpoint) makes them deterministic.

Over 600 lines because the issue asks for one helpers module per test folder and these are the two
pipelines every e2e test needs; each section stands alone.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from ipamsync.settings import Settings
from ipamsync.solidserver import ClientConfig, SolidServer, SolidServerClient
from ipamsync.solidserver.config import Credentials, Secret
from ipamsync.solidserver.where import Where
from ipamsync_local.aws import LocalAws
from ipamsync_local.aws.executions import state_of_events
from ipamsync_local.aws.pipe import record_body
from ipamsync_local.demo import fleet as demo_fleet
from ipamsync_local.emulator import EmulatorServer
from ipamsync_local.emulator import server as emulator_server
from ipamsync_local.inventory import Inventory, read_inventory
from ipamsync_local.truth import (
    Difference,
    Truth,
    compare,
    compute_truth,
    format_differences,
    owner_of,
    settings_from_parameters,
    zones_of,
)
from tests.helpers import PASSWORD as EMULATOR_PASSWORD

REPO = Path(__file__).resolve().parents[2]
ASL = json.loads((REPO / "statemachine" / "sync.asl.json").read_text())

# Distinctive credentials: the security test scans every output for them.
USERNAME = "ipamsync-svc"
PASSWORD = "Rel!ab1l1ty-Pa55w0rd-7f3c9e"
TOKEN_ID = "rel-token-1"
TOKEN_SECRET = "rel-T0ken-S3cret-91b2d4"

DNS_SERVER = "ns.ipamsync.local"
ZONE = "ec2.example.internal"
REVERSE_ZONES = ("10.in-addr.arpa", "16.172.in-addr.arpa", "168.192.in-addr.arpa", "0.0.4.2.ip6.arpa")
#: moto's IPv6 CIDRs are in 2400::/16: the last reverse zone holds their PTR records.

BASE_PARAMETERS: dict[str, str] = {
    "DnsServerName": DNS_SERVER,
    "DnsForwardZone": ZONE,
    # One process is one execution environment for all five functions: the per-environment
    # client-side limit (10/s by default) would serialise the whole suite.
    "SolidServerRequestsPerSecond": "1000",
}
#: Designed waits (visibility timeout 360 s → 3.6 s, Lambda async retries 60/120 s → 0.6/1.2 s).
SCALE = 0.01
MAX_RECEIVE = 3  # the template's EventQueueMaxReceiveCount default
ENRICH_ATTEMPTS = 3  # 1 + the template's MaximumRetryAttempts (2)


# --------------------------------------------------------------------------- emulator request log


@dataclass
class Request:
    method: str
    service: str
    params: dict[str, str]
    started: float
    ended: float = 0.0
    status: str = "dropped"  # the answered status, "dropped" when the connection was closed

    @property
    def where(self) -> str | None:
        return self.params.get("WHERE")


class RequestLog:
    """Every ``/rest`` request one emulator receives: what, when, how it was answered, and how many
    were being served at once (the load SOLIDserver sees).

    Installed by wrapping the emulator's request handler class (test-side instrumentation: the
    emulator code is unchanged)."""

    def __init__(self, emulator: EmulatorServer) -> None:
        self.emulator = emulator
        self._lock = threading.Lock()
        self._local = threading.local()
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._saved: dict[str, Any] = {}

    def install(self) -> RequestLog:
        handler = emulator_server._Handler
        original_rest, original_send = handler._rest, handler._send
        self._saved = {"_rest": original_rest, "_send": original_send}
        log = self

        def _rest(self_: Any, method: str, service: str, query: str) -> None:
            if self_.server.emulator is not log.emulator:
                return original_rest(self_, method, service, query)
            req = Request(
                method,
                service,
                dict(urllib.parse.parse_qsl(query, keep_blank_values=True)),
                time.monotonic(),
            )
            with log._lock:
                log.requests.append(req)
                log.in_flight += 1
                log.max_in_flight = max(log.max_in_flight, log.in_flight)
            log._local.current = req
            try:
                return original_rest(self_, method, service, query)
            finally:
                log._local.current = None
                req.ended = time.monotonic()
                with log._lock:
                    log.in_flight -= 1

        def _send(
            self_: Any, status: int, body: object | None, headers: Mapping[str, str] | None = None
        ) -> None:
            req = getattr(log._local, "current", None)
            if req is not None:
                req.status = str(status)
            return original_send(self_, status, body, headers)

        handler._rest = _rest
        handler._send = _send
        return self

    def uninstall(self) -> None:
        handler = emulator_server._Handler
        for name, fn in self._saved.items():
            setattr(handler, name, fn)

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
            self.max_in_flight = self.in_flight

    def snapshot(self) -> list[Request]:
        with self._lock:
            return list(self.requests)

    def statuses(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.snapshot():
            out[r.status] = out.get(r.status, 0) + 1
        return out

    def writes(self) -> list[Request]:
        return [r for r in self.snapshot() if r.method in ("POST", "PUT", "DELETE")]


def where_problems(requests: list[Request]) -> list[str]:
    """WHERE clauses the emulator's (SOLIDserver-like) parser refuses, and 400 answers to lists."""
    from ipamsync_local.emulator.errors import ApiError
    from ipamsync_local.emulator.where import parse_where

    problems = []
    for r in requests:
        if r.where is not None:
            try:
                parse_where(r.where)
            except ApiError as exc:
                problems.append(f"{r.service}: {r.where[:200]!r}: {exc}")
        if r.status == "400" and r.service.endswith("_list"):
            problems.append(f"{r.service} answered 400: {r.params}")
    return problems


# --------------------------------------------------------------------------- SOLIDserver access


def solidserver(emu: EmulatorServer, username: str = USERNAME, password: str = PASSWORD) -> SolidServer:
    """A client of the emulator for the test's own reads and writes (not rate limited)."""
    config = ClientConfig(
        url=emu.url,
        credentials=Credentials(username, Secret(password)),
        ca_bundle=emu.cert_path,
        requests_per_second=0,
    )
    return SolidServer(SolidServerClient(config))


def prepare(emu: EmulatorServer) -> None:
    """Empty emulator with the space, the DNS server and its zones; no faults; counters at zero."""
    admin = emu.admin
    admin.clear_faults()
    admin.reset()
    admin.seed(dns_server=DNS_SERVER, forward_zones=[ZONE], reverse_zones=list(REVERSE_ZONES))
    admin.reset_stats()


def plant_foreign_objects(ss: SolidServer) -> None:
    """Objects ipamsync does not own, in the places it works in: it must never change them."""
    space = ss.find_space("AWS")
    assert space is not None
    block = ss.create_network(
        4, space.id, "192.168.0.0/16", name="on-prem", terminal=False, parent_id=None, metadata={"site": "hq"}
    )
    ss.create_network(
        4, space.id, "192.168.1.0/24", name="printers", terminal=True, parent_id=block, metadata={}
    )
    dev = ss.create_device("printer-1", {"location": "floor-2"})
    ss.create_address(
        4,
        space.id,
        "192.168.1.10",
        name="printer-1.corp",
        mac="00:11:22:33:44:55",
        device_id=dev,
        iface_id=None,
        metadata={"owner_team": "it"},
    )
    zones = {z.name: z for z in ss.list_zones(DNS_SERVER)}
    ss.create_record(DNS_SERVER, zones[ZONE], f"www.{ZONE}", "A", "192.168.1.20", ttl=60, metadata={})


def stats(emu: EmulatorServer) -> dict[str, Any]:
    return emu.admin.stats()


def write_count(snapshot: Mapping[str, Any]) -> int:
    return int(snapshot["totals"]["writes"])


# --------------------------------------------------------------------------- the pipeline


@dataclass
class Run:
    """A running local pipeline and what the tests ask of it."""

    aws: LocalAws
    emu: EmulatorServer
    log: RequestLog
    ss: SolidServer
    parameters: dict[str, str]
    tmp_path: Path
    lambda_log: Path
    foreign_before: dict[Any, Any] = field(default_factory=dict)

    @property
    def settings(self) -> Any:
        return settings_from_parameters(self.parameters)

    def wait(self, timeout: float = 180.0) -> None:
        self.aws.wait_idle(timeout)

    # -- SOLIDserver against EC2
    def inventory(self) -> Inventory:
        return read_inventory(self.ss, DNS_SERVER)

    def truth(self, unknown_terminated: tuple[str, ...] = ()) -> Truth:
        return compute_truth(
            self.aws.ec2,
            self.settings,
            zones=zones_of(self.ss, DNS_SERVER),
            unknown_terminated=unknown_terminated,
        )

    def differences(
        self,
        *,
        scope: set[str] | None = None,
        unknown_terminated: tuple[str, ...] = (),
        ignore: tuple[str, ...] = (),
    ) -> list[Difference]:
        truth = self.truth(unknown_terminated)
        if scope is not None:
            truth = truth.restrict(scope)
        return compare(self.inventory(), truth, foreign_before=self.foreign_before, ignore_instances=ignore)

    def assert_converged(self, **kw: Any) -> None:
        diffs = self.differences(**kw)
        assert not diffs, format_differences(diffs)

    # -- what went through
    def executions(self) -> list[Any]:
        assert self.aws.recorder is not None
        return list(self.aws.recorder.summaries)

    def history(self, name: str) -> list[dict[str, Any]]:
        return self.aws.executions.get(name)[1]

    def applied_messages(self) -> list[dict[str, Any]]:
        """The body of every message an execution ran (in execution order)."""
        bodies = []
        for s in sorted(self.executions(), key=lambda s: s.start or ""):
            records = json.loads(self.history(s.name)[0]["executionStartedEventDetails"]["input"])
            bodies += [record_body(r) for r in records]
        return bodies

    def dead_letters(self, queue: str) -> list[dict[str, Any]]:
        return self.aws.dead_letters(queue)

    def redrive(self, *, dry_run: bool = False) -> Any:
        from ipamsync_local.redrive import redrive_local

        return redrive_local(self.aws, dry_run=dry_run)


@contextlib.contextmanager
def pipeline(
    emu: EmulatorServer,
    log: RequestLog,
    tmp_path: Path,
    *,
    parameters: Mapping[str, str] | None = None,
    time_scale: float = SCALE,
    retry_scale: float | None = None,
    plant_foreign: bool = True,
    **kwargs: Any,
) -> Iterator[Run]:
    """A fresh emulator (seeded, foreign objects planted) and a local pipeline in front of it."""
    prepare(emu)
    ss = solidserver(emu)
    if plant_foreign:
        plant_foreign_objects(ss)
    params = {**BASE_PARAMETERS, **(parameters or {})}
    kwargs.setdefault("ca_bundle_pem", Path(str(emu.cert_path)).read_text())
    kwargs.setdefault("credentials", {"username": USERNAME, "password": PASSWORD})
    lambda_log = tmp_path / "lambda.log"
    with LocalAws(
        solidserver_url=emu.url,
        parameters=params,
        state_dir=tmp_path / "state",
        time_scale=time_scale,
        lambda_log=lambda_log,
        **kwargs,
    ) as aws:
        assert aws.hooks is not None
        if retry_scale is not None:
            aws.hooks.time_scale = retry_scale  # the interpreter's Retry waits only
        run = Run(aws, emu, log, ss, params, tmp_path, lambda_log)
        run.foreign_before = _foreign(run)
        emu.admin.reset_stats()
        log.clear()
        yield run


def _foreign(run: Run) -> dict[Any, Any]:
    from ipamsync_local.truth import foreign_snapshot

    return foreign_snapshot(run.inventory())


# --------------------------------------------------------------------------- execution histories


def _retriers(asl: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}

    def walk(states: Mapping[str, Any]) -> None:
        for name, state in states.items():
            if state.get("Type") == "Task":
                found[name] = list(state.get("Retry", []))
            if state.get("Type") == "Map":
                walk((state.get("ItemProcessor") or state.get("Iterator"))["States"])
            if state.get("Type") == "Parallel":
                for branch in state["Branches"]:
                    walk(branch["States"])

    walk(asl["States"])
    return found


RETRIERS = _retriers(ASL)


@dataclass
class Wait:
    execution: str
    state: str
    error: str
    retrier: int  # index in the state's Retry list
    attempt: int  # 1 = the first retry of that retrier
    seconds: float  # scheduled by the interpreter (unscaled), not measured: load cannot change it
    cap: float  # the designed ceiling (unscaled): min(Interval * Backoff^(attempt-1), MaxDelay)


@dataclass
class TaskRun:
    execution: str
    state: str
    errors: list[str]
    succeeded: bool
    waits: list[Wait]


def task_runs(run: Run) -> list[TaskRun]:
    """Every Task state of every recorded execution: its failures, the retry waits between them
    (each with the seconds the interpreter scheduled for it, in order per execution and state)."""
    assert run.aws.hooks is not None
    scheduled: dict[tuple[str, str], list[float]] = {}
    for sw in run.aws.hooks.scheduled_waits:
        scheduled.setdefault((sw.execution_arn.rsplit(":", 1)[-1], sw.state), []).append(sw.seconds)
    out: list[TaskRun] = []
    for s in run.executions():
        events = run.history(s.name)
        owner = state_of_events(events)
        by_state: dict[str, list[dict[str, Any]]] = {}
        for e in events:
            if e["type"] in ("TaskScheduled", "TaskFailed", "TaskSucceeded"):
                by_state.setdefault(owner.get(int(e["id"]), ""), []).append(e)
        for state, evs in by_state.items():
            retriers = RETRIERS.get(state, [])
            errors: list[str] = []
            waits: list[Wait] = []
            used: dict[int, int] = {}
            failed_at: str | None = None
            for e in evs:
                if e["type"] == "TaskFailed":
                    error = str(e["taskFailedEventDetails"].get("error", ""))
                    errors.append(error)
                    failed_at = error
                elif e["type"] == "TaskScheduled" and failed_at is not None:
                    error = failed_at
                    index = next(
                        (
                            i
                            for i, r in enumerate(retriers)
                            if error in r["ErrorEquals"] or "States.ALL" in r["ErrorEquals"]
                        ),
                        -1,
                    )
                    used[index] = used.get(index, 0) + 1
                    r = retriers[index] if index >= 0 else {}
                    attempt = used[index]
                    cap = float(r.get("IntervalSeconds", 1)) * float(r.get("BackoffRate", 2.0)) ** (
                        attempt - 1
                    )
                    cap = min(cap, float(r.get("MaxDelaySeconds", cap)))
                    planned = scheduled.get((s.name, state), [])
                    seconds = planned.pop(0) if planned else float("nan")  # nan: no wait recorded
                    waits.append(Wait(s.name, state, error, index, attempt, seconds, cap))
                    failed_at = None
            succeeded = any(e["type"] == "TaskSucceeded" for e in evs)
            out.append(TaskRun(s.name, state, errors, succeeded, waits))
    return out


def retry_violations(runs: list[TaskRun]) -> list[str]:
    """Retries beyond a retrier's MaxAttempts, and errors retried that no retrier of the ASL names."""
    problems = []
    for tr in runs:
        retriers = RETRIERS.get(tr.state, [])
        per: dict[int, int] = {}
        for w in tr.waits:
            per[w.retrier] = max(per.get(w.retrier, 0), w.attempt)
            if w.retrier < 0:
                problems.append(f"{tr.execution} {tr.state}: {w.error} was retried but no retrier matches it")
        for index, attempts in per.items():
            if index >= 0 and attempts > int(retriers[index].get("MaxAttempts", 3)):
                problems.append(f"{tr.execution} {tr.state}: retrier {index} retried {attempts} times")
    return problems


def wait_violations(runs: list[TaskRun]) -> list[str]:
    """Retry waits the interpreter scheduled beyond their backoff ceiling, or never recorded."""
    return [
        f"{tr.execution} {tr.state}: retry {w.attempt} of {w.error} scheduled {w.seconds:.3f} s "
        f"(ceiling {w.cap:.3f} s)"
        for tr in runs
        for w in tr.waits
        if not 0 <= w.seconds <= w.cap + 1e-6
    ]


# --------------------------------------------------------------------------- secrets


def secret_forms(*secrets: str, username: str = USERNAME) -> dict[str, str]:
    """The ways a secret could leak: verbatim, base64 (native headers), user:secret base64 (Basic
    auth), URL-encoded, JSON-escaped."""
    forms: dict[str, str] = {}
    for secret in secrets:
        forms[secret] = "verbatim"
        forms[base64.b64encode(secret.encode()).decode()] = "base64"
        forms[base64.b64encode(f"{username}:{secret}".encode()).decode()] = "basic-auth base64"
        forms[urllib.parse.quote(secret, safe="")] = "url-encoded"
        forms[urllib.parse.quote_plus(secret)] = "form-encoded"
        forms[json.dumps(secret)[1:-1]] = "json-escaped"
    return forms


def scan(texts: Mapping[str, str], forms: Mapping[str, str]) -> list[str]:
    hits = []
    for where, text in texts.items():
        for form, kind in forms.items():
            if form and form in text:
                hits.append(f"{kind} form of a secret in {where}")
    return hits


def lookup_device(ss: SolidServer, instance_id: str) -> list[Any]:
    return ss.list_devices(where=Where.contains("hostdev_name", instance_id))


# --------------------------------------------------------------------------- scenario pipelines (one per module)


#: The scenario pipelines' (the session's TLS emulator, seeded per module).
SCENARIO_DNS_SERVER = "ns.e2e.local"
SCENARIO_ZONE = "ec2.e2e.internal"
SCENARIO_ZONE2 = "apps.e2e.internal"
SCENARIO_SPACE = "AWS"
SCENARIO_REVERSE = ("10.in-addr.arpa", "16.172.in-addr.arpa")


class Pipeline:
    """A running local pipeline on the emulator, with the demo's two VPCs and four subnets."""

    def __init__(self, aws: LocalAws, emu: EmulatorServer, settings: Settings) -> None:
        self.aws = aws
        self.emu = emu
        self.settings = settings
        self.ss = solidserver(emu, "ipmadmin", EMULATOR_PASSWORD)
        self.client = self.ss.client
        self.network = demo_fleet.build_network(aws.fleet, aws.ec2)
        self.used_subnets: set[str] = set()
        zone6 = demo_fleet.ip6_reverse_zone(self.network.ipv6_block)
        emu.admin.add_dns_zone(SCENARIO_DNS_SERVER, zone6, reverse=True)

    # -------------------------------------------------------------- driving
    def subnet(self, key: str) -> str:
        return self.network.subnets[key]

    def seed_moto(self, seed: int) -> None:
        """Seed moto's generator (ids, MACs, ephemeral public IPs) through moto's seeding endpoint.

        Waits for the pipeline to be idle first, so that nothing else draws from the generator
        before the EC2 call that follows: that call's draws are then repeatable. Give every call
        site its own seed (reusing one would repeat moto's message and receipt ids)."""
        self.aws.wait_idle(60)
        answer = requests.post("http://motoapi.amazonaws.com/moto-api/seed", params={"a": seed}, timeout=5)
        assert answer.status_code == 200

    def launch(self, name: str | None, subnet: str = "prod-1", **kw: Any) -> str:
        self.used_subnets.add(self.subnet(subnet))
        return self.aws.fleet.launch(name, subnet_id=self.subnet(subnet), **kw).instance_id

    def settle(self, timeout: float = 90) -> None:
        self.aws.wait_idle(timeout)

    def describe(self, instance_id: str) -> dict[str, Any]:
        return self.aws.fleet.describe(instance_id)

    # -------------------------------------------------------------- reading
    def inventory(self) -> Inventory:
        return read_inventory(self.ss, SCENARIO_DNS_SERVER)

    def owner(self, instance_id: str) -> str:
        """The ``ipamsync_owner`` value of an instance's objects."""
        return owner_of(self.aws.context.account_id, self.aws.context.region, instance_id)

    def truth(self) -> Truth:
        # Networks are never deleted: those of terminated instances' subnets stay.
        return compute_truth(
            self.aws.ec2,
            self.settings,
            zones=zones_of(self.ss, SCENARIO_DNS_SERVER),
            account=self.aws.context.account_id,
            region=self.aws.context.region,
            extra_subnets=self.used_subnets,
            unique_address_names=self.emu.profile.unique_address_names,
        )

    def exact(self, *instance_ids: str) -> tuple[Truth, Inventory]:
        """SOLIDserver holds exactly what EC2 says, for these instances and for everything else."""
        truth, inv = self.truth(), self.inventory()
        assert set(instance_ids) <= set(truth.instances), "EC2 does not describe them all"
        diffs = compare(inv, truth.restrict(instance_ids))  # theirs first: the clearer report
        assert diffs == [], format_differences(diffs)
        diffs = compare(inv, truth)
        assert diffs == [], format_differences(diffs)
        return truth, inv

    def executions_of(self, instance_id: str) -> list[Any]:
        assert self.aws.recorder is not None
        return [s for s in self.aws.recorder.summaries if s.instance_id == instance_id]

    def history(self, name: str) -> list[dict[str, Any]]:
        return self.aws.executions.get(name)[1]

    def dead_letters(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return self.aws.dead_letters("WorkflowDeadLetterQueue"), self.aws.dead_letters("EventDeadLetterQueue")

    def space_id(self) -> str:
        space = self.ss.find_space(SCENARIO_SPACE)
        assert space is not None
        return space.id


def start_pipeline(
    emu: EmulatorServer,
    state_dir: Path,
    parameters: Mapping[str, str] | None = None,
    *,
    time_scale: float = 0.02,
    profile: str = "default",
    **kw: Any,
) -> tuple[LocalAws, Settings]:
    """A reset, seeded emulator with this appliance profile and a started LocalAws (the caller stops it)."""
    emu.admin.set_profile(profile)
    emu.admin.reset()
    emu.admin.clear_faults()
    emu.admin.seed(
        space=SCENARIO_SPACE,
        dns_server=SCENARIO_DNS_SERVER,
        forward_zones=[SCENARIO_ZONE, SCENARIO_ZONE2],
        reverse_zones=list(SCENARIO_REVERSE),
    )
    params = {
        "DnsServerName": SCENARIO_DNS_SERVER,
        "DnsForwardZone": SCENARIO_ZONE,
        "SpaceName": SCENARIO_SPACE,
        # One process is one execution environment for all five functions: raise the per-environment bound.
        "SolidServerRequestsPerSecond": "1000",
        **(parameters or {}),
    }
    aws = LocalAws(
        parameters=params,
        state_dir=state_dir,
        time_scale=time_scale,
        solidserver_url=emu.url,
        credentials={"username": "ipmadmin", "password": EMULATOR_PASSWORD},
        ca_bundle_pem=Path(str(emu.cert_path)).read_text(),
        lambda_log=state_dir / "lambda.log",
        **kw,
    ).start()
    return aws, settings_from_parameters(params)


def pipeline_fixture(parameters: Mapping[str, str] | None = None, **kw: Any):
    """A module-scoped fixture running one pipeline with these template parameters (``profile=``:
    the emulator's appliance profile, reset to ``default`` afterwards)."""

    @pytest.fixture(scope="module")
    def fixture(tls_emulator: EmulatorServer, module_state: Path) -> Iterator[Pipeline]:
        aws, settings = start_pipeline(tls_emulator, module_state, parameters, **kw)
        try:
            yield Pipeline(aws, tls_emulator, settings)
        finally:
            aws.stop()
            tls_emulator.admin.set_profile("default")

    return fixture


def body(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record's message (a JSON string as SQS holds it, or the object the pipe's InputTemplate
    put in the execution's input)."""
    return record_body(record)
