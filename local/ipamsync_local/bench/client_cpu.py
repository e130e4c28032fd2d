"""CPU per SOLIDserver call of ipamsync's client, next to bare HTTP clients: a micro-benchmark.

One thread, the same emulator over TLS, connections reused: ipamsync's
:class:`~ipamsync.solidserver.SolidServerClient` (its public ``get``; ``requests`` underneath)
against a bare ``requests.Session``, ``urllib3.PoolManager`` and ``http.client``, each making the
same GET (``ip_site_list WHERE site_name='AWS'``) and decoding it, after 20 warm-up calls. The
client is timed from the outside: nothing of the product is instrumented.
"""

from __future__ import annotations

import json
import time
from typing import Any


def measure(emu: Any, calls: int = 300) -> dict[str, float]:
    """CPU ms per call of each client (``url``, ``ca_path`` of ``emu``: a running emulator)."""
    import base64
    import http.client
    import ssl
    from urllib.parse import urlencode, urlsplit

    import requests
    import urllib3

    from ipamsync.solidserver import ClientConfig, SolidServerClient
    from ipamsync.solidserver.config import Credentials, Secret

    params = {"WHERE": "site_name='AWS'"}
    headers = {
        "Accept": "application/json",
        "X-IPM-Username": base64.b64encode(b"ipmadmin").decode(),
        "X-IPM-Password": base64.b64encode(b"admin").decode(),
    }
    url = f"{emu.url}/rest/ip_site_list"
    ca = emu.ca_path or None
    client = SolidServerClient(
        ClientConfig(
            url=emu.url,
            credentials=Credentials("ipmadmin", Secret("admin")),
            ca_bundle=ca,
            requests_per_second=0,
        )
    )
    session = requests.Session()
    session.trust_env = False
    pool = urllib3.PoolManager(ca_certs=ca, cert_reqs="CERT_REQUIRED", retries=False)
    parts = urlsplit(emu.url)
    conn = http.client.HTTPSConnection(
        parts.hostname or "127.0.0.1", parts.port, context=ssl.create_default_context(cafile=ca)
    )
    path = f"{parts.path}/rest/ip_site_list?{urlencode(params)}"

    def ipamsync_client() -> None:
        client.get("ip_site_list", params)

    def bare_requests() -> None:
        session.get(url, params=params, headers=headers, verify=ca, timeout=(3.05, 10)).json()

    def bare_urllib3() -> None:
        json.loads(
            pool.request("GET", url, fields=params, headers=headers, timeout=urllib3.Timeout(3.05, 10)).data
        )

    def bare_http_client() -> None:
        conn.request("GET", path, headers=headers)
        json.loads(conn.getresponse().read())

    out: dict[str, float] = {}
    try:
        for name, fn in (
            ("ipamsync client (requests)", ipamsync_client),
            ("requests.Session", bare_requests),
            ("urllib3.PoolManager", bare_urllib3),
            ("http.client", bare_http_client),
        ):
            for _ in range(20):
                fn()
            cpu = time.process_time()
            for _ in range(calls):
                fn()
            out[name] = round((time.process_time() - cpu) / calls * 1000, 3)
    finally:
        client.close()
        session.close()
        pool.clear()
        conn.close()
    return out
