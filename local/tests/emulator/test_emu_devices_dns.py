"""Device Manager (devices, interfaces, links to addresses) and DNS record rules."""

from __future__ import annotations

from local.tests.helpers import Api, Net

# --------------------------------------------------------------------------- devices


def test_device_names_are_unique_case_insensitively(api: Api) -> None:
    dev = api.add("hostdev_add", hostdev_name="Web-1", hostdev_class_name="AWS-EC2")
    assert api.error("POST", "hostdev_add", hostdev_name="web-1", add_flag="new_only")["errno"] == "1004"
    assert api.add("hostdev_add", status=200, hostdev_name="WEB-1", hostdev_class_parameters="a=1") == dev
    other = api.add("hostdev_add", hostdev_name="web-2")
    assert api.error("PUT", "hostdev_add", hostdev_id=other, hostdev_name="web-1")["errno"] == "1004"
    api.edit("hostdev_add", hostdev_id=other, hostdev_name="Web-2-renamed")
    row = api.one("hostdev_info", hostdev_id=dev)
    assert row["hostdev_name"] == "Web-1" and row["hostdev_class_name"] == "AWS-EC2"
    assert row["iface_total"] == "0" and row["hostdev_ip_formated"] == ""
    assert api.one("hostdev_list", WHERE="hostdev_name='Web-2-renamed'")["hostdev_id"] == other


def test_hostdev_class_parameters_limit_is_4000_characters(api: Api) -> None:
    value = "k=" + "v" * 3998
    assert len(value) == 4000
    dev = api.add("hostdev_add", hostdev_name="big", hostdev_class_parameters=value)
    assert api.one("hostdev_info", hostdev_id=dev)["hostdev_class_parameters"] == value
    body = api.error("POST", "hostdev_add", hostdev_name="too-big", hostdev_class_parameters=value + "v")
    assert body["errno"] == "1013" and body["parameters"] == "hostdev_class_parameters"
    assert api.rows("hostdev_list", WHERE="hostdev_name='too-big'") == []
    assert (
        api.error("PUT", "hostdev_add", hostdev_id=dev, hostdev_class_parameters=value + "v")["errno"]
        == "1013"
    )


def test_interfaces_link_addresses_both_ways(api: Api, net: Net) -> None:
    a = api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.10")
    b = api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.11")
    v6 = api.add("ip6_address6_add", site_id=net.site_id, hostaddr="2001:db8::a")
    dev = api.add("hostdev_add", hostdev_name="i-0abc")
    eth0 = api.add(
        "hostiface_add",
        hostdev_id=dev,
        hostiface_name="eth0",
        hostiface_mac="02:00:00:00:00:01",
        hostiface_addr="10.0.1.10",
        site_id=net.site_id,
    )
    assert (
        api.error("POST", "hostiface_add", hostdev_name="i-0abc", hostiface_name="eth0", add_flag="new_only")[
            "errno"
        ]
        == "1004"
    )
    eth1 = api.add("hostiface_add", hostdev_name="I-0ABC", hostiface_name="eth1")
    # link from the address side
    api.edit("ip_add", ip_id=b, hostiface_id=eth1)
    api.edit("ip6_address6_add", ip6_id=v6, hostdev_id=dev, hostiface_id=eth1)
    row_a = api.one("ip_address_info", ip_id=a)
    assert (row_a["hostdev_id"], row_a["hostdev_name"], row_a["hostiface_id"], row_a["hostiface_name"]) == (
        dev,
        "i-0abc",
        eth0,
        "eth0",
    )
    row_b = api.one("ip_address_info", ip_id=b)
    assert (row_b["hostdev_id"], row_b["hostiface_id"]) == (dev, eth1)
    iface = api.one("hostiface_info", hostiface_id=eth0)
    assert iface["hostiface_ip_formated"] == "10.0.1.10 (AWS)" and iface["nb_ip"] == "1"
    assert iface["hostiface_ip_addr"] == "0a00010a&AWS;" and iface["hostiface_mac"] == "02:00:00:00:00:01"
    assert iface["hostiface_site_id"] == net.site_id and iface["hostdev_name"] == "i-0abc"
    device = api.one("hostdev_info", hostdev_id=dev)
    assert device["iface_total"] == "2" and device["iface_used"] == "2"
    assert device["hostdev_ip_formated"] == (
        "10.0.1.10 (AWS), 10.0.1.11 (AWS), 2001:0db8:0000:0000:0000:0000:0000:000a (AWS)"
    )
    assert [
        r["hostiface_name"]
        for r in api.rows("hostiface_list", WHERE=f"hostdev_id='{dev}'", ORDERBY="hostiface_name")
    ] == ["eth0", "eth1"]
    # errors: a missing address, an interface of another device, a missing device
    assert (
        api.error(
            "POST",
            "hostiface_add",
            hostdev_id=dev,
            hostiface_name="eth2",
            hostiface_addr="10.0.1.99",
            site_id=net.site_id,
        )["errno"]
        == "1003"
    )
    assert api.rows("hostiface_list", WHERE="hostiface_name='eth2'") == []  # nothing half-created
    other = api.add("hostdev_add", hostdev_name="other")
    assert api.error("PUT", "ip_add", ip_id=a, hostdev_id=other, hostiface_id=eth0)["errno"] == "1002"
    assert api.error("POST", "hostiface_add", hostdev_id=999, hostiface_name="x")["errno"] == "1003"
    assert api.error("POST", "hostiface_add", hostiface_name="x")["errno"] == "1001"
    assert (
        api.error("POST", "hostiface_add", hostdev_id=dev, hostiface_name="x", hostiface_type="tunnel")[
            "errno"
        ]
        == "1002"
    )


def test_deleting_an_interface_unlinks_its_addresses(api: Api, net: Net) -> None:
    a = api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.10")
    dev = api.add("hostdev_add", hostdev_name="d")
    eth0 = api.add(
        "hostiface_add",
        hostdev_id=dev,
        hostiface_name="eth0",
        hostiface_addr="10.0.1.10",
        site_id=net.site_id,
    )
    api.delete("hostiface_delete", hostiface_id=eth0)
    row = api.one("ip_address_info", ip_id=a)
    assert (row["hostdev_id"], row["hostiface_id"], row["hostdev_name"], row["hostiface_name"]) == (
        "0",
        "0",
        "#",
        "#",
    )
    assert api.one("hostdev_info", hostdev_id=dev)["iface_total"] == "0"
    api.delete("hostiface_delete", status=204, hostiface_id=eth0)


def test_deleting_a_device_deletes_interfaces_and_unlinks_addresses(api: Api, net: Net) -> None:
    a = api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.10")
    b = api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.11")
    dev = api.add("hostdev_add", hostdev_name="d")
    api.add(
        "hostiface_add",
        hostdev_id=dev,
        hostiface_name="eth0",
        hostiface_addr="10.0.1.10",
        site_id=net.site_id,
    )
    api.edit("ip_add", ip_id=b, hostdev_id=dev)  # linked to the device, no interface
    api.delete("hostdev_delete", hostdev_name="D")
    assert api.rows("hostiface_list") == []
    for ip_id in (a, b):
        row = api.one("ip_address_info", ip_id=ip_id)
        assert (row["hostdev_id"], row["hostiface_id"], row["hostdev_name"], row["hostiface_name"]) == (
            "0",
            "0",
            "#",
            "#",
        )
    api.delete("hostdev_delete", status=204, hostdev_id=dev)


def test_unlinking_from_the_address_side(api: Api, net: Net) -> None:
    dev = api.add("hostdev_add", hostdev_name="d")
    eth0 = api.add("hostiface_add", hostdev_id=dev, hostiface_name="eth0")
    a = api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.10", hostiface_id=eth0)
    assert api.one("ip_address_info", ip_id=a)["hostdev_id"] == dev
    api.edit("ip_add", ip_id=a, hostiface_id=0)
    row = api.one("ip_address_info", ip_id=a)
    assert (row["hostdev_id"], row["hostiface_id"]) == ("0", "0")


# --------------------------------------------------------------------------- DNS


def test_dns_servers_and_zones_lists(api: Api, dns_setup: dict[str, str]) -> None:
    server = api.one("dns_server_list", WHERE="dns_name='ns.ipamsync.local'")
    assert server["dns_id"] == dns_setup["dns_id"] and server["ip_addr"] == "0a000002"
    zone = api.one("dns_zone_list", WHERE="dnszone_name='10.in-addr.arpa'")
    assert zone["dnszone_is_reverse"] == "1" and zone["dns_name"] == "ns.ipamsync.local"
    assert zone["dnsview_name"] == "#" and zone["delayed_create_time"] == "0"
    assert api.one("dns_zone_info", dnszone_id=dns_setup["forward"])["dnszone_is_reverse"] == "0"
    assert api.get("dns_zone_count").json() == [{"total": "4"}]


def test_records_go_in_the_zone_that_owns_them(api: Api, dns_setup: dict[str, str]) -> None:
    a = api.add(
        "dns_rr_add",
        dns_name="ns.ipamsync.local",
        rr_name="Web.EC2.example.internal.",
        rr_type="a",
        value1="10.0.1.10",
    )
    row = api.one("dns_rr_info", rr_id=a)
    assert row["rr_full_name"] == "web.ec2.example.internal" and row["rr_type"] == "A"
    assert row["dnszone_name"] == "ec2.example.internal" and row["ttl"] == "3600"
    assert (
        row["value1"] == "10.0.1.10"
        and row["delayed_create_time"] == "0"
        and row["delayed_delete_time"] == "0"
    )
    deeper = api.add(
        "dns_rr_add",
        dns_id=dns_setup["dns_id"],
        rr_name="db.prod.ec2.example.internal",
        rr_type="A",
        rr_value1="10.0.1.11",
        rr_ttl=60,
    )
    row = api.one("dns_rr_info", rr_id=deeper)
    assert row["dnszone_name"] == "prod.ec2.example.internal" and row["ttl"] == "60"
    given = api.add(
        "dns_rr_add",
        dns_id=dns_setup["dns_id"],
        rr_name="db2.prod.ec2.example.internal",
        rr_type="A",
        value1="10.0.1.12",
        dnszone_name="ec2.example.internal",
    )
    assert api.one("dns_rr_info", rr_id=given)["dnszone_name"] == "ec2.example.internal"
    assert (
        api.error(
            "POST",
            "dns_rr_add",
            dns_id=dns_setup["dns_id"],
            rr_name="x.other.example",
            rr_type="A",
            value1="10.0.1.1",
        )["errno"]
        == "1012"
    )
    assert (
        api.error(
            "POST",
            "dns_rr_add",
            dns_id=dns_setup["dns_id"],
            rr_name="x.ec2.example.internal",
            rr_type="A",
            value1="10.0.1.1",
            dnszone_name="prod.ec2.example.internal",
        )["errno"]
        == "1012"
    )
    assert (
        api.error(
            "POST",
            "dns_rr_add",
            dns_name="ns.nowhere",
            rr_name="x.ec2.example.internal",
            rr_type="A",
            value1="10.0.1.1",
        )["errno"]
        == "1003"
    )
    assert (
        api.error("POST", "dns_rr_add", rr_name="x.ec2.example.internal", rr_type="A", value1="10.0.1.1")[
            "errno"
        ]
        == "1001"
    )


def test_record_types_and_values(api: Api, dns_setup: dict[str, str]) -> None:
    ns = dns_setup["dns_id"]
    aaaa = api.add(
        "dns_rr_add", dns_id=ns, rr_name="v6.ec2.example.internal", rr_type="AAAA", value1="2001:db8::a"
    )
    assert api.one("dns_rr_info", rr_id=aaaa)["value1"] == "2001:0db8:0000:0000:0000:0000:0000:000a"
    ptr = api.add(
        "dns_rr_add",
        dns_id=ns,
        rr_name="10.1.0.10.in-addr.arpa",
        rr_type="PTR",
        value1="web.ec2.example.internal.",
    )
    row = api.one("dns_rr_info", rr_id=ptr)
    assert row["dnszone_name"] == "10.in-addr.arpa" and row["value1"] == "web.ec2.example.internal"
    nibbles = ".".join(reversed("20010db800000000000000000000000a"))
    ptr6 = api.add(
        "dns_rr_add",
        dns_id=ns,
        rr_name=f"{nibbles}.ip6.arpa",
        rr_type="PTR",
        value1="v6.ec2.example.internal",
    )
    assert api.one("dns_rr_info", rr_id=ptr6)["dnszone_name"] == "8.b.d.0.1.0.0.2.ip6.arpa"
    for params in [
        {"rr_name": "bad.ec2.example.internal", "rr_type": "A", "value1": "2001:db8::1"},
        {"rr_name": "bad.ec2.example.internal", "rr_type": "AAAA", "value1": "10.0.0.1"},
        {"rr_name": "bad.ec2.example.internal", "rr_type": "BOGUS", "value1": "x"},
        {"rr_name": "1.0.0.10.in-addr.arpa", "rr_type": "A", "value1": "10.0.0.1"},
        {"rr_name": "web.ec2.example.internal", "rr_type": "PTR", "value1": "x.example"},
        {"rr_name": "ec2.example.internal", "rr_type": "A"},
    ]:
        assert api.error("POST", "dns_rr_add", dns_id=ns, **params)["errno"] in ("1001", "1002", "1012"), (
            params
        )
    cname = api.add(
        "dns_rr_add",
        dns_id=ns,
        rr_name="alias.ec2.example.internal",
        rr_type="CNAME",
        value1="web.ec2.example.internal.",
    )
    assert api.one("dns_rr_info", rr_id=cname)["value1"] == "web.ec2.example.internal"


def test_record_identity_edit_and_delete(api: Api, dns_setup: dict[str, str]) -> None:
    ns = dns_setup["dns_id"]
    rr = api.add("dns_rr_add", dns_id=ns, rr_name="web.ec2.example.internal", rr_type="A", value1="10.0.1.10")
    # round robin: same name, another value is another record
    second = api.add(
        "dns_rr_add", dns_id=ns, rr_name="web.ec2.example.internal", rr_type="A", value1="10.0.1.11"
    )
    assert second != rr
    assert (
        api.error(
            "POST",
            "dns_rr_add",
            dns_id=ns,
            rr_name="web.ec2.example.internal",
            rr_type="A",
            value1="10.0.1.10",
            add_flag="new_only",
        )["errno"]
        == "1004"
    )
    assert (
        api.add(
            "dns_rr_add",
            status=200,
            dns_id=ns,
            rr_name="web.ec2.example.internal",
            rr_type="A",
            value1="10.0.1.10",
            rr_ttl=300,
        )
        == rr
    )
    assert api.one("dns_rr_info", rr_id=rr)["ttl"] == "300"
    api.edit("dns_rr_add", rr_id=rr, value1="10.0.1.12", rr_ttl=120)
    row = api.one("dns_rr_info", rr_id=rr)
    assert row["value1"] == "10.0.1.12" and row["ttl"] == "120" and row["rr_value_ip_addr"] == "0a00010c"
    assert api.error("PUT", "dns_rr_add", rr_id=rr, rr_name="other.ec2.example.internal")["errno"] == "1010"
    assert api.error("PUT", "dns_rr_add", rr_id=9999, value1="10.0.1.1")["errno"] == "1005"
    rows = api.rows(
        "dns_rr_list", WHERE=f"rr_full_name='web.ec2.example.internal' and rr_type='A' and dns_id={ns}"
    )
    assert len(rows) == 2
    assert (
        api.error("DELETE", "dns_rr_delete", dns_id=ns, rr_name="web.ec2.example.internal", rr_type="A")[
            "errno"
        ]
        == "1002"
    )
    api.delete(
        "dns_rr_delete", dns_id=ns, rr_name="web.ec2.example.internal", rr_type="A", value1="10.0.1.11"
    )
    api.delete("dns_rr_delete", rr_id=rr)
    api.delete("dns_rr_delete", status=204, rr_id=rr)
    assert api.get("dns_rr_count").json() == [{"total": "0"}]
