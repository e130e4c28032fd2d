"""The truth calculator itself: a SOLIDserver that holds exactly the truth compares clean, and every
kind of damage (missing, unexpected, wrong field, duplicate, changed foreign object) is reported.
Without this, "SOLIDserver matches the truth" in the other tests could not fail."""

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
    OWNER,
    TOMBSTONE,
    Truth,
    compare,
    compute_truth,
    foreign_snapshot,
    format_differences,
    hostname_label,
    settings_from_parameters,
)

SETTINGS = Settings(dns_server="ns1", forward_zone="ec2.example.internal")
ZONES = [("ec2.example.internal", False), ("10.in-addr.arpa", True)]


class _NoEvents:
    def mark(self) -> int:
        return 0

    def since(self, mark: int, ids: Any = None) -> list[Any]:
        return []


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[Any, dict[str, str]]]:
    """EC2 with a multi-ENI instance (secondary, IPv6, Elastic IP), one with an ephemeral public IP
    that was stopped, a renamed-by-tag one without a usable name, and a terminated one."""
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        fleet = Fleet(ec2, _NoEvents())  # type: ignore[arg-type]
        web = fleet.launch("web-1", enis=2, secondary_ips=1, ipv6=1, elastic_ip=True, tags={"env": "prod"})
        api = fleet.launch("Api Sérvér", public_ip=True)
        odd = fleet.launch("%%%", tags={"Cost Center": "x'y\\z"})
        gone = fleet.launch("old-1")
        fleet.stop(api.instance_id)
        fleet.terminate(gone.instance_id)
        yield (
            ec2,
            {
                "web": web.instance_id,
                "api": api.instance_id,
                "odd": odd.instance_id,
                "gone": gone.instance_id,
            },
        )


@pytest.fixture
def truth(world: tuple[Any, dict[str, str]]) -> Truth:
    return compute_truth(world[0], SETTINGS, zones=ZONES)


def perfect_inventory(truth: Truth) -> Inventory:
    """What SOLIDserver holds when ipamsync did exactly its job (plus one foreign object of each kind)."""
    inv = Inventory()
    ids = iter(range(1000, 100000))
    spaces: dict[str, str] = {}
    for name in {truth.settings.space_for(truth.account), truth.settings.public_space_for(truth.account)}:
        spaces[name] = str(next(ids))
        inv.spaces.append(Space(spaces[name], name, {}))
    for n in truth.networks:
        net = ipaddress.ip_network(n.cidr)
        inv.networks.append(
            Network(
                str(next(ids)),
                net.version,
                str(net.network_address),
                net.num_addresses,
                n.cidr,
                n.terminal,
                None,
                spaces[n.space],
                {OWNER: n.owner},
            )
        )
    for t in truth.instances.values():
        dev_id = str(next(ids))
        meta = dict(t.device_metadata)
        if t.tombstone:
            meta[TOMBSTONE] = "2026-12-11T07:00:00.000Z"
        if not t.gone:
            meta.update(t.tags)
        inv.devices.append(Device(dev_id, t.device_name, "", meta))
        if t.gone:
            continue
        iface_of = {}
        for eni_id, want in t.interfaces.items():
            iface_of[eni_id] = str(next(ids))
            inv.interfaces.append(
                Interface(
                    iface_of[eni_id], want.name, dev_id, want.mac, {OWNER: t.owner, "aws_eni_id": eni_id}
                )
            )
        for a in t.addresses:
            meta = {OWNER: t.owner, "aws_address_kind": a.kind, "aws_eni_id": a.eni_id}
            if a.public_kind:
                meta["aws_public_ip_kind"] = a.public_kind
            inv.addresses.append(
                Address(
                    str(next(ids)),
                    a.version,
                    a.address,
                    a.name,
                    a.mac,
                    spaces[a.space],
                    None,
                    dev_id,
                    iface_of[a.eni_id],
                    meta,
                )
            )
        for r in t.records:
            inv.records.append(
                Record(str(next(ids)), r.fqdn, r.type, r.value, 300, "", "ns1", {OWNER: t.owner})
            )
    # not ipamsync's
    inv.devices.append(Device("1", "printer-1", "", {"location": "floor-2"}))
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
    assert truth.summary()["terminated"] == 1


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
        ("drop a network", {("missing", "network")}),
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
        ("foreign device edited", {("foreign", "device")}),
        ("foreign record deleted", {("foreign", "record")}),
    ],
)
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
        inv.networks.pop(_first(inv.networks, terminal=True))
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
