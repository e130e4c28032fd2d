"""Execution records: a summary and the full history of every execution, kept on disk.

Express executions are only inspectable through their logs in AWS; locally, moto's
``GetExecutionHistory`` gives the events, and each finished execution is written to
``<state dir>/executions/<name>.json`` (summary + history) so a later process (``ipamsync local
executions`` / ``history``) can show them. Nothing here imports moto.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ipamsync.model import LOOKUP_SCHEMA

DEFAULT_STATE_DIR = Path(".ipamsync") / "local"
ENV_STATE_DIR = "IPAMSYNC_LOCAL_STATE_DIR"


def default_state_dir() -> Path:
    return Path(os.environ.get(ENV_STATE_DIR) or DEFAULT_STATE_DIR)


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value


def _jsonable(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {str(k): _jsonable(v) for k, v in node.items() if k != "ResponseMetadata"}
    if isinstance(node, list | tuple):
        return [_jsonable(v) for v in node]
    return _iso(node)


@dataclass
class ExecutionSummary:
    name: str
    execution_arn: str
    state_machine_arn: str
    status: str
    instance_id: str = ""
    event_state: str = ""
    event_id: str = ""
    #: "snapshot" (ipamsync.message/1, one instance) or "lookup" (ipamsync.lookup/1: no instance,
    #: the attachment, association or public IP an EC2 call named, in ``lookup``)
    kind: str = "snapshot"
    event_call: str = ""  # the EC2 call (CloudTrail eventName) behind the message, when one was
    lookup: dict[str, Any] = field(default_factory=dict)
    refreshed: list[str] = field(default_factory=list)  # instances a refresh was requested for
    message_ids: list[str] = field(default_factory=list)
    receive_count: int = 0
    source: str = "pipe"  # pipe | direct | replay
    states: list[str] = field(default_factory=list)
    retries: int = 0
    task_failures: list[dict[str, str]] = field(default_factory=list)
    dead_lettered: bool = False
    error: str | None = None
    cause: str | None = None
    start: str | None = None
    stop: str | None = None
    duration_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExecutionSummary:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


# --------------------------------------------------------------------------- history analysis


def _details(event: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, Mapping):
            return dict(value)
    return {}


def state_of_events(events: list[Mapping[str, Any]]) -> dict[int, str]:
    """Event id → name of the state it belongs to (following ``previousEventId`` links)."""
    by_id = {int(e["id"]): e for e in events}
    found: dict[int, str] = {}

    def resolve(event_id: int, depth: int = 0) -> str:
        if event_id in found:
            return found[event_id]
        event = by_id.get(event_id)
        if event is None or depth > 10_000:
            return ""
        name = ""
        if event["type"].endswith(("StateEntered", "StateExited")):
            name = str(_details(event).get("name", ""))
        elif event["type"].startswith("Execution"):
            name = ""
        else:
            prev = int(event.get("previousEventId") or 0)
            name = resolve(prev, depth + 1) if prev else ""
        found[event_id] = name
        return name

    # A Map's or Parallel's own events between its Entered and Exited (``MapStateStarted``,
    # ``ParallelStateSucceeded``, …) belong to it, not to the branch state their previous event is:
    # the innermost open state of that kind.
    open_states: list[tuple[str, str]] = []  # (Map | Parallel, name)
    for e in sorted(events, key=lambda e: int(e["id"])):
        kind = next((k for k in ("Map", "Parallel") if str(e["type"]).startswith(k)), None)
        if kind is None:
            continue
        if e["type"].endswith("StateEntered"):
            open_states.append((kind, str(_details(e).get("name", ""))))
        elif e["type"].endswith("StateExited"):
            name = str(_details(e).get("name", ""))
            if (kind, name) in open_states:
                del open_states[len(open_states) - 1 - open_states[::-1].index((kind, name))]
        else:
            owner = next((n for k, n in reversed(open_states) if k == kind), "")
            if owner:
                found[int(e["id"])] = owner
    for e in events:
        resolve(int(e["id"]))
    return found


def refreshed_in(events: list[Mapping[str, Any]]) -> list[str]:
    """The instances an execution asked a new snapshot of: the ``instance-id`` of each entry its
    ``events:putEvents`` tasks were scheduled with (ipamsync Refresh Requests)."""
    found: list[str] = []
    for e in events:
        d = _details(e)
        if e["type"] != "TaskScheduled" or d.get("resourceType") != "events":
            continue
        try:
            parameters = json.loads(d.get("parameters") or "{}")
            for entry in parameters.get("Entries") or []:
                detail = entry.get("Detail")
                detail = json.loads(detail) if isinstance(detail, str) else detail
                iid = str((detail or {}).get("instance-id") or "")
                if iid and iid not in found:
                    found.append(iid)
        except (ValueError, AttributeError, TypeError):
            continue
    return found


def retries_in(events: list[Mapping[str, Any]]) -> int:
    """TaskFailed events followed by a retry (a TaskScheduled whose previous event is the failure)."""
    failed = {int(e["id"]) for e in events if e["type"] == "TaskFailed"}
    return sum(
        1 for e in events if e["type"] == "TaskScheduled" and int(e.get("previousEventId") or 0) in failed
    )


def summarize(
    describe: Mapping[str, Any],
    events: list[Mapping[str, Any]],
    records: Iterable[Mapping[str, Any]] = (),
    source: str = "pipe",
) -> ExecutionSummary:
    from .pipe import describe_record, record_body
    from .pipe import receive_count as receive_count_of  # local import: pipe is moto-free too

    records = list(records)
    states: list[str] = []
    for e in events:
        if e["type"].endswith("StateEntered"):
            name = str(_details(e).get("name", ""))
            if name:
                states.append(name)
    owner = state_of_events(events)
    failures = [
        {"state": owner.get(int(e["id"]), ""), "error": str(_details(e).get("error", ""))}
        for e in events
        if e["type"] == "TaskFailed"
    ]
    start, stop = describe.get("startDate"), describe.get("stopDate")
    duration = None
    if isinstance(start, dt.datetime) and isinstance(stop, dt.datetime):
        duration = round((stop - start).total_seconds() * 1000, 1)
    instance_id, event_state, event_id, event_call, kind = "", "", "", "", "snapshot"
    lookup: dict[str, Any] = {}
    message_ids, receive_count = [], 0
    if records:
        instance_id, event_state = describe_record(dict(records[0]))
        try:
            body = record_body(records[0])
            event = body.get("event", {})
            event_id, event_call = str(event.get("id", "")), str(event.get("call") or "")
            if body.get("schema") == LOOKUP_SCHEMA:
                kind, instance_id, event_state = "lookup", "", "lookup"
                keys = ("attachment_ids", "association_ids", "public_ips")
                lookup = {k: [str(v) for v in body.get(k) or []] for k in keys}
        except (ValueError, AttributeError):
            event_id = ""
        message_ids = [str(r.get("messageId", "")) for r in records]
        receive_count = receive_count_of(records[0])
    return ExecutionSummary(
        name=str(describe.get("name", "")),
        execution_arn=str(describe.get("executionArn", "")),
        state_machine_arn=str(describe.get("stateMachineArn", "")),
        status=str(describe.get("status", "")),
        instance_id=instance_id,
        event_state=event_state,
        event_id=event_id,
        kind=kind,
        event_call=event_call,
        lookup=lookup,
        refreshed=refreshed_in(events),
        message_ids=message_ids,
        receive_count=receive_count,
        source=source,
        states=states,
        retries=retries_in(events),
        task_failures=failures,
        dead_lettered="DeadLetter" in states,
        error=describe.get("error"),
        cause=describe.get("cause"),
        start=_iso(start),
        stop=_iso(stop),
        duration_ms=duration,
    )


# --------------------------------------------------------------------------- storage


class ExecutionStore:
    """``<state dir>/executions/*.json``: one file per execution (summary + history)."""

    def __init__(self, state_dir: str | Path | None = None) -> None:
        self.state_dir = Path(state_dir) if state_dir is not None else default_state_dir()
        self.dir = self.state_dir / "executions"
        self._lock = threading.Lock()

    def save(self, summary: ExecutionSummary, events: list[Mapping[str, Any]]) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / f"{summary.name}.json"
        data = {"summary": summary.to_dict(), "events": _jsonable(events)}
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1)
        os.replace(tmp, path)
        return path

    def _files(self) -> list[Path]:
        return sorted(self.dir.glob("*.json")) if self.dir.is_dir() else []

    def list(self, status: str | None = None, limit: int | None = None) -> list[ExecutionSummary]:
        """Newest first."""
        found = []
        for path in self._files():
            try:
                summary = ExecutionSummary.from_dict(json.loads(path.read_text(encoding="utf-8"))["summary"])
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if status is None or summary.status.upper() == status.upper():
                found.append(summary)
        found.sort(key=lambda s: (s.start or "", s.name), reverse=True)
        return found[:limit] if limit else found

    def get(self, name_or_arn: str) -> tuple[ExecutionSummary, list[dict[str, Any]]]:
        name = name_or_arn.rsplit(":", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn
        path = self.dir / f"{name}.json"
        if not path.is_file():
            matches = [p for p in self._files() if p.stem.startswith(name)]
            if len(matches) != 1:
                raise KeyError(
                    f"no execution {name_or_arn!r} in {self.dir}"
                    + (f" ({len(matches)} match that prefix)" if matches else "")
                )
            path = matches[0]
        data = json.loads(path.read_text(encoding="utf-8"))
        return ExecutionSummary.from_dict(data["summary"]), list(data["events"])

    def clear(self) -> int:
        n = 0
        for path in self._files():
            path.unlink(missing_ok=True)
            n += 1
        return n


class ExecutionRecorder:
    """Fetches a finished execution's description and history from Step Functions and stores them."""

    def __init__(
        self,
        sfn: Any,
        store: ExecutionStore,
        history_reader: Callable[[str], list[dict[str, Any]]] | None = None,
    ) -> None:
        self.sfn = sfn
        self.store = store
        self.history_reader = history_reader
        self.summaries: list[ExecutionSummary] = []
        self._lock = threading.Lock()

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        if self.history_reader is not None:
            return self.history_reader(execution_arn)
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
        while True:
            page = self.sfn.get_execution_history(**kwargs)
            events.extend(page["events"])
            token = page.get("nextToken")
            if not token:
                return events
            kwargs["nextToken"] = token

    def record(
        self,
        execution_arn: str,
        records: Iterable[Mapping[str, Any]] = (),
        source: str = "pipe",
        describe: Mapping[str, Any] | None = None,
    ) -> ExecutionSummary:
        describe = describe or self.sfn.describe_execution(executionArn=execution_arn)
        events = self.history(execution_arn)
        summary = summarize(describe, events, records, source)
        self.store.save(summary, events)
        with self._lock:
            self.summaries.append(summary)
        return summary


# --------------------------------------------------------------------------- console-like tables


def _short_time(value: str | None) -> str:
    if not value:
        return "-"
    return value.replace("T", " ").removesuffix("Z")


def _event_text(s: ExecutionSummary) -> str:
    """The event's state, and the EC2 call behind it when one was (``running CreateTags``)."""
    call = f" {s.event_call}" if s.event_call and s.event_call != s.event_state else ""
    return (s.event_state or "-") + call


def format_executions(summaries: list[ExecutionSummary]) -> str:
    """Like the console's executions list: name, status, instance, event, retries, start, duration."""
    header = ("NAME", "STATUS", "INSTANCE", "EVENT", "RECV", "RETRIES", "STARTED", "DURATION", "ERROR")
    rows = [
        (
            s.name,
            s.status,
            s.instance_id or ("(lookup)" if s.kind == "lookup" else "-"),
            _event_text(s),
            str(s.receive_count or "-"),
            str(s.retries),
            _short_time(s.start),
            f"{s.duration_ms:.0f} ms" if s.duration_ms is not None else "-",
            (s.error or "")
            + (" (dead-lettered)" if s.dead_lettered and s.error != "EventDeadLettered" else ""),
        )
        for s in summaries
    ]
    return _table(header, rows) + f"\n{len(summaries)} execution(s)"


def format_history(summary: ExecutionSummary, events: list[Mapping[str, Any]], width: int = 100) -> str:
    """Like the console's event list: id, time, type, state, error/cause."""
    owner = state_of_events(events)
    start = events[0]["timestamp"] if events else None
    lines = [
        f"Execution {summary.name}",
        f"  ARN      {summary.execution_arn}",
        f"  Status   {summary.status}" + (f"  {summary.error}: {summary.cause}" if summary.error else ""),
        f"  Instance {summary.instance_id or '-'}  event {_event_text(summary)}"
        f"  receive #{summary.receive_count or '-'}  retries {summary.retries}",
        f"  Started  {_short_time(summary.start)}  duration "
        + (f"{summary.duration_ms:.0f} ms" if summary.duration_ms is not None else "-"),
    ]
    if summary.lookup:
        lines.append(f"  Lookup   {', '.join(v for vs in summary.lookup.values() for v in vs) or '-'}")
    if summary.refreshed:
        lines.append(f"  Refresh  asked for {', '.join(summary.refreshed)}")
    lines.append("")
    rows = []
    for e in events:
        d = _details(e)
        problem = ""
        if d.get("error") or d.get("cause"):
            problem = str(d.get("error") or "")
            cause = str(d.get("cause") or "")
            if cause:
                problem = f"{problem}: {cause}" if problem else cause
        rows.append(
            (
                str(e["id"]),
                _elapsed(start, e.get("timestamp")),
                str(e["type"]),
                owner.get(int(e["id"]), "") or "-",
                _clip(problem, width),
            )
        )
    return "\n".join(lines) + _table(("ID", "TIME", "TYPE", "STATE", "ERROR / CAUSE"), rows)


def _elapsed(start: Any, when: Any) -> str:
    try:
        t0 = dt.datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        t1 = dt.datetime.fromisoformat(str(when).replace("Z", "+00:00"))
    except ValueError:
        return str(when)
    return f"{_short_time(str(when))[11:]} (+{(t1 - t0).total_seconds() * 1000:.0f} ms)"


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*header).rstrip()]
    out += [fmt.format(*row).rstrip() for row in rows]
    return "\n".join(out)
