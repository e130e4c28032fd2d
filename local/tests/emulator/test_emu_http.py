"""Transport behaviour: status codes, bodies, verbs, keep-alive, parameters in the query string."""

from __future__ import annotations

import http.client
import json

import requests

from ipamsync_local.emulator import EmulatorServer
from ipamsync_local.emulator.columns import (
    ADDRESS,
    ADDRESS6,
    DNS_RR,
    HOSTDEV,
    HOSTIFACE,
    SITE,
    SUBNET,
    SUBNET6,
)
from ipamsync_local.emulator.services import SERVICES
from local.tests.helpers import Api, Net

ERROR_KEYS = {"errno", "errmsg", "severity", "parameters", "param_format", "param_value"}


def assert_error_object(body: dict[str, str]) -> None:
    assert isinstance(body, dict)
    assert set(body) >= ERROR_KEYS
    assert all(isinstance(v, str) for v in body.values())
    assert body["errno"].isdigit() and body["errno"] != "0"


def test_member_list_version_probe(api: Api) -> None:
    row = api.one("member_list", WHERE="member_is_me='1'")
    assert row["member_version"] == "8.4.0"
    assert row["member_is_me"] == "1"
    assert api.one("member_list", WHERE="member_is_me=1")["member_version"] == "8.4.0"
    assert api.rows("member_list", WHERE="member_is_me='0'") == []


def test_create_answers_201_with_ret_oid_and_edit_200(api: Api) -> None:
    response = api.call("POST", "ip_site_add", site_name="S1")
    assert response.status_code == 201
    assert response.json() == [{"ret_oid": "1"}]
    response = api.call("PUT", "ip_site_add", site_id="1", site_description="edited")
    assert response.status_code == 200
    assert response.json() == [{"ret_oid": "1"}]
    assert api.one("ip_site_info", site_id=1)["site_description"] == "edited"


def test_no_rows_is_204_with_empty_body(api: Api, net: Net) -> None:
    for service, params in [
        ("ip_address_list", {"WHERE": "hostaddr='10.9.9.9'"}),
        ("ip_address_info", {"ip_id": "999"}),
        ("hostdev_list", {}),
        ("dns_rr_list", {}),
    ]:
        response = api.get(service, **params)
        assert response.status_code == 204, service
        assert response.content == b""


def test_delete_answers_200_with_ret_oid_then_204(api: Api, net: Net) -> None:
    ip_id = api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.10")
    response = api.delete("ip_delete", ip_id=ip_id)
    assert response.json() == [{"ret_oid": ip_id}]
    assert api.delete("ip_delete", status=204, ip_id=ip_id).content == b""


def test_count_answers_total(api: Api, net: Net) -> None:
    for host in ("10.0.1.10", "10.0.1.11", "10.0.1.12"):
        api.add("ip_add", site_id=net.site_id, hostaddr=host)
    assert api.get("ip_address_count").json() == [{"total": "3"}]
    assert api.get(
        "ip_address_count", WHERE="hostaddr like '10.0.1.1_' and hostaddr != '10.0.1.12'"
    ).json() == [{"total": "2"}]
    assert api.get("ip_block_subnet_count", WHERE="is_terminal='1'").json() == [{"total": "1"}]


def test_info_is_a_one_element_array_equal_to_the_list_row(api: Api, net: Net) -> None:
    ip_id = api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.10", name="web")
    info = api.rows("ip_address_info", ip_id=ip_id)
    assert len(info) == 1
    assert info == api.rows("ip_address_list", WHERE=f"ip_id={ip_id}")


def test_every_documented_column_is_returned_and_every_value_is_a_string(
    api: Api, net: Net, dns_setup: dict[str, str]
) -> None:
    api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.10")
    api.add("ip6_address6_add", site_id=net.site_id, hostaddr="2001:db8::10")
    dev = api.add("hostdev_add", hostdev_name="dev")
    api.add("hostiface_add", hostdev_id=dev, hostiface_name="eth0")
    api.add(
        "dns_rr_add",
        dns_id=dns_setup["dns_id"],
        rr_name="a.ec2.example.internal",
        rr_type="A",
        value1="10.0.1.10",
    )
    for service, columns in [
        ("ip_site_list", SITE),
        ("ip_block_subnet_list", SUBNET),
        ("ip6_block6_subnet6_list", SUBNET6),
        ("ip_address_list", ADDRESS),
        ("ip6_address6_list", ADDRESS6),
        ("hostdev_list", HOSTDEV),
        ("hostiface_list", HOSTIFACE),
        ("dns_rr_list", DNS_RR),
    ]:
        for row in api.rows(service):
            assert set(columns) <= set(row), service
            assert all(isinstance(value, str) for value in row.values()), service


def test_every_registered_service_answers_its_verbs(api: Api, net: Net) -> None:
    for name, service in SERVICES.items():
        method = sorted(service.methods)[0]
        response = api.call(method, name)
        assert response.status_code in (200, 201, 204, 400), (name, response.status_code, response.text)
        if response.status_code == 400:
            assert_error_object(response.json())


def test_unknown_service_is_404_and_wrong_verb_is_405(api: Api) -> None:
    body = api.error("GET", "ip_nothing_list", status=404)
    assert_error_object(body)
    response = api.call("DELETE", "ip_site_list")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    assert_error_object(response.json())
    assert api.call("GET", "ip_site_add").headers["Allow"] == "POST, PUT"
    assert api.call("GET", "ip_site_delete").status_code == 405
    response = requests.get(f"{api.url}/not-rest/x", timeout=5)
    assert response.status_code == 404


def test_parameters_come_from_the_query_string_and_bodies_are_ignored(api: Api) -> None:
    response = api.session.post(
        f"{api.url}/rest/ip_site_add", params={"site_name": "Q"}, data={"site_name": "from-body"}, timeout=5
    )
    assert response.status_code == 201
    assert api.one("ip_site_list")["site_name"] == "Q"
    response = api.session.post(f"{api.url}/rest/ip_site_add", data={"site_name": "only-body"}, timeout=5)
    assert response.status_code == 400
    assert response.json()["errno"] == "1001"


def test_error_object_shape(api: Api) -> None:
    body = api.error("POST", "ip_site_add")
    assert_error_object(body)
    assert body["parameters"] == "site_name"
    assert body["severity"] == "ERROR"


def test_keep_alive_reuses_one_connection(emulator: EmulatorServer, api: Api) -> None:
    before = emulator.connections_accepted
    for _ in range(20):
        assert api.get("member_list").status_code == 200
    api.add("ip_site_add", site_name="K")
    assert api.get("ip_site_list").status_code == 200
    assert emulator.connections_accepted - before == 1


def test_raw_http11_pipelined_requests_on_one_socket(emulator: EmulatorServer) -> None:
    host, port = emulator.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    headers = {"X-IPM-Username": "aXBtYWRtaW4=", "X-IPM-Password": "YWRtaW4="}
    conn.request("POST", "/rest/ip_site_add?site_name=raw", body=b'{"ignored": true}', headers=headers)
    first = conn.getresponse()
    assert first.status == 201
    assert json.loads(first.read()) == [{"ret_oid": "1"}]
    conn.request("GET", "/rest/hostdev_list", headers=headers)
    second = conn.getresponse()
    assert second.status == 204
    assert second.read() == b""
    conn.request("GET", "/rest/ip_site_list", headers=headers)
    third = conn.getresponse()
    assert third.status == 200
    assert json.loads(third.read())[0]["site_name"] == "raw"
    conn.close()


def test_admin_endpoints_only_under_their_prefix(emulator: EmulatorServer, api: Api) -> None:
    assert requests.get(f"{emulator.url}/_emulator/health", timeout=5).json()["status"] == "ok"
    assert requests.get(f"{emulator.url}/emulator/stats", timeout=5).status_code == 404
    assert (
        requests.get(
            f"{emulator.url}/rest/_emulator/stats", auth=("ipmadmin", "admin"), timeout=5
        ).status_code
        == 404
    )
    assert requests.post(f"{emulator.url}/_emulator/stats", timeout=5).status_code == 405
    assert requests.get(f"{emulator.url}/_emulator/nothing", timeout=5).status_code == 404
    assert requests.put(f"{emulator.url}/_emulator/faults", data="{not json", timeout=5).status_code == 400


def test_add_flag_semantics(api: Api) -> None:
    first = api.add("ip_site_add", site_name="F")
    body = api.error("POST", "ip_site_add", site_name="F", add_flag="new_only")
    assert body["errno"] == "1004"
    # new_edit (the default) on an existing object edits it
    assert api.add("ip_site_add", status=200, site_name="F", site_description="via new_edit") == first
    assert api.one("ip_site_info", site_id=first)["site_description"] == "via new_edit"
    assert api.error("PUT", "ip_site_add", site_name="G", add_flag="edit_only")["errno"] == "1005"
    assert api.error("PUT", "ip_site_add", site_id="77", add_flag="edit_only")["errno"] == "1005"
    assert api.error("POST", "ip_site_add", site_name="H", add_flag="maybe")["errno"] == "1002"
    assert api.rows("ip_site_list", WHERE="site_name='G'") == []
