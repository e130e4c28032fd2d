"""A throw-away certificate authority and server certificate for the emulator's HTTPS mode (trustme).

The server presents a leaf certificate (SANs ``localhost``, ``127.0.0.1``, ``::1`` and any extra
host, valid for 7 days) signed by a fresh CA whose key is never written; the CA's PEM is what clients
use as their CA bundle (``requests``' ``verify=``). Keys are ECDSA P-256.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

import trustme

HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path  # the CA bundle for clients
    chain: Path  # leaf + CA, served
    key: Path  # leaf key


def _canonical(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def generate(directory: Path, extra_hosts: tuple[str, ...] = ()) -> TlsFiles:
    """Write ``ca.pem``, ``server.pem`` (chain) and ``server.key`` into ``directory``."""
    now = dt.datetime.now(dt.UTC)
    ca = trustme.CA(organization_name="ipamsync", organization_unit_name="SOLIDserver emulator CA")
    hosts = dict.fromkeys(_canonical(h) for h in (*HOSTS, *extra_hosts) if h)
    leaf = ca.issue_cert(
        *hosts,
        common_name="localhost",
        organization_name="ipamsync",
        organization_unit_name="SOLIDserver emulator",
        not_before=now - dt.timedelta(minutes=5),
        not_after=now + dt.timedelta(days=7),
    )

    directory.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    ca.cert_pem.write_to_path(files.ca_cert)
    files.chain.write_bytes(b"".join(pem.bytes() for pem in leaf.cert_chain_pems) + ca.cert_pem.bytes())
    files.key.touch(mode=0o600)
    files.key.chmod(0o600)
    leaf.private_key_pem.write_to_path(files.key)
    return files
