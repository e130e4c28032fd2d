"""What SOLIDserver must hold at the end (:mod:`ipamsync_local.truth`, from moto's EC2 and README's
rules), given what earlier runs left there; and the part of SOLIDserver the demo is about."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ipamsync_local import truth as truthlib
from ipamsync_local.inventory import Inventory, read_inventory


@dataclass
class Earlier:
    """What earlier runs (another EC2) left in SOLIDserver, read before this run starts."""

    #: instances SOLIDserver still holds as live (caught up: their "terminated" events are replayed)
    live: list[str] = field(default_factory=list)
    #: instances already terminated: instance id → their device's name
    gone: dict[str, str] = field(default_factory=dict)
    #: (VPC or subnet id, CIDR) of the networks they made
    networks: list[tuple[str, str]] = field(default_factory=list)


def _instance_prefix(aws: Any) -> str:
    """The beginning of the owner value of this account's and region's instances."""
    return truthlib.owner_of(aws.context.account_id, aws.context.region, "i-")


def read_earlier(ss: Any, aws: Any, dns_server: str) -> Earlier:
    """What earlier runs left in SOLIDserver: this EC2 is new and knows none of it."""
    inv = read_inventory(ss, dns_server)
    prefix = _instance_prefix(aws)
    found = Earlier()
    for d in inv.devices:
        owner = d.metadata.get(truthlib.OWNER, "")
        if not owner.startswith(prefix):
            continue
        iid = owner.rsplit(":", 1)[1]
        if truthlib.TOMBSTONE in d.metadata or d.metadata.get("aws_state") == "terminated":
            found.gone[iid] = d.name  # left as it is: a tombstone keeps its name
        else:
            found.live.append(iid)
    found.live.sort()
    for n in inv.networks:
        owner = n.metadata.get(truthlib.OWNER, "")
        resource = owner.rsplit(":", 1)[-1]
        if owner.startswith("aws:") and resource.startswith(("vpc-", "subnet-")):
            found.networks.append((resource, n.cidr))
    return found


def expected_truth(
    aws: Any, ss: Any, inv: Inventory, earlier: Earlier, dns_server: str
) -> tuple[truthlib.Truth, set[str]]:
    """What SOLIDserver must hold, and the instances to leave out: those of other accounts or
    regions.

    Instances of earlier runs (this account and region, unknown to this EC2) must be tombstones
    and nothing else: the ones caught up now named after their id, the older ones as they were.
    Their VPCs' networks stay (networks are never deleted)."""
    prefix = _instance_prefix(aws)
    owners = {
        o.metadata.get(truthlib.OWNER, "")
        for o in (*inv.devices, *inv.interfaces, *inv.addresses, *inv.records)
    }
    instances = {o for o in owners if o.startswith("aws:") and o.count(":") == 3 and ":i-" in o}
    unknown = {o.rsplit(":", 1)[1] for o in instances if o.startswith(prefix)}
    truth = truthlib.compute_truth(
        aws.ec2,
        truthlib.settings_from_parameters(aws.template.parameters),
        zones=truthlib.zones_of(ss, dns_server),
        account=aws.context.account_id,
        region=aws.context.region,
        unknown_terminated={iid: earlier.gone.get(iid, iid) for iid in sorted(unknown)},
        networks_before=earlier.networks,
    )
    return truth, {o.rsplit(":", 1)[1] for o in instances if not o.startswith(prefix)}


def scope(inv: Inventory, space: str) -> Inventory:
    """The part of SOLIDserver the demo is about: its space, and what its instances own (a real
    appliance holds much more)."""
    spaces = [s for s in inv.spaces if s.name == space]
    ids = {s.id for s in spaces}
    mine = ("aws:", truthlib.PUBLIC_OWNER)

    def owned(obj: Any) -> bool:
        return str(obj.metadata.get(truthlib.OWNER, "")).startswith(mine)

    return Inventory(
        spaces=spaces,
        networks=[n for n in inv.networks if n.space_id in ids],
        addresses=[a for a in inv.addresses if a.space_id in ids],
        devices=[d for d in inv.devices if owned(d)],
        interfaces=[i for i in inv.interfaces if owned(i)],
        records=[r for r in inv.records if owned(r)],
    )


def check_lines(problems: list[truthlib.Difference], truth: truthlib.Truth) -> list[str]:
    """The consistency check's verdict, for the final screen."""
    if problems:
        lines = [f"  ✘ SOLIDserver differs from EC2 in {len(problems)} point(s):"]
        lines += [f"    - {p}" for p in problems[:60]]
        if len(problems) > 60:
            lines.append(f"    … and {len(problems) - 60} more")
        return lines
    n = truth.summary()
    return [
        f"  ✔ SOLIDserver matches EC2: {n['live']} live instance(s) with {n['addresses']} addresses "
        f"and {n['records']} DNS records, {n['terminated']} terminated (tombstones only), "
        f"{n['networks']} networks, no duplicates"
    ]
