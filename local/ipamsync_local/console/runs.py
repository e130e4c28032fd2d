"""The executions side of the console: the list (from the execution records, ``ExecutionStore``),
one execution's states as the Step Functions console shows them on its graph (status, attempts,
retries, duration, input, output, error) and its events, and the dead-letter queues."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Any

from ipamsync_local.aws.executions import ExecutionStore, ExecutionSummary, state_of_events

#: the dead-letter queues of the template, as the page names them
DEAD_LETTER_QUEUES = ("WorkflowDeadLetterQueue", "EventDeadLetterQueue")
MAX_TEXT = 20_000  # an input or output longer than this is cut (the page is not a JSON store)


def _details(event: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, Mapping):
            return dict(value)
    return {}


def _time(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _pretty(text: Any) -> str:
    """A JSON document indented (as the console's input/output panes), anything else as it is."""
    if text is None:
        return ""
    try:
        out = (
            json.dumps(json.loads(text), indent=2, ensure_ascii=False) if isinstance(text, str) else str(text)
        )
    except ValueError:
        out = str(text)
    return out if len(out) <= MAX_TEXT else out[:MAX_TEXT] + f"\n… ({len(out) - MAX_TEXT} more characters)"


def summary_row(s: ExecutionSummary, names: Mapping[str, str]) -> dict[str, Any]:
    row = s.to_dict()
    row["instance_name"] = names.get(s.instance_id, "")
    row["refreshed_names"] = {iid: names.get(iid, "") for iid in s.refreshed}
    return row


def _concerns(s: ExecutionSummary, needle: str, names: Mapping[str, str]) -> bool:
    """The execution's instance, or one it asked a refresh of, matches ``needle`` (id or name)."""
    return any(
        needle in iid.lower() or needle in names.get(iid, "").lower()
        for iid in [s.instance_id, *s.refreshed]
        if iid
    )


def list_executions(
    store: ExecutionStore, names: Mapping[str, str], instance: str = "", status: str = "", limit: int = 500
) -> dict[str, Any]:
    """Newest first, filtered by instance (id or name, a substring: the execution's own instance
    or one it asked a refresh of) and status; the counts by status of the whole list."""
    every = store.list()
    counts: dict[str, int] = {}
    for s in every:
        counts[s.status] = counts.get(s.status, 0) + 1
    needle = instance.strip().lower()
    found = [
        s
        for s in every
        if (not status or s.status.upper() == status.upper()) and (not needle or _concerns(s, needle, names))
    ]
    return {
        "total": len(every),
        "counts": counts,
        "matched": len(found),
        "executions": [summary_row(s, names) for s in found[:limit]],
    }


def _new_state() -> dict[str, Any]:
    return {
        "status": "running",
        "entered": None,
        "exited": None,
        "attempts": 0,
        "retries": 0,
        "errors": [],
        "input": "",
        "output": "",
        "runs": 0,
        "last": "",
    }


def _state_runs(events: list[Mapping[str, Any]], running: bool) -> dict[str, dict[str, Any]]:
    """Per state: status, attempts, retries, errors, first entry, last exit, input, output."""
    owner = state_of_events(events)
    states: dict[str, dict[str, Any]] = {}
    failed_ids = {int(e["id"]) for e in events if e["type"] == "TaskFailed"}
    for e in sorted(events, key=lambda e: int(e["id"])):
        kind, d = str(e["type"]), _details(e)
        name = owner.get(int(e["id"]), "")
        if not name:
            continue
        st = states.setdefault(name, _new_state())
        if kind.endswith("StateEntered"):
            st["runs"] += 1
            st["entered"] = st["entered"] or e["timestamp"]
            st["input"] = _pretty(d.get("input"))
            st["status"] = "running"
        elif kind.endswith("StateExited"):
            st["exited"] = e["timestamp"]
            st["output"] = _pretty(d.get("output"))
            st["status"] = "caught" if st["last"] == "failed" else "succeeded"
        elif kind == "TaskScheduled":
            st["attempts"] += 1
            if int(e.get("previousEventId") or 0) in failed_ids:
                st["retries"] += 1
        elif kind.endswith(("Failed", "TimedOut", "Aborted")):
            st["last"] = "failed"
            if d.get("error") or d.get("cause"):
                st["errors"].append({"error": str(d.get("error", "")), "cause": _pretty(d.get("cause"))})
        elif kind.endswith("Succeeded"):
            st["last"] = "succeeded"
    for st in states.values():
        if st["status"] == "running" and not running:
            st["status"] = "failed"
        start, stop = _time(st["entered"]), _time(st["exited"])
        st["duration_ms"] = round((stop - start).total_seconds() * 1000, 1) if start and stop else None
        del st["last"]
    return states


def taken_transitions(events: list[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """The transitions an execution took, ``(from, to)``: a state entered right after another was
    exited (its ``previousEventId``), whatever led there (``Next``, a choice, a catch)."""
    by_id = {int(e["id"]): e for e in events}
    taken: list[tuple[str, str]] = []
    for e in events:
        if not str(e["type"]).endswith("StateEntered"):
            continue
        before = by_id.get(int(e.get("previousEventId") or 0))
        if before is None or not str(before["type"]).endswith("StateExited"):
            continue
        pair = (str(_details(before).get("name", "")), str(_details(e).get("name", "")))
        if all(pair) and pair not in taken:
            taken.append(pair)
    return taken


def execution_detail(
    store: ExecutionStore, name: str, graph: Mapping[str, Any], names: Mapping[str, str]
) -> dict[str, Any]:
    """One execution: its summary, the graph with each state's run, its events (a table)."""
    summary, events = store.get(name)
    running = summary.status == "RUNNING"
    states = _state_runs(events, running)
    for node in graph.get("nodes", []):  # a Fail state entered is the execution's failure
        st = states.get(node["name"])
        if st is not None and node["type"] == "Fail":
            st["status"] = "failed"
    owner = state_of_events(events)
    start = _time(events[0]["timestamp"]) if events else None
    rows = []
    for e in events:
        d = _details(e)
        when = _time(e.get("timestamp"))
        problem = " ".join(str(d.get(k) or "") for k in ("error", "cause")).strip()
        rows.append(
            {
                "id": e["id"],
                "type": e["type"],
                "state": owner.get(int(e["id"]), ""),
                "elapsed_ms": round((when - start).total_seconds() * 1000) if when and start else None,
                "timestamp": e.get("timestamp"),
                "error": problem[:400],
            }
        )
    return {
        "summary": summary_row(summary, names),
        "graph": graph,
        "states": states,
        "taken": [list(pair) for pair in taken_transitions(events)],
        "events": rows,
    }


def dead_letter_view(reader: Callable[[str], list[dict[str, Any]]] | None) -> dict[str, Any]:
    """The dead-letter queues' entries, each with the one-line description ``ipamsync local replay``
    prints; ``available`` False when no local AWS is attached."""
    if reader is None:
        return {"available": False, "queues": []}
    from ipamsync_local.aws.cli import describe_dead_letter

    queues = []
    for queue in DEAD_LETTER_QUEUES:
        try:
            entries = reader(queue)
            error = None
        except Exception as exc:  # shown on the page
            entries, error = [], f"{type(exc).__name__}: {exc}"
        queues.append(
            {
                "name": queue,
                "error": error,
                "entries": [
                    {
                        "message_id": e.get("message_id", ""),
                        "summary": describe_dead_letter(e),
                        "body": _pretty(json.dumps(e.get("body"))),
                        "attributes": e.get("attributes", {}),
                    }
                    for e in entries
                ],
            }
        )
    return {"available": True, "queues": queues}


def moto_dead_letters(aws: Any) -> Callable[[str], list[dict[str, Any]]]:
    """A reader of a running ``LocalAws``'s dead-letter queues (moto, in this process) that
    receives nothing: it copies the messages each queue holds (a receive would hide them from the
    pipeline's own readers for a while and count a receive)."""
    account_id, region = aws.context.account_id, aws.context.region

    def read(queue: str) -> list[dict[str, Any]]:
        from moto.sqs.models import sqs_backends

        name = aws.queue_url(queue).rsplit("/", 1)[-1]
        q = sqs_backends[account_id][region].queues.get(name)
        out: list[dict[str, Any]] = []
        if q is not None:
            for m in list(q._messages):
                try:
                    body: Any = json.loads(m.body)
                except ValueError:
                    body = m.body
                attributes = {"ApproximateReceiveCount": str(m.approximate_receive_count)}
                if m.group_id:
                    attributes["MessageGroupId"] = m.group_id
                out.append({"message_id": m.id, "body": body, "attributes": attributes})
        return out

    return read
