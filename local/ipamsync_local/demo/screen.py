"""The demo's output: plain lines and one live status line (:class:`Screen`), durations, and the
executions table (the states each execution ran)."""

from __future__ import annotations

import os
import re
import shutil
import statistics
import threading
from collections import Counter, defaultdict
from typing import Any, TextIO

from ipamsync_local import report

#: The state machine's states the executions table shows, in the words it shows them. The one place
#: the demo names states (``statemachine/sync.asl.json``): a renamed state is renamed here only.
STATE_LABELS = {
    "SyncDevice": "device",
    "NothingToDo": "already applied",
    "SyncNetworks": "networks",
    "SkipNetworks": "(no networks)",
    "SyncAddresses": "addresses",
    "SyncDns": "dns",
    "DeadLetter": "DEAD-LETTER",
}
#: The labels of the two states that run in parallel (shown ``a ∥ b``).
PARALLEL = ("addresses", "dns")


class Screen:
    """Plain lines, plus one status line refreshed in place when the output is a terminal."""

    def __init__(self, stream: TextIO, live: bool | None = None) -> None:
        self.stream = stream
        if live is None:
            live = stream.isatty() and os.environ.get("TERM", "") != "dumb"
        self.live = live
        self._status = False
        self._lock = threading.Lock()

    def _width(self) -> int:
        return max(40, shutil.get_terminal_size((120, 24)).columns - 1)

    def bold(self, text: str) -> str:
        return f"\033[1m{text}\033[0m" if self.live else text

    def line(self, text: str = "") -> None:
        with self._lock:
            if self._status:
                self.stream.write("\r\033[K")
                self._status = False
            self.stream.write(text + "\n")
            self.stream.flush()

    def status(self, text: str) -> None:
        """Refresh the status line (terminals only: elsewhere only :meth:`line` writes)."""
        if not self.live:
            return
        with self._lock:
            self.stream.write("\r\033[K" + text[: self._width()])
            self.stream.flush()
            self._status = True

    def section(self, title: str) -> None:
        self.line()
        self.line(self.bold(f"── {title} " + "─" * max(3, 76 - len(title))))


def seconds(value: float) -> str:
    if value < 60:
        return f"{value:.1f} s"
    return f"{int(value // 60)} min {value % 60:04.1f} s"


def states_text(summary: Any) -> str:
    """The states an execution ran, in order (addresses and DNS run in parallel), with retries."""
    failures = Counter(f.get("state", "") for f in summary.task_failures)
    done: list[str] = []
    for state in summary.states:
        label = STATE_LABELS.get(state)
        if label is None or label in done:
            continue
        done.append(label)
    first, second = PARALLEL
    parts: list[str] = []
    for label in done:
        state = next(k for k, v in STATE_LABELS.items() if v == label)
        text = label + (f" ↻{failures[state]}" if failures.get(state) else "")
        if label == second and parts and parts[-1].startswith(first):
            parts[-1] += " ∥ " + text
        elif label == first and parts and parts[-1].startswith(second):
            parts[-1] = text + " ∥ " + parts[-1]
        else:
            parts.append(text)
    return " > ".join(parts)


def executions_table(summaries: list[Any], names: dict[str, str]) -> str:
    """One row per execution: name (for ``ipamsync local history``), instance, event, states run,
    retries, status, duration."""
    rows = [
        (
            s.name,
            names.get(s.instance_id, "-") or "-",
            s.event_state or "-",
            states_text(s),
            str(s.retries),
            s.status + (f" ({s.error})" if s.error else ""),
            f"{s.duration_ms / 1000:.2f} s" if s.duration_ms is not None else "-",
        )
        for s in summaries
    ]
    return (
        report.table(
            ("EXECUTION", "INSTANCE", "EVENT", "STATES RUN (↻ retried)", "RETRIES", "STATUS", "DURATION"),
            rows,
        )
        + f"\n{len(rows)} execution(s)"
    )


#: retried or failed executions listed one by one under the summary, at most
NOTABLE_ROWS = 12


def executions_summary(summaries: list[Any], names: dict[str, str]) -> str:
    """The executions summarised: one row per kind of run (event and states run), with how many
    ran, were retried, and their statuses and durations; then the retried or failed ones by name
    (for ``ipamsync local history``), at most :data:`NOTABLE_ROWS`."""
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for s in summaries:
        groups[(s.event_state or "-", re.sub(r" ↻\d+", "", states_text(s)))].append(s)
    rows = []
    for (event, states), members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        statuses = Counter(m.status for m in members)
        durations = [m.duration_ms / 1000 for m in members if m.duration_ms is not None]
        rows.append(
            (
                event,
                states,
                str(len(members)),
                str(sum(1 for m in members if m.retries)),
                ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
                f"{statistics.median(durations):.2f} s / {max(durations):.2f} s" if durations else "-",
            )
        )
    out = [
        report.table(
            ("EVENT", "STATES RUN", "EXECUTIONS", "RETRIED", "STATUS", "DURATION (median / max)"), rows
        )
    ]
    notable = [s for s in summaries if s.retries or s.status != "SUCCEEDED"]
    if notable:
        shown = notable[:NOTABLE_ROWS]
        more = f", the first {len(shown)}" if len(shown) < len(notable) else ""
        table = executions_table(shown, names).rsplit("\n", 1)[0]  # without its count line
        out += ["", f"retried or failed ({len(notable)}{more}):", table]
    return "\n".join(out) + f"\n{len(summaries)} execution(s)"
