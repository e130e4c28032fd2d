"""EfficientIP's official Python client (``SOLIDserverRest`` 2.14.0) against the emulator.

The emulator runs in TLS mode (the official client only speaks HTTPS) with its throw-away CA.
Two facts about the client shape these fixtures:

* it has no port setting: ``https://{host}`` is built from the host string, so the tests give it
  ``127.0.0.1:<port>`` (``SOLIDserverRest(host)``, or ``SDS.sds_ip`` for the ``adv`` module whose
  constructor resolves a bare host name);
* ``adv.SDS.connect`` ends with ``set_ssl_verify(<bool>)``, so requests are sent with
  ``verify=True`` and ``requests`` then verifies against ``REQUESTS_CA_BUNDLE``: pointing that
  variable at the emulator's CA is how certificate verification stays *on* in these tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from SOLIDserverRest import adv as sdsadv

from ipamsync_local.emulator import EmulatorServer

TOKEN_ID, TOKEN_SECRET = "contract-token", "contract-secret"


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    with EmulatorServer(port=0, tls=True, token_id=TOKEN_ID, token_secret=TOKEN_SECRET, seed=True) as server:
        assert server.cert_path is not None
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.cert_path)
        monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
        yield server


def host_of(server: EmulatorServer) -> str:
    return server.url.removeprefix("https://")


def connect(server: EmulatorServer, method: str = "native") -> sdsadv.SDS:
    sds = sdsadv.SDS(ip_address="127.0.0.1", user="ipmadmin", pwd="admin")
    sds.sds_ip = host_of(server)
    sds.set_token_creds(keyid=TOKEN_ID, keysecret=TOKEN_SECRET)
    sds.set_check_cert(True)
    sds.connect(method=method, cert_file_path=server.cert_path)
    sds.set_rate_limit(100_000, 1)  # the client's own throttle would otherwise sleep ~50 ms per call
    return sds


@pytest.fixture
def sds(emulator: EmulatorServer) -> sdsadv.SDS:
    return connect(emulator)
