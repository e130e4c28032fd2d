"""The EventBridge pipe, reproduced: moto stores pipe definitions but moves no messages.

For the template's pipe (SQS FIFO source → Express state machine, ``REQUEST_RESPONSE``) the real
pipe: polls the queue, builds batches of up to ``BatchSize`` records, starts a synchronous
execution whose input is the batch (a JSON array of SQS records in the pipe's shape) and waits for
it; when the execution SUCCEEDED it deletes the messages, otherwise it leaves them, so SQS makes
them visible again after the queue's visibility timeout and, after ``maxReceiveCount`` receives,
moves them to the dead-letter queue (moto's redrive does that part).

Concurrency: up to ``workers`` batches in flight. FIFO order per message group comes from SQS
itself: moto hands out no message of a group while another message of that group is in flight
(verified by a test), exactly like SQS.

Time: moto's Step Functions API has no ``StartSyncExecution``; the pipe starts the execution and
waits for the interpreter to report its end (:class:`ExecutionWaiter`, fed by :mod:`.motohook`),
then reads it with ``DescribeExecution`` (polled every 0.5 s as a fallback; an execution still
running after Express's 5-minute limit is stopped and counts as TIMED_OUT). The poller sleeps while
the queue is empty and is woken by every send and visibility change on the queue.

A message is received with the queue's own visibility timeout, so it can never reappear while its
execution runs (the template's 360 s > 5 min guarantee). After a failed execution the pipe makes the
message visible again when the *scaled* visibility timeout, counted from the receive, has elapsed
(``ChangeMessageVisibility 0`` — what SQS itself does at that moment); with ``time_scale=1`` that is
exactly SQS's own timing. ``FIRE_AND_FORGET`` is supported too (delete once the execution started).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ipamsync.model import LOOKUP_SCHEMA

from .eventshape import json_path
from .scheduler import Scheduler
from .template import PipeSpec, QueueSpec, StateMachineSpec

log = logging.getLogger(__name__)

#: Express workflows end after 5 minutes at most.
EXPRESS_LIMIT_SECONDS = 300.0
_ATTRIBUTE_ORDER = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "SenderId",
    "MessageDeduplicationId",
    "ApproximateFirstReceiveTimestamp",
)
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")


def pipe_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """An SQS ``ReceiveMessage`` entry → the record a pipe (or a Lambda event source) delivers."""
    attrs = message.get("Attributes") or {}
    ordered = {k: str(attrs[k]) for k in _ATTRIBUTE_ORDER if k in attrs}
    ordered.update({k: str(v) for k, v in attrs.items() if k not in ordered})
    message_attributes = {}
    for name, attr in (message.get("MessageAttributes") or {}).items():
        entry: dict[str, Any] = {}
        if "StringValue" in attr:
            entry["stringValue"] = attr["StringValue"]
        if "BinaryValue" in attr:
            entry["binaryValue"] = attr["BinaryValue"]
        entry["stringListValues"] = list(attr.get("StringListValues") or [])
        entry["binaryListValues"] = list(attr.get("BinaryListValues") or [])
        entry["dataType"] = attr.get("DataType", "String")
        message_attributes[name] = entry
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": ordered,
        "messageAttributes": message_attributes,
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def record_body(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record's message: the SQS body (JSON text) as the pipe receives it, or the object the
    pipe's ``InputTemplate`` put in the execution's input (``<$.body>``); ``{}`` when it is not JSON."""
    body = record.get("body")
    if isinstance(body, dict):
        return body
    try:
        parsed = json.loads(body or "{}")
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def receive_count(record: Mapping[str, Any]) -> int:
    """How many times SQS delivered the record (the template's ``receiveCount``, else the attribute)."""
    raw = record.get("receiveCount") or (record.get("attributes") or {}).get("ApproximateReceiveCount")
    try:
        return int(raw or 0)
    except (TypeError, ValueError):
        return 0


_TEMPLATE_VARIABLE = re.compile(r'("?)<(\$[A-Za-z0-9_.\-/\[\]*]*|aws\.pipes\.[a-z.\-]+)>("?)')


def render_input(template: str, record: Mapping[str, Any], variables: Mapping[str, str]) -> Any:
    """A pipe's ``InputTemplate`` applied to one record, as EventBridge Pipes does: ``<$.path>``
    (dot notation and array indices) and the reserved ``<aws.pipes.…>`` variables; a variable between
    quotes is inserted as text, one without quotes as JSON. The SQS ``body`` is parsed when it is
    JSON (the pipes' implicit body parsing), so ``<$.body>`` inserts the message as an object."""
    view = dict(record)
    raw = record.get("body")
    if isinstance(raw, str):
        try:
            view["body"] = json.loads(raw)
        except ValueError:
            pass

    def value(match: re.Match[str]) -> str:
        opening, name, closing = match.groups()
        found = variables.get(name) if name.startswith("aws.") else json_path(view, name)
        if opening and closing:
            text = found if isinstance(found, str) else json.dumps(found, separators=(",", ":"))
            return json.dumps(text)
        return opening + json.dumps(found, separators=(",", ":")) + closing

    return json.loads(_TEMPLATE_VARIABLE.sub(value, template))


def describe_record(record: dict[str, Any]) -> tuple[str, str]:
    """(instance id, event state) of a pipe record, from its ipamsync message body; a lookup
    (``ipamsync.lookup/1``, no instance) is ``("lookup", <the EC2 call>)``."""
    instance_id = str((record.get("attributes") or {}).get("MessageGroupId") or "unknown")
    state = "unknown"
    try:
        body = record_body(record)
        if body.get("schema") == LOOKUP_SCHEMA:
            return "lookup", str(body.get("event", {}).get("call") or "lookup")
        instance_id = str(body.get("instance", {}).get("id") or instance_id)
        state = str(body.get("event", {}).get("state") or body.get("instance", {}).get("state") or state)
    except (ValueError, AttributeError):
        pass
    return instance_id, state


def execution_name(records: list[dict[str, Any]]) -> str:
    """``<instance-id>-<event state>-<short id>`` (unique; Step Functions' name rules, ≤ 80 chars)."""
    instance_id, state = describe_record(records[0]) if records else ("batch", "unknown")
    suffix = uuid.uuid4().hex[:8]
    if len(records) > 1:
        suffix = f"n{len(records)}-{suffix}"
    name = _NAME_UNSAFE.sub("_", f"{instance_id}-{state}")[: 80 - len(suffix) - 1]
    return f"{name}-{suffix}"


class ExecutionWaiter:
    """Executions that ended (reported by the interpreter), for whoever waits for one of them."""

    def __init__(self, keep: int = 10_000) -> None:
        self._ended: dict[str, None] = {}
        self._keep = keep
        self._cond = threading.Condition()

    def ended(self, execution_arn: str) -> None:
        with self._cond:
            self._ended[execution_arn] = None
            while len(self._ended) > self._keep:
                self._ended.pop(next(iter(self._ended)))
            self._cond.notify_all()

    def wait(self, execution_arn: str, timeout: float) -> bool:
        with self._cond:
            done = self._cond.wait_for(lambda: execution_arn in self._ended, timeout)
            if done:
                self._ended.pop(execution_arn, None)
            return done


@dataclass
class PipeStats:
    batches: int = 0
    records: int = 0
    succeeded: int = 0
    failed: int = 0
    timed_out: int = 0
    start_failures: int = 0
    deleted: int = 0
    redeliveries_scheduled: int = 0
    max_in_flight: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


class Pipe:
    """Poll the source queue, run the target state machine per batch, delete or leave messages."""

    def __init__(
        self,
        spec: PipeSpec,
        *,
        queue: QueueSpec,
        state_machine: StateMachineSpec,
        sqs: Any,
        sfn: Any,
        region: str,
        workers: int = 4,
        time_scale: float = 1.0,
        idle_poll: float = 0.25,
        waiter: ExecutionWaiter | None = None,
        on_execution: Callable[[str, list[dict[str, Any]], dict[str, Any]], None] | None = None,
    ) -> None:
        if spec.invocation_type not in ("REQUEST_RESPONSE", "FIRE_AND_FORGET"):
            raise ValueError(f"pipe {spec.name}: unknown InvocationType {spec.invocation_type}")
        if spec.invocation_type == "REQUEST_RESPONSE" and state_machine.type != "EXPRESS":
            # What the Pipes API answers for a STANDARD target.
            raise ValueError(
                f"pipe {spec.name}: REQUEST_RESPONSE is not supported for STANDARD state machines"
            )
        if not 1 <= spec.batch_size <= 10 and queue.fifo:
            raise ValueError(f"pipe {spec.name}: BatchSize must be 1..10 for a FIFO queue")
        self.spec = spec
        self.queue = queue
        self.state_machine = state_machine
        self.sqs = sqs
        self.sfn = sfn
        self.region = region
        self.workers = max(1, int(workers))
        self.time_scale = float(time_scale)
        self.idle_poll = idle_poll
        self.waiter = waiter
        self._wake = threading.Event()
        self.on_execution = on_execution
        self.stats = PipeStats()
        self._slots = threading.Semaphore(self.workers)
        self._in_flight = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._thread: threading.Thread | None = None
        self._scheduler: Scheduler | None = None
        self._redeliveries = 0

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Pipe:
        self._scheduler = Scheduler(self.workers + 1, "pipe")
        self._thread = threading.Thread(target=self._poll_loop, name=f"pipe-{self.spec.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()  # the poll loop may be waiting out its idle poll: it ends now
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._scheduler is not None:
            # batches being executed finish; redeliveries not due yet are dropped with the runtime
            self._scheduler.stop(wait=True)
            self._scheduler = None

    def notify(self, queue_name: str | None = None) -> None:
        """Something happened on a queue (a send, a visibility change): receive again now."""
        if queue_name is None or queue_name == self.queue.name:
            self._wake.set()

    def pause(self) -> None:
        """Stop receiving (batches in flight finish); :meth:`resume` continues."""
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()

    @property
    def in_flight(self) -> int:
        """Batches being executed plus redeliveries waiting for their (scaled) visibility timeout."""
        with self._lock:
            return self._in_flight + self._redeliveries

    # ------------------------------------------------------------------ polling

    def _poll_loop(self) -> None:
        while not self._stop.is_set():
            if self._paused.is_set():
                self._stop.wait(0.05)
                continue
            if not self._slots.acquire(timeout=0.1):
                continue
            self._wake.clear()
            try:
                messages = self._receive()
            except Exception:
                log.exception("pipe %s: receive failed", self.spec.name)
                messages = []
            if not messages:
                self._slots.release()
                self._wake.wait(self.idle_poll)
                continue
            received_at = time.monotonic()
            with self._lock:
                self._in_flight += 1
                self.stats.max_in_flight = max(self.stats.max_in_flight, self._in_flight)
            assert self._scheduler is not None
            self._scheduler.submit(lambda m=messages, t=received_at: self._process(m, t))

    def _receive(self) -> list[dict[str, Any]]:
        resp = self.sqs.receive_message(
            QueueUrl=self.queue.url,
            MaxNumberOfMessages=self.spec.batch_size,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        )
        return list(resp.get("Messages") or [])

    # ------------------------------------------------------------------ one batch

    def _process(self, messages: list[dict[str, Any]], received_at: float) -> None:
        try:
            records = [pipe_record(m, self.queue.arn, self.region) for m in messages]
            status, summary = self._execute(records)
            with self._lock:
                self.stats.batches += 1
                self.stats.records += len(records)
                self.stats.by_status[status] = self.stats.by_status.get(status, 0) + 1
            if status == "SUCCEEDED" or (
                status == "STARTED" and self.spec.invocation_type == "FIRE_AND_FORGET"
            ):
                for record in records:
                    self.sqs.delete_message(QueueUrl=self.queue.url, ReceiptHandle=record["receiptHandle"])
                with self._lock:
                    self.stats.deleted += len(records)
                    self.stats.succeeded += 1
            else:
                with self._lock:
                    if status == "TIMED_OUT":
                        self.stats.timed_out += 1
                    else:
                        self.stats.failed += 1
                self._schedule_redelivery(records, received_at)
            if self.on_execution is not None and summary is not None:
                self.on_execution(status, records, summary)
        except Exception:
            log.exception("pipe %s: batch failed", self.spec.name)
        finally:
            with self._lock:
                self._in_flight -= 1
            self._slots.release()

    def _execute(self, records: list[dict[str, Any]]) -> tuple[str, dict[str, Any] | None]:
        name = execution_name(records)
        batch: list[Any] = list(records)
        if self.spec.input_template:
            variables = {
                "aws.pipes.pipe-arn": self.spec.arn,
                "aws.pipes.pipe-name": self.spec.name,
                "aws.pipes.source-arn": self.spec.source_arn,
                "aws.pipes.target-arn": self.spec.target_arn,
            }
            batch = [render_input(self.spec.input_template, r, variables) for r in records]
        try:
            arn = self.sfn.start_execution(
                stateMachineArn=self.state_machine.arn, name=name, input=json.dumps(batch)
            )["executionArn"]
        except Exception as exc:
            log.warning("pipe %s: could not start an execution: %s", self.spec.name, exc)
            with self._lock:
                self.stats.start_failures += 1
            return "START_FAILED", None
        if self.spec.invocation_type == "FIRE_AND_FORGET":
            return "STARTED", {"executionArn": arn, "name": name}
        return self._wait(arn)

    def _wait(self, arn: str) -> tuple[str, dict[str, Any]]:
        started = time.monotonic()
        delay = 0.005
        while True:
            if self.waiter is not None:
                self.waiter.wait(arn, 0.5)
            desc = self.sfn.describe_execution(executionArn=arn)
            status = str(desc["status"])
            if status != "RUNNING":
                return status, desc
            if time.monotonic() - started > EXPRESS_LIMIT_SECONDS:
                try:
                    self.sfn.stop_execution(
                        executionArn=arn, error="States.Timeout", cause="Express execution exceeded 5 minutes"
                    )
                except Exception:  # pragma: no cover - best effort
                    log.exception("pipe: could not stop %s", arn)
                desc = self.sfn.describe_execution(executionArn=arn)
                return "TIMED_OUT", desc
            if self.waiter is None:
                time.sleep(delay)
                delay = min(delay * 1.5, 0.05)

    def _schedule_redelivery(self, records: list[dict[str, Any]], received_at: float) -> None:
        visibility = self.queue.visibility_timeout * self.time_scale
        due = max(0.0, received_at + visibility - time.monotonic())
        handles = [r["receiptHandle"] for r in records]
        with self._lock:
            self._redeliveries += 1
            self.stats.redeliveries_scheduled += 1

        def expire() -> None:
            try:
                self._wake.set()
                for handle in handles:
                    try:
                        self.sqs.change_message_visibility(
                            QueueUrl=self.queue.url, ReceiptHandle=handle, VisibilityTimeout=0
                        )
                    except Exception as exc:  # already visible again / deleted: nothing to do
                        log.debug("pipe: visibility of a message not changed: %s", exc)
            finally:
                with self._lock:
                    self._redeliveries -= 1

        assert self._scheduler is not None
        self._scheduler.submit(expire, due)


def create_pipe_definition(pipes: Any, spec: PipeSpec, role_arn: str) -> None:
    """The pipe in moto's Pipes API (stored for inspection; :class:`Pipe` moves the messages)."""
    props = spec.properties
    pipes.create_pipe(
        Name=spec.name,
        Source=spec.source_arn,
        SourceParameters=props.get("SourceParameters") or {},
        Target=spec.target_arn,
        TargetParameters=props.get("TargetParameters") or {},
        RoleArn=role_arn,
        DesiredState="RUNNING",
    )
