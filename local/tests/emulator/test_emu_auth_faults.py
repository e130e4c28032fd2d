"""Authentication modes, TLS, fault injection and request counters."""

from __future__ import annotations

import base64
import ssl
import time
from collections.abc import Iterator

import pytest
import requests
from cryptography import x509

from ipamsync_local.emulator import EmulatorServer
from ipamsync_local.emulator.auth import token_signature
from local.tests.helpers import Api

TOKEN_ID, TOKEN_SECRET = "tok-1", "s3cret"


@pytest.fixture
def token_emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(port=0, token_id=TOKEN_ID, token_secret=TOKEN_SECRET) as server:
        yield server


def signed(
    server: EmulatorServer,
    method: str,
    service: str,
    query: str,
    *,
    ts: int | None = None,
    secret: str = TOKEN_SECRET,
    token_id: str = TOKEN_ID,
) -> requests.Response:
    url = f"{server.url}/rest/{service}" + (f"?{query}" if query else "")
    stamp = int(time.time()) if ts is None else ts
    headers = {
        "Authorization": f"SDS {token_id}:{token_signature(secret, stamp, method, url)}",
        "X-SDS-TS": str(stamp),
    }
    return requests.request(method, url, headers=headers, timeout=5)


def test_native_headers(emulator: EmulatorServer) -> None:
    def call(user: str, password: str) -> int:
        headers = {
            "X-IPM-Username": base64.b64encode(user.encode()).decode(),
            "X-IPM-Password": base64.b64encode(password.encode()).decode(),
        }
        return requests.get(f"{emulator.url}/rest/member_list", headers=headers, timeout=5).status_code

    assert call("ipmadmin", "admin") == 200
    assert call("ipmadmin", "wrong") == 401
    assert call("someone", "admin") == 401
    bad = {"X-IPM-Username": "%%%", "X-IPM-Password": "%%%"}
    assert requests.get(f"{emulator.url}/rest/member_list", headers=bad, timeout=5).status_code == 401


def test_basic_auth_and_missing_credentials(emulator: EmulatorServer) -> None:
    url = f"{emulator.url}/rest/member_list"
    assert requests.get(url, auth=("ipmadmin", "admin"), timeout=5).status_code == 200
    response = requests.get(url, auth=("ipmadmin", "nope"), timeout=5)
    assert response.status_code == 401
    assert response.json()["errno"] == "1016"
    assert requests.get(url, timeout=5).status_code == 401
    # nothing is applied without valid credentials
    assert requests.post(f"{emulator.url}/rest/ip_site_add?site_name=x", timeout=5).status_code == 401
    assert Api(emulator.url).rows("ip_site_list") == []


def test_custom_credentials() -> None:
    with EmulatorServer(port=0, username="robot", password="p@ss:word") as server:
        assert (
            requests.get(f"{server.url}/rest/member_list", auth=("robot", "p@ss:word"), timeout=5).status_code
            == 200
        )
        assert (
            requests.get(f"{server.url}/rest/member_list", auth=("ipmadmin", "admin"), timeout=5).status_code
            == 401
        )


def test_token_signature(token_emulator: EmulatorServer) -> None:
    assert signed(token_emulator, "GET", "member_list", "WHERE=member_is_me%3D%271%27").status_code == 200
    response = signed(token_emulator, "POST", "ip_site_add", "site_name=tok&add_flag=new_only")
    assert response.status_code == 201
    assert signed(token_emulator, "GET", "member_list", "", secret="wrong").status_code == 401
    assert signed(token_emulator, "GET", "member_list", "", token_id="other").status_code == 401
    # the signature covers the method and the full URL with its query
    url = f"{token_emulator.url}/rest/ip_site_list?WHERE=site_name%3D%27a%27"
    stamp = int(time.time())
    headers = {
        "Authorization": f"SDS {TOKEN_ID}:{token_signature(TOKEN_SECRET, stamp, 'GET', url)}",
        "X-SDS-TS": str(stamp),
    }
    assert requests.get(url.replace("%27a%27", "%27b%27"), headers=headers, timeout=5).status_code == 401
    assert requests.get(url, headers=headers, timeout=5).status_code == 204
    assert requests.delete(url, headers=headers, timeout=5).status_code == 401
    # missing timestamp
    headers.pop("X-SDS-TS")
    assert requests.get(url, headers=headers, timeout=5).status_code == 401


def test_token_clock_skew_is_412(token_emulator: EmulatorServer) -> None:
    response = signed(token_emulator, "GET", "member_list", "", ts=int(time.time()) - 3600)
    assert response.status_code == 412
    assert response.json()["errno"] == "1017"
    assert signed(token_emulator, "GET", "member_list", "", ts=int(time.time()) + 3600).status_code == 412
    assert signed(token_emulator, "GET", "member_list", "", ts=int(time.time()) - 60).status_code == 200


def test_token_rejected_when_not_configured(emulator: EmulatorServer) -> None:
    assert signed(emulator, "GET", "member_list", "").status_code == 401


def test_tls_mode_with_verification() -> None:
    with EmulatorServer(port=0, tls=True) as server:
        assert server.url.startswith("https://127.0.0.1:")
        assert server.cert_path is not None
        api = Api(server.url, verify=server.cert_path)
        assert api.one("member_list")["member_version"] == "8.4.0"
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"{server.url}/rest/member_list", verify=True, timeout=5)
        localhost = server.url.replace("127.0.0.1", "localhost")
        assert (
            requests.get(
                f"{localhost}/rest/member_list",
                auth=("ipmadmin", "admin"),
                verify=server.cert_path,
                timeout=5,
            ).status_code
            == 200
        )
        served = ssl.get_server_certificate(("127.0.0.1", server.port))
        san = (
            x509.load_pem_x509_certificate(served.encode())
            .extensions.get_extension_for_class(x509.SubjectAlternativeName)
            .value
        )
        assert "localhost" in san.get_values_for_type(x509.DNSName)
        assert "127.0.0.1" in [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
        assert server.admin.health()["status"] == "ok"
        api.session.close()


# --------------------------------------------------------------------------- faults


def test_injected_statuses_and_retry_after(emulator: EmulatorServer, api: Api) -> None:
    admin = emulator.admin
    admin.set_faults({"rules": {"ip_site_list": {"error_rates": {"429": 1.0}, "retry_after": 7}}})
    response = api.get("ip_site_list")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["errno"] == "1020"
    assert api.get("hostdev_list").status_code == 204  # other services unaffected
    admin.set_faults({"rules": {"*": {"error_rates": {"500": 1.0}}}})
    assert api.get("hostdev_list").status_code == 500
    admin.set_faults({"rules": {"*": {"error_rates": {"503": 1.0}}, "member_list": {"error_rates": {}}}})
    assert api.get("member_list").status_code == 200
    response = api.call("POST", "ip_site_add", site_name="never")
    assert response.status_code == 503 and "Retry-After" in response.headers
    admin.clear_faults()
    assert api.rows("ip_site_list") == []  # the faulted POST was not applied
    assert admin.faults() == {"outage": False, "rules": {}}


def test_latency_fixed_and_jitter(emulator: EmulatorServer, api: Api) -> None:
    emulator.admin.set_faults({"seed": 3, "rules": {"member_list": {"latency_ms": 150, "jitter_ms": 50}}})
    start = time.perf_counter()
    assert api.get("member_list").status_code == 200
    assert time.perf_counter() - start >= 0.15  # at least the fixed latency (never an upper bound)
    assert api.get("hostdev_list").status_code == 204
    # what was scheduled: the rule's latency for member_list only, the jitter within its range
    services = emulator.admin.stats()["services"]
    assert 150 <= services["member_list"]["latency_ms"] <= 200
    assert services["hostdev_list"]["latency_ms"] == 0


def test_outage_toggles_at_run_time(emulator: EmulatorServer, api: Api) -> None:
    admin = emulator.admin
    admin.outage(True)
    for service in ("member_list", "ip_site_list", "nothing_list"):
        response = api.get(service)
        assert response.status_code == 503
        assert response.json()["errno"] == "1018"
    assert admin.health()["status"] == "ok"  # admin endpoints keep working
    admin.outage(False)
    assert api.get("member_list").status_code == 200


def test_dropped_connection_before_apply(emulator: EmulatorServer, api: Api) -> None:
    emulator.admin.set_faults({"rules": {"ip_site_add": {"drop_rate": 1.0}}})
    with pytest.raises(requests.exceptions.ConnectionError):
        api.call("POST", "ip_site_add", site_name="lost")
    emulator.admin.clear_faults()
    assert api.rows("ip_site_list") == []


def test_drop_after_commit_applies_then_drops(emulator: EmulatorServer, api: Api) -> None:
    emulator.admin.set_faults({"rules": {"ip_site_add": {"drop_after_commit_rate": 1.0}}})
    with pytest.raises(requests.exceptions.ConnectionError):
        api.call("POST", "ip_site_add", site_name="applied")
    emulator.admin.clear_faults()
    assert [r["site_name"] for r in api.rows("ip_site_list")] == ["applied"]
    statuses = emulator.admin.stats()["services"]["ip_site_add"]["statuses"]
    assert statuses == {"dropped_after_commit": 1}


def test_faults_are_deterministic_with_a_seed() -> None:
    config = {"seed": 42, "rules": {"*": {"error_rates": {"500": 0.3, "503": 0.2}, "drop_rate": 0.0}}}

    def run() -> list[int]:
        with EmulatorServer(port=0, faults=config) as server:
            api = Api(server.url)
            codes = [api.get("member_list").status_code for _ in range(40)]
            api.session.close()
            return codes

    first, second = run(), run()
    assert first == second
    assert {200, 500, 503} <= set(first)


def test_fault_configuration_is_validated(emulator: EmulatorServer) -> None:
    from ipamsync_local.emulator import EmulatorAdminError

    admin = emulator.admin
    for bad in [
        {"rules": {"*": {"error_rates": {"500": 1.5}}}},
        {"rules": {"*": {"error_rates": {"200": 0.1}}}},
        {"rules": {"*": {"nonsense": 1}}},
        {"whatever": True},
        {"rules": {"*": {"error_rates": {"500": 0.6, "503": 0.6}}}},
    ]:
        with pytest.raises(EmulatorAdminError):
            admin.set_faults(bad)
    merged = admin.merge_faults({"outage": True, "rules": {"ip_add": {"latency_ms": 5}}})
    assert merged["outage"] is True and merged["rules"] == {"ip_add": {"latency_ms": 5.0}}


def test_counters_by_service_method_and_status(emulator: EmulatorServer, api: Api) -> None:
    admin = emulator.admin
    api.add("ip_site_add", site_name="A")
    api.error("POST", "ip_site_add", site_name="A", add_flag="new_only")
    api.edit("ip_site_add", site_name="A", site_description="d")
    api.get("ip_site_list")
    api.get("hostdev_list")
    api.delete("ip_site_delete", site_name="A")
    admin.outage(True)
    api.get("ip_site_list")
    admin.outage(False)
    stats = admin.stats()
    site_add = stats["services"]["ip_site_add"]
    assert site_add["methods"] == {"POST": 2, "PUT": 1}
    assert site_add["statuses"] == {"201": 1, "400": 1, "200": 1}
    assert site_add["writes"] == 3 and site_add["reads"] == 0
    assert stats["services"]["ip_site_list"]["statuses"] == {"200": 1, "503": 1}
    assert stats["services"]["hostdev_list"]["statuses"] == {"204": 1}
    assert stats["totals"] == {
        "reads": 3,
        "writes": 4,
        "total": 7,
        "statuses": {"201": 1, "400": 1, "200": 3, "503": 1, "204": 1},
    }
    admin.reset_stats()
    assert admin.stats() == {"services": {}, "totals": {"reads": 0, "writes": 0, "total": 0, "statuses": {}}}
