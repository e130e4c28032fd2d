"""An instance's life through the whole local pipeline, with the template's default policies
(``StoppedPolicy=keep``, ``TerminatedPolicy=delete``): launch, stop/start, rename, secondary IPs,
termination. After every step SOLIDserver must hold exactly what EC2 says (``Pipeline.exact``)."""

from __future__ import annotations

import ipaddress

from ipamsync_local.demo.fleet import ODD_TAG_VALUE, ip6_reverse_zone

from .harness import SCENARIO_DNS_SERVER, SCENARIO_ZONE, SCENARIO_ZONE2, Pipeline, pipeline_fixture

pipeline = pipeline_fixture()


def _ptr(address: str) -> str:
    return ipaddress.ip_address(address).reverse_pointer


def _all_succeeded(p: Pipeline, *instance_ids: str) -> None:
    for iid in instance_ids:
        found = p.executions_of(iid)
        assert found and {s.status for s in found} == {"SUCCEEDED"}, [(s.name, s.error) for s in found]
    workflow, events = p.dead_letters()
    assert workflow == [] and events == []


def test_launch_syncs_networks_device_interfaces_addresses_and_dns(pipeline: Pipeline) -> None:
    web = pipeline.launch(
        "Web Server #1",
        "prod-1",
        enis=2,
        secondary_ips=1,
        elastic_ip=True,
        tags={"env": "prod", "cost-center": "CC-1001", "note": ODD_TAG_VALUE},
        instance_type="m5.large",
    )
    v6 = pipeline.launch("app-v6", "dev-1", ipv6=2)
    metrics = pipeline.launch("metrics", "prod-2", tags={"ipamsync:zone": SCENARIO_ZONE2})
    pipeline.seed_moto(101)
    edge = pipeline.launch("edge", "dev-2", public_ip=True)
    pipeline.settle()

    truth, inv = pipeline.exact(web, v6, metrics, edge)
    _all_succeeded(pipeline, web, v6, metrics, edge)
    # pending, running, and the Elastic IP's association (made before RunInstances; its CloudTrail
    # event delivered after it)
    assert len(pipeline.executions_of(web)) == 3

    # The facts a network engineer checks, spelled out.
    described = pipeline.describe(web)
    enis = sorted(described["NetworkInterfaces"], key=lambda e: e["Attachment"]["DeviceIndex"])
    primary_ip = next(p["PrivateIpAddress"] for p in enis[0]["PrivateIpAddresses"] if p["Primary"])
    elastic = described["PublicIpAddress"]
    device = inv.device_of(web)
    assert device is not None and device.name == f"web-server-1-{web}"
    assert (
        device.metadata["aws_tag_note"] == ODD_TAG_VALUE
        and device.metadata["aws_tag_cost_center"] == "CC-1001"
    )
    assert device.metadata["aws_eni_count"] == "2" and device.metadata["aws_public_ip"] == elastic
    ifaces = sorted((i for i in inv.interfaces if i.device_id == device.id), key=lambda i: i.name)
    assert [(i.name, i.mac) for i in ifaces] == [
        ("eth0", enis[0]["MacAddress"]),
        ("eth1", enis[1]["MacAddress"]),
    ]
    addresses = inv.address_map()
    assert len([a for a in inv.addresses if a.device_id == device.id]) == 2 * 2 + 1  # 2 per ENI + the EIP
    assert addresses[primary_ip].iface_id == ifaces[0].id and addresses[elastic].iface_id == ifaces[0].id
    assert addresses[elastic].metadata["aws_public_ip_kind"] == "elastic"
    assert addresses[elastic].metadata["aws_private_ip"] == primary_ip
    fqdn = f"web-server-1.{SCENARIO_ZONE}"
    assert inv.records_of(web) == {(fqdn, "A", primary_ip), (_ptr(primary_ip), "PTR", fqdn)}

    # IPv6: both addresses in the /64, the AAAA is the first, its PTR in the VPC's ip6.arpa zone.
    v6_desc = pipeline.describe(v6)["NetworkInterfaces"][0]
    v6_addrs = [a["Ipv6Address"] for a in v6_desc["Ipv6Addresses"]]
    v6_fqdn = f"app-v6.{SCENARIO_ZONE}"
    first = str(ipaddress.ip_address(v6_addrs[0]))
    assert (v6_fqdn, "AAAA", first) in inv.records_of(v6)
    zone6 = ip6_reverse_zone(pipeline.network.ipv6_block)
    ptr6 = next(
        r for r in inv.records if r.type == "PTR" and r.value == v6_fqdn and r.fqdn.endswith("ip6.arpa")
    )
    assert ptr6.zone == zone6 and ptr6.fqdn == _ptr(first)
    for a in v6_addrs:
        assert addresses[str(ipaddress.ip_address(a))].metadata["aws_address_kind"] == "ipv6"

    # The zone tag moves the records to the second zone; the public IP gets its own /16 and /24.
    assert {r[0] for r in inv.records_of(metrics)} >= {f"metrics.{SCENARIO_ZONE2}"}
    public = pipeline.describe(edge)["PublicIpAddress"]
    assert addresses[public].metadata["aws_public_ip_kind"] == "ephemeral"
    nets = {n.cidr: n for n in inv.networks}
    for cidr in (
        str(ipaddress.ip_network(f"{public}/16", strict=False)),
        str(ipaddress.ip_network(f"{public}/24", strict=False)),
    ):
        assert nets[cidr].metadata["ipamsync_owner"] == "aws-public"
    assert (
        nets["10.0.0.0/16"].name == f"prod ({pipeline.network.vpcs['prod']})"
        and not nets["10.0.0.0/16"].terminal
    )
    assert nets[pipeline.network.ipv6_block].metadata["aws_vpc_id"] == pipeline.network.vpcs["dev"]
    assert {n.cidr for n in truth.networks} <= set(nets)


def test_stop_keeps_addresses_and_dns_drops_the_ephemeral_public_ip_and_keeps_the_elastic_one(
    pipeline: Pipeline,
) -> None:
    pipeline.seed_moto(201)
    ephemeral = pipeline.launch("stopper", "prod-1", public_ip=True)
    elastic = pipeline.launch("keeper", "prod-2", elastic_ip=True)
    pipeline.settle()
    gone_ip = pipeline.describe(ephemeral)["PublicIpAddress"]
    kept_ip = pipeline.describe(elastic)["PublicIpAddress"]
    assert gone_ip in pipeline.inventory().address_map()

    pipeline.aws.fleet.stop(ephemeral)
    pipeline.aws.fleet.stop(elastic)
    pipeline.settle()
    assert pipeline.describe(ephemeral).get("PublicIpAddress") is None  # EC2 released it
    _, inv = pipeline.exact(ephemeral, elastic)
    addresses = inv.address_map()
    assert gone_ip not in addresses
    assert addresses[kept_ip].metadata["aws_public_ip_kind"] == "elastic"
    assert inv.device_of(ephemeral).metadata["aws_state"] == "stopped"
    private = pipeline.describe(ephemeral)["PrivateIpAddress"]
    assert inv.records_of(ephemeral) == {
        (f"stopper.{SCENARIO_ZONE}", "A", private),
        (_ptr(private), "PTR", f"stopper.{SCENARIO_ZONE}"),
    }

    pipeline.seed_moto(202)
    pipeline.aws.fleet.start(ephemeral)
    pipeline.settle()
    new_ip = pipeline.describe(ephemeral)["PublicIpAddress"]
    assert new_ip and new_ip != gone_ip
    _, inv = pipeline.exact(ephemeral, elastic)
    assert inv.address_map()[new_ip].metadata["aws_public_ip_kind"] == "ephemeral"
    assert inv.device_of(ephemeral).metadata["aws_state"] == "running"
    _all_succeeded(pipeline, ephemeral, elastic)


def test_rename_moves_the_device_the_address_names_and_the_records(pipeline: Pipeline) -> None:
    iid = pipeline.launch("old-name", "prod-2", secondary_ips=1)
    pipeline.settle()
    pipeline.exact(iid)

    pipeline.aws.fleet.rename(iid, "Brand New Name!")
    pipeline.settle()
    _, inv = pipeline.exact(iid)
    # launch, then the Name tag's CloudTrail event (CreateTags) and stopping/stopped/pending/running
    assert len(pipeline.executions_of(iid)) == 2 + 1 + 4
    assert inv.device_of(iid).name == f"brand-new-name-{iid}"
    assert {a.name for a in inv.owned_by(pipeline.owner(iid))["addresses"]} == {
        f"brand-new-name.{SCENARIO_ZONE}"
    }
    assert not any(r.fqdn.startswith("old-name.") or r.value.startswith("old-name.") for r in inv.records)
    private = pipeline.describe(iid)["PrivateIpAddress"]
    assert (f"brand-new-name.{SCENARIO_ZONE}", "A", private) in inv.records_of(iid)
    _all_succeeded(pipeline, iid)


def test_secondary_ip_added_then_removed(pipeline: Pipeline) -> None:
    iid = pipeline.launch("flex", "dev-2")
    pipeline.settle()
    eni = pipeline.describe(iid)["NetworkInterfaces"][0]["NetworkInterfaceId"]
    extra = "172.16.1.100"
    ec2 = pipeline.aws.ec2

    ec2.assign_private_ip_addresses(NetworkInterfaceId=eni, PrivateIpAddresses=[extra])
    pipeline.aws.fleet.stop(iid)  # no event for the assignment itself: a restart makes EC2 events
    pipeline.aws.fleet.start(iid)
    pipeline.settle()
    _, inv = pipeline.exact(iid)
    added = inv.address_map()[extra]
    iface = next(i for i in inv.interfaces if i.metadata.get("aws_eni_id") == eni)
    assert added.metadata["aws_address_kind"] == "secondary" and added.iface_id == iface.id
    assert added.name == f"flex.{SCENARIO_ZONE}"

    ec2.unassign_private_ip_addresses(NetworkInterfaceId=eni, PrivateIpAddresses=[extra])
    pipeline.aws.fleet.stop(iid)
    pipeline.aws.fleet.start(iid)
    pipeline.settle()
    _, inv = pipeline.exact(iid)
    assert extra not in inv.address_map()
    _all_succeeded(pipeline, iid)


def test_terminate_removes_exactly_what_the_instance_owned(pipeline: Pipeline) -> None:
    doomed = pipeline.launch("doomed", "prod-1", secondary_ips=1, elastic_ip=True, enis=2)
    neighbour = pipeline.launch("neighbour", "prod-1")
    pipeline.settle()
    # Objects created by hand in the same subnet and zone: ipamsync does not own them.
    ss = pipeline.ss
    hand_address = ss.create_address(
        4,
        pipeline.space_id(),
        "10.0.0.100",
        name=f"printer.{SCENARIO_ZONE}",
        mac="",
        device_id=None,
        iface_id=None,
        metadata={"site_contact": "facilities"},
    )
    zone = next(z for z in ss.list_zones(SCENARIO_DNS_SERVER) if z.name == SCENARIO_ZONE)
    hand_record = ss.create_record(
        SCENARIO_DNS_SERVER, zone, f"printer.{SCENARIO_ZONE}", "A", "10.0.0.100", ttl=600, metadata={}
    )
    owner = pipeline.owner(doomed)
    before = pipeline.inventory()
    owned_before = before.owned_by(owner)
    assert len(owned_before["addresses"]) == 2 * 2 + 1 and len(owned_before["interfaces"]) == 2

    pipeline.aws.fleet.terminate(doomed)
    pipeline.settle()
    _, after = pipeline.exact(doomed, neighbour)

    owned = after.owned_by(owner)
    assert [d.id for d in owned["devices"]] != [] and owned["interfaces"] == owned["addresses"] == owned[
        "records"
    ] == []
    tomb = owned["devices"][0]
    assert (
        tomb.metadata["aws_state"] == "terminated"
        and tomb.metadata["ipamsync_tombstone"] > tomb.metadata["ipamsync_observed_at"]
    )

    def not_doomed(inv) -> dict[str, set]:
        keep = lambda o: o.metadata.get("ipamsync_owner") != owner  # noqa: E731
        return {
            "networks": {(n.id, n.cidr, n.name, tuple(sorted(n.metadata.items()))) for n in inv.networks},
            "addresses": {
                (a.id, a.address, a.name, a.mac, a.device_id, a.iface_id, tuple(sorted(a.metadata.items())))
                for a in inv.addresses
                if keep(a)
            },
            "devices": {(d.id, d.name, tuple(sorted(d.metadata.items()))) for d in inv.devices if keep(d)},
            "interfaces": {(i.id, i.name, i.mac, i.device_id) for i in inv.interfaces if keep(i)},
            "records": {(r.id, r.fqdn, r.type, r.value, r.ttl) for r in inv.records if keep(r)},
        }

    assert not_doomed(after) == not_doomed(before)  # nothing else changed, networks included
    assert after.address_map()["10.0.0.100"].id == hand_address
    assert any(r.id == hand_record and r.value == "10.0.0.100" for r in after.records)
    _all_succeeded(pipeline, doomed, neighbour)
