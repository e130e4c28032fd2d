"""Where the console (and ``ipamsync emulator show``) reads SOLIDserver from: a running emulator or
appliance through the product's client (:class:`ApiSource`), or an emulator's SQLite file
(:class:`DbSource`: a read-only copy served by an in-process emulator on loopback). Both only call
list services, through :func:`ipamsync_local.inventory.read_inventory`; nothing is ever written.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ipamsync_local.inventory import Inventory, read_inventory

DEMO_DATA_DIR = Path(".ipamsync") / "demo"
DEFAULT_USERNAME, DEFAULT_PASSWORD = "ipmadmin", "admin"  # the emulator's (and the demo's) defaults


@dataclass
class Snapshot:
    """What SOLIDserver holds, as read at ``read_at`` (``error`` when it could not be read)."""

    inventory: Inventory = field(default_factory=Inventory)
    #: DNS zones: name, server, reverse (``dns_zone_list``)
    zones: list[dict[str, Any]] = field(default_factory=list)
    read_at: float = 0.0
    error: str | None = None


class Source(Protocol):
    label: str

    def read(self) -> Snapshot: ...


def _client(url: str, username: str, password: str, verify: bool | str) -> Any:
    from ipamsync.solidserver import ClientConfig, Credentials, SolidServer, SolidServerClient

    config = ClientConfig(
        url=url.rstrip("/"),
        credentials=Credentials.from_mapping({"username": username, "password": password}),
        verify_tls=verify is not False,
        ca_bundle=verify if isinstance(verify, str) else None,
        requests_per_second=0,
        read_timeout=30,
    )
    return SolidServer(SolidServerClient(config))


def _zones(ss: Any, dns_server: str | None) -> list[dict[str, Any]]:
    zones = []
    for row in ss.client.list("dns_zone_list", page_size=1000):
        if dns_server and row.get("dns_name") not in (None, "", dns_server):
            continue
        name = str(row.get("dnszone_name", "")).rstrip(".").lower()
        zones.append({"name": name, "server": row.get("dns_name", ""), "reverse": name.endswith(".arpa")})
    return sorted(zones, key=lambda z: (z["reverse"], z["name"]))


class ApiSource:
    """A SOLIDserver (emulator or appliance) over its REST API, with the product's client."""

    def __init__(
        self,
        url: str,
        username: str = DEFAULT_USERNAME,
        password: str = DEFAULT_PASSWORD,
        verify: bool | str = True,
        dns_server: str | None = None,
    ) -> None:
        self.url, self.username, self.password, self.verify = url, username, password, verify
        self.dns_server = dns_server
        self.label = url

    def read(self) -> Snapshot:
        ss = _client(self.url, self.username, self.password, self.verify)
        try:
            return Snapshot(read_inventory(ss, self.dns_server), _zones(ss, self.dns_server), time.time())
        finally:
            ss.client.close()


class DbSource:
    """An emulator's database file, read from a copy (SQLite's online backup of a read-only
    connection: the file and a running emulator writing it are left alone), served on loopback by
    an in-process emulator with throw-away credentials, read like any SOLIDserver."""

    def __init__(self, path: str | Path, dns_server: str | None = None) -> None:
        self.path = Path(path)
        self.dns_server = dns_server
        self.label = f"database {self.path}"
        self._last: tuple[tuple[float, int, float, int], Snapshot] | None = None

    def _version(self) -> tuple[float, int, float, int]:
        """The file and its write-ahead log as they are now (a snapshot is read again only when
        one of them changed: a stopped demo's database is copied once, not at every poll)."""
        main, wal = self.path.stat(), Path(f"{self.path}-wal")
        wal_stat = wal.stat() if wal.exists() else None
        return (
            main.st_mtime,
            main.st_size,
            wal_stat.st_mtime if wal_stat else 0.0,
            wal_stat.st_size if wal_stat else 0,
        )

    @contextlib.contextmanager
    def _copy(self) -> Iterator[Path]:
        if not self.path.is_file():
            raise FileNotFoundError(f"no emulator database at {self.path}")
        tmp = Path(tempfile.mkdtemp(prefix="ipamsync-console-db-"))
        try:
            source = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
            target = sqlite3.connect(tmp / "copy.db")
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
            yield tmp / "copy.db"
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def read(self) -> Snapshot:
        from ipamsync_local.emulator import EmulatorServer

        if not self.path.is_file():
            raise FileNotFoundError(f"no emulator database at {self.path}")
        version = self._version()
        if self._last is not None and self._last[0] == version:
            return Snapshot(self._last[1].inventory, self._last[1].zones, time.time())
        user, password = "console", secrets.token_urlsafe(16)
        with self._copy() as copy, EmulatorServer(db=str(copy), username=user, password=password) as emu:
            snap = ApiSource(emu.url, user, password, dns_server=self.dns_server).read()
        self._last = (version, snap)
        return snap


def demo_emulator(data_dir: Path = DEMO_DATA_DIR) -> dict[str, str] | None:
    """The demo's emulator record (``emulator.json``: pid, url, ca, db), None without one."""
    try:
        record = json.loads((data_dir / "emulator.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def pid_alive(pid: Any) -> bool:
    try:
        return Path(f"/proc/{int(pid)}").exists()
    except (TypeError, ValueError):
        return False


class CachedSource:
    """One read at a time, kept ``ttl`` seconds (a page polling every second costs one read);
    a failed read is kept as the snapshot's error (the page says so and keeps polling)."""

    def __init__(self, source: Source, ttl: float = 1.0) -> None:
        self.source = source
        self.ttl = ttl
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    @property
    def label(self) -> str:
        return self.source.label

    def read(self) -> Snapshot:
        with self._lock:
            snap = self._snapshot
            if snap is not None and time.time() - snap.read_at < self.ttl:
                return snap
            try:
                snap = self.source.read()
            except Exception as exc:  # shown on the page; the console keeps serving
                snap = Snapshot(read_at=time.time(), error=f"{self.label}: {type(exc).__name__}: {exc}")
            self._snapshot = snap
            return snap
