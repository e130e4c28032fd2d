"""The CLI without papercuts: --version, help text, a closed pipe, ``emulator show``, the replay
of a fixture for an instance the local EC2 does not know, the demo's executions summary."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from ipamsync_local.aws.executions import ExecutionSummary
from ipamsync_local.cli import build_parser, main
from ipamsync_local.demo.screen import executions_summary
from ipamsync_local.emulator import EmulatorServer
from local.tests.helpers import EVENTS, REPO


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue()


def _parsers(parser: argparse.ArgumentParser, path: str) -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _parsers(sub, f"{path} {name}")
    return found


def test_the_console_listens_on_loopback_unless_told_otherwise() -> None:
    args = build_parser().parse_args(["console"])
    assert args.host == "127.0.0.1" and not args.open


def test_version() -> None:
    assert _run("--version")[1].strip() == "ipamsync 0.1.0"


def test_every_command_and_option_is_described_without_markup() -> None:
    problems = []
    for path, parser in _parsers(build_parser(), "ipamsync"):
        texts = [parser.description or "", parser.epilog or ""]
        if not parser.description:
            problems.append(f"{path}: no description")
        for action in parser._actions:
            if isinstance(
                action, argparse._HelpAction | argparse._VersionAction | argparse._SubParsersAction
            ):
                texts += [c.help or "" for c in getattr(action, "_choices_actions", [])]
                continue
            if not action.help:
                problems.append(f"{path} {'/'.join(action.option_strings) or action.dest}: no help")
            texts.append(action.help or "")
        problems += [f"{path}: markup in {t[:60]!r}" for t in texts if "``" in t or ":class:`" in t]
    assert problems == []


def test_a_closed_pipe_is_no_traceback(tmp_path: Path) -> None:
    record = {"summary": ExecutionSummary("x", "arn:x", "arn:sm", "SUCCEEDED").to_dict(), "events": []}
    (tmp_path / "executions").mkdir()
    for i in range(2000):
        (tmp_path / "executions" / f"x{i}.json").write_text(
            json.dumps({**record, "summary": {**record["summary"], "name": f"x{i}"}})
        )
    command = (
        f"{sys.executable} -m ipamsync_local.cli local executions --json --state-dir {tmp_path} | head -3"
    )
    done = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, cwd=REPO, timeout=120, check=False
    )
    assert done.stdout.startswith("[") and done.stderr == ""


def test_emulator_show_prints_the_tree_devices_and_records(tmp_path: Path) -> None:
    db = tmp_path / "emulator.db"
    with EmulatorServer(db=str(db), seed=True) as emu:
        code, live = _run("emulator", "show", "--url", emu.url)
    assert code == 0 and "space AWS" in live and "── SOLIDserver · DNS records" in live
    before = (db.read_bytes(), db.stat().st_mtime_ns)
    code, offline = _run("emulator", "show", "--db", str(db))
    assert code == 0 and offline.split("read from")[0] == live.split("read from")[0]
    assert (db.read_bytes(), db.stat().st_mtime_ns) == before  # read from a copy: the file is untouched
    assert _run("emulator", "show", "--db", str(tmp_path / "missing.db"))[0] == 1


@pytest.mark.slow
def test_replay_says_first_that_the_instance_is_unknown_and_can_launch_it(tmp_path: Path) -> None:
    argv = ["local", "replay", str(EVENTS / "ec2-running.json"), "--time-scale", "0.01", "--timeout", "60"]
    code, out = _run(*argv, "--launch", "--state-dir", str(tmp_path))
    assert out.index("Note: the local EC2 does not know i-0a1b2c3d4e5f67890") < out.index("SOLIDserver:")
    assert "launched i-" in out and "Workflow dead-letter queue: 0 message(s)" in out
    assert code == 0, out


@pytest.mark.parametrize(
    ("fixture", "launch", "note"),
    [
        ("ec2-running", False, "does not know i-0a1b2c3d4e5f67890: enrich raises InstanceNotFound"),
        ("ec2-running", True, "does not know i-0a1b2c3d4e5f67890: a matching instance is launched first"),
        ("ec2-terminated", False, "enrich queues the deletion message for a terminated instance"),
        ("ec2-terminated", True, "enrich queues the deletion message for a terminated instance"),
        ("ipamsync-refresh-request", False, "enrich queues a snapshot of a gone instance"),
        ("ipamsync-refresh-request", True, "a matching instance is launched first"),
        ("cloudtrail-create-tags", True, "nothing this CreateTags call names (i-0a1b2c3d4e5f67890)"),
        ("cloudtrail-detach-network-interface", False, "call names (eni-attach-0c1d2e3f4a5b60004)"),
        ("cloudtrail-create-tags-volume", False, "CreateTags: it names no instance, ENI"),
        ("cloudtrail-associate-address-failed", False, "AssociateAddress: the call failed"),
    ],
)
def test_replay_says_what_an_unknown_instance_means_for_each_kind_of_event(
    fixture: str, launch: bool, note: str
) -> None:
    from ipamsync_local.aws.cli import _unknown_instance_note

    out = io.StringIO()
    event = json.loads((EVENTS / f"{fixture}.json").read_text(encoding="utf-8"))
    launches = _unknown_instance_note(event, out, argparse.Namespace(launch=launch, time_scale=1.0))
    assert out.getvalue().startswith("Note: ") and note in out.getvalue()
    # only a state change or a refresh about an instance that is not gone launches one
    assert launches == (launch and fixture in ("ec2-running", "ipamsync-refresh-request"))
    if launch and fixture.startswith("cloudtrail-create-tags"):
        assert "--launch applies to state changes and refresh requests only" in out.getvalue()


def test_the_demo_summarises_its_executions() -> None:
    def summary(i: int, event: str, retries: int = 0) -> ExecutionSummary:
        states = [
            "SyncDevice",
            "IsDone",
            "NeedsNetworks",
            "SyncNetworks",
            "SyncAddresses",
            "SyncDns",
            "Synced",
        ]
        failures = [{"state": "SyncDevice", "error": "SolidServerUnavailable"}] * retries
        return ExecutionSummary(f"e{i}", "a", "s", "SUCCEEDED", f"i-{i}", event, states=states, retries=retries,
                                task_failures=failures, duration_ms=100.0 + i)  # fmt: skip

    runs = [summary(i, "pending" if i % 2 else "running", retries=int(i == 3)) for i in range(80)]
    text = executions_summary(runs, {})
    lines = text.splitlines()
    assert len(lines) < 12 and lines[-1] == "80 execution(s)"
    assert any(line.startswith("pending ") and " 40 " in line for line in lines)
    assert "retried or failed (1):" in text and "device ↻1 > networks" in text
