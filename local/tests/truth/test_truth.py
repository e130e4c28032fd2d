"""The truth calculator itself: a SOLIDserver that holds exactly the truth compares clean, and every
kind of damage (missing, unexpected, wrong field or metadata, duplicate, changed foreign object) is
reported. Without this, "SOLIDserver matches the truth" in the other tests (the reliability
scenarios, the end-to-end tests, the demo's consistency check) could not fail."""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ipamsync.settings import Settings
from ipamsync.solidserver.api import Address, Device, Interface, Network, Record, Space
from ipamsync_local.aws.ec2events import Fleet
from ipamsync_local.inventory import Inventory
from ipamsync_local.truth import (
    EVENT_ID,
    OBSERVED,
    OWNER,
    TOMBSTONE,
    TOMBSTONE_KEYS,
    Truth,
    compare,
    compute_truth,
    foreign_snapshot,
    format_differences,
    hostname_label,
    settings_from_parameters,
)

SETTINGS = Settings(dns_server="ns1", forward_zone="ec2.example.internal")
ZONES = [("ec2.example.internal", False), ("apps.example.internal", False), ("10.in-addr.arpa", True)]


class _NoEvents:
    def mark(self) -> int:
        return 0

    def since(self, mark: int, ids: Any = None) -> list[Any]:
        return []


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[Any, dict[str, str]]]:
    """EC2 with a multi-ENI instance (secondary, IPv6, Elastic IP), one with an ephemeral public IP
    that was stopped, a renamed-by-tag one without a usable name, a terminated one, one sharing the
    first one's name (an Auto Scaling group) and one whose zone tag overrides the forward zone."""
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        fleet = Fleet(ec2, _NoEvents())  # type: ignore[arg-type]
        web = fleet.launch("web-1", enis=2, secondary_ips=1, ipv6=1, elastic_ip=True, tags={"env": "prod"})
        api = fleet.launch("Api Sérvér", public_ip=True)
        odd = fleet.launch("%%%", tags={"Cost Center": "x'y\\z"})
        gone = fleet.launch("old-1", tags={"team": "data"})
        twin = fleet.launch("web-1")
        zoned = fleet.launch("metrics", tags={"ipamsync:zone": "Apps.Example.Internal."})
        fleet.stop(api.instance_id)
        fleet.terminate(gone.instance_id)
        yield (
            ec2,
            {
                "web": web.instance_id,
                "api": api.instance_id,
                "odd": odd.instance_id,
                "gone": gone.instance_id,
                "twin": twin.instance_id,
                "zoned": zoned.instance_id,
            },
        )


@pytest.fixture
def truth(world: tuple[Any, dict[str, str]]) -> Truth:
    return compute_truth(world[0], SETTINGS, zones=ZONES)


def _terminal_holder(inv: Inventory, space_id: str, address: str) -> str | None:
    ip = ipaddress.ip_address(address)
    holders = [
        n
        for n in inv.networks
        if n.space_id == space_id and n.terminal and n.version == ip.version and n.first <= int(ip) <= n.last
    ]
    return min(holders, key=lambda n: n.size).id if holders else None


def perfect_inventory(truth: Truth) -> Inventory:
    """What SOLIDserver holds when ipamsync did exactly its job (plus one foreign object of each kind,
    and a key a person added to an ipamsync device)."""
    inv = Inventory()
    ids = iter(range(1000, 100000))
    spaces: dict[str, str] = {}
    for name in {truth.settings.space_for(truth.account), truth.settings.public_space_for(truth.account)}:
        spaces[name] = str(next(ids))
        inv.spaces.append(Space(spaces[name], name, {}))
    made: dict[tuple[str, str], str] = {}
    for n in sorted(truth.networks, key=lambda n: (ipaddress.ip_network(n.cidr).prefixlen, n.space, n.cidr)):
        net = ipaddress.ip_network(n.cidr)
        made[(n.space, n.cidr)] = str(next(ids))
        inv.networks.append(
            Network(
                made[(n.space, n.cidr)],
                net.version,
                str(net.network_address),
                net.num_addresses,
                n.name,
                n.terminal,
                made[(n.space, n.parent)] if n.parent else None,
                spaces[n.space],
                dict(n.metadata),
            )
        )
    for t in sorted(truth.instances.values(), key=lambda t: t.instance_id):
        dev_id = str(next(ids))
        meta = {**t.device_metadata, OBSERVED: "2026-12-10T07:00:00.000Z", EVENT_ID: "e-1"}
        if t.tombstone:
            meta[TOMBSTONE] = "2026-12-24T07:00:00.000Z"
        if t.tagged:
            meta.update(t.tags)
        if not t.gone:
            meta["site_contact"] = "noc"  # a person's: kept, not checked
        inv.devices.append(Device(dev_id, t.device_name, "", meta))
        if t.gone:
            continue
        iface_of = {}
        for eni_id, want in t.interfaces.items():
            iface_of[eni_id] = str(next(ids))
            inv.interfaces.append(
                Interface(iface_of[eni_id], want.name, dev_id, want.mac, dict(want.metadata))
            )
        for a in t.addresses:
            inv.addresses.append(
                Address(
                    str(next(ids)),
                    a.version,
                    a.address,
                    a.name,
                    a.mac,
                    spaces[a.space],
                    _terminal_holder(inv, spaces[a.space], a.address),
                    dev_id,
                    iface_of[a.eni_id],
                    dict(a.metadata),
                )
            )
        for r in t.records:
            inv.records.append(
                Record(str(next(ids)), r.fqdn, r.type, r.value, 300, "", "ns1", dict(t.record_metadata))
            )
    # not ipamsync's
    inv.devices.append(Device("1", "printer-1", "", {"location": "floor-2"}))
    inv.interfaces.append(Interface("3", "eth0", "1", "02:00:00:00:00:99", {}))
    inv.records.append(Record("2", "www.ec2.example.internal", "A", "192.168.1.20", 60, "", "ns1", {}))
    return inv


def kinds(diffs: list[Any]) -> list[tuple[str, str]]:
    return sorted({(d.kind, d.object_type) for d in diffs})


def test_the_truth_of_a_small_fleet(truth: Truth, world: tuple[Any, dict[str, str]]) -> None:
    ids = world[1]
    web, api, odd, gone = (truth.instances[ids[k]] for k in ("web", "api", "odd", "gone"))
    assert (
        web.device_name == f"web-1-{ids['web']}" and set(web.interfaces.values()) and len(web.interfaces) == 2
    )
    assert sorted(a.kind for a in web.addresses) == sorted(
        ["primary", "secondary", "ipv6", "public", "primary", "secondary", "ipv6"]
    )
    assert [a.public_kind for a in web.addresses if a.kind == "public"] == ["elastic"]
    assert {r.type for r in web.records} == {"A", "AAAA", "PTR"}  # no reverse zone for the AAAA
    assert api.hostname == "api-server" and api.state == "stopped"
    assert not [a for a in api.addresses if a.kind == "public"], "a stopped instance has no ephemeral IP"
    assert odd.hostname is None and odd.device_name == ids["odd"] and not odd.records
    assert odd.tags == {"aws_tag_cost_center": "x'y\\z"}
    assert {a.name for a in odd.addresses} == {ids["odd"]}
    assert gone.gone and gone.tombstone and not gone.addresses and not gone.records
    assert set(gone.device_metadata) <= TOMBSTONE_KEYS and not gone.tagged
    assert {"aws_instance_type", "aws_launch_time", "aws_hostname"} <= set(gone.device_metadata)
    assert truth.summary()["terminated"] == 1
    # the device's metadata, as README's table lists it
    assert {
        "aws_architecture",
        "aws_cpu_cores",
        "aws_launch_time",
        "aws_eni_count",
        "aws_private_ip",
        "aws_public_ip",
    } <= set(web.device_metadata)
    assert web.device_metadata["aws_launch_time"].endswith("Z") and "aws_public_ip" not in api.device_metadata
    # an Auto Scaling group's shared name: each instance its own A record under the same name
    twin, zoned = truth.instances[ids["twin"]], truth.instances[ids["zoned"]]
    a_records = [r for t in (web, twin) for r in t.records if r.type == "A"]
    assert {r.fqdn for r in a_records} == {"web-1.ec2.example.internal"} and len(a_records) == 2
    # the zone tag moves the names and records to that zone
    assert {a.name for a in zoned.addresses} == {"metrics.apps.example.internal"}
    assert ("metrics.apps.example.internal", "A") in {(r.fqdn, r.type) for r in zoned.records}
    # networks: the VPC's block(s), the subnet(s) inside them, the public /24 under its /16
    subnets = [
        n for n in truth.networks if n.terminal and n.owner.endswith(web.device_metadata["aws_subnet_id"])
    ]
    assert subnets and all(n.parent and n.name.startswith("local-1 (subnet-") for n in subnets)
    public = next(a.address for a in web.addresses if a.kind == "public")
    b24 = next(n for n in truth.networks if n.terminal and n.cidr == f"{public.rsplit('.', 1)[0]}.0/24")
    assert b24.name == f"AWS public {b24.cidr}" and b24.parent and b24.parent.endswith(".0.0/16")


def test_a_perfect_solidserver_compares_clean(truth: Truth) -> None:
    inv = perfect_inventory(truth)
    assert compare(inv, truth, foreign_before=foreign_snapshot(inv)) == []
    assert format_differences([]) == "SOLIDserver matches the truth."


def _first(items: list[Any], **match: Any) -> int:
    return next(i for i, x in enumerate(items) if all(getattr(x, k) == v for k, v in match.items()))


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("drop an address", {("missing", "address")}),
        ("drop a record", {("missing", "record")}),
        ("drop an interface", {("missing", "interface"), ("wrong", "address")}),
        ("drop a device", {("missing", "device"), ("wrong", "interface"), ("wrong", "address")}),
        ("drop a network", {("missing", "network"), ("wrong", "address")}),
        ("address left on a tombstone", {("unexpected", "address")}),
        ("record of a stranger instance", {("unexpected", "record")}),
        ("network of an unknown subnet", {("unexpected", "network")}),
        ("second device for an instance", {("duplicate", "device")}),
        ("same record twice", {("duplicate", "record")}),
        ("same address twice in a space", {("duplicate", "address")}),
        ("device renamed", {("wrong", "device")}),
        ("device state regressed", {("wrong", "device")}),
        ("device of a live instance marked as tombstone", {("wrong", "device")}),
        ("tag value changed", {("wrong", "device")}),
        ("tag dropped without saying so", {("wrong", "device")}),
        ("address linked to another interface", {("wrong", "address")}),
        ("address named after the old hostname", {("wrong", "address")}),
        ("MAC changed", {("wrong", "interface")}),
        ("resurrected: tombstone lost its marker", {("wrong", "device")}),
        ("interface metadata changed", {("wrong", "interface")}),
        ("someone's interface on an instance's device", {("unexpected", "interface")}),
        ("address metadata changed", {("wrong", "address")}),
        ("address in the block instead of its subnet", {("wrong", "address")}),
        ("record TTL changed", {("wrong", "record")}),
        ("record lost its instance id", {("wrong", "record")}),
        ("network renamed", {("wrong", "network")}),
        ("network metadata changed", {("wrong", "network")}),
        ("subnet outside its VPC's network", {("wrong", "network")}),
        ("device keeps a key EC2 no longer gives", {("wrong", "device")}),
        ("device without its observation time", {("wrong", "device")}),
        ("tombstone keeps the instance's addresses", {("wrong", "device")}),
        (
            "shared name: one twin's A record taken by the other",
            {("missing", "record"), ("unexpected", "record")},
        ),
        ("foreign device edited", {("foreign", "device")}),
        ("foreign record deleted", {("foreign", "record")}),
    ],
)
# Over 80 lines: a table of damages (the parameters), one short branch each, applied to one perfect
# inventory: spreading the branches over functions would separate each damage from its name.
def test_every_kind_of_damage_is_reported(
    truth: Truth, world: tuple[Any, dict[str, str]], damage: str, expected: set[tuple[str, str]]
) -> None:
    ids = world[1]
    inv = perfect_inventory(truth)
    before = foreign_snapshot(inv)
    web_owner = truth.instances[ids["web"]].owner
    gone = truth.instances[ids["gone"]]
    if damage == "drop an address":
        inv.addresses.pop(_first(inv.addresses, version=6))
    elif damage == "drop a record":
        inv.records.pop(_first(inv.records, type="PTR"))
    elif damage == "drop an interface":
        inv.interfaces.pop(_first(inv.interfaces, name="eth1"))
    elif damage == "drop a device":
        inv.devices.pop(_first(inv.devices, name=f"web-1-{ids['web']}"))
    elif damage == "drop a network":
        primary = next(a for a in inv.addresses if a.metadata.get("aws_address_kind") == "primary")
        inv.networks.pop(_first(inv.networks, id=primary.subnet_id))
    elif damage == "address left on a tombstone":
        a = inv.addresses[0]
        inv.addresses.append(
            dataclasses.replace(
                a, id="9", address="10.0.0.9", metadata={OWNER: gone.owner, "aws_address_kind": "primary"}
            )
        )
    elif damage == "record of a stranger instance":
        stranger = f"aws:{truth.account}:{truth.region}:i-0123456789abcdef0"
        inv.records.append(
            Record("9", "x.ec2.example.internal", "A", "10.0.0.9", 300, "", "ns1", {OWNER: stranger})
        )
    elif damage == "network of an unknown subnet":
        inv.networks.append(
            Network(
                "9",
                4,
                "10.99.0.0",
                256,
                "x",
                True,
                None,
                inv.spaces[0].id,
                {OWNER: "aws:1:r:subnet-0f0f0f0f0f0f0f0f0"},
            )
        )
    elif damage == "second device for an instance":
        dev = inv.devices[_first(inv.devices, name=f"web-1-{ids['web']}")]
        inv.devices.append(dataclasses.replace(dev, id="99999999"))
    elif damage == "same record twice":
        inv.records.append(dataclasses.replace(inv.records[_first(inv.records, type="A")], id="9"))
    elif damage == "same address twice in a space":
        a = inv.addresses[0]
        inv.addresses.append(dataclasses.replace(a, id="9", metadata={OWNER: "someone"}))
    elif damage == "device renamed":
        i = _first(inv.devices, name=f"web-1-{ids['web']}")
        inv.devices[i] = dataclasses.replace(inv.devices[i], name="web-0")
    elif damage == "device state regressed":
        i = _first(inv.devices, name=f"web-1-{ids['web']}")
        inv.devices[i] = dataclasses.replace(
            inv.devices[i], metadata={**inv.devices[i].metadata, "aws_state": "stopped"}
        )
    elif damage == "device of a live instance marked as tombstone":
        i = _first(inv.devices, name=f"web-1-{ids['web']}")
        inv.devices[i] = dataclasses.replace(
            inv.devices[i], metadata={**inv.devices[i].metadata, TOMBSTONE: "x"}
        )
    elif damage == "tag value changed":
        i = _first(inv.devices, name=f"web-1-{ids['web']}")
        inv.devices[i] = dataclasses.replace(
            inv.devices[i], metadata={**inv.devices[i].metadata, "aws_tag_env": "dev"}
        )
    elif damage == "tag dropped without saying so":
        i = _first(inv.devices, name=f"web-1-{ids['web']}")
        meta = {k: v for k, v in inv.devices[i].metadata.items() if k != "aws_tag_env"}
        inv.devices[i] = dataclasses.replace(inv.devices[i], metadata=meta)
    elif damage == "address linked to another interface":
        i = next(i for i, a in enumerate(inv.addresses) if a.metadata.get(OWNER) == web_owner)
        other = next(x.id for x in inv.interfaces if x.id != inv.addresses[i].iface_id)
        inv.addresses[i] = dataclasses.replace(inv.addresses[i], iface_id=other)
    elif damage == "address named after the old hostname":
        i = next(i for i, a in enumerate(inv.addresses) if a.metadata.get(OWNER) == web_owner)
        inv.addresses[i] = dataclasses.replace(inv.addresses[i], name="web-0.ec2.example.internal")
    elif damage == "MAC changed":
        inv.interfaces[0] = dataclasses.replace(inv.interfaces[0], mac="02:00:00:00:00:01")
    elif damage == "resurrected: tombstone lost its marker":
        i = _first(inv.devices, name=gone.device_name)
        meta = {k: v for k, v in inv.devices[i].metadata.items() if k != TOMBSTONE}
        inv.devices[i] = dataclasses.replace(inv.devices[i], metadata={**meta, "aws_state": "running"})
    elif damage == "interface metadata changed":
        i = next(i for i, x in enumerate(inv.interfaces) if x.metadata.get(OWNER) == web_owner)
        meta = {**inv.interfaces[i].metadata, "aws_device_index": "7"}
        inv.interfaces[i] = dataclasses.replace(inv.interfaces[i], metadata=meta)
    elif damage == "someone's interface on an instance's device":
        dev = inv.devices[_first(inv.devices, name=f"web-1-{ids['web']}")]
        inv.interfaces.append(Interface("9", "eth9", dev.id, "02:00:00:00:00:09", {}))
    elif damage == "address metadata changed":
        i = next(i for i, a in enumerate(inv.addresses) if a.metadata.get(OWNER) == web_owner)
        meta = {**inv.addresses[i].metadata, "aws_subnet_id": "subnet-0000000000000000f"}
        inv.addresses[i] = dataclasses.replace(inv.addresses[i], metadata=meta)
    elif damage == "address in the block instead of its subnet":
        held = inv.addresses[0]
        block = next(n for n in inv.networks if n.id == held.subnet_id).parent_id
        inv.addresses[0] = dataclasses.replace(held, subnet_id=block)
    elif damage == "record TTL changed":
        inv.records[0] = dataclasses.replace(inv.records[0], ttl=60)
    elif damage == "record lost its instance id":
        meta = {k: v for k, v in inv.records[0].metadata.items() if k != "aws_instance_id"}
        inv.records[0] = dataclasses.replace(inv.records[0], metadata=meta)
    elif damage == "network renamed":
        inv.networks[-1] = dataclasses.replace(inv.networks[-1], name="lab")
    elif damage == "network metadata changed":
        meta = {**inv.networks[0].metadata, "aws_cidr": "10.9.0.0/16"}
        inv.networks[0] = dataclasses.replace(inv.networks[0], metadata=meta)
    elif damage == "subnet outside its VPC's network":
        i = next(i for i, n in enumerate(inv.networks) if n.terminal and n.parent_id)
        inv.networks[i] = dataclasses.replace(inv.networks[i], parent_id=None)
    elif damage == "device keeps a key EC2 no longer gives":  # the stopped one lost its public IP
        i = _first(inv.devices, name=truth.instances[ids["api"]].device_name)
        meta = {**inv.devices[i].metadata, "aws_public_ip": "198.51.100.7"}
        inv.devices[i] = dataclasses.replace(inv.devices[i], metadata=meta)
    elif damage == "device without its observation time":
        i = _first(inv.devices, name=f"web-1-{ids['web']}")
        meta = {k: v for k, v in inv.devices[i].metadata.items() if k != OBSERVED}
        inv.devices[i] = dataclasses.replace(inv.devices[i], metadata=meta)
    elif damage == "tombstone keeps the instance's addresses":
        i = _first(inv.devices, name=gone.device_name)
        meta = {**inv.devices[i].metadata, "aws_private_ip": "10.0.0.9", "aws_tag_team": "data"}
        inv.devices[i] = dataclasses.replace(inv.devices[i], metadata=meta)
    elif damage == "shared name: one twin's A record taken by the other":
        twin = truth.instances[ids["twin"]]
        i = next(
            i for i, r in enumerate(inv.records) if r.type == "A" and r.metadata.get(OWNER) == twin.owner
        )
        meta = {**inv.records[i].metadata, OWNER: web_owner, "aws_instance_id": ids["web"]}
        inv.records[i] = dataclasses.replace(inv.records[i], metadata=meta)
    elif damage == "foreign device edited":
        i = _first(inv.devices, name="printer-1")
        inv.devices[i] = dataclasses.replace(inv.devices[i], metadata={"location": "floor-3"})
    elif damage == "foreign record deleted":
        inv.records.pop(_first(inv.records, fqdn="www.ec2.example.internal"))
    diffs = compare(inv, truth, foreign_before=before)
    assert set(kinds(diffs)) == expected, format_differences(diffs)
    assert str(diffs[0]) and format_differences(diffs).startswith(f"{len(diffs)} difference(s)")


def test_a_restricted_truth_ignores_other_scenarios(truth: Truth, world: tuple[Any, dict[str, str]]) -> None:
    ids = world[1]
    inv = perfect_inventory(truth)
    only_web = truth.restrict({ids["web"]})
    assert compare(inv, only_web) == []
    inv.addresses = [a for a in inv.addresses if a.metadata.get(OWNER) != truth.instances[ids["web"]].owner]
    assert {d.kind for d in compare(inv, only_web)} == {"missing"}
    assert compare(inv, truth.restrict({ids["api"]})) == []


def test_the_policies(world: tuple[Any, dict[str, str]]) -> None:
    """``TerminatedPolicy=retain``: the device stays, marked terminated, with EC2's last description
    (tags included) and no tombstone; ``StoppedPolicy=remove-dns``: a stopped instance has no records."""
    ids = world[1]
    settings = dataclasses.replace(SETTINGS, terminated_policy="retain", stopped_policy="remove-dns")
    truth = compute_truth(world[0], settings, zones=ZONES)
    gone = truth.instances[ids["gone"]]
    assert not gone.tombstone and gone.tagged and gone.tags == {"aws_tag_team": "data"}
    assert gone.device_metadata["aws_state"] == "terminated" and "aws_cpu_cores" in gone.device_metadata
    assert "aws_private_ip" not in gone.device_metadata and "aws_eni_count" not in gone.device_metadata
    assert not truth.instances[ids["api"]].records and truth.instances[ids["web"]].records
    inv = perfect_inventory(truth)
    assert compare(inv, truth) == []
    i = _first(inv.devices, name=gone.device_name)
    inv.devices[i] = dataclasses.replace(inv.devices[i], metadata={**inv.devices[i].metadata, TOMBSTONE: "x"})
    assert kinds(compare(inv, truth)) == [("wrong", "device")]


def test_instances_and_networks_ec2_no_longer_knows(world: tuple[Any, dict[str, str]]) -> None:
    """An earlier EC2's: an unknown instance after its terminal event is a tombstone named after its
    id (or keeping the name it had); an earlier VPC's networks stay; subnets no instance uses any
    more keep their networks."""
    ec2 = world[0]
    stranger = "i-0123456789abcdef0"
    truth = compute_truth(ec2, SETTINGS, zones=ZONES, unknown_terminated=[stranger])
    assert truth.instances[stranger].device_name == stranger and truth.instances[stranger].tombstone
    named = compute_truth(ec2, SETTINGS, zones=ZONES, unknown_terminated={stranger: f"old-{stranger}"})
    assert named.instances[stranger].device_name == f"old-{stranger}"
    inv = perfect_inventory(named)
    assert compare(inv, named) == []
    # its leftovers are not
    a = inv.addresses[0]
    inv.addresses.append(
        dataclasses.replace(a, id="9", address="10.0.0.9", metadata={OWNER: named.instances[stranger].owner})
    )
    assert kinds(compare(inv, named)) == [("unexpected", "address")]

    truth = compute_truth(ec2, SETTINGS, zones=ZONES)
    space = perfect_inventory(truth).spaces[0].id
    earlier = Network(
        "9", 4, "10.99.0.0", 256, "x", True, None, space, {OWNER: "aws:1:r:subnet-0f0f0f0f0f0f0f0f0"}
    )
    inv = perfect_inventory(truth)
    inv.networks.append(earlier)
    assert kinds(compare(inv, truth)) == [("unexpected", "network")]
    kept = compute_truth(
        ec2, SETTINGS, zones=ZONES, networks_before=[("subnet-0f0f0f0f0f0f0f0f0", "10.99.0.0/24")]
    )
    assert compare(inv, kept) == []

    unused = next(
        s["SubnetId"]
        for s in ec2.describe_subnets()["Subnets"]
        if {"Key": "Name", "Value": "local-2"} in s.get("Tags", [])
    )
    more = compute_truth(ec2, SETTINGS, zones=ZONES, extra_subnets=[unused])
    added = more.networks - truth.networks
    assert added and {n.owner.rsplit(":", 1)[1] for n in added} == {unused}
    assert kinds(compare(perfect_inventory(truth), more)) == [("missing", "network")]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("web-1", "web-1"),
        ("Db Sérvér", "db-server"),
        ("'; DROP TABLE hostdev; --", "drop-table-hostdev"),
        ('a%b_c\\d"e', "a-b-c-d-e"),
        ("%%%", None),
        ("☃☃☃", None),
        ("x" * 300, "x" * 63),
        ("-" * 10 + "ok" + "-" * 10, "ok"),
        ("a" * 62 + "-b", "a" * 62),
    ],
)
def test_hostname_sanitisation_as_documented(text: str, label: str | None) -> None:
    assert hostname_label(text) == label


def test_settings_follow_template_parameters() -> None:
    s = settings_from_parameters({"DnsServerName": "ns", "StoppedPolicy": "remove-dns", "SpaceName": "X"})
    assert (s.dns_server, s.stopped_policy, s.space_name, s.terminated_policy) == (
        "ns",
        "remove-dns",
        "X",
        "delete",
    )


def test_the_truth_restates_the_rules_without_the_sync_code() -> None:
    """The truth checks the product: of ipamsync it may read the settings (the configuration), never
    the code that decides what to write (sync, planning, naming, the client)."""
    import ast
    from pathlib import Path

    import ipamsync_local.truth as package

    imported = set()
    for path in Path(package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    product = {m for m in imported if m == "ipamsync" or m.startswith("ipamsync.")}
    assert product == {"ipamsync.settings"}
