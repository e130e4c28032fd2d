"""``ipamsync console``: SOLIDserver's contents and the local pipeline's executions in a browser.

Without ``--url`` or ``--db`` it follows the demo: the emulator ``make demo`` runs (its
``emulator.json``) while it runs, its database once it stopped. Read-only, on 127.0.0.1 by default.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from .sources import (
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    DEMO_DATA_DIR,
    ApiSource,
    CachedSource,
    DbSource,
    Snapshot,
    demo_emulator,
    pid_alive,
)

DEFAULT_PORT = 8470
ENV_USERNAME, ENV_PASSWORD = "SOLIDSERVER_USERNAME", "SOLIDSERVER_PASSWORD"


class DemoSource:
    """The demo's SOLIDserver, found again at every read: its emulator while it runs (the URL in
    ``emulator.json`` changes with each demo), else its database file."""

    def __init__(self, data_dir: Path, dns_server: str | None = None) -> None:
        self.data_dir = data_dir
        self.dns_server = dns_server
        self.label = f"the demo's emulator ({data_dir})"
        self._db: DbSource | None = None

    def read(self) -> Snapshot:
        record = demo_emulator(self.data_dir) or {}
        if record.get("url") and pid_alive(record.get("pid")):
            self.label = f"{record['url']} (the demo's emulator)"
            verify: bool | str = record.get("ca") or True
            return ApiSource(
                record["url"], DEFAULT_USERNAME, DEFAULT_PASSWORD, verify, self.dns_server
            ).read()
        db = Path(record.get("db") or self.data_dir / "emulator.db")
        self.label = f"{db} (the demo's database; its emulator is not running)"
        if self._db is None or self._db.path != db:
            self._db = DbSource(db, self.dns_server)
        return self._db.read()


def solidserver_arguments(p: argparse.ArgumentParser, *, demo: bool) -> None:
    """Where SOLIDserver is read from: --url (with credentials and TLS options) or --db."""
    where = p.add_mutually_exclusive_group()
    where.add_argument("--url", help="a running SOLIDserver or emulator, e.g. https://127.0.0.1:8443")
    where.add_argument("--db", type=Path, help="an emulator's SQLite database file (read from a copy)")
    p.add_argument(
        "--username", default=None, help=f"with --url (default: ${ENV_USERNAME} or {DEFAULT_USERNAME})"
    )
    p.add_argument(
        "--password", default=None, help=f"with --url (default: ${ENV_PASSWORD} or the emulator's default)"
    )
    verify = p.add_mutually_exclusive_group()
    verify.add_argument("--ca", type=Path, help="PEM bundle of the CA that signs the server's certificate")
    verify.add_argument("--insecure", action="store_true", help="do not verify the server's certificate")
    p.add_argument("--dns-server", default=None, help="only the records of this DNS server (default: all)")
    if demo:
        p.add_argument(
            "--data-dir",
            type=Path,
            default=DEMO_DATA_DIR,
            help=f"without --url/--db: the demo's data directory to follow (default {DEMO_DATA_DIR})",
        )


def source_from_args(args: argparse.Namespace) -> Any:
    """The source the arguments name (None: the demo's, when the command follows it)."""
    if args.url:
        verify: bool | str = False if args.insecure else (str(args.ca) if args.ca else True)
        username = args.username or os.environ.get(ENV_USERNAME) or DEFAULT_USERNAME
        password = args.password or os.environ.get(ENV_PASSWORD) or DEFAULT_PASSWORD
        return ApiSource(args.url, username, password, verify, args.dns_server)
    if args.db:
        return DbSource(args.db, args.dns_server)
    data_dir = getattr(args, "data_dir", None)
    return DemoSource(data_dir, args.dns_server) if data_dir is not None else None


def register(subparsers: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        name, help=help_text, description=__doc__.split("\n\n")[0].replace("``", ""), epilog=_epilog()
    )
    solidserver_arguments(p, demo=True)
    p.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="the execution records (default: $IPAMSYNC_LOCAL_STATE_DIR or .ipamsync/local)",
    )
    p.add_argument(
        "--asl", type=Path, default=None, help="the state machine (default statemachine/sync.asl.json)"
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; anything else exposes SOLIDserver's contents)",
    )
    p.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}, or a free one; 0 = any)",
    )
    p.add_argument("--open", action="store_true", help="open the page in this machine's web browser")
    p.set_defaults(func=cmd_console)
    return p


def _epilog() -> str:
    return (
        "examples: ipamsync console   (follows make demo)  ·  "
        "ipamsync console --url https://127.0.0.1:8443 --ca .ipamsync/demo/tls/ca.pem  ·  "
        "ipamsync console --db .ipamsync/demo/emulator.db"
    )


def make_console(
    source: Any, state_dir: Path | None, asl: Path | None = None, dead_letters: Any = None
) -> Any:
    from ipamsync_local.aws.executions import ExecutionStore

    from .server import Console, default_asl

    definition = json.loads((asl or default_asl()).read_text(encoding="utf-8"))
    cached = CachedSource(source) if source is not None else None
    return Console(cached, ExecutionStore(state_dir), definition, dead_letters)


def start_server(console: Any, host: str, port: int) -> Any:
    """The console served (on ``port``, else on a free port when that one is taken)."""
    from .server import ConsoleServer

    try:
        return ConsoleServer(console, host, port).start()
    except OSError:
        if port == 0:
            raise
        return ConsoleServer(console, host, 0).start()


def has_display() -> bool:
    """A desktop to open a browser on (not a server, a container or CI)."""
    return sys.platform == "darwin" or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_page(url: str) -> None:
    """The page in the desktop's browser (never fatal: the URL is printed anyway)."""
    import webbrowser

    try:
        webbrowser.open(url, new=2)
    except webbrowser.Error:
        pass


def cmd_console(args: argparse.Namespace) -> int:
    try:
        console = make_console(source_from_args(args), args.state_dir, args.asl)
        server = start_server(console, args.host, args.port)
    except OSError as exc:
        print(f"ipamsync console: {exc}", file=sys.stderr)
        return 1
    print(f"ipamsync console on {server.url}  (read-only; Ctrl-C stops it)", flush=True)
    print(f"  SOLIDserver  {console.source.label if console.source else 'none'}", flush=True)
    print(f"  executions   {console.store.dir}", flush=True)
    if args.open:
        open_page(server.url)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"  note: listening on {args.host}: anyone who reaches it reads SOLIDserver's contents",
            flush=True,
        )
    from ipamsync_local.waiting import serve_until_stopped

    serve_until_stopped(server.stop)
    return 0
