"""Fixtures of the emulator tests: an in-process emulator on loopback and a small REST client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from ipamsync_local.emulator import EmulatorServer


class Api:
    """A minimal SOLIDserver v1 client: parameters in the query string, JSON rows back."""

    def __init__(
        self, url: str, auth: tuple[str, str] | None = ("ipmadmin", "admin"), verify: bool | str = True
    ):
        self.url = url
        self.session = requests.Session()
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE & co. must not override verify
        self.session.auth = auth
        self.verify = verify

    def call(self, method: str, service: str, **params: Any) -> requests.Response:
        return self.session.request(
            method,
            f"{self.url}/rest/{service}",
            params={k: str(v) for k, v in params.items()},
            verify=self.verify,
            timeout=10,
        )

    def get(self, service: str, **params: Any) -> requests.Response:
        return self.call("GET", service, **params)

    def rows(self, service: str, **params: Any) -> list[dict[str, str]]:
        response = self.get(service, **params)
        if response.status_code == 204:
            assert response.content == b""
            return []
        assert response.status_code == 200, response.text
        rows = response.json()
        assert isinstance(rows, list)
        return rows

    def one(self, service: str, **params: Any) -> dict[str, str]:
        rows = self.rows(service, **params)
        assert len(rows) == 1, rows
        return rows[0]

    def add(self, service: str, status: int = 201, method: str = "POST", **params: Any) -> str:
        response = self.call(method, service, **params)
        assert response.status_code == status, response.text
        body = response.json()
        assert isinstance(body, list) and len(body) == 1
        return str(body[0]["ret_oid"])

    def edit(self, service: str, **params: Any) -> str:
        return self.add(service, status=200, method="PUT", **params)

    def delete(self, service: str, status: int = 200, **params: Any) -> requests.Response:
        response = self.call("DELETE", service, **params)
        assert response.status_code == status, response.text
        return response

    def error(self, method: str, service: str, status: int = 400, **params: Any) -> dict[str, str]:
        response = self.call(method, service, **params)
        assert response.status_code == status, response.text
        body = response.json()
        assert isinstance(body, dict), body
        return body


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    server = EmulatorServer(port=0, db=":memory:")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[Api]:
    client = Api(emulator.url)
    yield client
    client.session.close()


@dataclass
class Net:
    site_id: str
    block_id: str
    subnet_id: str
    block6_id: str
    subnet6_id: str


@pytest.fixture
def net(api: Api) -> Net:
    """Space ``AWS``; IPv4 block 10.0.0.0/16 with subnet 10.0.1.0/24; IPv6 block 2001:db8::/56 with
    subnet 2001:db8::/64."""
    site_id = api.add("ip_site_add", site_name="AWS")
    block_id = api.add(
        "ip_subnet_add",
        site_id=site_id,
        subnet_addr="10.0.0.0",
        subnet_prefix=16,
        subnet_level=0,
        is_terminal=0,
        subnet_name="vpc-1",
    )
    subnet_id = api.add(
        "ip_subnet_add",
        site_id=site_id,
        subnet_addr="10.0.1.0",
        subnet_prefix=24,
        parent_subnet_id=block_id,
        is_terminal=1,
        subnet_name="subnet-a",
    )
    block6_id = api.add(
        "ip6_subnet6_add",
        site_id=site_id,
        subnet6_addr="2001:db8::",
        subnet6_prefix=56,
        subnet_level=0,
        is_terminal=0,
        subnet6_name="vpc-1-v6",
    )
    subnet6_id = api.add(
        "ip6_subnet6_add",
        site_id=site_id,
        subnet6_addr="2001:db8::",
        subnet6_prefix=64,
        parent_subnet6_id=block6_id,
        is_terminal=1,
        subnet6_name="subnet-a-v6",
    )
    return Net(site_id, block_id, subnet_id, block6_id, subnet6_id)


@pytest.fixture
def dns_setup(emulator: EmulatorServer) -> dict[str, str]:
    """DNS server ``ns.ipamsync.local`` with ``ec2.example.internal`` and reverse zones."""
    admin = emulator.admin
    ids = {"dns_id": admin.add_dns_server("ns.ipamsync.local", ip="10.0.0.2")}
    ids["forward"] = admin.add_dns_zone("ns.ipamsync.local", "ec2.example.internal")
    ids["sub_forward"] = admin.add_dns_zone("ns.ipamsync.local", "prod.ec2.example.internal")
    ids["reverse"] = admin.add_dns_zone("ns.ipamsync.local", "10.in-addr.arpa", reverse=True)
    ids["reverse6"] = admin.add_dns_zone("ns.ipamsync.local", "8.b.d.0.1.0.0.2.ip6.arpa", reverse=True)
    admin.close()
    return ids
