"""``ipamsync local replay``: an event, a message and a state-machine input through the pipeline."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from ipamsync_local.cli import main
from ipamsync_local.emulator import EmulatorServer
from local.tests.helpers import EVENTS


def replay(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["local", "replay", *argv, "--time-scale", "0.01", "--timeout", "60"])
    return code, out.getvalue()


def test_an_event_for_an_instance_ec2_does_not_know(tmp_path: Path) -> None:
    """Embedded emulator; a running event: enrich's InstanceNotFound, retried, then dead-lettered."""
    code, out = replay(str(EVENTS / "ec2-running.json"), "--state-dir", str(tmp_path))
    assert code == 1, out
    assert "embedded emulator at https://127.0.0.1:" in out
    assert "does not know i-0a1b2c3d4e5f67890: enrich raises InstanceNotFound for a running instance" in out
    assert "Lambda retries it after 0.6 s and 1.2 s" in out
    assert "Workflow dead-letter queue: 1 message(s)" in out
    assert (
        "ipamsync-EnrichFunction RetriesExhausted after 3 attempt(s) for i-0a1b2c3d4e5f67890 (running): InstanceNotFound"
        in out
    )
    assert "Enrich: 1 event(s) delivered, 3 attempt(s), 3 error(s)" in out
    assert (tmp_path / "lambda.log").read_text().count('"InstanceNotFound"') >= 3


def test_a_terminated_event_against_a_given_solidserver(tmp_path: Path, emulator: EmulatorServer) -> None:
    emulator.admin.reset()
    code, out = replay(
        str(EVENTS / "ec2-terminated.json"),
        "--state-dir",
        str(tmp_path),
        "--solidserver-url",
        emulator.url,
        "--ca-bundle",
        str(emulator.cert_path),
        "--lambda-logs",
        str(tmp_path / "logs.txt"),
    )
    assert code == 0, out
    assert f"SOLIDserver: {emulator.url}" in out
    assert "enrich queues the deletion message for a terminated instance" in out
    assert "i-0a1b2c3d4e5f67890-terminated-" in out and "SUCCEEDED" in out
    assert (
        "Workflow dead-letter queue: 0 message(s)" in out and "Event dead-letter queue: 0 message(s)" in out
    )
    assert (tmp_path / "logs.txt").is_file()


def test_a_message_and_a_state_machine_input(tmp_path: Path, emulator: EmulatorServer) -> None:
    emulator.admin.reset()
    common = [
        "--state-dir",
        str(tmp_path),
        "--solidserver-url",
        emulator.url,
        "--ca-bundle",
        str(emulator.cert_path),
    ]
    code, out = replay(str(EVENTS / "message-running.json"), *common)
    assert code == 0, out
    assert "sent to the EventQueue (message group i-0a1b2c3d4e5f67890); the pipe starts the execution" in out
    assert "1 execution(s)" in out and "SUCCEEDED" in out
    code, out = replay(str(EVENTS / "statemachine-input-running.json"), *common)
    assert code == 0, out
    assert "direct execution of the state machine with 1 record(s) (no pipe)" in out
    code, out = main_out("executions", "--state-dir", str(tmp_path))
    assert out.count("SUCCEEDED") == 2


def test_an_event_the_rule_does_not_match_and_a_file_that_is_none_of_the_three(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    event = json.loads((EVENTS / "ec2-running.json").read_text())
    event["source"] = "aws.s3"
    path = tmp_path / "s3.json"
    path.write_text(json.dumps(event))
    code, out = replay(
        str(path),
        "--state-dir",
        str(tmp_path),
        "--solidserver-url",
        emulator.url,
        "--ca-bundle",
        str(emulator.cert_path),
    )
    assert code == 0, out
    assert "Enrich: nothing delivered (the rule's pattern does not match this event)" in out
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    code, out = replay(str(bad), "--state-dir", str(tmp_path))
    assert code == 2 and "not an EventBridge event" in out


def test_cloudtrail_calls_for_resources_the_local_ec2_does_not_know(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    """A rename by tag of an unknown instance: delivered, tied to no instance, nothing queued, no
    dead letter. A failed call: filtered by the rule's pattern. A detach: a lookup SOLIDserver answers."""
    emulator.admin.reset()
    common = ["--state-dir", str(tmp_path), "--solidserver-url", emulator.url]
    common += ["--ca-bundle", str(emulator.cert_path), "--lambda-logs", str(tmp_path / "logs.txt")]
    code, out = replay(str(EVENTS / "cloudtrail-create-tags.json"), *common)
    assert code == 0, out
    assert (
        "CreateTags on i-0a1b2c3d4e5f67890: the local EC2 does not know it; enrich ties the call to no "
        "instance and queues nothing (CallsIgnored)" in out
    )
    assert "Enrich: 1 event(s) delivered, 1 attempt(s), 0 error(s)" in out
    assert "Executions\n  none" in out and "Workflow dead-letter queue: 0 message(s)" in out
    assert '"CallsIgnored":[1.0]' in (tmp_path / "logs.txt").read_text()

    code, out = replay(str(EVENTS / "cloudtrail-associate-address-failed.json"), *common)
    assert code == 0, out
    assert "AssociateAddress: the call failed (Client." in out and "the rule's pattern filters it" in out
    assert "Enrich: nothing delivered (the rule's pattern does not match this event)" in out

    code, out = replay(str(EVENTS / "cloudtrail-create-tags-volume.json"), *common)
    assert code == 0 and "names no instance, ENI, Elastic IP, VPC or subnet: enrich queues nothing" in out

    code, out = replay(str(EVENTS / "cloudtrail-detach-network-interface.json"), *common)
    assert code == 0, out
    assert "enrich queues a lookup and the device step asks SOLIDserver" in out
    assert "SUCCEEDED  lookup-" in out and "1 execution(s)" in out


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda d: d.update(detail=["i-0123456789abcdef0"]), "detail must be a JSON object"),
        (lambda d: d.update(time="yesterday"), "is not an ISO 8601 time"),
        (lambda d: d.update(time=12), "is not an ISO 8601 time"),
    ],
)
def test_a_malformed_event_file_gets_one_clear_line(tmp_path: Path, edit: Any, says: str) -> None:
    event = json.loads((EVENTS / "ec2-running.json").read_text())
    edit(event)
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    code, out = replay(str(path), "--state-dir", str(tmp_path))
    assert code == 2 and out.count("\n") == 1 and says in out and "Traceback" not in out


def test_a_malformed_message_file_gets_one_clear_line(tmp_path: Path) -> None:
    message = json.loads((EVENTS / "message-running.json").read_text())
    message["message"]["observed_at"] = "9999-12-31T00:00:00Z"
    path = tmp_path / "message.json"
    path.write_text(json.dumps(message))
    code, out = replay(str(path), "--state-dir", str(tmp_path))
    assert code == 2 and out.count("\n") == 1 and "$.observed_at" in out


def main_out(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["local", *argv])
    return code, out.getvalue()


def test_a_plain_http_solidserver_needs_allow_http(tmp_path: Path) -> None:
    with EmulatorServer(tls=False) as plain:
        code, out = replay(str(EVENTS / "message-running.json"), "--solidserver-url", plain.url)
        assert code == 2 and "only allows https://" in out
        code, out = replay(
            str(EVENTS / "message-running.json"),
            "--state-dir",
            str(tmp_path),
            "--solidserver-url",
            plain.url,
            "--allow-http",
        )
        assert code == 0, out
        assert "SUCCEEDED" in out
