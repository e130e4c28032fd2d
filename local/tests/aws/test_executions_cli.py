"""Execution records on disk, and ``ipamsync local executions`` / ``history`` reading them
(in this process and in another one)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from ipamsync_local.aws import LocalAws
from ipamsync_local.aws.executions import ExecutionStore
from ipamsync_local.cli import main
from local.tests.helpers import REPO, Script, body_of, device_ok, message, named_error

OK_ID, FLAKY_ID, BAD_ID = "i-0ccccccccccccccc1", "i-0ccccccccccccccc2", "i-0ccccccccccccccc3"


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Three executions recorded by a runtime that has stopped since: OK, one retry, failed."""
    state = tmp_path_factory.mktemp("state")
    script = Script()
    seen: dict[str, int] = {}

    def device(event: dict[str, Any], ctx: Any) -> dict[str, Any]:
        iid = body_of(event)["instance"]["id"]
        seen[iid] = seen.get(iid, 0) + 1
        if iid == FLAKY_ID and seen[iid] == 1:
            raise named_error("SolidServerUnavailable", "503 from SOLIDserver")
        if iid == BAD_ID:
            raise named_error("OwnershipConflict", "10.20.1.15 is held by something else")
        return device_ok(iid)

    script.on["device"] = device
    with LocalAws(state_dir=state, time_scale=0.001, handler_overrides=script.overrides()) as aws:
        aws.pipe.pause()
        for iid in (OK_ID, FLAKY_ID):
            aws.send_message(message(iid))
        aws.pipe.resume()
        aws.wait_idle(30)
        aws.send_message(message(BAD_ID, "stopped"))
        aws.wait_idle(30)
    return state


def run_cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["local", *argv])
    return code, out.getvalue()


def test_every_execution_is_recorded_with_a_summary_and_its_history(state_dir: Path) -> None:
    store = ExecutionStore(state_dir)
    summaries = {s.instance_id: s for s in store.list()}
    assert set(summaries) >= {OK_ID, FLAKY_ID, BAD_ID}
    ok, flaky = summaries[OK_ID], summaries[FLAKY_ID]
    assert re.fullmatch(rf"{OK_ID}-running-[0-9a-f]{{8}}", ok.name)
    assert (
        ok.execution_arn == f"arn:aws:states:us-east-1:123456789012:execution:ipamsync-StateMachine:{ok.name}"
    )
    assert ok.status == "SUCCEEDED" and ok.retries == 0 and ok.error is None and ok.source == "pipe"
    assert ok.states[:3] == ["SyncDevice", "IsDone", "SyncNetworks"]
    assert ok.states[-1] == "Synced" and ok.event_state == "running" and ok.receive_count == 1
    assert ok.start and ok.stop and ok.duration_ms is not None and ok.duration_ms >= 0
    assert flaky.status == "SUCCEEDED" and flaky.retries == 1
    assert flaky.task_failures == [{"state": "SyncDevice", "error": "SolidServerUnavailable"}]
    bad = [s for s in store.list(status="FAILED") if s.instance_id == BAD_ID]
    assert bad and all(
        s.error == "EventDeadLettered" and s.dead_lettered and s.event_state == "stopped" for s in bad
    )
    assert "DeadLetter" in bad[0].states and bad[0].cause
    summary, events = store.get(flaky.name)
    assert summary == flaky
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["type"] == "ExecutionStarted" and events[-1]["type"] == "ExecutionSucceeded"
    assert store.get(flaky.execution_arn)[0] == flaky and store.get(flaky.name[:-3])[0] == flaky


def test_cli_lists_executions_like_the_console(state_dir: Path) -> None:
    code, out = run_cli("executions", "--state-dir", str(state_dir))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "NAME",
        "STATUS",
        "INSTANCE",
        "EVENT",
        "RECV",
        "RETRIES",
        "STARTED",
        "DURATION",
        "ERROR",
    ]
    assert any(OK_ID in line and "SUCCEEDED" in line for line in lines)
    assert any(BAD_ID in line and "FAILED" in line and "EventDeadLettered" in line for line in lines)
    code, out = run_cli("executions", "--state-dir", str(state_dir), "--status", "FAILED")
    assert code == 0 and OK_ID not in out and BAD_ID in out
    code, out = run_cli("executions", "--state-dir", str(state_dir), "--json", "--limit", "1")
    assert code == 0 and len(json.loads(out)) == 1
    code, out = run_cli("executions", "--state-dir", str(state_dir / "nothing-here"))
    assert code == 0 and "no executions recorded" in out


def test_cli_shows_an_executions_history(state_dir: Path) -> None:
    flaky = next(s for s in ExecutionStore(state_dir).list() if s.instance_id == FLAKY_ID)
    code, out = run_cli("history", flaky.name, "--state-dir", str(state_dir))
    assert code == 0
    assert f"Execution {flaky.name}" in out and "Status   SUCCEEDED" in out and "retries 1" in out
    header = next(line for line in out.splitlines() if line.startswith("ID"))
    assert header.split() == ["ID", "TIME", "TYPE", "STATE", "ERROR", "/", "CAUSE"]
    failed = next(line for line in out.splitlines() if " TaskFailed " in line)
    assert "SyncDevice" in failed and "SolidServerUnavailable" in failed and "503 from SOLIDserver" in failed
    assert re.search(r"^1\s+\d\d:\d\d:\d\d\.\d{3} \(\+0 ms\)\s+ExecutionStarted", out, re.M)
    code, out = run_cli("history", flaky.execution_arn, "--state-dir", str(state_dir), "--json")
    assert code == 0 and json.loads(out)["summary"]["name"] == flaky.name
    code, out = run_cli("history", "i-nope", "--state-dir", str(state_dir))
    assert code == 1 and "no execution" in out


def test_a_later_process_shows_the_records(state_dir: Path) -> None:
    code = (
        "import sys; from ipamsync_local.cli import main; "
        f"rc = main(['local', 'executions', '--state-dir', {str(state_dir)!r}]); "
        "print('moto imported:', 'moto' in sys.modules); sys.exit(rc)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert OK_ID in proc.stdout and FLAKY_ID in proc.stdout and BAD_ID in proc.stdout
    assert "moto imported: False" in proc.stdout, "listing executions does not start the runtime"
