"""The SOLIDserver the demo writes to: the emulator in a child process (the shared
:class:`~ipamsync_local.emulator.process.EmulatorProcess`, its files under ``--data-dir``) or a real
appliance (``--solidserver-url``); seeding or checking it; counting the pipeline's calls to it."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ipamsync_local.emulator.process import EmulatorProcess, EmulatorStartError

from .command import DemoError
from .screen import Screen

EMULATOR_USER, EMULATOR_PASSWORD = "ipmadmin", "admin"  # the emulator's documented defaults
REVERSE_ZONES = ("10.in-addr.arpa", "16.172.in-addr.arpa", "168.192.in-addr.arpa")


@dataclass
class Target:
    url: str
    username: str
    password: str
    ca_path: str | None
    verify: bool
    emulator: EmulatorProcess | None = None

    @property
    def ca_pem(self) -> str | None:
        return Path(self.ca_path).read_text() if self.ca_path else None

    def client(self) -> Any:
        from ipamsync.solidserver import ClientConfig, Credentials, SolidServer, SolidServerClient

        config = ClientConfig(
            url=self.url,
            credentials=Credentials.from_mapping({"username": self.username, "password": self.password}),
            verify_tls=self.verify,
            ca_bundle=self.ca_path,
            requests_per_second=0,
            read_timeout=60,
        )
        return SolidServer(SolidServerClient(config))

    def admin(self) -> Any:
        """The emulator's admin API (the emulator only)."""
        assert self.emulator is not None
        return self.emulator.admin


def open_target(
    args: argparse.Namespace, stack: contextlib.ExitStack, *, fresh: bool, screen: Screen
) -> Target:
    """Start the emulator (stopped with ``stack``, unless ``--keep-running``), or take the appliance."""
    if not args.solidserver_url:
        emu = EmulatorProcess(
            seed=False,
            username=EMULATOR_USER,
            password=EMULATOR_PASSWORD,
            data_dir=args.data_dir,
            fresh=fresh,
            keep=args.keep_running,
        )
        try:
            stack.enter_context(emu)
        except EmulatorStartError as exc:
            raise DemoError(str(exc)) from exc
        if emu.stopped_previous:
            screen.line(f"stopped the emulator a previous demo left running (pid {emu.stopped_previous})")
        return Target(emu.url, EMULATOR_USER, EMULATOR_PASSWORD, emu.ca_path, True, emu)
    username = args.username or os.environ.get("SOLIDSERVER_USERNAME", "")
    password = args.password or os.environ.get("SOLIDSERVER_PASSWORD", "")
    if not (username and password):
        raise DemoError(
            "a real SOLIDserver needs --username/--password (or SOLIDSERVER_USERNAME/SOLIDSERVER_PASSWORD)"
        )
    ca = str(args.ca_bundle.resolve()) if args.ca_bundle else None
    if args.insecure:
        import warnings

        from urllib3.exceptions import InsecureRequestWarning

        warnings.simplefilter("ignore", InsecureRequestWarning)  # said once here, not per request
        screen.line("note: --insecure: SOLIDserver's certificate is not verified")
    return Target(args.solidserver_url.rstrip("/"), username, password, ca, not args.insecure)


def prepare_solidserver(
    args: argparse.Namespace, target: Target, ss: Any, zone_override: str | None, screen: Screen
) -> tuple[list[str], str | None]:
    """Seed the emulator (space, DNS server, zones) or check the appliance: its reverse zones, and
    the override zone if the server has it."""
    if target.emulator is not None:
        admin = target.admin()
        admin.seed(
            space=args.space,
            dns_server=args.dns_server,
            forward_zones=[args.forward_zone, *([zone_override] if zone_override else [])],
            reverse_zones=list(REVERSE_ZONES),
        )
        admin.close()
    try:
        zones = ss.list_zones(args.dns_server)
    except Exception as exc:
        raise DemoError(f"cannot read the zones of {args.dns_server} on {target.url}: {exc}") from exc
    forward = {z.name for z in zones if not z.reverse}
    if args.forward_zone not in forward:
        raise DemoError(
            f"zone {args.forward_zone} does not exist on DNS server {args.dns_server} "
            f"(zones: {', '.join(sorted(forward)) or 'none'}): pass --forward-zone"
        )
    if zone_override and zone_override not in forward:
        screen.line(
            f"note: zone {zone_override} is not on {args.dns_server}: no instance gets the ipamsync:zone tag"
        )
        zone_override = None
    return sorted(z.name for z in zones if z.reverse), zone_override


def add_reverse_zone(target: Target, dns_server: str, zone: str) -> None:
    """Create a reverse zone on the emulator."""
    admin = target.admin()
    admin.add_dns_zone(dns_server, zone, reverse=True)
    admin.close()


class CallCount:
    """The SOLIDserver calls the pipeline makes from :meth:`start` on. On the emulator, its own
    counters (``ipamsync emulator stats``); on an appliance, what the functions report: their
    ``SolidServerReads``/``SolidServerWrites`` metrics (README *Metrics*), in the EMF lines of
    ``lambda.log``, summed as CloudWatch would."""

    def __init__(self, target: Target, lambda_log: Path) -> None:
        self.target = target
        self.lambda_log = lambda_log
        self.offset = 0

    def start(self) -> None:
        if self.target.emulator is not None:
            admin = self.target.admin()
            admin.reset_stats()
            admin.close()
        else:
            self.offset = self.lambda_log.stat().st_size if self.lambda_log.is_file() else 0

    def result(self, aws: Any) -> dict[str, Any]:
        """``{"reads": n, "writes": n, "source": where they were counted}``."""
        if self.target.emulator is not None:
            admin = self.target.admin()
            totals = admin.stats()["totals"]
            admin.close()
            return {"reads": totals["reads"], "writes": totals["writes"], "source": "the emulator's counters"}
        stream = aws.lambdas.log_stream if aws.lambdas is not None else None
        if stream is not None:
            stream.flush()  # the last invocation's metrics may still be buffered
        reads, writes = metric_calls(self.lambda_log, self.offset)
        return {"reads": reads, "writes": writes, "source": "the functions' SolidServerReads/Writes metrics"}


def metric_calls(log: Path, offset: int = 0) -> tuple[int, int]:
    """Sum of the ``SolidServerReads`` and ``SolidServerWrites`` metrics in the EMF lines of a
    functions' log, from byte ``offset`` on."""
    totals = {"SolidServerReads": 0.0, "SolidServerWrites": 0.0}
    if not log.is_file():
        return 0, 0
    with log.open("rb") as f:
        f.seek(offset)
        for raw in f:
            if b'"_aws"' not in raw:
                continue
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            for name in totals:
                value = entry.get(name, 0) if isinstance(entry, dict) else 0
                totals[name] += sum(value) if isinstance(value, list) else float(value or 0)
    return int(totals["SolidServerReads"]), int(totals["SolidServerWrites"])
