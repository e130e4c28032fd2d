"""Contract: EfficientIP's official client drives the emulator exactly as it drives an appliance."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from SOLIDserverRest import SOLIDserverRest
from SOLIDserverRest import adv as sdsadv
from SOLIDserverRest.Exception import SDSEmptyError, SDSError

from ipamsync_local.emulator import EmulatorServer

TOKEN_ID, TOKEN_SECRET = "contract-token", "contract-secret"


@pytest.fixture(params=["default", "strict"])
def contract_emulator(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[EmulatorServer]:
    """The emulator with the default appliance profile, and with the strict one (``profile.py``)."""
    with EmulatorServer(
        port=0, tls=True, token_id=TOKEN_ID, token_secret=TOKEN_SECRET, seed=True, profile=request.param
    ) as server:
        assert server.cert_path is not None
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.cert_path)
        monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
        yield server


def host_of(server: EmulatorServer) -> str:
    return server.url.removeprefix("https://")


def connect(server: EmulatorServer, method: str = "native") -> sdsadv.SDS:
    sds = sdsadv.SDS(ip_address="127.0.0.1", user="ipmadmin", pwd="admin")
    sds.sds_ip = host_of(server)
    sds.set_token_creds(keyid=TOKEN_ID, keysecret=TOKEN_SECRET)
    sds.set_check_cert(True)
    sds.connect(method=method, cert_file_path=server.cert_path)
    sds.set_rate_limit(100_000, 1)  # the client's own throttle would otherwise sleep ~50 ms per call
    return sds


@pytest.fixture
def sds(contract_emulator: EmulatorServer) -> sdsadv.SDS:
    return connect(contract_emulator)


# --------------------------------------------------------------------------- low-level query()


def low_level(server: EmulatorServer, mode: str) -> SOLIDserverRest:
    client = SOLIDserverRest(host_of(server))
    if mode == "native":
        client.use_native_sds(user="ipmadmin", password="admin")
    elif mode == "basic":
        client.use_basicauth_sds(user="ipmadmin", password="admin")
    else:
        client.use_token_sds(keyid=TOKEN_ID, keysecret=TOKEN_SECRET)
    client.set_certificate_file(server.cert_path)  # verify= the emulator's CA
    client.set_rate_limit(100_000, 1)
    return client


@pytest.mark.parametrize("mode", ["native", "basic", "token"])
def test_low_level_query_in_every_auth_mode(contract_emulator: EmulatorServer, mode: str) -> None:
    client = low_level(contract_emulator, mode)
    answer = client.query("member_list", {"WHERE": "member_is_me='1'"})
    assert answer.status_code == 200
    assert answer.json()[0]["member_version"] == "8.4.0"
    created = client.query("ip_site_create", {"site_name": f"space {mode}", "site_description": "low level"})
    assert created.status_code == 201
    site_id = created.json()[0]["ret_oid"]
    updated = client.query("ip_site_update", {"site_id": site_id, "site_description": "edited"})
    assert updated.status_code == 200
    rows = client.query("ip_site_list", {"WHERE": f"site_name='space {mode}'"}).json()
    assert rows[0]["site_description"] == "edited"
    assert client.query("ip_site_info", {"site_id": site_id}).json()[0]["site_id"] == site_id
    assert client.query("ip_site_count", {"WHERE": "site_id > 0"}).json() == [{"total": "2"}]
    assert client.query("ip_site_delete", {"site_id": site_id}).status_code == 200
    assert client.query("ip_site_info", {"site_id": site_id}).status_code == 204


def strict(server: EmulatorServer) -> bool:
    return server.profile.appliance_errors


def test_low_level_client_sees_http_errors(contract_emulator: EmulatorServer) -> None:
    client = low_level(contract_emulator, "native")
    duplicate = client.query("ip_site_create", {"site_name": "AWS"})  # seeded; POST sends add_flag=new_only
    assert duplicate.status_code == 400
    if strict(contract_emulator):  # what a live appliance answers (gregocgt/SOLIDserverRest report.txt)
        assert duplicate.json() == {
            "errno": "5061",
            "errmsg": "Space name already exist",
            "severity": "error",
            "param_value": duplicate.json()["param_value"],
            "site_name": "AWS",
            "service_name": "ip_site_add",
            "category": "ip_site_add",
        }
    else:
        assert duplicate.json()["errno"] == "1004"
    bad = SOLIDserverRest(host_of(contract_emulator))
    bad.use_native_sds(user="ipmadmin", password="wrong")
    bad.set_certificate_file(contract_emulator.cert_path)
    assert bad.query("member_list", {}).status_code == 401


def test_connect_probes_the_version_in_each_mode(contract_emulator: EmulatorServer) -> None:
    for method in ("native", "basicauth", "token"):
        sds = connect(contract_emulator, method)
        assert sds.version == "8.4.0"
        assert sds.get_load()["cpu"] == 0.0
    stats = contract_emulator.admin.stats()["services"]["member_list"]
    assert stats["statuses"] == {"200": 6}


def test_client_honours_retry_after(contract_emulator: EmulatorServer, sds: sdsadv.SDS) -> None:
    contract_emulator.admin.set_faults(
        {"rules": {"ip_site_list": {"error_rates": {"429": 1.0}, "retry_after": 0}}}
    )
    with pytest.raises(SDSError):
        sds.query("ip_site_list", params={"WHERE": "site_name='AWS'"})
    assert contract_emulator.admin.stats()["services"]["ip_site_list"]["statuses"] == {"429": 3}


# --------------------------------------------------------------------------- adv module


def test_space(sds: sdsadv.SDS) -> None:
    space = sdsadv.Space(sds=sds, name="contract", class_params={"owner": "net team"})
    space.set_description("made by the official client")
    space.create()
    assert space.myid > 0
    again = sdsadv.Space(sds=sds, name="contract")
    again.refresh()
    assert again.myid == space.myid
    assert again.description == "made by the official client"
    assert again.get_class_params("owner") == "net team"
    names = [s["name"] for s in space.list_spaces()]
    assert names == ["AWS", "contract"]
    with pytest.raises(SDSError):
        sdsadv.Space(sds=sds, name="contract").create()  # already exists
    space.delete()
    with pytest.raises(SDSError):
        sdsadv.Space(sds=sds, name="contract").refresh()


def make_networks(sds: sdsadv.SDS) -> tuple[sdsadv.Space, sdsadv.Network, sdsadv.Network]:
    space = sdsadv.Space(sds=sds, name="AWS")
    space.refresh()
    block = sdsadv.Network(sds=sds, space=space, name="vpc-0abc")
    block.set_address_prefix("10.16.0.0", 16)
    block.set_is_block(True)
    block.create()
    subnet = sdsadv.Network(sds=sds, space=space, name="subnet-0abc", class_params={"aws_az": "eu-west-1a"})
    subnet.set_address_prefix("10.16.1.0", 24)
    subnet.set_parent(block)
    subnet.set_is_terminal(True)
    subnet.create()
    return space, block, subnet


def test_block_and_subnet(sds: sdsadv.SDS) -> None:
    space, block, subnet = make_networks(sds)
    assert block.is_block and not block.is_terminal
    assert subnet.is_terminal and subnet.subnet_prefix == 24
    assert subnet.params["parent_subnet_id"] == str(block.myid)
    subnets = block.get_subnet_list(terminal=1)
    assert [(s["start_hostaddr"], s["subnet_size"], s["terminal"]) for s in subnets] == [
        ("10.16.1.0", 24, True)
    ]
    found = sdsadv.Network(sds=sds, space=space, name="subnet-0abc")
    found.refresh()
    assert found.myid == subnet.myid
    assert found.get_class_params("aws_az") == "eu-west-1a"
    subnet.set_param("description", "updated")
    subnet.update()
    assert subnet.description == "updated"
    subnet.delete()
    block.delete()
    assert block.sds is None


def test_address_with_metadata(sds: sdsadv.SDS) -> None:
    space, _, _ = make_networks(sds)
    # (the client's set_name() replaces the class parameters, so the name goes to the constructor)
    ip = sdsadv.IpAddress(
        sds=sds,
        space=space,
        ipv4="10.16.1.10",
        name="web-1",
        class_params={"aws_instance_id": "i-0123456789abcdef0"},
    )
    ip.create()
    assert ip.myid > 0
    assert ip.params["subnet_start_hostaddr"] == "10.16.1.0"
    assert ip.params["parent_subnet_start_hostaddr"] == "10.16.0.0"
    assert ip.mac is None  # the emulator's EIP: placeholder is not taken for a MAC
    ip.set_mac("02:42:ac:10:01:0a")
    ip.update()
    assert ip.mac == "02:42:ac:10:01:0a"
    again = sdsadv.IpAddress(sds=sds, space=space, ipv4="10.16.1.10")
    again.refresh()
    assert again.myid == ip.myid
    assert again.get_class_params("aws_instance_id") == "i-0123456789abcdef0"
    assert again.name == "web-1"
    ip.delete()
    with pytest.raises(SDSError):
        sdsadv.IpAddress(sds=sds, space=space, ipv4="10.16.1.10").refresh()


def test_device_with_interface_linking_an_address_and_listing_by_metadata(sds: sdsadv.SDS) -> None:
    space, block, _ = make_networks(sds)
    second = sdsadv.Network(sds=sds, space=space, name="subnet-2")
    second.set_address_prefix("10.16.2.0", 24)
    second.set_parent(block)
    second.set_is_terminal(True)
    second.create()
    ip = sdsadv.IpAddress(sds=sds, space=space, ipv4="10.16.1.20")
    ip.create()
    sdsadv.IpAddress(sds=sds, space=space, ipv4="10.16.2.5").create()
    device = sdsadv.Device(sds=sds, name="i-0abc", class_params={"aws_instance_id": "i-0abc", "env": "prod"})
    device.create()
    other = sdsadv.Device(sds=sds, name="i-0def", class_params={"aws_instance_id": "i-0def", "env": "dev"})
    other.create()
    other_if = sdsadv.DeviceInterface(sds=sds, name="eth0", device=other)
    other_if.set_space(space)
    other_if.set_ipv4("10.16.2.5")
    other_if.create()
    eth0 = sdsadv.DeviceInterface(sds=sds, name="eth0", device=device)
    eth0.set_space(space)
    eth0.set_ipv4("10.16.1.20")
    eth0.set_mac("02:00:00:00:00:01")
    eth0.create()
    assert eth0.ipv4 == "10.16.1.20"
    assert eth0.params["nb_ip"] == "1"
    device.refresh()
    assert device.params["iface_total"] == "1"
    device.fetch_interfaces()
    assert device.aifs_simple == [{"if": "eth0", "id": eth0.myid}]
    ip.refresh()
    assert ip.params["ip_id"] == str(ip.myid)

    devices = sdsadv.list_devices(
        sds,
        filters=[{"type": "metadata", "name": "env", "val": "prod"}],
        metadatas=["aws_instance_id"],
        limit=0,
    )
    assert devices == [{"name": "i-0abc", "extracted_ips": ["10.16.1.20"], "aws_instance_id": "i-0abc"}]
    in_net = sdsadv.list_devices(sds, filters=[{"type": "in_subnet", "val": "10.16.1.0/24"}], limit=0)
    assert [d["name"] for d in in_net] == ["i-0abc"]
    in_space = sdsadv.list_devices(sds, filters=[{"type": "space", "val": "AWS"}], limit=0)
    assert [d["name"] for d in in_space] == ["i-0abc", "i-0def"]

    eth0.delete()
    device.delete()
    other.delete()
    with pytest.raises(SDSError):
        sdsadv.Device(sds=sds, name="i-0abc").refresh()


def test_dns_record_add_list_delete(contract_emulator: EmulatorServer, sds: sdsadv.SDS) -> None:
    server = sdsadv.DNS(sds=sds, name="ns.ipamsync.local")
    server.refresh()
    assert server.myid > 0
    zone = sdsadv.DNS_zone(sds=sds, name="ec2.example.internal")
    zone.set_dns(server)
    zone.refresh()
    assert zone.zone_type == "master"
    record = sdsadv.DNS_record(sds=sds, name="web-1.ec2.example.internal", rr_type="A")
    record.set_zone(zone)
    record.set_values(["10.16.1.10"])
    record.set_ttl(300)
    record.create()
    assert record.myid > 0 and record.ttl == 300

    found = sdsadv.DNS_record(sds=sds, name="web-1.ec2.example.internal", rr_type="A")
    found.set_zone(zone)
    found.set_values(["10.16.1.10"])
    found.refresh()
    assert int(found.myid) == record.myid
    rows = sds.query("dns_rr_list", params={"WHERE": "rr_full_name='web-1.ec2.example.internal'"})
    assert [(r["rr_type"], r["value1"], r["ttl"]) for r in rows] == [("A", "10.16.1.10", "300")]

    reverse = sdsadv.DNS_zone(sds=sds, name="16.10.in-addr.arpa")
    reverse.set_dns(server)
    with pytest.raises(SDSError):
        reverse.refresh()  # not seeded
    ptr = sdsadv.DNS_record(sds=sds, name="10.1.16.10.in-addr.arpa", rr_type="PTR")
    ptr.set_dns(server)
    ptr.values = {"1": "web-1.ec2.example.internal"}
    ptr.create(sync=False)
    assert sds.query("dns_rr_info", params={"rr_id": ptr.myid})[0]["dnszone_name"] == "10.in-addr.arpa"

    rr_id = record.myid
    record.delete()  # waits until dns_rr_info answers 204
    assert record.myid == -1
    with pytest.raises(SDSEmptyError):
        sds.query("dns_rr_info", params={"rr_id": rr_id})


# --------------------------------------------------------------------------- what appliances do


def test_error_bodies(contract_emulator: EmulatorServer, sds: sdsadv.SDS) -> None:
    """Reads answer a one-element array, writes an object, on a live appliance (report.txt): the
    low-level client hands them over as they are, the adv module raises on both."""
    client = low_level(contract_emulator, "native")
    info = client.query("ip_address_info", {})
    assert info.status_code == 400
    if strict(contract_emulator):
        assert info.json() == [{"errno": "4", "errmsg": "Missing parameter ip_id", "parameters": "ip_id"}]
        add = client.query("ip_address_create", {"site_name": "AWS"})
        assert add.json()["errno"] == "4" and add.json()["category"] == "ip_add"
    else:
        assert info.json()["errno"] == "1001"
    with pytest.raises(SDSError):
        sdsadv.Space(sds=sds, name="AWS").create()
    with pytest.raises(SDSError):
        sdsadv.IpAddress(sds=sds, space=None, ipv4="10.0.0.1").create()


def test_orphan_addresses(sds: sdsadv.SDS) -> None:
    """An address in a space without any subnet is accepted (vrtdev/solidserverrest
    tests/tdd_eip_ipadd.py: test_ipadd_new_orphan_address, test_ipadd_create_with_classparams)."""
    space = sdsadv.Space(sds=sds, name="orphans")
    space.create()
    add01 = sdsadv.IpAddress(
        sds=sds, space=space, ipv4="192.168.16.10", class_params={"key1": "ok", "key2": "12"}
    )
    add01.create()
    assert add01.params["subnet_id"] == "0" and add01.params["subnet_is_terminal"] == "0"
    add02 = sdsadv.IpAddress(sds=sds, space=space, ipv4="192.168.16.10")
    add02.refresh()
    assert str(add01) == str(add02) and add02.get_class_params("key1") == "ok"
    with pytest.raises(SDSError):
        sdsadv.IpAddress(sds=sds, space=space, ipv4="192.168.16.10").create()  # a duplicate
    add01.delete()
    space.delete()


def test_free_rows(contract_emulator: EmulatorServer, sds: sdsadv.SDS) -> None:
    """A live appliance's address list also answers free ranges (``type`` free, ``ip_id`` 0): the
    official client still finds, updates and deletes the addresses it made among them."""
    space, _, subnet = make_networks(sds)
    ip = sdsadv.IpAddress(sds=sds, space=space, ipv4="10.16.1.10", name="web-1")
    ip.create()
    ip.set_mac("02:42:ac:10:01:0a")
    ip.update()
    again = sdsadv.IpAddress(sds=sds, space=space, ipv4="10.16.1.10")
    again.refresh()
    assert again.myid == ip.myid and again.mac == "02:42:ac:10:01:0a"
    rows = sds.query("ip_address_list", params={"WHERE": f"subnet_id='{subnet.myid}'"})
    kinds = sorted((r["ip_addr"], r["type"], r["ip_id"], r["free_scope_size"]) for r in rows)
    if contract_emulator.profile.free_rows:
        assert kinds == [
            ("0a100101", "free", "0", "9"),
            ("0a10010a", "ip", str(ip.myid), "0"),
            ("0a10010b", "free", "0", "244"),
        ]
        first = next(r for r in rows if r["ip_addr"] == "0a100101")
        assert (first["free_start_ip_addr"], first["free_end_ip_addr"]) == ("0a100101", "0a100109")
    else:
        assert kinds == [("0a10010a", "ip", str(ip.myid), "0")]
    ip.delete()


def test_verification_is_really_on(
    contract_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", requests.certs.where())
    sds = sdsadv.SDS(ip_address="127.0.0.1", user="ipmadmin", pwd="admin")
    sds.sds_ip = host_of(contract_emulator)
    sds.set_check_cert(True)
    with pytest.raises(SDSError):
        sds.connect(method="native")
