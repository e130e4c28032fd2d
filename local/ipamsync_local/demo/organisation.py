"""``ipamsync demo --organisation``: one hub, two accounts, two regions, one range reused.

The hub stack (``template.yaml``, ``SpaceStrategy=per-account-region``) in 123456789012/us-east-1,
member stacks (``member/template.yaml``) in the member account's two regions and the hub account's
second region, all on moto with events routed between buses as AWS routes them
(:mod:`ipamsync_local.aws.organization`). Every VPC is ``10.0.0.0/16``. A third account whose member
stack trusts another hub (another external id) shows the refusal: its events end in the workflow
dead-letter queue with the account named. The screen shows the IPAM tree of every space and judges
the run: every instance in its own (account, region) space with its owner, nothing else dead-lettered.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path
from typing import Any

from .screen import Screen, seconds

HUB, MEMBER, REFUSING = "123456789012", "210987654321", "333333333333"
EAST, WEST = "us-east-1", "us-west-2"
EXTERNAL_ID = "ipamsync-demo-organisation"
RANGE = "10.0.0.0/16"
#: (account, region, instances)
FLEET = ((HUB, EAST, 2), (HUB, WEST, 1), (MEMBER, EAST, 2), (MEMBER, WEST, 1))


def run(args: argparse.Namespace, screen: Screen) -> int:
    from ipamsync_local import report
    from ipamsync_local.aws import LocalAws
    from ipamsync_local.aws.executions import default_state_dir
    from ipamsync_local.aws.organization import LocalOrganization
    from ipamsync_local.emulator import EmulatorServer
    from ipamsync_local.inventory import read_inventory

    from .command import DEFAULT_DNS_SERVER, DEFAULT_ZONE
    from .consistency import scope

    started = time.monotonic()
    state_dir = (Path(args.state_dir) if args.state_dir else default_state_dir()) / "organisation"
    state_dir.mkdir(parents=True, exist_ok=True)
    screen.line(
        screen.bold("ipamsync demo --organisation")
        + f" — 2 accounts x 2 regions, every VPC {RANGE}, SpaceStrategy per-account-region"
    )
    with contextlib.ExitStack() as stack:
        emu = stack.enter_context(EmulatorServer(tls=True))
        emu.admin.seed(
            dns_server=DEFAULT_DNS_SERVER, forward_zones=[DEFAULT_ZONE], reverse_zones=["10.in-addr.arpa"]
        )
        parameters = {
            "CoveredAccounts": f"{MEMBER},{REFUSING}",
            "CoveredRegions": f"{EAST},{WEST}",
            "MemberExternalId": EXTERNAL_ID,
            "SpaceStrategy": "per-account-region",
            "DnsServerName": DEFAULT_DNS_SERVER,
            "DnsForwardZone": DEFAULT_ZONE,
            "SolidServerRequestsPerSecond": "1000",
        }
        aws = stack.enter_context(
            LocalAws(
                parameters=parameters,
                state_dir=state_dir,
                time_scale=min(args.time_scale, 0.01),
                solidserver_url=emu.url,
                credentials={"username": "ipmadmin", "password": "admin"},
                ca_bundle_pem=Path(str(emu.cert_path)).read_text(),
                lambda_log=state_dir / "lambda.log",
                reset_state=True,
                concurrency="serial" if getattr(args, "serial", False) else "parallel",
            )
        )
        org = stack.enter_context(LocalOrganization(aws, external_id=EXTERNAL_ID))
        _deploy_members(org, screen)
        t0 = time.monotonic()
        launched, refused_iid = _launch(org)
        aws.wait_idle(300)
        synced_in = time.monotonic() - t0

        ss = _client(emu)
        inv = read_inventory(ss, DEFAULT_DNS_SERVER)
        spaces = sorted(s.name for s in inv.spaces if s.name.startswith("AWS-"))
        for space in spaces:
            screen.section(f"SOLIDserver · IPAM (space {space})")
            screen.line(report.ipam_tree(scope(inv, space)))

        problems, refusals = _problems(inv, aws, launched, refused_iid)
        _summary(screen, args, aws, launched, spaces, synced_in, refusals, problems)
        ok = not problems
        screen.line()
        verdict = "✔ organisation demo succeeded" if ok else "✘ organisation demo failed: see above"
        screen.line(screen.bold(f"{verdict} (wall time {seconds(time.monotonic() - started)})"))
        return 0 if ok else 1


def _deploy_members(org: Any, screen: Screen) -> None:
    screen.line(f"hub                   account {HUB}, {EAST}: template.yaml, bus {org.hub_bus_name}")
    for account, region in ((HUB, WEST), (MEMBER, EAST), (MEMBER, WEST)):
        org.deploy_member(account, region)
        screen.line(f"member stack          account {account}, {region}: forwarding rules → hub bus")
    org.deploy_member(REFUSING, EAST, external_id="another-hubs-external-id")
    screen.line(f"member stack          account {REFUSING}, {EAST}: its read role trusts another external id")


def _launch(org: Any) -> tuple[dict[str, tuple[str, str, str]], str]:
    """The fleet of every (account, region) pair, by instance id; the refusing account's instance."""
    launched: dict[str, tuple[str, str, str]] = {}
    for account, region, count in FLEET:
        fleet = org.fleet(account, region)
        fleet.ensure_network(RANGE, name=f"vpc-{account[-4:]}-{region}")
        for n in range(count):
            name = f"web-{account[-4:]}-{region}-{n + 1}"
            launched[fleet.launch(name).instance_id] = (account, region, name)
    refused_fleet = org.fleet(REFUSING, EAST)
    refused_fleet.ensure_network(RANGE)
    return launched, str(refused_fleet.launch("refused-1").instance_id)


def _problems(
    inv: Any, aws: Any, launched: dict[str, tuple[str, str, str]], refused_iid: str
) -> tuple[list[str], list[dict[str, Any]]]:
    """What is wrong (each instance in its account's and region's space, nothing of the refusing
    account synced, its events dead-lettered and nothing else), and the refusals dead-lettered."""
    names = {s.id: s.name for s in inv.spaces}
    placed = {
        a.metadata.get("ipamsync_owner", "").rsplit(":", 1)[-1]: (names[a.space_id], a.metadata)
        for a in inv.addresses
        if a.metadata.get("aws_address_kind") == "primary"
    }
    problems = []
    for iid, (account, region, name) in launched.items():
        got = placed.get(iid)
        if got is None:
            problems.append(f"{name} ({iid}) is not in SOLIDserver")
        elif got[0] != f"AWS-{account}-{region}" or got[1].get("aws_account_id") != account:
            problems.append(f"{name} ({iid}) is in {got[0]}")
    if refused_iid in placed:
        problems.append(f"{refused_iid} of the refusing account was synced")
    dead = [d["body"] for d in aws.dead_letters("WorkflowDeadLetterQueue")]
    refusals = [
        d
        for d in dead
        if isinstance(d, dict) and (d.get("responsePayload") or {}).get("errorType") == "MemberAccessRefused"
    ]
    others = [d for d in dead if d not in refusals]
    if not refusals:
        problems.append("the refusing account's events are not in the dead-letter queue")
    if others:
        problems.append(f"{len(others)} other dead letters")
    return problems, refusals


def _summary(
    screen: Screen,
    args: argparse.Namespace,
    aws: Any,
    launched: dict[str, tuple[str, str, str]],
    spaces: list[str],
    synced_in: float,
    refusals: list[dict[str, Any]],
    problems: list[str],
) -> None:
    screen.section("Summary")
    reused = sum(1 for a, _, _ in FLEET)
    screen.line(
        f"  instances          {len(launched)} in {reused} (account, region) pairs, one range {RANGE}"
    )
    screen.line(f"  spaces             {', '.join(spaces)}")
    screen.line(f"  executions         {len(aws.recorder.summaries) if aws.recorder else 0}")
    screen.line(f"  synced in          {seconds(synced_in)} (time scale {min(args.time_scale, 0.01):g})")
    for d in refusals[:2]:
        payload = d["responsePayload"]
        screen.line(f"  dead-lettered      {payload['errorType']}: {payload['errorMessage'][:110]}")
    for p in problems:
        screen.line(f"  ✘ {p}")


def _client(emu: Any) -> Any:
    from ipamsync.solidserver import ClientConfig, SolidServer, SolidServerClient
    from ipamsync.solidserver.config import Credentials, Secret

    config = ClientConfig(
        url=emu.url,
        credentials=Credentials("ipmadmin", Secret("admin")),
        ca_bundle=emu.cert_path,
        requests_per_second=0,
    )
    return SolidServer(SolidServerClient(config))
