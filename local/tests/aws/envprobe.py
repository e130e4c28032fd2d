"""Support of the execution-environment tests (``test_environments*.py``): the probe template, a
runtime on it, a gate that counts handlers inside it at once, small helpers."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

from ipamsync_local.aws import LocalAws
from local.tests.helpers import REPO

PROBE = Path(__file__).parent / "probe"
RESERVED = 3
TIMEOUT = 3  # the probe's Timeout (seconds)


class Gate:
    """A loopback server the probe connects to and waits at until released: it counts how many
    handlers are inside at once."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.cond = threading.Condition()
        self.inside: list[socket.socket] = []
        self.pids: list[int] = []
        self.max_inside = 0
        self.entered = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            pid = int(conn.makefile().readline())
            with self.cond:
                self.inside.append(conn)
                self.pids.append(pid)
                self.entered += 1
                self.max_inside = max(self.max_inside, len(self.inside))
                self.cond.notify_all()

    def wait_inside(self, n: int, timeout: float = 60) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.inside) >= n, timeout), f"{len(self.inside)} inside"

    def release(self) -> None:
        with self.cond:
            inside, self.inside = self.inside, []
        for conn in inside:
            conn.sendall(b"go\n")
            conn.close()

    def close(self) -> None:
        self.release()
        self.server.close()


def probe_template(tmp_path: Path) -> Path:
    """template.yaml with the device function's code replaced by the probe, Timeout 3 s."""
    functions = tmp_path / "functions"
    functions.mkdir(parents=True)
    for child in (REPO / "functions").iterdir():
        (functions / child.name).symlink_to(child, target_is_directory=True)
    (functions / "probe").symlink_to(PROBE, target_is_directory=True)
    for name in ("statemachine", "src"):
        (tmp_path / name).symlink_to(REPO / name, target_is_directory=True)
    text = (REPO / "template.yaml").read_text()
    for old, new in (
        ("CodeUri: functions/device/", "CodeUri: functions/probe/"),
        ("    Timeout: 30\n", f"    Timeout: {TIMEOUT}\n"),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return path


def runtime(tmp_path: Path, **kw: Any) -> LocalAws:
    kw.setdefault("parameters", {"SolidServerMaxConcurrency": str(RESERVED)})
    return LocalAws(
        probe_template(tmp_path),
        state_dir=tmp_path / "state",
        time_scale=0.01,
        lambda_log=tmp_path / "lambda.log",
        start_pipe=False,
        **kw,
    )


def invoke(aws: LocalAws, event: dict[str, Any]) -> Any:
    return aws.invoke("DeviceFunction", event)


def in_threads(aws: LocalAws, events: list[dict[str, Any]]) -> tuple[list[threading.Thread], list[Any]]:
    results: list[Any] = []

    def run(event: dict[str, Any]) -> None:
        try:
            results.append(invoke(aws, event))
        except Exception as exc:
            results.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in events]
    for t in threads:
        t.start()
    return threads, results


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status
