"""The lifecycle phases: each makes its EC2 calls, then waits until the pipeline is idle, showing
the counters meanwhile (:func:`run_phase`); the start phase under a SOLIDserver brownout
(:class:`Brownout`). :class:`Lifecycle` takes the fleet through launch, stop, start, changes on
running instances (an Elastic IP failed over, an ENI attached, a secondary IP and an IPv6 address
assigned; then undone), a rename by tag and terminate (after catching up an earlier run's
instances, if any). Changes on running instances are no state changes: the pipeline hears of them
through their CloudTrail events (the local runtime emits them, as a trail does in AWS)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import fleet as fleetlib
from .screen import Screen, seconds
from .target import Target

#: The brownout of the "start" phase: 15 % of SOLIDserver calls fail (8 % 503, 7 % 429 with
#: Retry-After: 1), for at most this many seconds (scaled by --time-scale) or until the phase is done.
FAULTS = {"seed": 7, "rules": {"*": {"error_rates": {"503": 0.08, "429": 0.07}, "retry_after": 1}}}
BROWNOUT_SECONDS = 8.0
#: Longest a phase may go without progress, in designed seconds (scaled by the time scale; the state
#: machine's worst case is 223 s of retry waits per event) ...
PHASE_TIMEOUT = 600.0
#: ... plus real seconds, not scaled: the work itself (processes starting, moto) runs at this
#: machine's speed, which a loaded machine can make many times slower.
STALL_SECONDS = 120.0
#: The template's function that receives EC2's events (its logical id).
ENRICH_FUNCTION = "EnrichFunction"
#: The lifecycle's phases (without the catch-up of an earlier run).
PHASES = 7

# --------------------------------------------------------------------------- counters


@dataclass
class Snapshot:
    events: int = 0
    enriched: int = 0
    succeeded: int = 0
    failed: int = 0
    retries: int = 0
    retried: int = 0
    queue: int = 0

    def minus(self, base: Snapshot) -> Snapshot:
        return Snapshot(
            self.events - base.events,
            self.enriched - base.enriched,
            self.succeeded - base.succeeded,
            self.failed - base.failed,
            self.retries - base.retries,
            self.retried - base.retried,
            self.queue,
        )


def snapshot(aws: Any) -> Snapshot:
    enrich = aws.lambdas.stats().get(ENRICH_FUNCTION, {}) if aws.lambdas is not None else {}
    summaries = list(aws.recorder.summaries) if aws.recorder is not None else []
    depth = aws.queue_depth("EventQueue")
    calls = aws.calls_source.emitted if aws.calls_source is not None else []
    return Snapshot(
        events=len(aws.events_source.emitted) + len(calls),
        enriched=int(enrich.get("invocations", 0)) - int(enrich.get("errors", 0)),
        succeeded=sum(1 for s in summaries if s.status == "SUCCEEDED"),
        failed=sum(1 for s in summaries if s.status != "SUCCEEDED"),
        retries=sum(s.retries for s in summaries),
        retried=sum(1 for s in summaries if s.retries),
        queue=depth["visible"] + depth["in_flight"] + depth["delayed"],
    )


def counter_text(c: Snapshot, elapsed: float) -> str:
    return (
        f"events {c.events:>3}  enriched {c.enriched:>3}  executions ✔ {c.succeeded:>3} ✘ {c.failed}"
        f"  retried {c.retried} ({c.retries} retries)  queue {c.queue:>2}  {seconds(elapsed)}"
    )


@dataclass
class PhaseResult:
    title: str
    counts: Snapshot
    seconds: float
    converged: bool
    note: str = ""


@dataclass
class Run:
    """What the demo did, for the final screen."""

    keys: dict[str, str] = field(default_factory=dict)  # plan key → instance id
    phases: list[PhaseResult] = field(default_factory=list)
    brownout: dict[str, Any] = field(default_factory=dict)
    caught_up: int = 0
    #: the reconcile phase: the plan's counts, what the deep run queued, the workflow's status
    reconcile: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- one phase


class Brownout:
    """SOLIDserver faults (:data:`FAULTS`) on the emulator for at most ``window`` seconds, and the
    calls that failed on purpose meanwhile (from the emulator's counters)."""

    def __init__(self, target: Target, window: float) -> None:
        self.target = target
        self.window = window
        self.admin: Any = None
        self.on = False

    def begin(self) -> None:
        self.admin = self.target.admin()
        self.before = {k: int(v) for k, v in self.admin.stats()["totals"]["statuses"].items()}
        self.admin.set_faults(FAULTS)
        self.on = True

    def tick(self, elapsed: float, screen: Screen) -> None:
        """End the faults once the window is over."""
        if self.on and elapsed >= self.window:
            self.admin.clear_faults()
            self.on = False
            screen.line(f"      brownout over after {seconds(elapsed)}")

    def finish(self) -> dict[str, Any]:
        """Faults off; ``{"window": seconds, "by_status": {"503": n, "429": n}}`` (empty: never begun)."""
        if self.admin is None:
            return {}
        if self.on:
            self.admin.clear_faults()
            self.on = False
        after = self.admin.stats()["totals"]["statuses"]
        self.admin.close()
        by_status = {k: int(after.get(k, 0)) - self.before.get(k, 0) for k in ("503", "429")}
        return {"window": self.window, "by_status": by_status}


def run_phase(
    aws: Any,
    screen: Screen,
    title: str,
    detail: list[str],
    action: Callable[[], None],
    *,
    time_scale: float,
    brownout: Brownout | None = None,
) -> PhaseResult:
    """Do ``action``, then wait until the pipeline is idle, showing the counters meanwhile."""
    screen.line(screen.bold(title))
    for text in detail:
        screen.line(f"      {text}")
    base = snapshot(aws)
    t0 = time.monotonic()
    if brownout is not None:
        brownout.begin()
    action()
    converged, note = False, ""
    patience = PHASE_TIMEOUT * max(time_scale, 0.05) + STALL_SECONDS
    deadline = t0 + patience
    progress: Snapshot | None = None
    quiet_since: float | None = None
    while True:
        if brownout is not None:
            brownout.tick(time.monotonic() - t0, screen)
        try:
            aws.wait_idle(timeout=0.25, poll=0.05)
            converged = True
        except TimeoutError:
            pass
        counts = snapshot(aws).minus(base)
        if converged:
            break
        now = time.monotonic()
        if counts != progress:  # something moved: a slow machine is not a stuck pipeline
            progress, deadline = counts, now + patience
        faults_on = brownout is not None and brownout.on
        screen.status("      " + ("⚡ " if faults_on else "") + counter_text(counts, now - t0))
        if counts.failed and _nothing_running(aws):
            quiet_since = quiet_since or now
            if now - quiet_since >= 2.0:
                note = (
                    f"{counts.failed} execution(s) failed: SQS redelivers their events after the "
                    "visibility timeout (360 s x time scale), then dead-letters them; not waited for"
                )
                break
        else:
            quiet_since = None
        if now > deadline:
            note = f"still busy after {seconds(now - t0)}: {aws.busy()}"
            break
    elapsed = time.monotonic() - t0
    converged = converged and counts.failed == 0
    screen.line(f"    {'✔' if converged else '✘'} " + counter_text(counts, elapsed))
    if note:
        screen.line(f"      {note}")
    return PhaseResult(title, counts, elapsed, converged, note)


def _nothing_running(aws: Any) -> bool:
    """No asynchronous invocation and no execution running: failed events wait for their visibility
    timeout (and their message groups behind them)."""
    if aws.busy(queue=False)["async_invocations"]:
        return False
    running = aws.sfn.list_executions(stateMachineArn=aws.state_machine.arn, statusFilter="RUNNING")
    return not running.get("executions")


# --------------------------------------------------------------------------- the lifecycle


class Lifecycle:
    """The fleet's phases, in order; ``stale``: instances an earlier run left live in SOLIDserver."""

    def __init__(
        self,
        args: argparse.Namespace,
        screen: Screen,
        aws: Any,
        target: Target,
        network: fleetlib.DemoNetwork,
        zone_override: str | None,
        run_info: Run,
    ) -> None:
        self.args, self.screen, self.aws, self.target, self.network = args, screen, aws, target, network
        self.run_info = run_info
        self.plan = fleetlib.fleet_plan(args.instances, zone_override=zone_override)
        self.phases = fleetlib.phase_plan(s.key for s in self.plan)
        self.names = {s.key: s.name or s.key for s in self.plan}
        self.specs = {s.key: s for s in self.plan}
        self.total = PHASES + 1  # + the reconcile
        self.done = 0
        self.preexisting: list[str] = []
        #: what the running phase added, for the phase that undoes it: (instance, ENI id, secondary
        #: IP, IPv6 address, its instance)
        self.added: dict[str, Any] = {}
        self.ok = True

    def run(self, stale: list[str]) -> bool:
        """Every phase, in order; whether every one converged."""
        from .reconcile_phase import launch_preexisting, reconcile_phase

        self.total = PHASES + 1 + (1 if stale else 0)
        if stale:
            self.catch_up(stale)
        self.preexisting = launch_preexisting(self)
        self.launch()
        self.stop()
        self.start()
        self.change_running()
        self.undo_running()
        self.rename()
        self.terminate()
        reconcile_phase(self)
        return self.ok

    def _step(
        self, title: str, detail: list[str], action: Callable[[], None], brownout: bool = False
    ) -> None:
        self.done += 1
        faults = Brownout(self.target, BROWNOUT_SECONDS * self.args.time_scale) if brownout else None
        try:
            result = run_phase(
                self.aws,
                self.screen,
                f"[{self.done}/{self.total}] {title}",
                detail,
                action,
                time_scale=self.args.time_scale,
                brownout=faults,
            )
        finally:
            if faults is not None:
                self.run_info.brownout = faults.finish()
        self.run_info.phases.append(result)
        self.ok = self.ok and result.converged

    def _each(self, action: Callable[[str], Any], keys: list[str]) -> Callable[[], None]:
        """``action`` on the instance of each plan key, in order."""

        def each() -> None:
            for k in keys:
                action(self.run_info.keys[k])

        return each

    def _listed(self, keys: list[str]) -> str:
        return ", ".join(self.names[k] for k in keys)

    def _public_ip(self, key: str) -> str | None:
        return self.aws.fleet.describe(self.run_info.keys[key]).get("PublicIpAddress")

    def catch_up(self, stale: list[str]) -> None:
        aws = self.aws

        def replay() -> None:
            for iid in stale:
                aws.events_source.emit(
                    iid, "terminated", account_id=aws.context.account_id, region=aws.context.region
                )

        self.run_info.caught_up = len(stale)
        self._step(
            f"catch up: {len(stale)} instance(s) of an earlier run",
            [
                "SOLIDserver still holds them, this (new) EC2 does not know them: their 'terminated' "
                "events are replayed (enrich finds no instance → the device becomes a tombstone)"
            ],
            replay,
        )

    def launch(self) -> None:
        def launch_all() -> None:
            for spec in self.plan:
                action = self.aws.fleet.launch(
                    spec.name,
                    tags=spec.tags,
                    subnet_id=self.network.subnets[spec.subnet],
                    enis=spec.enis,
                    secondary_ips=spec.secondary_ips,
                    ipv6=spec.ipv6,
                    public_ip=spec.public_ip,
                    elastic_ip=spec.elastic_ip,
                    instance_type=spec.instance_type,
                )
                self.run_info.keys[spec.key] = action.instance_id

        showcase = [
            f"{s.name!r} ({s.subnet}{', ' + s.features() if s.features() else ''})"
            for s in self.plan
            if s.features() or s.key in ("worker-a", "cache1", "metrics")
        ]
        n = len(self.plan)
        self._step(
            f"launch {n} instance{'s' if n != 1 else ''}",
            ["incl. " + "; ".join(showcase[:8]) + ("; …" if len(showcase) > 8 else "")],
            launch_all,
        )

    def stop(self) -> None:
        keys = self.phases.stop
        detail = []
        for k in keys:
            if self.specs[k].public_ip:
                detail.append(f"{self.names[k]} loses its public IP {self._public_ip(k)}")
            elif self.specs[k].elastic_ip:
                detail.append(f"{self.names[k]} keeps its Elastic IP {self._public_ip(k)}")
        self._step(f"stop {len(keys)}: " + self._listed(keys), detail, self._each(self.aws.fleet.stop, keys))

    def start(self) -> None:
        keys = self.phases.start
        faults = not self.args.no_faults and self.target.emulator is not None
        detail = []
        if faults:
            detail.append(
                f"⚡ SOLIDserver brownout: 15 % of API calls answer 503 or 429 (Retry-After: 1) for "
                f"up to {seconds(BROWNOUT_SECONDS * self.args.time_scale)}: the state machine retries, "
                "nothing is lost"
            )
        self._step(
            f"start {len(keys)}: " + self._listed(keys),
            detail,
            self._each(self.aws.fleet.start, keys),
            brownout=faults,
        )
        for k in keys:
            if self.specs[k].public_ip:
                self.screen.line(f"      {self.names[k]} came back with a new public IP {self._public_ip(k)}")

    def change_running(self) -> None:
        """An Elastic IP failed over, an ENI attached, a secondary IP and an IPv6 address assigned:
        no state change, no restart."""
        plan, fleet, keys = self.phases, self.aws.fleet, self.run_info.keys
        source, target = plan.failover
        eip = self._public_ip(source) if source is not None else None
        detail = [
            (
                f"Elastic IP {eip} fails over from {self.names[source]} to {self.names[target]} "
                "(AssociateAddress, AllowReassociation)"
                if source is not None and eip
                else f"a new Elastic IP for {self.names[target]} (AssociateAddress)"
            ),
            f"{self.names[plan.eni]}: an ENI attached (AttachNetworkInterface) and a secondary IP "
            "assigned (AssignPrivateIpAddresses)",
        ]
        if plan.ipv6 is not None:
            detail.append(f"{self.names[plan.ipv6]}: an IPv6 address assigned (AssignIpv6Addresses)")
        detail.append(
            "no state change: the pipeline hears of them through their CloudTrail events; the previous "
            "holder of the Elastic IP is refreshed at once"
        )

        def change() -> None:
            if source is not None and eip:
                fleet.move_elastic_ip(keys[target], public_ip=eip)
            else:
                fleet.associate_address(keys[target])
            attached = fleet.attach_eni(keys[plan.eni])
            self.added["eni"] = (keys[plan.eni], attached.details["eni_id"])
            assigned = fleet.assign_private_ip(keys[plan.eni])
            self.added["secondary"] = (keys[plan.eni], assigned.details["addresses"][0])
            if plan.ipv6 is not None:
                v6 = fleet.assign_ipv6(keys[plan.ipv6])
                self.added["ipv6"] = (keys[plan.ipv6], v6.details["addresses"][0])

        self._step("change running instances", detail, change)
        for what, (iid, value) in self.added.items():
            self.screen.line(f"      {self._name_of(iid)}: {what} {value}")

    def undo_running(self) -> None:
        fleet = self.aws.fleet
        detail = ["the ENI detached (DetachNetworkInterface), the secondary IP unassigned"]
        if "ipv6" in self.added:
            detail[0] += ", the IPv6 address unassigned"
        detail.append("the Elastic IP stays where it failed over to")

        def undo() -> None:
            if "eni" in self.added:
                fleet.detach_eni(*self.added["eni"], delete=True)
            if "secondary" in self.added:
                fleet.unassign_private_ip(*self.added["secondary"])
            if "ipv6" in self.added:
                fleet.unassign_ipv6(*self.added["ipv6"])

        self._step("undo on running instances", detail, undo)

    def _name_of(self, instance_id: str) -> str:
        key = next((k for k, v in self.run_info.keys.items() if v == instance_id), None)
        return self.names[key] if key is not None else instance_id

    def rename(self) -> None:
        pairs = self.phases.rename

        def rename_all() -> None:
            for k, new in pairs:
                self.aws.fleet.rename_by_tag(self.run_info.keys[k], new)

        self._step(
            "rename " + ", ".join(f"{self.names[k]} → {new!r}" for k, new in pairs),
            ["by its Name tag alone (CreateTags), no restart: device, addresses and records follow"],
            rename_all,
        )

    def terminate(self) -> None:
        keys = self.phases.terminate
        twin = "worker-b" in keys and "worker-a" in self.run_info.keys
        self._step(
            f"terminate {len(keys)}: " + self._listed(keys),
            [
                "their addresses and records go, their devices stay as tombstones"
                + (" (the other 'worker' keeps its A record)" if twin else "")
            ],
            self._each(self.aws.fleet.terminate, keys),
        )
