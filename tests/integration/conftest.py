"""Fixtures of the integration tests: ipamsync's SOLIDserver client on the session's emulator."""

from __future__ import annotations

import pytest

from ipamsync.solidserver import SolidServer, SolidServerClient
from tests.helpers import make_config


@pytest.fixture
def client(emu):
    c = SolidServerClient(make_config(emu.url))
    yield c
    c.close()


@pytest.fixture
def ss(client):
    return SolidServer(client)


@pytest.fixture
def ctx(emu):
    """A sync context on the emulator with a DNS server, two forward and two reverse zones."""
    from ipamsync.settings import Settings
    from ipamsync.sync.common import SyncContext
    from tests.helpers import NS, V6_REVERSE, ZONE

    emu.admin.add_dns_server(NS)
    emu.admin.add_dns_zone(NS, ZONE)
    emu.admin.add_dns_zone(NS, "other.example.internal")
    emu.admin.add_dns_zone(NS, "10.in-addr.arpa", reverse=True)
    emu.admin.add_dns_zone(NS, V6_REVERSE, reverse=True)
    client = SolidServerClient(make_config(emu.url))
    yield SyncContext(settings=Settings(dns_server=NS, forward_zone=ZONE, ttl=300), ss=SolidServer(client))
    client.close()
