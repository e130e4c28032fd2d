"""One correlation id from the EventBridge event to the last DNS call, through the whole local
pipeline: every log line that enrich and the four steps write for an event — the SOLIDserver calls
included (DEBUG) — carries that event's id, and no line carries a credential."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from ipamsync_local.aws import LocalAws
from ipamsync_local.emulator import EmulatorServer
from tests.helpers import PASSWORD, USERNAME

DNS, ZONE = "ns1.local", "corr.example.com"


def test_one_correlation_id_per_event_end_to_end(tmp_path: Path, tls_emulator: EmulatorServer, monkeypatch):
    # In Lambda the level comes from LOG_LEVEL when the process starts; here the process (and its
    # Powertools logger) may already exist, so set the level the test needs explicitly.
    import logging

    monkeypatch.setattr(logging.getLogger("ipamsync"), "level", logging.DEBUG)
    tls_emulator.admin.reset()
    tls_emulator.admin.clear_faults()
    tls_emulator.admin.add_dns_zone(DNS, ZONE)
    tls_emulator.admin.add_dns_zone(DNS, "10.in-addr.arpa", reverse=True)
    log = tmp_path / "lambda.log"
    with LocalAws(
        solidserver_url=tls_emulator.url,
        ca_bundle_pem=Path(str(tls_emulator.cert_path)).read_text(),
        credentials={"username": USERNAME, "password": PASSWORD},
        parameters={
            "DnsServerName": DNS,
            "DnsForwardZone": ZONE,
            "SolidServerRequestsPerSecond": "1000",
            "LogLevel": "DEBUG",
        },
        state_dir=tmp_path / "state",
        time_scale=0.01,
        lambda_log=log,
    ) as aws:
        launch = aws.fleet.launch("web-1", enis=2, secondary_ips=1)
        aws.wait_idle(60)
        stop = aws.fleet.stop(launch.instance_id)
        aws.wait_idle(60)
        password = aws.credentials["password"]

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    by_id: dict[str, list[dict]] = defaultdict(list)
    for line in lines:
        if "correlation_id" in line:
            by_id[line["correlation_id"]].append(line)
    for event in launch.events + stop.events:
        mine = by_id[event["id"]]
        steps = {line.get("step") for line in mine}
        assert {"enrich", "device"} <= steps, (event, steps)
        calls = [line for line in mine if line.get("message") == "solidserver call"]
        assert calls, f"no SOLIDserver call logged under {event['id']}"
        assert {line["instance_id"] for line in mine} == {launch.instance_id}

    # The first snapshot applied went through every step, the last DNS call under its event's id
    # too; a later snapshot identical to it (pending and running describe the same instance) only
    # moves the observation time on, in the device step.
    def steps_of(event_id: str) -> set[str]:
        return {line.get("step") for line in by_id[event_id]}

    full = [e["id"] for e in launch.events if steps_of(e["id"]) >= {"networks", "addresses", "dns"}]
    assert full, [steps_of(e["id"]) for e in launch.events]
    launch_ids = {e["id"] for e in launch.events}
    dns_adds = [ln for ln in lines if ln.get("sds_service") == "dns_rr_add"]
    assert dns_adds and {ln["correlation_id"] for ln in dns_adds} <= set(full)
    for event_id in full:
        assert any(
            ln.get("sds_service") == "dns_rr_list" for ln in by_id[event_id] if ln.get("step") == "dns"
        )
    assert launch_ids
    assert all(ln.get("service") == "ipamsync" for ln in lines)  # Powertools' own keys are never overridden
    assert password not in log.read_text()
