"""What a reconcile plan costs (``ipamsync bench --only reconcile``): SOLIDserver calls and wall time
to plan N instances of one account and region, when nothing drifted and when 1 % drifted.

Set-up (not measured): N instances of one VPC and /16 subnet (moto's descriptions of 10 launched
instances, cloned with their own ids, names, ENIs and addresses: :class:`ClonedEc2`) and,
in the emulator (TLS, in this process), the device the sync would have written for each one: the
product's own snapshot of the instance (:func:`ipamsync.reconcile.listing.ec2_snapshots`) and its
device metadata with the digest of that snapshot (:func:`ipamsync.sync.device.device_metadata`),
loaded through the emulator's store as ``hostdev_add`` stores it. For the drifted case, 1 % of the
devices hold an older snapshot (state ``stopped``, another digest).

Measured: the product's :func:`ipamsync.reconcile.run.plan_target` (dry run: nothing is queued),
i.e. the SOLIDserver listing (keyset pages of 1,000), the EC2 listing (pages of 1,000 with their
VPCs and subnets) and the classification. SOLIDserver calls are the emulator's counters (every
call, the client's version probe included). Target: at most ceil(N / 1000) + 10 SOLIDserver calls,
whether or not anything drifted (drift costs no read: digests are compared).
"""

from __future__ import annotations

import copy
import math
import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ipamsync_local.bench.fmt import Block, Table, ok
from ipamsync_local.bench.sections import Context

SIZES = ((1_000, 10_000), (200, 1_000))  # full run, --quick
DRIFT = 0.01
ACCOUNT = "123456789012"
REGION = "us-east-1"


def target_calls(n: int) -> int:
    return math.ceil(n / 1000) + 10


#: Instances launched in moto; the fleet of N is their descriptions, cloned (see :class:`ClonedEc2`).
LAUNCHED = 10


def _launch(ec2: Any) -> None:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/16")["Subnet"]["SubnetId"]
    ec2.run_instances(
        ImageId="ami-12c6146b",
        InstanceType="t3.micro",
        MinCount=LAUNCHED,
        MaxCount=LAUNCHED,
        SubnetId=subnet,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "env", "Value": "bench"}]}],
    )


def _clone(described: Mapping[str, Any], k: int) -> dict[str, Any]:
    """Instance ``k`` of the fleet: a moto description with its own id, name, ENI, MAC and address."""
    out = copy.deepcopy(dict(described))
    ip = f"10.0.{4 + k // 250}.{4 + k % 250}"
    out["InstanceId"] = f"i-{k:017x}"
    out["PrivateIpAddress"] = ip
    out["PrivateDnsName"] = f"ip-{ip.replace('.', '-')}.ec2.internal"
    out["Tags"] = [t for t in out.get("Tags", []) if t["Key"] != "Name"] + [
        {"Key": "Name", "Value": f"bench-{k}"}
    ]
    for n, eni in enumerate(out.get("NetworkInterfaces", [])):
        eni["NetworkInterfaceId"] = f"eni-{k:012x}{n:05x}"
        eni["MacAddress"] = ":".join(f"{b:02x}" for b in (2, n, *(k + 0x10000).to_bytes(4, "big")))
        eni["PrivateIpAddress"] = ip
        eni["PrivateIpAddresses"] = [{"PrivateIpAddress": ip, "Primary": True}]
        (eni.get("Attachment") or {})["AttachmentId"] = f"eni-attach-{k:012x}{n:05x}"
    return out


class ClonedEc2:
    """moto's EC2 client, except that listing every instance (``DescribeInstances`` without ids
    or filters) pages over ``n`` clones of the instances moto described. moto renders
    DescribeInstances at ~30 ms an instance on this machine (5 minutes for 10,000): the clones keep
    the product's path (Ec2Reader, read_views, snapshot) and measure the product, not moto."""

    def __init__(self, ec2: Any, n: int) -> None:
        self.ec2 = ec2
        base = [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]
        self.instances = [_clone(base[k % len(base)], k) for k in range(n)]

    def describe_instances(self, **kw: Any) -> dict[str, Any]:
        if set(kw) - {"MaxResults", "NextToken"}:
            return dict(self.ec2.describe_instances(**kw))
        size = int(kw.get("MaxResults") or 1000)
        start = int(kw.get("NextToken") or 0)
        out: dict[str, Any] = {
            "Reservations": [{"Instances": copy.deepcopy(self.instances[start : start + size])}]
        }
        if start + size < len(self.instances):
            out["NextToken"] = str(start + size)
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ec2, name)


def _load_devices(store: Any, messages: list[Any], settings: Any, drifted: int) -> None:
    """The devices the sync would have written (the first ``drifted`` hold an older snapshot)."""
    from dataclasses import replace

    from ipamsync.solidserver import metadata as md
    from ipamsync.sync.device import device_metadata, snapshot_digest
    from ipamsync_local.emulator.devices import device_add
    from ipamsync_local.emulator.request import Req

    with store.transaction():
        for i, msg in enumerate(messages):
            applied = msg
            if i < drifted:
                applied = replace(msg, instance=replace(msg.instance, state="stopped"))
            meta = device_metadata(applied, snapshot_digest(applied, settings))
            params = {"hostdev_name": f"bench-{msg.instance.id}", "hostdev_class_parameters": md.encode(meta)}
            device_add(store, Req(params, "POST"))


def measure_size(n: int, drift: float, log: Any) -> dict[str, Any]:
    """One fresh EC2 and emulator with ``n`` instances, ``drift`` of them drifted; one planning."""
    import boto3
    from moto import mock_aws

    from ipamsync.ec2 import Ec2Reader
    from ipamsync.reconcile.listing import ec2_snapshots
    from ipamsync.reconcile.plan import reconcile_event
    from ipamsync.reconcile.run import Target, plan_target
    from ipamsync.settings import Settings
    from ipamsync.solidserver import ClientConfig, SolidServer, SolidServerClient
    from ipamsync.solidserver.config import Credentials, Secret
    from ipamsync_local.emulator import EmulatorServer

    for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        os.environ.setdefault(key, value)
    settings = Settings()
    drifted = int(n * drift)
    with mock_aws(), EmulatorServer(tls=True, seed=True) as emu:
        started = time.perf_counter()
        moto_ec2 = boto3.client("ec2", region_name=REGION)
        _launch(moto_ec2)
        ec2 = ClonedEc2(moto_ec2, n)
        event = reconcile_event(ACCOUNT, REGION, "bench-setup", deep=False, time="2026-01-01T00:00:00.000Z")
        messages = ec2_snapshots(Ec2Reader(ec2), event, settings, lambda: datetime.now(UTC))
        assert emu.store is not None
        _load_devices(emu.store, messages, settings, drifted)
        setup_s = time.perf_counter() - started
        log(f"  {n} instances, {drifted} drifted: set up in {setup_s:.0f} s")
        config = ClientConfig(
            url=emu.url,
            credentials=Credentials("ipmadmin", Secret("admin")),
            ca_bundle=str(emu.cert_path),
            requests_per_second=0,
        )
        ss = SolidServer(SolidServerClient(config))
        emu.admin.reset_stats()
        t0 = time.perf_counter()
        outcome = plan_target(
            Target(ACCOUNT, REGION, "bench", dry_run=True),
            reader=Ec2Reader(ec2),
            ss=ss,
            settings=settings,
        )
        wall = time.perf_counter() - t0
        stats = emu.admin.stats()
        ss.client.close()
    counts = outcome.plan.counts
    return {
        "instances": n,
        "drifted": drifted,
        "solidserver_calls": int(stats["totals"]["total"]),
        "solidserver_writes": int(stats["totals"]["writes"]),
        "listing_calls": outcome.solidserver_calls,
        "ec2_pages": outcome.ec2_pages,
        "wall_s": round(wall, 2),
        "counts": counts,
        "correct": counts["drifted"] == drifted
        and counts["in-sync"] == n - drifted
        and len(outcome.plan.messages) == drifted,
        "target_calls": target_calls(n),
        "setup_s": round(setup_s, 1),
    }


def measure(ctx: Context) -> dict[str, Any]:
    runs = []
    for n in ctx.size(*SIZES):
        for drift in (0.0, DRIFT):
            runs.append(measure_size(n, drift, ctx.log))
    return {"runs": runs, "drift": DRIFT}


def _met(r: Mapping[str, Any]) -> bool:
    return bool(r["correct"] and r["solidserver_calls"] <= r["target_calls"] and r["solidserver_writes"] == 0)


def targets(result: Mapping[str, Any]) -> list[tuple[str, bool]]:
    return [
        (
            f"reconcile: plan of {r['instances']} instances ({r['drifted']} drifted) in "
            f"{r['solidserver_calls']} SOLIDserver calls ≤ {r['target_calls']}, classified right, no write",
            _met(r),
        )
        for r in result["runs"]
    ]


def report(result: Mapping[str, Any]) -> list[Block]:
    rows = [
        (
            r["instances"],
            f"{r['drifted']} ({100 * r['drifted'] / r['instances']:.0f} %)",
            r["solidserver_calls"],
            r["target_calls"],
            r["ec2_pages"],
            f"{r['wall_s']:.2f} s",
            f"{r['counts']['in-sync']} / {r['counts']['drifted']}",
            ok(_met(r)),
        )
        for r in result["runs"]
    ]
    header = (
        "instances",
        "drifted",
        "SOLIDserver calls",
        "target",
        "EC2 pages",
        "wall time to plan",
        "in sync / drifted",
        "met",
    )
    return [
        Table(header, rows),
        "One planning of one account and region (dry run: nothing queued, nothing written): the "
        "SOLIDserver listing of the devices ipamsync owns (keyset pages of 1,000, the client's version "
        "probe included), the EC2 listing (moto; pages of 1,000 with their VPCs and subnets) and the "
        "classification by digest. Drift costs no SOLIDserver read. Target: ceil(N / 1000) + 10 calls. "
        "Wall time is this machine; DescribeInstances pages are clones of moto's descriptions (moto itself "
        "renders ~30 ms an instance), VPCs and subnets come from moto.",
    ]


def summary(result: Mapping[str, Any]) -> tuple[str, str, str]:
    big = max(result["runs"], key=lambda r: (r["instances"], r["drifted"]))
    return (
        "Reconcile plan",
        f"{big['instances']:,} instances ({big['drifted']} drifted): {big['solidserver_calls']} SOLIDserver "
        f"calls, {big['wall_s']:.1f} s",
        f"≤ ceil(N/1000)+10 calls {ok(all(_met(r) for r in result['runs']))}",
    )


def headline(result: Mapping[str, Any]) -> dict[str, Any]:
    big = max(result["runs"], key=lambda r: (r["instances"], r["drifted"]))
    return {"instances": big["instances"], "calls": big["solidserver_calls"], "wall_s": big["wall_s"]}


if __name__ == "__main__":  # pragma: no cover - a quick look: python -m ipamsync_local.bench.reconcile
    print(measure_size(int(os.environ.get("N", "200")), DRIFT, print))
