"""The planners, pure: what SOLIDserver should hold for a message (no server involved).

``device_metadata`` and ``snapshot_digest`` (device step), ``wanted_networks`` (networks step),
``wanted_addresses`` (addresses step), ``wanted_records`` (DNS step).
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from ipamsync.errors import ConfigurationError
from ipamsync.settings import Settings
from ipamsync.solidserver import metadata as md
from ipamsync.solidserver.api import Zone
from ipamsync.sync.addresses import wanted_addresses
from ipamsync.sync.device import device_metadata, only_device_changed, snapshot_digest, tombstone_metadata
from ipamsync.sync.dns import wanted_records
from ipamsync.sync.networks import wanted_networks
from tests.helpers import SUBNET6, SUBNET_B, eni, message

ZONES = [
    Zone("1", "ec2.example.internal", "1", "ns", "", reverse=False),
    Zone("2", "10.in-addr.arpa", "1", "ns", "", reverse=True),
    Zone("3", "20.10.in-addr.arpa", "1", "ns", "", reverse=True),
]
SETTINGS = Settings(dns_server="ns", forward_zone="ec2.example.internal")


# --------------------------------------------------------------------------- device


def test_device_metadata_of_base_fields_at_their_limits_stays_within_the_appliance_limit():
    """CJK text at the field limits: 255 characters encode as 2,295 bytes each (%XX%XX%XX)."""
    cjk = "中" * 4000
    msg = message(name=cjk, hostname="web-1", tags={f"k{i}": cjk for i in range(40)})
    meta = device_metadata(msg, digest="d" * 32)
    assert md.encoded_length(meta) <= md.DEVICE_PARAMETERS_MAX
    assert meta["aws_name"].endswith("…")  # the Name gave way first
    assert meta["ipamsync_owner"] == msg.owner and meta["ipamsync_digest"] == "d" * 32
    assert int(meta["aws_tags_omitted"]) == 40  # no room left for any tag of that size


def test_device_metadata_keeps_the_shortest_tags_first():
    tags = {"big": "x" * 255, **{f"t{i}": "v" for i in range(10)}}
    meta = device_metadata(message(tags=tags))
    assert all(meta[f"aws_tag_t{i}"] == "v" for i in range(10)) and meta["aws_tag_big"] == "x" * 255
    assert "aws_tags_omitted" not in meta


def test_tombstone_keeps_only_the_guard_and_identity():
    msg = message(state="terminated", name="web-1")
    meta = tombstone_metadata(msg, 336, "2026-11-27T07:00:00.000Z", digest="abc")
    assert meta["aws_state"] == "terminated" and meta["ipamsync_tombstone"] == "2026-12-11T07:00:00.000Z"
    assert meta["ipamsync_digest"] == "abc" and meta["ipamsync_observed_at"] == msg.observed_at
    assert "aws_tag_env" not in meta


def test_digest_ignores_the_event_and_the_observation_time_but_not_the_snapshot_or_settings():
    a = message("i-0a1b2c3d4e5f67890", name="web-1", event_id="e-1", observed_at="2026-11-27T07:00:01.000Z")
    same = message(
        "i-0a1b2c3d4e5f67890", name="web-1", event_id="e-2", observed_at="2026-11-27T07:00:09.000Z"
    )
    renamed = message("i-0a1b2c3d4e5f67890", name="web-2")
    assert snapshot_digest(a, SETTINGS) == snapshot_digest(same, SETTINGS)
    assert snapshot_digest(a, SETTINGS) != snapshot_digest(renamed, SETTINGS)
    assert snapshot_digest(a, SETTINGS) != snapshot_digest(a, replace(SETTINGS, ttl=60))


def test_the_digest_tells_when_only_the_device_changed():
    """The first half hashes what the networks, addresses and DNS steps read; the second everything:
    a state, type or tag change leaves the first half alone (the execution ends after SyncDevice)."""
    iid = "i-0a1b2c3d4e5f67890"
    base = message(iid, "pending", tags={"env": "prod"})
    applied = snapshot_digest(base, SETTINGS)
    assert re.fullmatch(r"[0-9a-f]{32}", applied)
    device_only = [
        message(iid, "running", tags={"env": "prod"}),
        message(iid, "stopping", tags={"env": "prod"}),
        message(iid, "pending", tags={"env": "test", "team": "payments"}),
    ]
    for msg in device_only:
        assert only_device_changed(applied, snapshot_digest(msg, SETTINGS)), msg.instance
    later_steps = [
        message(iid, "pending", tags={"env": "prod"}, enis=[eni(0, ["10.20.1.16"])]),  # an address
        message(iid, "pending", name="web-2", tags={"env": "prod"}),  # the name: addresses, records
        message(iid, "pending", tags={"env": "prod", SETTINGS.zone_tag_key: "other.example"}),  # the zone
        message(iid, "terminated"),  # gone: everything is released
    ]
    for msg in later_steps:
        assert not only_device_changed(applied, snapshot_digest(msg, SETTINGS)), msg.instance
    # stopping matters to the records under remove-dns: not a device-only change there
    remove_dns = replace(SETTINGS, stopped_policy="remove-dns")
    assert not only_device_changed(
        snapshot_digest(base, remove_dns), snapshot_digest(device_only[1], remove_dns)
    )
    # the same digest is no change at all; a digest deleted (forget_applied) or of another
    # mapping tells nothing
    assert not only_device_changed(applied, applied)
    assert not only_device_changed("", snapshot_digest(device_only[0], SETTINGS))
    assert not only_device_changed(applied[:16], snapshot_digest(device_only[0], SETTINGS))


# --------------------------------------------------------------------------- networks


def test_wanted_networks_vpc_blocks_subnets_and_public_slash_24s():
    msg = message(
        enis=[
            eni(0, ["10.20.1.15"], public={"10.20.1.15": ("54.210.40.7", True)}),
            eni(1, ["10.20.2.9"], subnet=SUBNET_B),
        ]
    )
    private, public = wanted_networks(msg)
    assert [(w.cidr, w.terminal) for w in private] == [
        ("10.20.0.0/16", False),
        ("10.20.1.0/24", True),
        ("10.20.2.0/24", True),
    ]
    assert (
        private[0].metadata["aws_vpc_id"] == msg.vpcs[0].id and private[0].name == f"prod ({msg.vpcs[0].id})"
    )
    assert [(w.cidr, w.terminal, w.owner) for w in public] == [
        ("54.210.0.0/16", False, "aws-public"),
        ("54.210.40.0/24", True, "aws-public"),
    ]


def test_wanted_networks_dual_stack_and_gone():
    msg = message(enis=[eni(0, ["10.30.1.5"], subnet=SUBNET6, ipv6=["2600:1f18:4a3:6901::5"])])
    private, _ = wanted_networks(msg)
    assert ("2600:1f18:4a3:6901::/64", True) in [(w.cidr, w.terminal) for w in private]
    assert ("2600:1f18:4a3:6900::/56", False) in [(w.cidr, w.terminal) for w in private]
    assert wanted_networks(message(state="terminated")) == ([], [])


# --------------------------------------------------------------------------- addresses


def test_wanted_addresses_kinds_names_and_macs():
    msg = message(
        enis=[
            eni(
                0,
                ["10.20.1.15", "10.20.1.16"],
                public={"10.20.1.15": ("54.210.40.7", False)},
                mac="0e:aa:00:00:00:01",
            ),
            eni(1, ["10.30.1.5"], subnet=SUBNET6, ipv6=["2600:1f18:4a3:6901::5"]),
        ]
    )
    wanted = {w.address: w for w in wanted_addresses(msg, "ec2.example.internal")}
    assert {a: w.metadata["aws_address_kind"] for a, w in wanted.items()} == {
        "10.20.1.15": "primary",
        "10.20.1.16": "secondary",
        "54.210.40.7": "public",
        "10.30.1.5": "primary",
        "2600:1f18:4a3:6901::5": "ipv6",
    }
    assert {w.name for w in wanted.values()} == {"web-1.ec2.example.internal"}
    assert wanted["10.20.1.15"].mac == "0e:aa:00:00:00:01" and wanted["54.210.40.7"].mac == ""
    assert (
        wanted["54.210.40.7"].public and wanted["54.210.40.7"].metadata["aws_public_ip_kind"] == "ephemeral"
    )
    assert wanted_addresses(message(state="terminated"), None) == []
    assert {w.name for w in wanted_addresses(msg, None)} == {"web-1"}


# --------------------------------------------------------------------------- DNS


def test_wanted_records_a_and_ptr_in_the_longest_reverse_zone():
    skipped: list[str] = []
    records = wanted_records(message(), SETTINGS, lambda: ZONES, skipped)
    assert [(r.fqdn, r.type, r.value, r.zone.name) for r in records] == [
        ("web-1.ec2.example.internal", "A", "10.20.1.15", "ec2.example.internal"),
        ("15.1.20.10.in-addr.arpa", "PTR", "web-1.ec2.example.internal", "20.10.in-addr.arpa"),
    ]
    assert skipped == []


def test_wanted_records_skips_what_it_cannot_publish():
    def no_lookup() -> list[Zone]:
        raise AssertionError("zones are only looked up when there is a name to publish")

    assert wanted_records(message(name=None, hostname=None), SETTINGS, no_lookup, []) == []
    assert wanted_records(message(state="terminated"), SETTINGS, no_lookup, []) == []
    removed = replace(SETTINGS, stopped_policy="remove-dns")
    assert wanted_records(message(state="stopped"), removed, no_lookup, []) == []
    skipped: list[str] = []
    v6 = message(enis=[eni(0, ["10.30.1.5"], subnet=SUBNET6, ipv6=["2600:1f18:4a3:6901::5"])])
    types = [r.type for r in wanted_records(v6, SETTINGS, lambda: ZONES, skipped)]
    assert types == ["A", "PTR", "AAAA"] and skipped and "PTR" in skipped[0]  # no IPv6 reverse zone
    with pytest.raises(ConfigurationError):
        wanted_records(message(tags={"ipamsync:zone": "nowhere.example"}), SETTINGS, lambda: ZONES, [])
