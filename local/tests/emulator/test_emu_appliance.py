"""The appliance profile (``profile.py``): every behaviour public evidence shows to vary between
appliances, one setting each, switched at run time through ``/_emulator/profile``."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl

import pytest
import requests

from ipamsync_local.emulator import EmulatorAdminError, EmulatorServer
from ipamsync_local.emulator.profile import PROFILES, Appliance, resolve
from local.tests.helpers import Api, Net


def decoded(text: str) -> dict[str, str]:
    return dict(parse_qsl(text, keep_blank_values=True))


def test_profiles_are_named_and_settings_checked(emulator: EmulatorServer) -> None:
    admin = emulator.admin
    assert set(admin.profile()["profiles"]) == {"default", "strict", "sds7"}
    assert admin.profile()["settings"] == Appliance().to_json()
    strict = admin.set_profile("strict")["settings"]
    assert strict["class_parameters"] == "replace" and strict["free_rows"] is True
    assert admin.change_profile(free_rows=False)["settings"]["free_rows"] is False
    assert admin.profile()["settings"]["class_parameters"] == "replace"  # PATCH kept the rest
    for bad in ({"class_parameters": "both"}, {"nope": 1}, {"version": "eight"}, {"free_rows": "yes"}):
        with pytest.raises(EmulatorAdminError):
            admin.change_profile(**bad)
    with pytest.raises(ValueError):
        resolve("no-such-profile")
    assert resolve("strict", {"version": "8.0"}).version == "8.0" and PROFILES["sds7"].version == "7.3.0"


def test_the_version_is_the_profiles(emulator: EmulatorServer, api: Api) -> None:
    assert api.one("member_list", WHERE="member_is_me='1'")["member_version"] == "8.4.0"
    emulator.admin.set_profile("sds7")
    assert api.one("member_list", WHERE="member_is_me='1'")["member_version"] == "7.3.0"


# --------------------------------------------------------------------------- class parameters


def test_edits_merge_or_replace_class_parameters(emulator: EmulatorServer, api: Api, net: Net) -> None:
    ip_id = api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.5", ip_class_parameters="a=1&b=2")

    def params() -> dict[str, str]:
        return decoded(api.one("ip_address_info", ip_id=ip_id)["ip_class_parameters"])

    api.edit("ip_add", ip_id=ip_id, ip_class_parameters="c=3")
    assert params() == {"a": "1", "b": "2", "c": "3"}  # merge (default)
    emulator.admin.change_profile(class_parameters="replace")
    api.edit("ip_add", ip_id=ip_id, ip_class_parameters="a=9&d=4", class_parameters_to_delete="d")
    assert params() == {"a": "9"}  # the keys sent are the set; deletions still apply
    api.edit("ip_add", ip_id=ip_id, name="renamed", keep_class_parameters="1")
    assert params() == {"a": "9"}  # keep_class_parameters=1: untouched
    api.edit("ip_add", ip_id=ip_id, keep_class_parameters="1", class_parameters_to_delete="a")
    assert params() == {}
    api.edit("ip_add", ip_id=ip_id, ip_class_parameters="x=1")
    api.edit("ip_add", ip_id=ip_id, name="again")
    assert params() == {}  # an edit without them (and without keep) clears them
    # a create is never affected
    dev = api.add("hostdev_add", hostdev_name="d1", hostdev_class_parameters="k=v")
    assert decoded(api.one("hostdev_info", hostdev_id=dev)["hostdev_class_parameters"]) == {"k": "v"}


# --------------------------------------------------------------------------- free rows


def test_address_lists_answer_free_ranges(emulator: EmulatorServer, api: Api, net: Net) -> None:
    used = api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.5", name="five")
    api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.6", name="six")
    assert {r["type"] for r in api.rows("ip_address_list", WHERE=f"subnet_id='{net.subnet_id}'")} == {"ip"}
    emulator.admin.change_profile(free_rows=True)
    rows = api.rows("ip_address_list", WHERE=f"subnet_id='{net.subnet_id}'")
    free = [r for r in rows if r["type"] == "free"]
    assert [
        (r["hostaddr"], r["free_start_ip_addr"], r["free_end_ip_addr"], r["free_scope_size"]) for r in free
    ] == [
        ("10.0.1.1", "0a000101", "0a000104", "4"),  # .0 is the locked network address
        ("10.0.1.7", "0a000107", "0a0001fe", "248"),  # up to .254 (.255: broadcast)
    ]
    assert {r["ip_id"] for r in free} == {"0"} and {r["name"] for r in free} == {""}
    assert {r["subnet_id"] for r in free} == {net.subnet_id}
    assert [r["ip_id"] for r in rows if r["type"] == "ip"] == [used, str(int(used) + 1)]
    # a query for a free address finds the free range starting there
    assert (
        api.one("ip_address_list", WHERE=f"site_id='{net.site_id}' and ip_addr='0a000107'")["type"] == "free"
    )
    # tag columns of a free row are empty; the rows page like any other
    tagged = api.rows("ip_address_list", TAGS="ip.k", limit=1, offset=1)
    assert len(tagged) == 1 and "tag_ip_k" in tagged[0]
    api.add("ip6_address6_add", site_id=net.site_id, hostaddr="2001:db8::10")
    six = [r for r in api.rows("ip6_address6_list") if r["type"] == "free"]
    assert [(r["hostaddr"], r["free_scope_size"]) for r in six] == [
        ("2001:0db8:0000:0000:0000:0000:0000:0000", "16"),
        ("2001:0db8:0000:0000:0000:0000:0000:0011", str(2**64 - 17)),
    ]
    assert {r["ip6_id"] for r in six} == {"0"} and six[1][
        "free_end_ip6_addr"
    ] == "20010db800000000ffffffffffffffff"


# --------------------------------------------------------------------------- DNS


def _dns(emulator: EmulatorServer) -> None:
    emulator.admin.add_dns_server("ns.test")
    emulator.admin.add_dns_zone("ns.test", "zone.test")
    emulator.admin.add_dns_zone("ns.test", "10.in-addr.arpa", reverse=True)


def test_a_deleted_record_stays_listed_until_the_dns_server_applies_it(
    emulator: EmulatorServer, api: Api
) -> None:
    _dns(emulator)
    emulator.admin.change_profile(delayed_delete_seconds=3600)
    rr = api.add("dns_rr_add", dns_name="ns.test", rr_name="a.zone.test", rr_type="A", value1="10.0.0.1")
    assert api.one("dns_rr_info", rr_id=rr)["delayed_delete_time"] == "0"
    api.delete("dns_rr_delete", rr_id=rr)
    row = api.one("dns_rr_list", WHERE="rr_full_name='a.zone.test'")
    assert row["rr_id"] == rr and row["delayed_delete_time"] == "1"
    assert api.one("dns_rr_info", rr_id=rr)["delayed_delete_time"] == "1"
    # it does not exist any more for writes: deleting it again, editing it, or adding it anew
    api.delete("dns_rr_delete", status=204, rr_id=rr)
    assert api.error("PUT", "dns_rr_add", rr_id=rr, rr_ttl=60)["errno"] == "1005"
    again = api.add("dns_rr_add", dns_name="ns.test", rr_name="a.zone.test", rr_type="A", value1="10.0.0.1")
    assert again != rr and len(api.rows("dns_rr_list", WHERE="rr_full_name='a.zone.test'")) == 2
    assert emulator.admin.apply_dns_deletions() == 1
    assert [r["rr_id"] for r in api.rows("dns_rr_list", WHERE="rr_full_name='a.zone.test'")] == [again]
    assert api.get("dns_rr_info", rr_id=rr).status_code == 204
    # with a short delay, the deletion is applied by the time it is due
    emulator.admin.change_profile(delayed_delete_seconds=0.05)
    api.delete("dns_rr_delete", rr_id=again)
    time.sleep(0.1)
    assert api.rows("dns_rr_list", WHERE="rr_full_name='a.zone.test'") == []


def test_record_ids_change_on_edit_and_on_renumber(emulator: EmulatorServer, api: Api) -> None:
    _dns(emulator)
    emulator.admin.change_profile(rr_ids_change=True)
    rr = api.add(
        "dns_rr_add",
        dns_name="ns.test",
        rr_name="b.zone.test",
        rr_type="A",
        value1="10.0.0.2",
        rr_class_parameters="k=v",
    )
    new = api.edit("dns_rr_add", rr_id=rr, rr_ttl=60)
    assert new != rr and api.get("dns_rr_info", rr_id=rr).status_code == 204
    row = api.one("dns_rr_info", rr_id=new)
    assert row["ttl"] == "60" and decoded(row["rr_class_parameters"]) == {"k": "v"}
    assert api.one("dns_rr_list", TAGS="rr.k", WHERE="tag_rr_k='v'")["rr_id"] == new
    assert emulator.admin.renumber_records() == 1
    moved = api.one("dns_rr_list", WHERE="rr_full_name='b.zone.test'")["rr_id"]
    assert moved not in (rr, new)


def test_records_carry_no_class_parameters_below_8_0(emulator: EmulatorServer, api: Api) -> None:
    _dns(emulator)
    emulator.admin.set_profile("sds7")
    rr = api.add(
        "dns_rr_add",
        dns_name="ns.test",
        rr_name="c.zone.test",
        rr_type="A",
        value1="10.0.0.3",
        rr_class_parameters="owner=me",
    )
    assert api.one("dns_rr_info", rr_id=rr)["rr_class_parameters"] == ""
    assert api.error("GET", "dns_rr_list", TAGS="rr.owner")["errno"] == "1011"  # no rr tags either


def test_ipam_to_dns_replication(emulator: EmulatorServer, api: Api, net: Net) -> None:
    _dns(emulator)
    emulator.admin.add_dns_zone("ns.test", "8.b.d.0.1.0.0.2.ip6.arpa", reverse=True)
    emulator.admin.change_profile(ipam_dns_replication=True)
    ip_id = api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.20", name="host.zone.test")
    records = {
        (r["rr_full_name"], r["rr_type"], r["value1"], r["rr_class_parameters"])
        for r in api.rows("dns_rr_list")
    }
    assert records == {
        ("host.zone.test", "A", "10.0.1.20", ""),
        ("20.1.0.10.in-addr.arpa", "PTR", "host.zone.test", ""),
    }
    api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.21", name="not-a-zone.example")  # no zone: none
    api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.22", name="plain")
    assert len(api.rows("dns_rr_list")) == 2
    api.edit("ip_add", ip_id=ip_id, name="moved.zone.test")
    assert {r["rr_full_name"] for r in api.rows("dns_rr_list")} == {
        "moved.zone.test",
        "20.1.0.10.in-addr.arpa",
    }
    six = api.add("ip6_address6_add", site_id=net.site_id, hostaddr="2001:db8::20", ip6_name="six.zone.test")
    assert (
        api.one("dns_rr_list", WHERE="rr_type='AAAA'")["value1"] == "2001:0db8:0000:0000:0000:0000:0000:0020"
    )
    api.delete("ip_delete", ip_id=ip_id)
    api.delete("ip6_address6_delete", ip6_id=six)
    assert api.rows("dns_rr_list") == []
    # a record that exists already is not duplicated, nor removed with the address
    api.add("dns_rr_add", dns_name="ns.test", rr_name="own.zone.test", rr_type="A", value1="10.0.1.30")
    own = api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.30", name="own.zone.test")
    assert len(api.rows("dns_rr_list", WHERE="rr_type='A'")) == 1
    api.delete("ip_delete", ip_id=own)
    assert len(api.rows("dns_rr_list", WHERE="rr_type='A'")) == 1


# --------------------------------------------------------------------------- errors


def test_appliance_error_shapes(emulator: EmulatorServer, api: Api, net: Net) -> None:
    emulator.admin.change_profile(error_shapes="appliance")
    body = api.error("POST", "ip_site_add", site_name="AWS", add_flag="new_only")
    assert body == {
        "errno": "5061",
        "errmsg": "Space name already exist",
        "severity": "error",
        "param_value": body["param_value"],
        "site_name": "AWS",
        "service_name": "ip_site_add",
        "category": "ip_site_add",
    }
    missing = api.call("GET", "ip_address_info")
    assert missing.status_code == 400
    assert missing.json() == [{"errno": "4", "errmsg": "Missing parameter ip_id", "parameters": "ip_id"}]
    listing = api.call("GET", "ip_address_list", WHERE="no_such_column='1'")
    assert listing.status_code == 400 and isinstance(listing.json(), list) and len(listing.json()) == 1
    add = api.error("POST", "ip_add")
    assert add["errno"] == "4" and add["service_name"] == "ip_add" and add["severity"] == "error"
    _dns(emulator)
    api.add("dns_rr_add", dns_name="ns.test", rr_name="d.zone.test", rr_type="A", value1="10.0.0.4")
    dup = api.error(
        "POST",
        "dns_rr_add",
        dns_name="ns.test",
        rr_name="d.zone.test",
        rr_type="A",
        value1="10.0.0.4",
        add_flag="new_only",
    )
    assert dup["errmsg"] == "DNS rr already exists" and dup["category"] == "dns_rr_add"


def test_injected_408_and_401(emulator: EmulatorServer, api: Api) -> None:
    emulator.admin.set_faults({"rules": {"ip_site_list": {"error_rates": {"408": 1.0}}}})
    assert api.call("GET", "ip_site_list").status_code == 408
    emulator.admin.set_faults({"rules": {"ip_site_list": {"error_rates": {"401": 1.0}}}})
    answer = api.call("GET", "ip_site_list")
    assert answer.status_code == 401 and "internal exception" in answer.json()["errmsg"]


# --------------------------------------------------------------------------- tags, names


def test_missing_tag_types_are_refused_or_ignored(emulator: EmulatorServer, api: Api, net: Net) -> None:
    api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.9", ip_class_parameters="k=v")
    assert api.one("ip_address_list", TAGS="ip.k")["tag_ip_k"] == "v"
    emulator.admin.change_profile(missing_tag_types=["ip"])
    assert api.error("GET", "ip_address_list", TAGS="ip.k")["errno"] == "1011"
    assert api.one("ip_address_list", TAGS="network.k")["tag_network_k"] == ""  # others still there
    emulator.admin.change_profile(unknown_tag_types="ignore")
    row = api.one("ip_address_list", TAGS="ip.k")
    assert "tag_ip_k" not in row
    assert api.error("GET", "ip_address_list", TAGS="ip.k", WHERE="tag_ip_k='v'")["errno"] == "1011"


def test_unique_address_names(emulator: EmulatorServer, api: Api, net: Net) -> None:
    first = api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.40", name="web.zone.test")
    api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.41", name="web.zone.test")  # allowed by default
    emulator.admin.change_profile(unique_address_names=True)
    body = api.error("POST", "ip_add", site_id=net.site_id, hostaddr="10.0.1.42", name="Web.Zone.Test")
    assert body["ip_addr"] == "0a000128" and "already used" in body["errmsg"]
    six = api.error(
        "POST", "ip6_address6_add", site_id=net.site_id, hostaddr="2001:db8::42", ip6_name="web.zone.test"
    )
    assert six["ip_addr"] == "0a000128"
    other = api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.43", name="other.zone.test")
    assert api.error("PUT", "ip_add", ip_id=other, name="web.zone.test")["ip_addr"] == "0a000128"
    assert api.edit("ip_add", ip_id=first, name="web.zone.test", ip_class_parameters="x=1") == first  # itself
    assert api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.44", name="") != ""  # no name: no rule


def test_names_compare_without_letter_case(emulator: EmulatorServer, api: Api, net: Net) -> None:
    assert api.rows("ip_site_list", WHERE="site_name='aws'") == []
    api.add("ip_site_add", site_name="aws")  # a different space while names are case-sensitive
    api.delete("ip_site_delete", site_name="aws")
    emulator.admin.change_profile(case_insensitive_names=True)
    assert api.one("ip_site_list", WHERE="site_name='aws'")["site_id"] == net.site_id
    assert api.error("POST", "ip_site_add", site_name="Aws", add_flag="new_only")["errno"] == "1004"
    api.add("hostdev_add", hostdev_name="Box-1")
    assert len(api.rows("hostdev_list", WHERE="hostdev_name='box-1'")) == 1
    assert api.rows("ip_site_list", WHERE="site_description='X'") == []  # only *_name columns


def test_an_empty_link_unlinks_an_address(api: Api, net: Net) -> None:
    dev = api.add("hostdev_add", hostdev_name="dev")
    iface = api.add("hostiface_add", hostdev_id=dev, hostiface_name="eth0")
    ip_id = api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.50", hostiface_id=iface)
    row = api.one("ip_address_info", ip_id=ip_id)
    assert (row["hostdev_id"], row["hostiface_id"]) == (dev, iface)
    api.edit("ip_add", ip_id=ip_id, hostdev_id=dev, hostiface_id="")
    row = api.one("ip_address_info", ip_id=ip_id)
    assert (row["hostdev_id"], row["hostiface_id"]) == (dev, "0")
    api.edit("ip_add", ip_id=ip_id, hostdev_id="", hostiface_id="")
    row = api.one("ip_address_info", ip_id=ip_id)
    assert (row["hostdev_id"], row["hostiface_id"]) == ("0", "0")


def test_a_server_starts_with_a_profile() -> None:
    with EmulatorServer(profile="strict") as server:
        assert server.admin.profile()["settings"]["error_shapes"] == "appliance"
        answer = requests.get(f"{server.url}/rest/ip_site_info", auth=("ipmadmin", "admin"), timeout=5)
        assert answer.status_code == 400 and isinstance(answer.json(), list)


def test_orphans_stay_orphans_when_the_appliance_does_not_attach_them(
    emulator: EmulatorServer, api: Api, net: Net
) -> None:
    emulator.admin.change_profile(attach_orphans=False)
    ip_id = api.add("ip_add", site_id=net.site_id, hostaddr="10.0.3.5")
    api.add(
        "ip_subnet_add",
        site_id=net.site_id,
        subnet_addr="10.0.3.0",
        subnet_prefix=24,
        parent_subnet_id=net.block_id,
        is_terminal=1,
    )
    assert api.one("ip_address_info", ip_id=ip_id)["subnet_id"] == "0"
    assert api.add("ip_add", site_id=net.site_id, hostaddr="10.0.3.6") != ip_id  # new ones go in
    assert api.one("ip_address_list", WHERE="hostaddr='10.0.3.6'")["subnet_id"] != "0"
