"""Helpers of the end-to-end tests: EC2 change in moto → EventBridge event → enrich → FIFO queue →
pipe → the real ASL in moto's interpreter → the real handlers → the SOLIDserver emulator over HTTPS.

Every scenario asserts SOLIDserver's exact contents afterwards against the truth computed from what
moto's EC2 says (:mod:`ipamsync_local.truth`: written from README's rules, no ipamsync sync code),
plus the scenario's own explicit facts. The network is the demo's (:mod:`ipamsync_local.demo.fleet`).

One emulator (TLS, its CA in SSM, the credentials in Secrets Manager) serves the session; each
module runs one :class:`~ipamsync_local.aws.LocalAws` with its template parameters (moto is
process-global: one runtime at a time) on a freshly reset emulator. Tests of a module share the
runtime and use their own instances. Ephemeral public IPs come from moto's random generator:
:meth:`Pipeline.seed_moto` (moto's seeding endpoint) makes them deterministic.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests

from ipamsync.settings import Settings
from ipamsync.solidserver import ClientConfig, Credentials, Secret, SolidServer, SolidServerClient
from ipamsync_local.aws import LocalAws
from ipamsync_local.demo import fleet as demo_fleet
from ipamsync_local.emulator import EmulatorServer
from ipamsync_local.inventory import Inventory, read_inventory
from ipamsync_local.truth import (
    Truth,
    compare,
    compute_truth,
    format_differences,
    owner_of,
    settings_from_parameters,
    zones_of,
)
from tests.helpers import PASSWORD

DNS_SERVER = "ns.e2e.local"
ZONE = "ec2.e2e.internal"
ZONE2 = "apps.e2e.internal"
SPACE = "AWS"
REVERSE = ("10.in-addr.arpa", "16.172.in-addr.arpa")


class Pipeline:
    """A running local pipeline on the emulator, with the demo's two VPCs and four subnets."""

    def __init__(self, aws: LocalAws, emu: EmulatorServer, settings: Settings) -> None:
        self.aws = aws
        self.emu = emu
        self.settings = settings
        config = ClientConfig(
            url=emu.url,
            credentials=Credentials("ipmadmin", Secret(PASSWORD)),
            ca_bundle=emu.cert_path,
            requests_per_second=0,
        )
        self.client = SolidServerClient(config)
        self.ss = SolidServer(self.client)
        self.network = demo_fleet.build_network(aws.fleet, aws.ec2)
        self.used_subnets: set[str] = set()
        zone6 = demo_fleet.ip6_reverse_zone(self.network.ipv6_block)
        emu.admin.add_dns_zone(DNS_SERVER, zone6, reverse=True)

    # -------------------------------------------------------------- driving
    def subnet(self, key: str) -> str:
        return self.network.subnets[key]

    def seed_moto(self, seed: int) -> None:
        """Seed moto's generator (ids, MACs, ephemeral public IPs) through moto's seeding endpoint.

        Waits for the pipeline to be idle first, so that nothing else draws from the generator
        before the EC2 call that follows: that call's draws are then repeatable. Give every call
        site its own seed (reusing one would repeat moto's message and receipt ids)."""
        self.aws.wait_idle(60)
        answer = requests.post("http://motoapi.amazonaws.com/moto-api/seed", params={"a": seed}, timeout=5)
        assert answer.status_code == 200

    def launch(self, name: str | None, subnet: str = "prod-1", **kw: Any) -> str:
        self.used_subnets.add(self.subnet(subnet))
        return self.aws.fleet.launch(name, subnet_id=self.subnet(subnet), **kw).instance_id

    def settle(self, timeout: float = 90) -> None:
        self.aws.wait_idle(timeout)

    def describe(self, instance_id: str) -> dict[str, Any]:
        return self.aws.fleet.describe(instance_id)

    # -------------------------------------------------------------- reading
    def inventory(self) -> Inventory:
        return read_inventory(self.ss, DNS_SERVER)

    def owner(self, instance_id: str) -> str:
        """The ``ipamsync_owner`` value of an instance's objects."""
        return owner_of(self.aws.context.account_id, self.aws.context.region, instance_id)

    def truth(self) -> Truth:
        # Networks are never deleted: those of terminated instances' subnets stay.
        return compute_truth(
            self.aws.ec2,
            self.settings,
            zones=zones_of(self.ss, DNS_SERVER),
            account=self.aws.context.account_id,
            region=self.aws.context.region,
            extra_subnets=self.used_subnets,
            unique_address_names=self.emu.profile.unique_address_names,
        )

    def exact(self, *instance_ids: str) -> tuple[Truth, Inventory]:
        """SOLIDserver holds exactly what EC2 says, for these instances and for everything else."""
        truth, inv = self.truth(), self.inventory()
        assert set(instance_ids) <= set(truth.instances), "EC2 does not describe them all"
        diffs = compare(inv, truth.restrict(instance_ids))  # theirs first: the clearer report
        assert diffs == [], format_differences(diffs)
        diffs = compare(inv, truth)
        assert diffs == [], format_differences(diffs)
        return truth, inv

    def executions_of(self, instance_id: str) -> list[Any]:
        assert self.aws.recorder is not None
        return [s for s in self.aws.recorder.summaries if s.instance_id == instance_id]

    def history(self, name: str) -> list[dict[str, Any]]:
        return self.aws.executions.get(name)[1]

    def dead_letters(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return self.aws.dead_letters("WorkflowDeadLetterQueue"), self.aws.dead_letters("EventDeadLetterQueue")

    def space_id(self) -> str:
        space = self.ss.find_space(SPACE)
        assert space is not None
        return space.id


def start_pipeline(
    emu: EmulatorServer,
    state_dir: Path,
    parameters: Mapping[str, str] | None = None,
    *,
    time_scale: float = 0.02,
    profile: str = "default",
    **kw: Any,
) -> tuple[LocalAws, Settings]:
    """A reset, seeded emulator with this appliance profile and a started LocalAws (the caller stops it)."""
    emu.admin.set_profile(profile)
    emu.admin.reset()
    emu.admin.clear_faults()
    emu.admin.seed(
        space=SPACE, dns_server=DNS_SERVER, forward_zones=[ZONE, ZONE2], reverse_zones=list(REVERSE)
    )
    params = {
        "DnsServerName": DNS_SERVER,
        "DnsForwardZone": ZONE,
        "SpaceName": SPACE,
        # One process is one execution environment for all five functions: raise the per-environment bound.
        "SolidServerRequestsPerSecond": "1000",
        **(parameters or {}),
    }
    aws = LocalAws(
        parameters=params,
        state_dir=state_dir,
        time_scale=time_scale,
        solidserver_url=emu.url,
        credentials={"username": "ipmadmin", "password": PASSWORD},
        ca_bundle_pem=Path(str(emu.cert_path)).read_text(),
        lambda_log=state_dir / "lambda.log",
        **kw,
    ).start()
    return aws, settings_from_parameters(params)


def pipeline_fixture(parameters: Mapping[str, str] | None = None, **kw: Any):
    """A module-scoped fixture running one pipeline with these template parameters (``profile=``:
    the emulator's appliance profile, reset to ``default`` afterwards)."""

    @pytest.fixture(scope="module")
    def fixture(tls_emulator: EmulatorServer, module_state: Path) -> Iterator[Pipeline]:
        aws, settings = start_pipeline(tls_emulator, module_state, parameters, **kw)
        try:
            yield Pipeline(aws, tls_emulator, settings)
        finally:
            aws.stop()
            tls_emulator.admin.set_profile("default")

    return fixture


def body(record: Mapping[str, Any]) -> dict[str, Any]:
    return json.loads(record["body"])
