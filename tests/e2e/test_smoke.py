"""The whole chain with the real handlers and the SOLIDserver emulator (TLS, its CA in SSM, the
credentials in Secrets Manager): EC2 → EventBridge → enrich → FIFO → pipe → state machine →
device/subnet/ip/dns → SOLIDserver. Mechanics only; the scenario tests live elsewhere."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import requests

from ipamsync_local.aws import LocalAws
from ipamsync_local.emulator import EmulatorServer
from tests.helpers import PASSWORD, USERNAME

ZONE = "aws.example.com"
DNS = "ns1.local"


def _rest(emu: EmulatorServer, service: str) -> list[dict[str, Any]]:
    headers = {
        "X-IPM-Username": base64.b64encode(USERNAME.encode()).decode(),
        "X-IPM-Password": base64.b64encode(PASSWORD.encode()).decode(),
    }
    resp = requests.get(f"{emu.url}/rest/{service}", headers=headers, verify=emu.cert_path, timeout=10)
    return resp.json() if resp.status_code == 200 else []


# Over 80 lines: the smoke test is one run of the whole chain (launch, stop, rename, terminate, an
# outage), each step checked against SOLIDserver before the next.
def test_the_whole_pipeline(tmp_path: Path, tls_emulator: EmulatorServer) -> None:
    tls_emulator.admin.reset()
    tls_emulator.admin.clear_faults()
    tls_emulator.admin.add_dns_zone(DNS, ZONE)
    with LocalAws(
        solidserver_url=tls_emulator.url,
        ca_bundle_pem=Path(str(tls_emulator.cert_path)).read_text(),
        credentials={"username": USERNAME, "password": PASSWORD},
        # One process is one execution environment for all five functions: the client-side rate limit
        # (10/s per environment by default) would serialise the whole test.
        parameters={"DnsServerName": DNS, "DnsForwardZone": ZONE, "SolidServerRequestsPerSecond": "1000"},
        state_dir=tmp_path / "state",
        time_scale=0.01,
        lambda_log=tmp_path / "lambda.log",
    ) as aws:
        assert aws.template is not None and aws.lambdas is not None
        env = aws.lambdas.get("device").spec.environment
        assert env["SOLIDSERVER_SECRET_ARN"] == aws.secret_arn
        assert aws.secretsmanager.describe_secret(SecretId=aws.secret_arn)["Name"] == "ipamsync/solidserver"
        ca_param = env["SOLIDSERVER_CA_BUNDLE_PARAMETER"]
        assert (
            aws.ssm.get_parameter(Name=ca_param)["Parameter"]["Value"]
            == Path(str(tls_emulator.cert_path)).read_text()
        )

        web = aws.fleet.launch("web-1", enis=2, secondary_ips=1, ipv6=1, elastic_ip=True)
        db = aws.fleet.launch("db-1")
        api = aws.fleet.launch("api-1", public_ip=True)
        aws.wait_idle(60)
        aws.fleet.stop(db.instance_id)
        aws.fleet.rename(web.instance_id, "web-2")
        aws.fleet.terminate(api.instance_id)
        aws.wait_idle(60)

        summaries = aws.executions.list()
        # launches (+ web's Elastic IP association, a CloudTrail event), stop, rename (its CreateTags,
        # then the restart), terminate
        assert len(summaries) == 3 * 2 + 1 + 2 + 1 + 4 + 2
        assert {s.status for s in summaries} == {"SUCCEEDED"}, [(s.name, s.error, s.cause) for s in summaries]
        assert (
            aws.dead_letters("WorkflowDeadLetterQueue") == []
            and aws.dead_letters("EventDeadLetterQueue") == []
        )
        counters = aws.counters()
        assert counters["lambda"]["EnrichFunction"]["errors"] == 0
        assert counters["ec2_events"]["emitted"] + counters["cloudtrail_events"]["emitted"] == len(summaries)
        assert counters["cloudtrail_events"]["by_call"] == {"AssociateAddress": 1, "CreateTags": 1}

        devices = {d["hostdev_name"] for d in _rest(tls_emulator, "hostdev_list")}
        assert {f"web-2-{web.instance_id}", f"db-1-{db.instance_id}"} <= devices
        records = {(r["rr_full_name"], r["rr_type"]) for r in _rest(tls_emulator, "dns_rr_list")}
        assert (f"web-2.{ZONE}", "A") in records and (f"web-2.{ZONE}", "AAAA") in records
        assert (f"db-1.{ZONE}", "A") in records and not any(name.startswith("api-1") for name, _ in records)
        addresses = {a["hostaddr"] for a in _rest(tls_emulator, "ip_address_list")}
        assert set(web.details["private_ips"]) <= addresses and web.details["elastic_ip"] in addresses
        assert aws.invoke_schedule("device gc") == {"tombstones_deleted": 0, "leases_deleted": 0}

        # A SOLIDserver outage: 503 → SolidServerUnavailable → the state's Retry, then success.
        assert aws.hooks is not None
        aws.hooks.time_scale = 0.5  # retry waits long enough to end the outage between two attempts
        tls_emulator.admin.outage(True)
        errors_before = aws.counters()["lambda"]["DeviceFunction"]["errors"]
        aws.fleet.start(db.instance_id)
        deadline = time.monotonic() + 30
        while (
            aws.counters()["lambda"]["DeviceFunction"]["errors"] == errors_before
            and time.monotonic() < deadline
        ):
            time.sleep(0.005)
        tls_emulator.admin.outage(False)
        aws.wait_idle(60)
        restarted = [
            s
            for s in aws.executions.list()
            if s.instance_id == db.instance_id and s.start > summaries[0].start
        ]
        assert {s.status for s in restarted} == {"SUCCEEDED"}
        retried = [s for s in restarted if s.retries]
        assert retried and {f["error"] for s in retried for f in s.task_failures} == {
            "SolidServerUnavailable"
        }
        device_errors = aws.counters()["lambda"]["DeviceFunction"]["errors_by_type"]
        assert device_errors.get("SolidServerUnavailable", 0) == sum(s.retries for s in retried)
    assert '"service":"ipamsync"' in (tmp_path / "lambda.log").read_text()
