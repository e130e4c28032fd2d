"""The ipamsync client on the emulator (fixtures ``emulator``/``emu`` come from tests/conftest.py)."""

from __future__ import annotations

import pytest

from ipamsync.solidserver import ClientConfig, Credentials, Secret, SolidServer, SolidServerClient
from tests.conftest import PASSWORD


def make_config(url: str, **kw) -> ClientConfig:
    creds = kw.pop("credentials", None) or Credentials(
        "ipmadmin", Secret(PASSWORD), "tok-1", Secret("tok-s3cr3t-value")
    )
    kw.setdefault("requests_per_second", 0)
    return ClientConfig(url=url, credentials=creds, **kw)


@pytest.fixture
def client(emu):
    c = SolidServerClient(make_config(emu.url))
    yield c
    c.close()


@pytest.fixture
def ss(client):
    return SolidServer(client)
