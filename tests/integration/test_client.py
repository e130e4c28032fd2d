"""The ipamsync SOLIDserver client against the emulator, over real HTTP on loopback."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from ipamsync.errors import (
    ConfigurationError,
    SolidServerAuthError,
    SolidServerConflict,
    SolidServerError,
    SolidServerRequestError,
    SolidServerThrottled,
    SolidServerTimeout,
    SolidServerUnavailable,
)
from ipamsync.solidserver import Credentials, Secret, SolidServer, SolidServerClient
from ipamsync.solidserver.client import RateLimiter
from ipamsync.solidserver.where import Where
from tests.helpers import PASSWORD, make_config


def test_version_probe_on_first_use(client, emu):
    assert client.version is None
    client.get("ip_site_list")
    assert client.version == "8.4.0"
    stats = emu.admin.stats()
    assert stats["services"]["member_list"]["methods"]["GET"] == 1
    client.get("ip_site_list")
    assert emu.admin.stats()["services"]["member_list"]["methods"]["GET"] == 1  # probed once per client


@pytest.mark.parametrize("mode", ["native", "basic", "token"])
def test_auth_modes(emu, mode):
    c = SolidServerClient(make_config(emu.url, auth_mode=mode))
    assert c.get("ip_site_list") == []
    c.close()


def test_bad_credentials_are_an_auth_error_without_the_password(emu, caplog):
    bad = Credentials("ipmadmin", Secret("wrong-" + PASSWORD))
    c = SolidServerClient(make_config(emu.url, credentials=bad))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SolidServerAuthError) as exc:
        c.get("ip_site_list")
    assert exc.value.status == 401
    text = f"{exc.value!s} {exc.value!r} {exc.value.to_dict()} {c!r} {c.config!r} {caplog.text}"
    assert PASSWORD not in text and "wrong-" not in text


def test_spaces_and_204(ss):
    assert ss.find_space("AWS") is None
    sid = ss.create_space("AWS", {"ipamsync_owner": "ipamsync"})
    space = ss.find_space("AWS")
    assert space.id == sid and space.metadata == {"ipamsync_owner": "ipamsync"}
    assert ss.client.count("ip_site_list", Where.eq("site_name", "nope")) == 0
    assert list(ss.client.list("ip_site_list", where=Where.eq("site_name", "nope"))) == []


def test_ipv4_block_subnet_and_addresses(ss):
    sid = ss.create_space("AWS", {})
    block = ss.create_network(
        4,
        sid,
        "10.0.0.0/16",
        name="vpc",
        terminal=False,
        parent_id=None,
        metadata={"ipamsync_owner": "o", "aws_vpc_id": "vpc-1"},
    )
    sub = ss.create_network(
        4, sid, "10.0.1.0/24", name="sub", terminal=True, parent_id=block, metadata={"ipamsync_owner": "o2"}
    )
    nets = {n.cidr: n for n in ss.find_networks(4, sid, ["10.0.0.0", "10.0.1.0", "0.0.0.0"])}
    assert set(nets) == {"10.0.0.0/16", "10.0.1.0/24"}
    assert nets["10.0.1.0/24"].parent_id == block and nets["10.0.1.0/24"].terminal
    assert not nets["10.0.0.0/16"].terminal and nets["10.0.0.0/16"].metadata["aws_vpc_id"] == "vpc-1"
    ss.update_network(4, sub, name="renamed", metadata={"aws_name": "x"}, delete_keys=["ipamsync_owner"])
    (n,) = [x for x in ss.find_networks(4, sid, ["10.0.1.0"]) if x.terminal]
    assert n.name == "renamed" and n.metadata == {"aws_name": "x"}

    dev = ss.create_device("web-1-i-1", {"ipamsync_owner": "own"})
    iface = ss.create_interface(dev, "eth0", mac="0e:00:00:00:00:01", metadata={"ipamsync_owner": "own"})
    ip = ss.create_address(
        4,
        sid,
        "10.0.1.5",
        name="web-1.example",
        mac="0e:00:00:00:00:01",
        device_id=dev,
        iface_id=iface,
        metadata={"ipamsync_owner": "own", "k": "v"},
    )
    (a,) = ss.find_addresses(4, owner_key="ipamsync_owner", owner="own")
    assert (a.id, a.address, a.name, a.mac, a.device_id, a.iface_id, a.subnet_id) == (
        ip,
        "10.0.1.5",
        "web-1.example",
        "0e:00:00:00:00:01",
        dev,
        iface,
        sub,
    )
    assert a.metadata == {"ipamsync_owner": "own", "k": "v"}
    # found by address too, in one call
    found = ss.find_addresses(
        4, owner_key="ipamsync_owner", owner="nobody", at={sid: ["10.0.1.5", "10.0.1.6"]}
    )
    assert [f.id for f in found] == [ip]
    ss.update_address(4, ip, name="new", metadata={"k": "w"}, delete_keys=[])
    (a,) = ss.find_addresses(4, owner_key="ipamsync_owner", owner="own")
    assert a.name == "new" and a.metadata["k"] == "w" and a.metadata["ipamsync_owner"] == "own"
    ss.delete_address(4, ip)
    assert ss.find_addresses(4, owner_key="ipamsync_owner", owner="own") == []


def test_ipv6_networks_and_addresses(ss):
    sid = ss.create_space("AWS", {})
    block = ss.create_network(
        6, sid, "2600:1f18:4a3:6900::/56", name="v6", terminal=False, parent_id=None, metadata={}
    )
    sub = ss.create_network(
        6,
        sid,
        "2600:1f18:4a3:6901::/64",
        name="v6a",
        terminal=True,
        parent_id=block,
        metadata={"ipamsync_owner": "o"},
    )
    nets = ss.find_networks(6, sid, ["2600:1f18:4a3:6900::", "2600:1f18:4a3:6901::"])
    assert {n.cidr for n in nets} == {"2600:1f18:4a3:6900::/56", "2600:1f18:4a3:6901::/64"}
    ip = ss.create_address(
        6,
        sid,
        "2600:1f18:4a3:6901:8c3e:1b2a:77d4:a001",
        name="api",
        mac="0e:00:00:00:00:02",
        device_id=None,
        iface_id=None,
        metadata={"ipamsync_owner": "own6"},
    )
    (a,) = ss.find_addresses(6, owner_key="ipamsync_owner", owner="own6")
    assert a.id == ip and a.address == "2600:1f18:4a3:6901:8c3e:1b2a:77d4:a001" and a.subnet_id == sub
    assert a.mac == "0e:00:00:00:00:02" and a.name == "api"
    ss.delete_address(6, ip)
    assert ss.find_addresses(6, owner_key="ipamsync_owner", owner="own6") == []


def test_devices_interfaces_links_and_delete(ss):
    sid = ss.create_space("AWS", {})
    blk = ss.create_network(4, sid, "10.1.0.0/16", name="b", terminal=False, parent_id=None, metadata={})
    ss.create_network(4, sid, "10.1.2.0/24", name="s", terminal=True, parent_id=blk, metadata={})
    dev = ss.create_device("db-1-i-2", {"ipamsync_owner": "o", "aws_state": "running"})
    (d,) = ss.find_devices("ipamsync_owner", "o")
    assert d.id == dev and d.name == "db-1-i-2" and d.metadata["aws_state"] == "running"
    ss.update_device(dev, name="db-2-i-2", metadata={"aws_state": "stopped"}, delete_keys=[])
    (d,) = ss.find_devices("ipamsync_owner", "o")
    assert d.name == "db-2-i-2" and d.metadata == {"ipamsync_owner": "o", "aws_state": "stopped"}
    i0 = ss.create_interface(dev, "eth0", mac="0e:00:00:00:00:0a", metadata={"aws_eni_id": "eni-1"})
    i1 = ss.create_interface(dev, "eth1", mac="0e:00:00:00:00:0b", metadata={"aws_eni_id": "eni-2"})
    assert [i.id for i in ss.list_interfaces(dev)] == [i0, i1]
    ss.update_interface(i1, dev, name="eth2", mac=None, metadata={"aws_device_index": "2"})
    assert ss.list_interfaces(dev)[1].name == "eth2"
    ip = ss.create_address(
        4, sid, "10.1.2.9", name="db", mac="", device_id=dev, iface_id=i0, metadata={"x": "1"}
    )
    ss.delete_interface(i1)
    assert [i.id for i in ss.list_interfaces(dev)] == [i0]
    ss.delete_device(dev)
    assert ss.find_devices("ipamsync_owner", "o") == []
    (a,) = ss.find_addresses(4, owner_key="x", owner="1")
    assert a.id == ip and a.device_id is None and a.iface_id is None  # unlinked, not deleted


def test_dns_server_zones_and_records(ss, emu):
    emu.admin.add_dns_server("ns.test")
    emu.admin.add_dns_zone("ns.test", "example.internal")
    emu.admin.add_dns_zone("ns.test", "10.in-addr.arpa", reverse=True)
    assert ss.find_dns_server("ns.test") and ss.find_dns_server("nope") is None
    zones = {z.name: z for z in ss.list_zones("ns.test")}
    assert set(zones) == {"example.internal", "10.in-addr.arpa"} and zones["10.in-addr.arpa"].reverse
    meta = {"ipamsync_owner": "o"}
    a = ss.create_record(
        "ns.test", zones["example.internal"], "web.example.internal", "A", "10.0.0.5", ttl=60, metadata=meta
    )
    p = ss.create_record(
        "ns.test",
        zones["10.in-addr.arpa"],
        "5.0.0.10.in-addr.arpa",
        "PTR",
        "web.example.internal",
        ttl=60,
        metadata=meta,
    )
    recs = {r.type: r for r in ss.find_records("ns.test", owner_key="ipamsync_owner", owner="o", names={})}
    assert recs["A"].id == a and recs["A"].value == "10.0.0.5" and recs["A"].ttl == 60
    assert recs["PTR"].id == p and recs["PTR"].value == "web.example.internal"
    by_name = ss.find_records(
        "ns.test", owner_key="ipamsync_owner", owner="x", names={"web.example.internal": ["A", "AAAA"]}
    )
    assert [r.id for r in by_name] == [a]
    ss.update_record(recs["A"], ttl=120, metadata={"k": "v"})
    (r,) = ss.find_records("ns.test", owner_key="k", owner="v", names={})
    assert r.ttl == 120
    ss.delete_record(a)
    ss.delete_record(p)
    assert ss.find_records("ns.test", owner_key="ipamsync_owner", owner="o", names={}) == []


def test_paging_across_several_pages(emu):
    c = SolidServerClient(make_config(emu.url, page_size=3))
    ss = SolidServer(c)
    ids = [ss.create_device(f"dev-{i:02d}", {"ipamsync_owner": "pg"}) for i in range(10)]
    emu.admin.reset_stats()
    assert [d.id for d in ss.find_devices("ipamsync_owner", "pg")] == ids
    assert emu.admin.stats()["services"]["hostdev_list"]["methods"]["GET"] == 4  # 3+3+3+1
    assert [d.id for d in ss.list_devices(where=None, limit=5)] == ids[:5]


TRICKY = [
    "it's",
    "50%",
    "100%_done",
    "back\\slash",
    " or 1=1",
    "x' or '1'='1",
    "a' --",
    "ünïcødé ✓",
    "%",
    "_",
    "'",
    "z" * 240,
]


def test_where_escaping_matches_values_literally(ss):
    ids = {}
    for i, value in enumerate(TRICKY):
        ids[value] = ss.create_device(f"tricky-{i}", {"ipamsync_owner": value})
    ss.create_device("bystander", {"ipamsync_owner": "plain"})
    for value, dev_id in ids.items():
        assert [d.id for d in ss.find_devices("ipamsync_owner", value)] == [dev_id], value
    assert [d.name for d in ss.list_devices(where=Where.startswith("hostdev_name", "tricky-1"))] == [
        "tricky-1",
        "tricky-10",
        "tricky-11",
    ]
    assert ss.list_devices(where=Where.startswith("hostdev_name", "%")) == []  # a literal %, not a wildcard


def test_request_errors(ss):
    sid = ss.create_space("AWS", {})
    with pytest.raises(SolidServerConflict):
        ss.create_space("AWS", {})
    with pytest.raises(SolidServerRequestError) as exc:
        ss.create_address(
            4, sid, "192.0.2.1", name="x", mac="not-a-mac", device_id=None, iface_id=None, metadata={}
        )
    assert exc.value.status == 400 and exc.value.errmsg and exc.value.service == "ip_add"
    with pytest.raises(SolidServerRequestError):
        ss.client.get("ip_block_subnet_list", {"WHERE": "no_such_column='1'"})


@pytest.mark.parametrize(("status", "error"), [(500, SolidServerUnavailable), (503, SolidServerUnavailable)])
def test_server_errors_are_transient(ss, emu, status, error):
    ss.client.get("ip_site_list")  # probe first
    emu.admin.set_faults({"rules": {"ip_site_list": {"error_rates": {str(status): 1.0}}}})
    with pytest.raises(error) as exc:
        ss.client.get("ip_site_list")
    assert exc.value.status == status and exc.value.retryable


def test_429_honours_retry_after_then_gives_up(emu):
    slept = []
    c = SolidServerClient(make_config(emu.url, max_throttle_wait=2.0), sleep=slept.append)
    c.get("ip_site_list")
    emu.admin.set_faults({"rules": {"ip_site_list": {"error_rates": {"429": 1.0}, "retry_after": 1}}})
    with pytest.raises(SolidServerThrottled) as exc:
        c.get("ip_site_list")
    assert exc.value.retry_after == 1.0 and slept == [1.0, 1.0]  # waited as told, bounded attempts
    emu.admin.set_faults({"rules": {"ip_site_list": {"error_rates": {"429": 1.0}, "retry_after": 30}}})
    slept.clear()
    with pytest.raises(SolidServerThrottled):
        c.get("ip_site_list")
    assert slept == []  # longer than the client waits itself: the state machine backs off instead


def test_timeouts_drops_and_outage(emu):
    c = SolidServerClient(make_config(emu.url, read_timeout=0.3))
    c.get("ip_site_list")
    emu.admin.set_faults({"rules": {"*": {"latency_ms": 1500}}})
    with pytest.raises(SolidServerTimeout):
        c.get("ip_site_list")
    emu.admin.set_faults({"rules": {"*": {"drop_rate": 1.0}}})
    with pytest.raises(SolidServerUnavailable):
        c.get("ip_site_list")
    emu.admin.clear_faults()
    emu.admin.outage(True)
    with pytest.raises(SolidServerUnavailable):
        c.get("ip_site_list")
    emu.admin.outage(False)
    assert c.get("ip_site_list") == []


def test_secrets_never_logged_or_in_errors(emu, caplog):
    caplog.set_level(logging.DEBUG)
    c = SolidServerClient(make_config(emu.url))
    SolidServer(c).create_space("S", {})
    emu.admin.set_faults({"rules": {"*": {"error_rates": {"500": 1.0}}}})
    with pytest.raises(SolidServerError) as exc:
        c.get("ip_site_list")
    blob = " ".join([caplog.text, str(exc.value), repr(exc.value), str(exc.value.to_dict()), repr(c.config)])
    assert PASSWORD not in blob and "tok-s3cr3t-value" not in blob
    assert "Secret('***')" in repr(c.config)


def test_tls_verification_is_on_by_default(tmp_path):
    from ipamsync_local.emulator import EmulatorServer

    with EmulatorServer(port=0, db=":memory:", password=PASSWORD, tls=True) as server:
        unverified = SolidServerClient(make_config(server.url))
        with pytest.raises(ConfigurationError):
            unverified.get("ip_site_list")
        ok = SolidServerClient(make_config(server.url, ca_bundle=server.cert_path))
        assert ok.get("ip_site_list") == []
        insecure = SolidServerClient(make_config(server.url, verify_tls=False))
        assert insecure.get("ip_site_list") == []


def test_rate_limiter_bounds_requests():
    now = [0.0]
    slept = []

    def sleep(s):
        slept.append(s)
        now[0] += s

    limiter = RateLimiter(rate=5, burst=2, clock=lambda: now[0], sleep=sleep)
    for _ in range(12):
        limiter.acquire()
    # 2 from the burst, then 10 at 5/s = 2 s of waiting
    assert abs(sum(slept) - 2.0) < 1e-6


def test_calls_end_before_the_invocation_deadline(emu):
    import time

    from ipamsync.solidserver.client import DEADLINE

    c = SolidServerClient(make_config(emu.url, read_timeout=10.0))
    c.get("ip_site_list")
    emu.admin.reset_stats()
    token = DEADLINE.set(time.monotonic() + 2.0)  # 2 s left: less than the margin + 1 s
    try:
        with pytest.raises(SolidServerTimeout):
            c.get("ip_site_list")
        assert emu.admin.stats()["totals"]["total"] == 0  # refused before sending anything
    finally:
        DEADLINE.reset(token)
    emu.admin.set_faults({"rules": {"*": {"latency_ms": 8000}}})
    sent: list[Any] = []
    request = c._session.request

    def spy(*args: Any, **kwargs: Any) -> Any:
        sent.append(kwargs["timeout"])
        return request(*args, **kwargs)

    c._session.request = spy  # type: ignore[method-assign]
    token = DEADLINE.set(time.monotonic() + 5.0)  # read timeout cut from 10 s to at most 3.5 s
    try:
        with pytest.raises(SolidServerTimeout):
            c.get("ip_site_list")
    finally:
        DEADLINE.reset(token)
    # what the client asked for, not how long this machine took: every attempt's timeouts were cut
    # to end before the deadline's margin
    assert sent and all(connect <= 3.5 and read <= 3.5 for connect, read in sent)
