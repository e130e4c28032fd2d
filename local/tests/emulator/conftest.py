"""Fixtures of the emulator tests: a fresh in-process emulator per test and a small REST client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ipamsync_local.emulator import EmulatorServer
from local.tests.helpers import Api, Net, make_net


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


@pytest.fixture
def net(api: Api) -> Net:
    return make_net(api)


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
