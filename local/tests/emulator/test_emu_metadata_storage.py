"""Class parameters (metadata), atomicity, persistence and id stability."""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import parse_qsl

from ipamsync_local.emulator import EmulatorServer
from local.tests.helpers import Api, Net


def decoded(value: str) -> dict[str, str]:
    return dict(parse_qsl(value, keep_blank_values=True))


def test_class_parameters_are_url_encoded_merged_and_deleted(api: Api, net: Net) -> None:
    ip_id = api.add(
        "ip_add",
        site_id=net.site_id,
        hostaddr="10.0.1.10",
        ip_class_parameters="aws_instance_id=i-1&name=web server&owner=a%26b",
    )
    raw = api.one("ip_address_info", ip_id=ip_id)["ip_class_parameters"]
    assert "web%20server" in raw and "a%26b" in raw
    assert decoded(raw) == {"aws_instance_id": "i-1", "name": "web server", "owner": "a&b"}
    # an edit merges keys
    api.edit("ip_add", ip_id=ip_id, ip_class_parameters="owner=c&team=net")
    assert decoded(api.one("ip_address_info", ip_id=ip_id)["ip_class_parameters"]) == {
        "aws_instance_id": "i-1",
        "name": "web server",
        "owner": "c",
        "team": "net",
    }
    # class_parameters_to_delete removes keys
    api.edit("ip_add", ip_id=ip_id, class_parameters_to_delete="name&team&absent")
    assert decoded(api.one("ip_address_info", ip_id=ip_id)["ip_class_parameters"]) == {
        "aws_instance_id": "i-1",
        "owner": "c",
    }
    # an edit without class parameters keeps them
    api.edit("ip_add", ip_id=ip_id, name="renamed")
    assert decoded(api.one("ip_address_info", ip_id=ip_id)["ip_class_parameters"]) == {
        "aws_instance_id": "i-1",
        "owner": "c",
    }
    # TAGS follow the stored keys
    rows = api.rows("ip_address_list", TAGS="ip.owner&ip.team", WHERE="tag_ip_owner='c'")
    assert rows[0]["tag_ip_team"] == ""


def test_class_name_and_network_prefix_aliases(api: Api, net: Net) -> None:
    api.edit(
        "ip_subnet_add",
        subnet_id=net.subnet_id,
        network_class_parameters="gateway=10.0.1.1",
        subnet_class_name="AWS-SUBNET",
    )
    row = api.one("ip_block_subnet_info", subnet_id=net.subnet_id)
    assert decoded(row["subnet_class_parameters"]) == {"gateway": "10.0.1.1"}
    assert row["subnet_class_name"] == "AWS-SUBNET"
    api.edit("ip_subnet_add", subnet_id=net.subnet_id, subnet_class_parameters="az=eu-west-1a")
    assert decoded(api.one("ip_block_subnet_info", subnet_id=net.subnet_id)["subnet_class_parameters"]) == {
        "gateway": "10.0.1.1",
        "az": "eu-west-1a",
    }
    api.edit("ip6_subnet6_add", subnet6_id=net.subnet6_id, network6_class_parameters="v6=yes")
    assert decoded(
        api.one("ip6_block6_subnet6_info", subnet6_id=net.subnet6_id)["subnet6_class_parameters"]
    ) == {"v6": "yes"}


def test_address_rows_carry_parent_class_parameters(api: Api, net: Net) -> None:
    api.edit("ip_site_add", site_id=net.site_id, site_class_parameters="account=123")
    api.edit("ip_subnet_add", subnet_id=net.subnet_id, subnet_class_parameters="vpc=vpc-1")
    ip_id = api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.10")
    row = api.one("ip_address_info", ip_id=ip_id)
    assert decoded(row["site_class_parameters"]) == {"account": "123"}
    assert decoded(row["subnet_class_parameters"]) == {"vpc": "vpc-1"}
    assert row["ip_class_parameters"] == ""


def test_a_failed_request_changes_nothing(api: Api, net: Net) -> None:
    dev = api.add("hostdev_add", hostdev_name="dev", hostdev_class_parameters="k=1")
    before = api.rows("hostdev_list")
    # rename is applied before the class parameters are checked: the whole request must roll back
    body = api.error(
        "PUT",
        "hostdev_add",
        hostdev_id=dev,
        hostdev_name="renamed",
        hostdev_class_parameters="k=" + "x" * 4000,
    )
    assert body["errno"] == "1013"
    assert api.rows("hostdev_list") == before
    # the interface row is inserted before its address link fails: nothing remains
    assert (
        api.error(
            "POST",
            "hostiface_add",
            hostdev_id=dev,
            hostiface_name="eth0",
            hostiface_addr="10.0.1.77",
            site_id=net.site_id,
        )["errno"]
        == "1003"
    )
    assert api.rows("hostiface_list") == []
    # the address is inserted before its link to a missing interface fails
    assert (
        api.error("POST", "ip_add", site_id=net.site_id, hostaddr="10.0.1.5", hostiface_id=42)["errno"]
        == "1003"
    )
    assert api.rows("ip_address_list") == []


def test_ids_are_never_reused(api: Api, net: Net) -> None:
    first = api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.5")
    api.delete("ip_delete", ip_id=first)
    second = api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.5")
    assert int(second) > int(first)


def test_admin_reset_wipes_data_but_not_the_id_sequence(emulator: EmulatorServer, api: Api, net: Net) -> None:
    last = api.add("hostdev_add", hostdev_name="x")
    emulator.admin.reset()
    assert api.rows("ip_site_list") == [] and api.rows("hostdev_list") == []
    assert int(api.add("hostdev_add", hostdev_name="x")) > int(last)


def test_file_database_persists_across_restarts(tmp_path: Path) -> None:
    db = str(tmp_path / "emulator.db")
    with EmulatorServer(port=0, db=db) as first:
        api = Api(first.url)
        site = api.add("ip_site_add", site_name="AWS", site_class_parameters="k=v")
        api.add("ip_subnet_add", site_id=site, subnet_addr="10.0.0.0", subnet_prefix=16, is_terminal=0)
        api.add("ip_subnet_add", site_id=site, subnet_addr="10.0.1.0", subnet_prefix=24, is_terminal=1)
        ip_id = api.add("ip_add", site_id=site, hostaddr="10.0.1.5", ip_class_parameters="owner=me")
        api.session.close()
    with EmulatorServer(port=0, db=db) as second:
        api = Api(second.url)
        row = api.one("ip_address_list", TAGS="ip.owner", WHERE="tag_ip_owner='me'")
        assert row["ip_id"] == ip_id and row["hostaddr"] == "10.0.1.5"
        assert decoded(row["site_class_parameters"]) == {"k": "v"}
        assert int(api.add("ip_add", site_id=site, hostaddr="10.0.1.6")) > int(ip_id)
        api.session.close()


def test_concurrent_writers_are_serialized(emulator: EmulatorServer, net: Net) -> None:
    errors: list[str] = []

    def worker(n: int) -> None:
        client = Api(emulator.url)
        for i in range(10):
            response = client.call("POST", "ip_add", site_id=net.site_id, hostaddr=f"10.0.1.{n * 10 + i + 1}")
            if response.status_code != 201:
                errors.append(response.text)
        client.session.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Api(emulator.url).get("ip_address_count").json() == [{"total": "50"}]
