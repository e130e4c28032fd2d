"""The Lambda entry shape every ipamsync function shares.

A function's ``app.py`` is one line of wiring::

    lambda_handler = sync_handler("addresses", AddressesInput.from_event, run)

where ``run(inputs, context) -> result`` is the one domain call. The returned handler has Lambda's
own signature ``(event, context)`` and does, in order: Powertools (metrics flushed even on failure,
tracing, logger with the Lambda context and ``clear_state``), the ``step`` metric dimension and log
key, the invocation deadline for the SOLIDserver client, the input parsed once into its type
(``InvalidMessage`` naming the field when it is malformed), the correlation id, the domain call,
SOLIDserver calls and object changes as metrics, the result logged and returned as a dict.
Failures are logged and counted, then re-raised under their own name: the state machine's error
name. After ``SolidServerAuthError`` the container drops its client and re-reads the secret.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from aws_lambda_powertools.metrics import MetricUnit

from ipamsync.errors import IpamsyncError, MemberAccessRefused, OwnershipConflict, SolidServerAuthError
from ipamsync.events import ApiCall
from ipamsync.model import Lookup, Message
from ipamsync.runtime import container
from ipamsync.runtime.observability import correlate, logger, metrics, traced

if TYPE_CHECKING:
    from ipamsync.enrich import Enriched
    from ipamsync.events import Event
    from ipamsync.reconcile.run import Outcome, Target, TargetsRequest
    from ipamsync.runtime.container import EnrichClients
    from ipamsync.sync.common import Changes, SyncContext

#: What Lambda calls: ``(event, context) -> JSON-able dict``.
Handler = Callable[[Any, Any], dict[str, Any]]


class StepInput(Protocol):
    @property
    def message(self) -> Message | Lookup: ...


class StepResult(Protocol):
    @property
    def changes(self) -> Changes: ...

    def to_dict(self) -> dict[str, Any]: ...


class Shaped(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


In = TypeVar("In", bound=StepInput)
R = TypeVar("R", bound=StepResult)
S = TypeVar("S", bound=Shaped)


@contextlib.contextmanager
def _deadline(lambda_context: Any) -> Iterator[None]:
    """Tell the SOLIDserver client when this invocation times out (see ``client.DEADLINE``)."""
    from ipamsync.solidserver.client import DEADLINE

    remaining = getattr(lambda_context, "get_remaining_time_in_millis", None)
    token = DEADLINE.set(time.monotonic() + remaining() / 1000 if callable(remaining) else None)
    try:
        yield
    finally:
        DEADLINE.reset(token)


def _failed(step: str, exc: BaseException) -> None:
    metrics.add_metric("Failures", MetricUnit.Count, 1)
    if isinstance(exc, OwnershipConflict):
        metrics.add_metric("Conflicts", MetricUnit.Count, 1)
    if isinstance(exc, MemberAccessRefused):
        metrics.add_metric("MemberAccessRefused", MetricUnit.Count, 1)
    if isinstance(exc, IpamsyncError):
        logger.error(f"{step} failed", extra={"failure": exc.to_dict()})
    else:
        logger.exception(f"{step} failed", extra={"failure": {"error": type(exc).__name__}})
    if isinstance(exc, SolidServerAuthError):
        container.drop_context(refetch_secret=True)


def _log_done(step: str, out: Mapping[str, Any]) -> None:
    """One ``INFO`` line when the step changed something in SOLIDserver (what a person reads: how
    many objects were created, updated, deleted); the whole result only at ``DEBUG`` (a replay or an
    unchanged snapshot logs nothing at ``INFO``: function logs are priced per byte, README, Cost)."""
    changes = out.get("changes") if isinstance(out, Mapping) else None
    if isinstance(changes, Mapping) and any(changes.values()):
        logger.info(f"{step} changed SOLIDserver", extra={"changes": dict(changes)})
    logger.debug(f"{step} done", extra={"result": out})


def _entry(step: str, body: Callable[[Any, Any], dict[str, Any]]) -> Handler:
    @metrics.log_metrics
    @traced
    @logger.inject_lambda_context(clear_state=True)
    @functools.wraps(body)
    def handler(event: Any, lambda_context: Any) -> dict[str, Any]:
        metrics.add_dimension("step", step)
        # function_name and function_request_id identify the invocation; the ARN and memory size
        # repeat the same facts on every line (function logs are priced per byte: README, Cost).
        logger.remove_keys(["function_arn", "function_memory_size"])
        logger.append_keys(step=step)
        with _deadline(lambda_context):
            try:
                out = body(event, lambda_context)
            except Exception as exc:
                _failed(step, exc)
                raise
        _log_done(step, out)
        return out

    return handler


def count(name: str, value: float) -> None:
    """A count metric, left out when it is 0: a missing datapoint sums the same, and each one left
    out takes about 60 bytes off the invocation's EMF line (function logs are priced per byte:
    README, Cost). A statistic other than Sum (SampleCount, Average) of these metrics is not
    meaningful then: use Sum."""
    if value:
        metrics.add_metric(name, MetricUnit.Count, value)


def _count_calls(ctx: SyncContext, before: Mapping[str, int]) -> None:
    calls = ctx.ss.client.calls
    count("SolidServerReads", calls["read"] - before.get("read", 0))
    count("SolidServerWrites", calls["write"] - before.get("write", 0))


def sync_handler(step: str, parse: Callable[[Any], In], run: Callable[[In, SyncContext], R]) -> Handler:
    """The handler of sync step ``step``: ``parse`` the event into its input type, ``run`` it."""

    def body(event: Any, _lambda_context: Any) -> dict[str, Any]:
        inputs = parse(event)
        msg = inputs.message
        if isinstance(msg, Message):
            correlate(msg.event.id, msg.instance.id, state=msg.instance.state, observed_at=msg.observed_at)
        else:  # a lookup
            correlate(msg.event.id, None, call=msg.event.call)
        ctx = container.sync_context()
        before = dict(ctx.ss.client.calls)
        try:
            result = run(inputs, ctx)
        except SolidServerAuthError:
            _count_calls(ctx, before)
            if not container.credentials_rotated():
                raise
            # the secret was rotated since this environment read it: once more with the new one
            # (every step is idempotent), instead of failing every environment once in turn
            logger.warning("SOLIDserver refused the cached credentials; the rotated secret is used")
            ctx = container.sync_context()
            before = dict(ctx.ss.client.calls)
            try:
                result = run(inputs, ctx)
            finally:
                _count_calls(ctx, before)
        else:
            _count_calls(ctx, before)
        changes = result.changes
        count("ObjectsCreated", changes.total("created"))
        count("ObjectsUpdated", changes.total("updated"))
        count("ObjectsDeleted", changes.total("deleted"))
        if getattr(result, "stale", False):
            count("StaleMessagesSkipped", 1)
        return result.to_dict()

    body.__name__ = body.__qualname__ = f"{step}_handler"
    return _entry(step, body)


def maintenance_handler(step: str, run: Callable[[SyncContext], Mapping[str, int]]) -> Handler:
    """The handler of a scheduled job (no message): each count it returns becomes a metric
    (``tombstones_deleted`` → ``TombstonesDeleted``)."""

    def body(_event: Any, _lambda_context: Any) -> dict[str, Any]:
        ctx = container.sync_context()
        before = dict(ctx.ss.client.calls)
        try:
            counts = dict(run(ctx))
        finally:
            _count_calls(ctx, before)
        for key, value in counts.items():
            count("".join(w.capitalize() for w in key.split("_")), value)
        return counts

    body.__name__ = body.__qualname__ = f"{step}_handler"
    return _entry(step, body)


def enrich_handler(parse: Callable[[Any], Event], run: Callable[[Event, EnrichClients], Enriched]) -> Handler:
    """The enrich function's handler: the EventBridge event parsed once, then ``run``. Metrics:
    ``EventsEnriched``, ``MessagesQueued``, ``LookupsQueued``, ``CallsIgnored`` (a call that
    names nothing ipamsync writes about, or that EC2 ties to no instance) and ``EventsOutOfScope``
    (an account or region outside the coverage: dropped, logged with the account)."""

    def body(event: Any, _lambda_context: Any) -> dict[str, Any]:
        parsed = parse(event)
        if isinstance(parsed, ApiCall):
            correlate(parsed.id, ",".join(parsed.instance_ids)[:200] or None, call=parsed.name)
        else:
            correlate(parsed.id, parsed.instance_id, event_state=getattr(parsed, "state", None))
        result = run(parsed, container.enrich_clients())
        if result.out_of_scope:
            metrics.add_metric("EventsOutOfScope", MetricUnit.Count, 1)
            logger.warning(
                "event outside the coverage dropped",
                extra={"account": result.account, "region": parsed.region, "reason": result.out_of_scope},
            )
            return result.to_dict()
        metrics.add_metric("EventsEnriched", MetricUnit.Count, 1)
        metrics.add_metric("MessagesQueued", MetricUnit.Count, len(result.queued))
        if result.lookup:
            metrics.add_metric("LookupsQueued", MetricUnit.Count, 1)
        if result.ignored:
            metrics.add_metric("CallsIgnored", MetricUnit.Count, 1)
            logger.info("nothing to queue", extra={"reason": result.ignored})
        return result.to_dict()

    body.__name__ = body.__qualname__ = "enrich_handler"
    return _entry("enrich", body)


def reconcile_handler(
    parse: Callable[[Any], Target | TargetsRequest],
    run: Callable[[Target | TargetsRequest], Outcome | list[dict[str, str]]],
) -> Handler:
    """The reconcile function's handler: the covered targets (``{"targets": [...]}``), or one
    account and region, planned (and queued unless a dry run). Metrics (step ``reconcile``):
    ``InstancesMissing``, ``InstancesDrifted``, ``InstancesInSync``, ``InstancesOrphaned``,
    ``MessagesQueued``, ``SolidServerReads``. The result carries the plan's items for a dry run only
    (a run's result is its counts)."""
    from ipamsync.reconcile.run import ITEMS_LIMIT, Outcome, TargetsRequest

    def body(event: Any, _lambda_context: Any) -> dict[str, Any]:
        request = parse(event)
        if isinstance(request, TargetsRequest):
            listed = run(request)
            assert isinstance(listed, list)
            return {"targets": listed}
        target = request
        correlate(f"reconcile:{target.run}", None, account=target.account, region=target.region)
        outcome = run(target)
        assert isinstance(outcome, Outcome)
        for cls, n in outcome.plan.counts.items():
            name = "".join(w.capitalize() for w in cls.split("-"))
            metrics.add_metric(f"Instances{name}", MetricUnit.Count, n)
        metrics.add_metric("MessagesQueued", MetricUnit.Count, outcome.queued)
        metrics.add_metric("SolidServerReads", MetricUnit.Count, outcome.solidserver_calls)
        return outcome.to_dict(items=target.dry_run, limit=ITEMS_LIMIT)

    body.__name__ = body.__qualname__ = "reconcile_handler"
    return _entry("reconcile", body)
