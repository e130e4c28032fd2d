"""IPAM rules: spaces, IPv4/IPv6 blocks and subnets, addresses."""

from __future__ import annotations

from local.tests.helpers import Api, Net

# --------------------------------------------------------------------------- spaces


def test_space_lifecycle_and_unique_name(api: Api) -> None:
    site_id = api.add("ip_site_add", site_name="AWS", site_description="cloud")
    row = api.one("ip_site_list", WHERE="site_name='AWS'")
    assert row["site_id"] == site_id
    assert row["site_description"] == "cloud"
    assert row["parent_site_name"] == "#" and row["parent_site_id"] == "0"
    assert api.error("POST", "ip_site_add", site_name="AWS", add_flag="new_only")["errno"] == "1004"
    other = api.add("ip_site_add", site_name="Other")
    assert api.error("PUT", "ip_site_add", site_id=other, site_name="AWS")["errno"] == "1004"
    child = api.add("ip_site_add", site_name="Child", parent_site_name="AWS")
    child_row = api.one("ip_site_info", site_id=child)
    assert child_row["parent_site_name"] == "AWS" and child_row["tree_level"] == "1"
    assert api.error("DELETE", "ip_site_delete", site_id=site_id)["errno"] == "1009"  # has a child space
    api.delete("ip_site_delete", site_id=child)
    api.delete("ip_site_delete", site_name="AWS")
    assert [r["site_name"] for r in api.rows("ip_site_list")] == ["Other"]
    assert api.get("ip_site_delete", site_id=site_id).status_code == 405
    api.delete("ip_site_delete", status=204, site_id=site_id)
    api.delete("ip_site_delete", status=204, site_name="never existed")
    assert api.error("DELETE", "ip_site_delete")["errno"] == "1001"


def test_space_with_networks_cannot_be_deleted(api: Api, net: Net) -> None:
    assert api.error("DELETE", "ip_site_delete", site_id=net.site_id)["errno"] == "1009"


# --------------------------------------------------------------------------- IPv4 networks


def test_block_and_subnet_rows(api: Api, net: Net) -> None:
    block = api.one("ip_block_subnet_info", subnet_id=net.block_id)
    assert block["start_ip_addr"] == "0a000000" and block["end_ip_addr"] == "0a00ffff"
    assert block["start_hostaddr"] == "10.0.0.0" and block["end_hostaddr"] == "10.0.255.255"
    assert block["subnet_size"] == "65536" and block["subnet_level"] == "0" and block["is_terminal"] == "0"
    assert block["parent_subnet_id"] == "0" and block["subnet_name"] == "vpc-1"
    subnet = api.one("ip_block_subnet_info", subnet_id=net.subnet_id)
    assert subnet["is_terminal"] == "1" and subnet["subnet_level"] == "1"
    assert subnet["parent_subnet_id"] == net.block_id and subnet["subnet_size"] == "256"
    assert subnet["parent_subnet_name"] == "vpc-1" and subnet["site_name"] == "AWS"
    # the lookups EfficientIP's clients build
    rows = api.rows(
        "ip_block_subnet_list",
        WHERE=f"site_id='{net.site_id}' and subnet_path like '%#{net.block_id}#%' and is_terminal='1'",
    )
    assert [r["subnet_id"] for r in rows] == [net.subnet_id]
    rows = api.rows("ip_block_subnet_list", WHERE="start_hostaddr='10.0.1.0' and subnet_size=256")
    assert [r["subnet_id"] for r in rows] == [net.subnet_id]


def test_sizes_in_every_accepted_form(api: Api, net: Net) -> None:
    a = api.add("ip_subnet_add", site_id=net.site_id, subnet_addr="10.0.2.0", subnet_size=256, is_terminal=1)
    b = api.add(
        "ip_subnet_add",
        site_id=net.site_id,
        subnet_addr="10.0.3.0",
        subnet_mask="255.255.255.0",
        is_terminal=1,
    )
    c = api.add(
        "ip_subnet_add",
        site_id=net.site_id,
        subnet_addr="10.0.4.0",
        subnet_end_addr="10.0.4.127",
        is_terminal=1,
    )
    d = api.add(
        "ip_subnet_add",
        site_id=net.site_id,
        subnet_addr="10.0.5.0",
        subnet_prefix=26,
        subnet_size=64,
        is_terminal=1,
    )
    sizes = {i: api.one("ip_block_subnet_info", subnet_id=i)["subnet_size"] for i in (a, b, c, d)}
    assert sizes == {a: "256", b: "256", c: "128", d: "64"}
    for params in [
        {"subnet_addr": "10.0.6.0", "subnet_size": 100},
        {"subnet_addr": "10.0.6.0", "subnet_mask": "255.0.255.0"},
        {"subnet_addr": "10.0.6.1", "subnet_prefix": 24},
        {"subnet_addr": "10.0.6.0", "subnet_prefix": 24, "subnet_size": 128},
        {"subnet_addr": "10.0.6.0", "subnet_prefix": 33},
        {"subnet_addr": "10.0.6.300", "subnet_prefix": 24},
        {"subnet_addr": "10.0.6.0"},
    ]:
        body = api.error("POST", "ip_subnet_add", site_id=net.site_id, is_terminal=1, **params)
        assert body["errno"] in ("1001", "1002"), params


def test_subnet_placed_under_the_containing_block(api: Api, net: Net) -> None:
    subnet = api.add(
        "ip_subnet_add", site_id=net.site_id, subnet_addr="10.0.9.0", subnet_prefix=24, is_terminal=1
    )
    row = api.one("ip_block_subnet_info", subnet_id=subnet)
    assert row["parent_subnet_id"] == net.block_id and row["subnet_level"] == "1"
    body = api.error(
        "POST",
        "ip_subnet_add",
        site_id=net.site_id,
        subnet_addr="192.168.0.0",
        subnet_prefix=24,
        is_terminal=1,
    )
    assert body["errno"] == "1006"


def test_subnet_must_be_inside_its_parent(api: Api, net: Net) -> None:
    body = api.error(
        "POST",
        "ip_subnet_add",
        subnet_addr="10.1.0.0",
        subnet_prefix=24,
        parent_subnet_id=net.block_id,
        is_terminal=1,
    )
    assert body["errno"] == "1006"
    body = api.error(
        "POST",
        "ip_subnet_add",
        subnet_addr="10.0.0.0",
        subnet_prefix=15,
        parent_subnet_id=net.block_id,
        is_terminal=1,
    )
    assert body["errno"] == "1006"
    # a terminal subnet cannot be a parent
    body = api.error(
        "POST",
        "ip_subnet_add",
        subnet_addr="10.0.1.0",
        subnet_prefix=25,
        parent_subnet_id=net.subnet_id,
        is_terminal=1,
    )
    assert body["errno"] == "1006"
    assert (
        api.error(
            "POST",
            "ip_subnet_add",
            subnet_addr="10.0.7.0",
            subnet_prefix=24,
            parent_subnet_id=999,
            is_terminal=1,
        )["errno"]
        == "1003"
    )


def test_siblings_and_blocks_must_not_overlap(api: Api, net: Net) -> None:
    for addr, prefix in [("10.0.1.0", 25), ("10.0.1.128", 25), ("10.0.0.0", 23)]:
        body = api.error(
            "POST",
            "ip_subnet_add",
            site_id=net.site_id,
            subnet_addr=addr,
            subnet_prefix=prefix,
            parent_subnet_id=net.block_id,
            is_terminal=1,
        )
        assert body["errno"] == "1007", (addr, prefix)
    body = api.error(
        "POST",
        "ip_subnet_add",
        site_id=net.site_id,
        subnet_addr="10.0.128.0",
        subnet_prefix=17,
        subnet_level=0,
        is_terminal=0,
    )
    assert body["errno"] == "1007"
    # the same range in another space is fine
    other = api.add("ip_site_add", site_name="Other")
    api.add("ip_subnet_add", site_id=other, subnet_addr="10.0.0.0", subnet_prefix=16, is_terminal=0)


def test_intermediate_networks_and_levels(api: Api, net: Net) -> None:
    mid = api.add(
        "ip_subnet_add",
        subnet_addr="10.0.16.0",
        subnet_prefix=20,
        parent_subnet_id=net.block_id,
        is_terminal=0,
    )
    leaf = api.add(
        "ip_subnet_add", site_id=net.site_id, subnet_addr="10.0.17.0", subnet_prefix=24, is_terminal=1
    )
    leaf_row = api.one("ip_block_subnet_info", subnet_id=leaf)
    assert leaf_row["parent_subnet_id"] == mid and leaf_row["subnet_level"] == "2"
    assert leaf_row["subnet_path"] == f"#{net.block_id}#{mid}#"
    via_level = api.add(
        "ip_subnet_add",
        site_id=net.site_id,
        subnet_addr="10.0.18.0",
        subnet_prefix=24,
        subnet_level=2,
        is_terminal=1,
    )
    assert api.one("ip_block_subnet_info", subnet_id=via_level)["parent_subnet_id"] == mid
    assert api.error("DELETE", "ip_subnet_delete", subnet_id=mid)["errno"] == "1009"


def test_network_address_and_size_cannot_be_edited(api: Api, net: Net) -> None:
    api.edit("ip_subnet_add", subnet_id=net.subnet_id, subnet_name="renamed")
    assert api.one("ip_block_subnet_info", subnet_id=net.subnet_id)["subnet_name"] == "renamed"
    api.edit(
        "ip_subnet_add", subnet_id=net.subnet_id, subnet_addr="10.0.1.0", subnet_prefix=24, is_terminal=1
    )
    for params in [
        {"subnet_addr": "10.0.2.0"},
        {"subnet_addr": "10.0.1.0", "subnet_prefix": 25},
        {"is_terminal": 0},
    ]:
        assert api.error("PUT", "ip_subnet_add", subnet_id=net.subnet_id, **params)["errno"] == "1010"
    # new_edit on an identical network edits it instead of creating a second one
    same = api.add(
        "ip_subnet_add",
        status=200,
        site_id=net.site_id,
        subnet_addr="10.0.1.0",
        subnet_prefix=24,
        parent_subnet_id=net.block_id,
        is_terminal=1,
        subnet_name="again",
    )
    assert same == net.subnet_id
    assert api.one("ip_block_subnet_info", subnet_id=net.subnet_id)["subnet_name"] == "again"


def test_network_delete_rules(api: Api, net: Net) -> None:
    api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.5")
    assert api.error("DELETE", "ip_subnet_delete", subnet_id=net.subnet_id)["errno"] == "1009"
    assert api.error("DELETE", "ip_subnet_delete", subnet_id=net.block_id)["errno"] == "1009"
    api.delete("ip_delete", site_id=net.site_id, hostaddr="10.0.1.5")
    api.delete("ip_subnet_delete", site_id=net.site_id, subnet_addr="10.0.1.0", subnet_prefix=24)
    api.delete("ip_subnet_delete", subnet_id=net.block_id)
    api.delete("ip_subnet_delete", status=204, subnet_id=net.block_id)
    assert api.rows("ip_block_subnet_list") == []


# --------------------------------------------------------------------------- IPv4 addresses


def test_address_rows(api: Api, net: Net) -> None:
    ip_id = api.add(
        "ip_add", site_id=net.site_id, hostaddr="10.0.1.128", name="web-1", mac_addr="0A-1B-2C-3D-4E-5F"
    )
    row = api.one("ip_address_list", WHERE=f"hostaddr='10.0.1.128' and site_id='{net.site_id}'")
    assert row["ip_id"] == ip_id and row["type"] == "ip"
    assert row["ip_addr"] == "0a000180" and row["hostaddr"] == "10.0.1.128"
    assert row["name"] == "web-1" and row["mac_addr"] == "0a:1b:2c:3d:4e:5f"
    assert row["subnet_id"] == net.subnet_id and row["subnet_name"] == "subnet-a"
    assert row["subnet_start_hostaddr"] == "10.0.1.0" and row["subnet_end_hostaddr"] == "10.0.1.255"
    assert row["parent_subnet_id"] == net.block_id and row["parent_subnet_start_hostaddr"] == "10.0.0.0"
    assert row["hostdev_id"] == "0" and row["hostdev_name"] == "#"
    assert row["hostiface_id"] == "0" and row["hostiface_name"] == "#"
    assert api.one("ip_address_list", WHERE="ip_addr='0a000180'")["ip_id"] == ip_id
    # ip_addr (hex) and ip_name are accepted aliases on input
    other = api.add("ip_add", site_id=net.site_id, ip_addr="0a000181", ip_name="web-2")
    assert api.one("ip_address_info", ip_id=other)["hostaddr"] == "10.0.1.129"
    assert api.one("ip_address_info", ip_id=other)["name"] == "web-2"
    assert api.rows("ip_block_subnet_info", subnet_id=net.subnet_id)[0]["subnet_ip_used_size"] == "2"


def test_an_address_outside_every_terminal_subnet_is_an_orphan(api: Api, net: Net) -> None:
    """A live appliance accepts an address in a space without a subnet (vrtdev/solidserverrest
    ``test_ipadd_new_orphan_address``): no subnet, ``subnet_id`` "0"; a terminal subnet created
    over it later takes it in. Network and broadcast addresses of a locked subnet stay refused."""
    for host in ["10.0.1.0", "10.0.1.255"]:
        assert api.error("POST", "ip_add", site_id=net.site_id, hostaddr=host)["errno"] == "1008", host
    other = api.add("ip_site_add", site_name="Other")
    for site_id, host in ((net.site_id, "10.0.2.5"), (net.site_id, "192.168.1.1"), (other, "10.0.1.5")):
        ip_id = api.add("ip_add", site_id=site_id, hostaddr=host, name="orphan")
        row = api.one("ip_address_info", ip_id=ip_id)
        assert (row["subnet_id"], row["subnet_name"], row["subnet_is_terminal"]) == ("0", "#", "0"), host
        assert row["hostaddr"] == host and row["name"] == "orphan"
    six = api.add("ip6_address6_add", site_id=other, hostaddr="2001:db8:0:1::1")
    assert api.one("ip6_address6_info", ip6_id=six)["subnet6_id"] == "0"
    # a terminal subnet over an orphan takes it in
    subnet = api.add(
        "ip_subnet_add",
        site_id=net.site_id,
        subnet_addr="10.0.2.0",
        subnet_prefix=24,
        parent_subnet_id=net.block_id,
        is_terminal=1,
    )
    assert api.one("ip_address_list", WHERE="hostaddr='10.0.2.5'")["subnet_id"] == subnet
    assert api.error("POST", "ip_add", site_id=999, hostaddr="10.0.1.5")["errno"] == "1003"
    assert api.error("POST", "ip_add", site_name="nope", hostaddr="10.0.1.5")["errno"] == "1003"
    assert api.error("POST", "ip_add", hostaddr="10.0.1.5")["errno"] == "1001"
    assert api.error("POST", "ip_add", site_id=net.site_id, hostaddr="10.0.1.999")["errno"] == "1002"
    assert (
        api.error("POST", "ip_add", site_id=net.site_id, hostaddr="10.0.1.9", mac_addr="zz")["errno"]
        == "1002"
    )


def test_no_duplicate_address_and_new_edit_edits(api: Api, net: Net) -> None:
    ip_id = api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.7", name="first")
    body = api.error(
        "POST", "ip_add", site_id=net.site_id, hostaddr="10.0.1.7", name="dup", add_flag="new_only"
    )
    assert body["errno"] == "1004"
    assert api.add("ip_add", status=200, site_id=net.site_id, hostaddr="10.0.1.7", name="second") == ip_id
    assert api.one("ip_address_info", ip_id=ip_id)["name"] == "second"
    assert api.edit("ip_add", ip_id=ip_id, name="third", add_flag="edit_only") == ip_id
    assert api.one("ip_address_info", ip_id=ip_id)["name"] == "third"
    assert api.get("ip_address_count").json() == [{"total": "1"}]
    assert api.error("PUT", "ip_add", ip_id=ip_id, hostaddr="10.0.1.8")["errno"] == "1010"
    assert api.error("PUT", "ip_add", ip_id=9999, name="x")["errno"] == "1005"


def test_address_delete_by_id_or_address(api: Api, net: Net) -> None:
    a = api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.20")
    api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.21")
    api.delete("ip_delete", ip_id=a)
    api.delete("ip_delete", site_name="AWS", hostaddr="10.0.1.21")
    assert api.rows("ip_address_list") == []
    assert api.error("DELETE", "ip_delete")["errno"] == "1001"


# --------------------------------------------------------------------------- IPv6


# Over 80 lines: one walk through an IPv6 block, subnet and its addresses in which each call reads
# or edits what the one before made (the IPv4 counterparts are short tests on shared fixtures).
def test_ipv6_networks_and_addresses(api: Api, net: Net) -> None:
    block = api.one("ip6_block6_subnet6_info", subnet6_id=net.block6_id)
    assert block["start_ip6_addr"] == "20010db8000000000000000000000000"
    assert block["start_hostaddr"] == "2001:0db8:0000:0000:0000:0000:0000:0000"
    assert block["subnet6_prefix"] == "56" and block["subnet_size"] == str(2**72)
    subnet = api.one("ip6_block6_subnet6_info", subnet6_id=net.subnet6_id)
    assert subnet["parent_subnet6_id"] == net.block6_id and subnet["is_terminal"] == "1"
    assert subnet["end_hostaddr"] == "2001:0db8:0000:0000:ffff:ffff:ffff:ffff"

    ip6 = api.add(
        "ip6_address6_add",
        site_id=net.site_id,
        hostaddr="2001:DB8::1",
        ip6_name="web-v6",
        ip6_mac_addr="0a:1b:2c:3d:4e:5f",
    )
    row = api.one("ip6_address6_list", WHERE="hostaddr='2001:0db8:0000:0000:0000:0000:0000:0001'")
    assert row["ip6_id"] == ip6 and row["ip6_addr"] == "20010db8000000000000000000000001"
    assert row["ip6_name"] == "web-v6" and row["subnet6_id"] == net.subnet6_id
    assert row["subnet6_prefix"] == "64" and row["subnet_size"] == str(2**64)
    # any textual form is the same address
    assert (
        api.add(
            "ip6_address6_add",
            status=200,
            site_id=net.site_id,
            hostaddr="2001:0db8:0:0::0001",
            ip6_name="renamed",
        )
        == ip6
    )
    assert (
        api.error(
            "POST", "ip6_address6_add", site_id=net.site_id, hostaddr="2001:db8::1", add_flag="new_only"
        )["errno"]
        == "1004"
    )
    orphan6 = api.add("ip6_address6_add", site_id=net.site_id, hostaddr="2001:db8:0:1::1")
    assert api.one("ip6_address6_info", ip6_id=orphan6)["subnet6_id"] == "0"
    api.delete("ip6_address6_delete", ip6_id=orphan6)
    assert api.error("POST", "ip6_address6_add", site_id=net.site_id, hostaddr="10.0.1.5")["errno"] == "1002"
    # placement, containment and overlap rules apply to IPv6 too
    placed = api.add(
        "ip6_subnet6_add",
        site_id=net.site_id,
        subnet6_addr="2001:db8:0:1::",
        subnet6_prefix=64,
        is_terminal=1,
    )
    assert api.one("ip6_block6_subnet6_info", subnet6_id=placed)["parent_subnet6_id"] == net.block6_id
    assert (
        api.error(
            "POST",
            "ip6_subnet6_add",
            site_id=net.site_id,
            subnet6_addr="2001:db8:0:1::",
            subnet6_prefix=65,
            parent_subnet6_id=net.block6_id,
            is_terminal=1,
        )["errno"]
        == "1007"
    )
    assert (
        api.error(
            "POST",
            "ip6_subnet6_add",
            site_id=net.site_id,
            subnet6_addr="2001:db9::",
            subnet6_prefix=64,
            is_terminal=1,
        )["errno"]
        == "1006"
    )
    assert (
        api.error(
            "PUT",
            "ip6_subnet6_add",
            subnet6_id=net.subnet6_id,
            subnet6_addr="2001:db8:0:2::",
            subnet6_prefix=64,
        )["errno"]
        == "1010"
    )
    assert api.error("DELETE", "ip6_subnet6_delete", subnet6_id=net.subnet6_id)["errno"] == "1009"
    api.delete("ip6_address6_delete", ip6_id=ip6)
    api.delete("ip6_subnet6_delete", subnet6_id=net.subnet6_id)
    assert api.get("ip6_address6_count").json() == [{"total": "0"}]
