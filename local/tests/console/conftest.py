"""The console over a real run: the SOLIDserver emulator (TLS, its database on disk), the local
pipeline from ``template.yaml`` with the demo's network and the first instances of the demo's
fleet, plus one instance whose ``Name`` tag is markup; one execution retried (the first
``hostdev_add`` answers 503), one lookup (``ipamsync.lookup/1``: a ``DetachNetworkInterface`` of the
worker's attachment, which ends in ``RequestRefresh`` for the worker) and one entry in the workflow
dead-letter queue. The console is served on loopback over all of it, as ``make demo
DEMO_ARGS=--keep-running`` serves it.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ipamsync.model import EventInfo, Lookup
from ipamsync_local.aws import LocalAws
from ipamsync_local.aws.executions import ExecutionStore
from ipamsync_local.console.runs import moto_dead_letters
from ipamsync_local.console.server import Console, ConsoleServer
from ipamsync_local.console.sources import ApiSource, CachedSource
from ipamsync_local.demo import fleet as fleetlib
from ipamsync_local.emulator import EmulatorServer
from ipamsync_local.emulator.faults import Decision
from tests.helpers import ROOT

HOSTILE_NAME = "<img src=x onerror=alert(1)>"
HOSTILE_TAG = "<script>alert(2)</script>"
CHROMIUM = os.environ.get("IPAMSYNC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Run:
    emulator: EmulatorServer
    aws: LocalAws
    state_dir: Path
    server: ConsoleServer
    instances: dict[str, str]  # demo key (and "hostile") → instance id
    looked_up: str  # the attachment id the lookup named (the worker's)

    @property
    def url(self) -> str:
        return self.server.url

    def settle(self) -> None:
        self.aws.wait_idle(timeout=180)


def _fail_first_device_add(emu: EmulatorServer) -> None:
    """The first ``hostdev_add`` answers 503 (SyncDevice fails once, the state machine retries it)."""
    real = emu.fault_injector.decide
    lock = threading.Lock()
    left = [1]

    def decide(service: str, query: str = "") -> Decision:
        with lock:
            if service == "hostdev_add" and left[0]:
                left[0] -= 1
                return Decision(status=503)
        return real(service, query)

    emu.fault_injector.decide = decide  # type: ignore[method-assign]


def launch(run_aws: LocalAws, network: fleetlib.DemoNetwork, spec: fleetlib.InstanceSpec) -> str:
    return run_aws.fleet.launch(
        spec.name,
        tags=spec.tags,
        subnet_id=network.subnets[spec.subnet],
        enis=spec.enis,
        secondary_ips=spec.secondary_ips,
        ipv6=spec.ipv6,
        public_ip=spec.public_ip,
        elastic_ip=spec.elastic_ip,
        instance_type=spec.instance_type,
    ).instance_id


def _send_lookup(aws: LocalAws, instance_id: str) -> str:
    """A lookup of the instance's first attachment on the event queue, as enrich sends one for a
    ``DetachNetworkInterface`` (the instance keeps the interface here: the lookup only finds it)."""
    enis = aws.ec2.describe_network_interfaces(
        Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}]
    )["NetworkInterfaces"]
    attachment = str(enis[0]["Attachment"]["AttachmentId"])
    event = EventInfo(
        str(uuid.uuid4()),
        "2026-11-27T07:05:00Z",
        "",
        aws.context.account_id,
        aws.context.region,
        "aws.ec2",
        "AWS API Call via CloudTrail",
        "DetachNetworkInterface",
    )
    aws.sqs.send_message(
        QueueUrl=aws.queue_url("EventQueue"),
        MessageBody=Lookup(event=event, attachment_ids=(attachment,)).to_json(),
        MessageGroupId=f"lookup-{event.id}",
        MessageDeduplicationId=event.id,
    )
    return attachment


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    tmp = tmp_path_factory.mktemp("console")
    state = tmp / "state"
    emu = EmulatorServer(tls=True, db=str(tmp / "emulator.db"), seed=True).start()
    _fail_first_device_add(emu)
    ca = Path(str(emu.cert_path)).read_text(encoding="utf-8")
    parameters = {
        "SpaceName": "AWS",
        "DnsServerName": "ns.ipamsync.local",
        "DnsForwardZone": "ec2.example.internal",
        "SolidServerRequestsPerSecond": "1000",
    }
    aws = LocalAws(
        template=ROOT / "template.yaml",
        parameters=parameters,
        state_dir=state,
        time_scale=0.02,
        solidserver_url=emu.url,
        credentials={"username": "ipmadmin", "password": "admin"},
        ca_bundle_pem=ca,
        lambda_log=state / "lambda.log",
        concurrency="serial",
    ).start()
    try:
        network = fleetlib.build_network(aws.fleet, aws.ec2)
        instances = {spec.key: launch(aws, network, spec) for spec in fleetlib.fleet_plan(4)}
        hostile = fleetlib.InstanceSpec("hostile", HOSTILE_NAME, "prod-2", tags={"note": HOSTILE_TAG})
        instances["hostile"] = launch(aws, network, hostile)
        aws.wait_idle(timeout=180)
        looked_up = _send_lookup(aws, instances["worker-a"])
        aws.wait_idle(timeout=180)
        aws.sqs.send_message(
            QueueUrl=aws.queue_url("WorkflowDeadLetterQueue"),
            MessageBody=json.dumps(
                {
                    "kind": "workflow",
                    "execution_arn": "arn:aws:states:us-east-1:123456789012:execution:sm:planted-for-the-console",
                    "record": {"error": {"Error": "OwnershipConflict", "Cause": HOSTILE_NAME}},
                }
            ),
        )
        console = Console(
            CachedSource(ApiSource(emu.url, "ipmadmin", "admin", str(emu.cert_path)), ttl=0.5),
            ExecutionStore(state),
            json.loads((ROOT / "statemachine" / "sync.asl.json").read_text()),
            moto_dead_letters(aws),
        )
        with ConsoleServer(console) as server:
            yield Run(emu, aws, state, server, instances, looked_up)
    finally:
        aws.stop()
        emu.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's, never a download), driven by Playwright (which gives it a fresh
    profile of its own each launch)."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).is_file():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium (or set IPAMSYNC_CHROMIUM)"
        )
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=60_000)  # a loaded 2-core machine: generous waits, never sleeps

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=120_000)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)  # a loaded 2-core machine: generous waits, never sleeps
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.errors = []  # type: ignore[attr-defined]
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        context.close()
