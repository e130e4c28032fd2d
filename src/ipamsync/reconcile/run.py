"""One reconcile run of an account and region: list, plan, queue (or, dry, only plan).

Applying the plan is queueing it: one snapshot per missing, drifted (and, deep, every listed)
instance and one "gone" snapshot per orphan go onto the event queue the live path uses (group =
instance id, deduplication id = run and instance). Reconcile never writes to SOLIDserver: the
sync applies these messages with the same ordering, freshness and ownership rules as live events,
so a reconcile racing live events can neither regress nor resurrect an instance.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ipamsync.accounts import AccountDirectory, Coverage, targets
from ipamsync.ec2 import Ec2Reader
from ipamsync.enrich import send_messages
from ipamsync.errors import ConfigurationError, InvalidMessage
from ipamsync.model import ACCOUNT, REGION, format_time
from ipamsync.reconcile.listing import Listed, ec2_snapshots, owned_devices
from ipamsync.reconcile.plan import ORPHAN_GRACE, Plan, classify, owned_from_devices, reconcile_event
from ipamsync.settings import Settings
from ipamsync.solidserver.api import SolidServer

#: A run's name: a Step Functions execution name (1-80 letters, digits, ``-`` and ``_``).
RUN = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
#: Most plan items a function result carries (a Step Functions payload is at most 256 KiB; the
#: dry run's CLI gets the rest as ``items_omitted``).
ITEMS_LIMIT = 1000


@dataclass(frozen=True)
class Target:
    """One account and region to reconcile, and how: the input of the ``Reconcile`` step,
    ``{"account", "region", "run", "deep", "dry_run"}`` (``run``: the execution's name)."""

    account: str
    region: str
    run: str  # the execution's name: the messages' event id and deduplication ids
    deep: bool = False
    dry_run: bool = False

    @classmethod
    def from_event(cls, event: Any) -> Target:
        if not isinstance(event, Mapping):
            raise InvalidMessage("invalid reconcile input: not a JSON object")

        def text(key: str, pattern: re.Pattern[str]) -> str:
            value = event.get(key)
            if not isinstance(value, str) or not pattern.match(value):
                raise InvalidMessage(f"invalid reconcile input: {key} {str(value)[:80]!r} is not valid")
            return value

        def flag(key: str) -> bool:
            value = event.get(key, False)
            if not isinstance(value, bool):
                raise InvalidMessage(f"invalid reconcile input: {key} must be true or false")
            return value

        return cls(
            account=text("account", ACCOUNT),
            region=text("region", REGION),
            run=text("run", RUN),
            deep=flag("deep"),
            dry_run=flag("dry_run"),
        )


@dataclass
class Outcome:
    plan: Plan
    dry_run: bool
    queued: int = 0
    solidserver_calls: int = 0
    ec2_pages: int = 0
    listed_at: str = ""

    def to_dict(self, *, items: bool = True, limit: int | None = None) -> dict[str, Any]:
        out = self.plan.to_dict(items=items, limit=limit)
        out.update(
            {
                "dry_run": self.dry_run,
                "queued": self.queued,
                "would_queue": len(self.plan.messages),
                "solidserver_calls": self.solidserver_calls,
                "ec2_pages": self.ec2_pages,
                "listed_at": self.listed_at,
            }
        )
        return out


def plan_target(
    target: Target,
    *,
    reader: Ec2Reader,
    ss: SolidServer,
    settings: Settings,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    orphan_grace: timedelta = ORPHAN_GRACE,
) -> Outcome:
    """List SOLIDserver, then EC2, and classify (raises ``ListingIncomplete``; nothing queued)."""
    started = clock()
    event = reconcile_event(
        target.account, target.region, target.run, deep=target.deep, time=format_time(started)
    )
    ss_stats, ec2_stats = Listed(), Listed()
    devices = owned_devices(ss, target.account, target.region, ss_stats)
    listed_at = clock()
    snapshots = ec2_snapshots(reader, event, settings, clock, ec2_stats)
    plan = classify(
        snapshots,
        owned_from_devices(devices, listed_at),
        settings,
        account=target.account,
        region=target.region,
        listed_at=listed_at,
        event=event,
        deep=target.deep,
        orphan_grace=orphan_grace,
    )
    return Outcome(
        plan=plan,
        dry_run=target.dry_run,
        solidserver_calls=ss_stats.calls,
        ec2_pages=ec2_stats.calls,
        listed_at=format_time(listed_at),
    )


def reconcile(
    target: Target,
    *,
    reader: Ec2Reader,
    ss: SolidServer,
    settings: Settings,
    sqs: Any,
    queue_url: str,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    orphan_grace: timedelta = ORPHAN_GRACE,
) -> Outcome:
    """Plan ``target`` and, unless it is a dry run, queue the plan's messages."""
    outcome = plan_target(
        target, reader=reader, ss=ss, settings=settings, clock=clock, orphan_grace=orphan_grace
    )
    if not target.dry_run:
        # deduplication ids are per run and instance: a retried run queues nothing twice (SQS
        # drops a copy within its 5-minute window; later, the sync finds it already applied)
        # one run's targets are separate calls with one event id: the instance keeps their copies apart
        outcome.queued = len(send_messages(sqs, queue_url, outcome.plan.messages, per_instance=True))
    return outcome


def orphan_grace(env: Mapping[str, str]) -> timedelta:
    """``RECONCILE_ORPHAN_GRACE_SECONDS`` (default 900): how recently observed a device may be
    and still never be declared orphaned."""
    from ipamsync.settings import env_int

    return timedelta(seconds=env_int(env, "RECONCILE_ORPHAN_GRACE_SECONDS", 900, 0, 86400))


def check_covered(target: Target, coverage: Coverage, directory: AccountDirectory | None = None) -> None:
    """Refuse a target outside the stack's coverage (:mod:`ipamsync.accounts`): a covered member
    account is read through its read-only role, anything else would be listed with the wrong
    credentials, and every device of that account would look orphaned. A stack that names neither
    accounts nor OUs covers its own account only."""
    why = coverage.refusal(target.account, target.region, directory)
    named = coverage.accounts or coverage.organizational_units
    if why is None and not named and not coverage.is_hub(target.account):
        why = f"account {target.account} is not covered: this stack covers its own account only"
    if why is not None:
        raise ConfigurationError(f"reconcile of account {target.account} in {target.region} refused: {why}")


@dataclass(frozen=True)
class TargetsRequest:
    """The workflow's first question when its input names no targets (the schedules'): every
    (account, region) the coverage names, ``{"list_targets": true}``."""

    @classmethod
    def from_event(cls, event: Any) -> TargetsRequest | None:
        if isinstance(event, Mapping) and event.get("list_targets") is True:
            return cls()
        return None


def covered_targets(coverage: Coverage, organizations: Any = None) -> list[dict[str, str]]:
    """The reconcile workflow's targets: :func:`ipamsync.accounts.targets` as Map items."""
    return [{"account": a, "region": r} for a, r in targets(coverage, organizations)]


def parse_request(event: Any) -> Target | TargetsRequest:
    """The reconcile function's input, parsed once: a list of the covered targets, or one target."""
    return TargetsRequest.from_event(event) or Target.from_event(event)
