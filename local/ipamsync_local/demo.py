"""``ipamsync demo`` (``make demo``): a fleet of EC2 instances through the whole local pipeline.

A SOLIDserver emulator runs as a separate HTTPS process (or a real appliance is used); the local
AWS (:class:`~ipamsync_local.aws.LocalAws`: moto, the real handlers, the real state machine) is
built from ``template.yaml``; a fleet is launched in moto's EC2 and taken through its lifecycle
(launch, stop, start under a SOLIDserver brownout, rename, terminate) phase by phase. Every EC2
state change becomes an EventBridge event → enrich → FIFO queue → pipe → state machine →
SOLIDserver. At the end: what SOLIDserver holds (IPAM tree, devices, DNS), every execution, the
totals, and a consistency check of SOLIDserver against EC2. See ``docs/demo.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ipamsync_local import demo_fleet as fleetlib
from ipamsync_local import truth as truthlib

DEFAULT_DATA_DIR = Path(".ipamsync") / "demo"
DEFAULT_SPACE = "AWS"
DEFAULT_DNS_SERVER = "ns.ipamsync.local"
DEFAULT_ZONE = "ec2.example.internal"
OVERRIDE_ZONE = "apps.example.internal"
REVERSE_ZONES = ("10.in-addr.arpa", "16.172.in-addr.arpa", "168.192.in-addr.arpa")
EMULATOR_USER, EMULATOR_PASSWORD = "ipmadmin", "admin"  # the emulator's documented defaults
#: The brownout of the "start" phase: 15 % of SOLIDserver calls fail (8 % 503, 7 % 429 with
#: Retry-After: 1), for at most this many seconds (scaled by --time-scale) or until the phase is done.
FAULTS = {"seed": 7, "rules": {"*": {"error_rates": {"503": 0.08, "429": 0.07}, "retry_after": 1}}}
BROWNOUT_SECONDS = 8.0
#: Longest a phase may take (the state machine's worst case is 217 s of retry waits per event).
PHASE_TIMEOUT = 600.0


# --------------------------------------------------------------------------- command line


def register(subparsers: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        name,
        help=help_text,
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  make demo\n"
        "  make demo DEMO_ARGS='--continue --instances 30'\n"
        "  ipamsync demo --keep-running\n"
        "  SOLIDSERVER_USERNAME=… SOLIDSERVER_PASSWORD=… ipamsync demo \\\n"
        "      --solidserver-url https://sds.example.com --ca-bundle ca.pem --space ipamsync-demo \\\n"
        "      --dns-server ns1.example.com --forward-zone lab.example.com\n"
        "see docs/demo.md",
    )
    p.add_argument("--instances", type=int, default=20, metavar="N", help="fleet size (default 20)")
    p.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        metavar="F",
        help="scale of every designed wait: retries, Lambda backoff, visibility timeout (default 1.0 = AWS)",
    )
    p.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="execution records and lambda.log "
        "(default: $IPAMSYNC_LOCAL_STATE_DIR or .ipamsync/local, what `ipamsync local` reads)",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"the emulator's database, TLS files and log (default {DEFAULT_DATA_DIR})",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--fresh",
        dest="continue_",
        action="store_false",
        help="start clean: wipe the emulator database and the execution records (default)",
    )
    mode.add_argument(
        "--continue",
        dest="continue_",
        action="store_true",
        help="keep the emulator database (and the records) and add this run to them",
    )
    p.add_argument("--no-faults", action="store_true", help="no SOLIDserver brownout in the start phase")
    p.add_argument(
        "--keep-running",
        action="store_true",
        help="leave the emulator up and serve the local AWS on a loopback port until Ctrl-C",
    )
    p.add_argument(
        "--aws-port",
        type=int,
        default=0,
        help="port of the local AWS endpoint with --keep-running (default: a free one)",
    )
    real = p.add_argument_group(
        "SOLIDserver", "the emulator by default; --solidserver-url runs the same demo against an appliance"
    )
    real.add_argument("--solidserver-url", help="https://… of the appliance (no emulator is started)")
    real.add_argument("--username", default=None, help="default: $SOLIDSERVER_USERNAME")
    real.add_argument("--password", default=None, help="default: $SOLIDSERVER_PASSWORD")
    verify = real.add_mutually_exclusive_group()
    verify.add_argument("--ca-bundle", type=Path, help="PEM bundle of the CA that signs its certificate")
    verify.add_argument("--insecure", action="store_true", help="do not verify its certificate (lab only)")
    real.add_argument("--space", default=DEFAULT_SPACE, help=f"IPAM space (default {DEFAULT_SPACE})")
    real.add_argument("--dns-server", default=DEFAULT_DNS_SERVER, help=f"default {DEFAULT_DNS_SERVER}")
    real.add_argument("--forward-zone", default=DEFAULT_ZONE, help=f"default {DEFAULT_ZONE}")
    real.add_argument(
        "--override-zone",
        default=OVERRIDE_ZONE,
        help="second forward zone, chosen by one instance's ipamsync:zone tag "
        f"(default {OVERRIDE_ZONE}; left out when the appliance does not have it)",
    )
    real.add_argument(
        "--requests-per-second",
        type=int,
        default=None,
        help="SolidServerRequestsPerSecond (default: 1000 on the emulator, 10 otherwise)",
    )
    p.set_defaults(func=main, continue_=False)
    return p


def main(args: argparse.Namespace) -> int:
    if args.instances < 1:
        print("--instances must be at least 1", file=sys.stderr)
        return 2
    if args.time_scale <= 0:
        print("--time-scale must be > 0 (waits are scaled, never skipped)", file=sys.stderr)
        return 2
    if args.solidserver_url and not args.solidserver_url.startswith("https://"):
        print("--solidserver-url must be https:// (the template allows nothing else)", file=sys.stderr)
        return 2
    if not args.solidserver_url and (args.ca_bundle or args.insecure):
        print("--ca-bundle/--insecure go with --solidserver-url", file=sys.stderr)
        return 2
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    screen = Screen(sys.stdout)
    try:
        return Demo(args, screen).run()
    except DemoError as exc:
        screen.line(f"\nerror: {exc}")
        return 1
    except BrokenPipeError:  # `ipamsync demo | head`: everything was stopped on the way out
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error when Python flushes at exit
        return 1


class DemoError(RuntimeError):
    """Something the demo cannot go on with (told to the user, exit status 1)."""


# --------------------------------------------------------------------------- output


class Screen:
    """Plain lines, plus one status line refreshed in place when the output is a terminal."""

    def __init__(self, stream: TextIO, live: bool | None = None) -> None:
        self.stream = stream
        if live is None:
            live = stream.isatty() and os.environ.get("TERM", "") != "dumb"
        self.live = live
        self._status = False
        self._lock = threading.Lock()

    def _width(self) -> int:
        return max(40, shutil.get_terminal_size((120, 24)).columns - 1)

    def bold(self, text: str) -> str:
        return f"\033[1m{text}\033[0m" if self.live else text

    def line(self, text: str = "") -> None:
        with self._lock:
            if self._status:
                self.stream.write("\r\033[K")
                self._status = False
            self.stream.write(text + "\n")
            self.stream.flush()

    def status(self, text: str) -> None:
        """Refresh the status line (terminals only: elsewhere only :meth:`line` writes)."""
        if not self.live:
            return
        with self._lock:
            self.stream.write("\r\033[K" + text[: self._width()])
            self.stream.flush()
            self._status = True

    def section(self, title: str) -> None:
        self.line()
        self.line(self.bold(f"── {title} " + "─" * max(3, 76 - len(title))))


def _seconds(value: float) -> str:
    if value < 60:
        return f"{value:.1f} s"
    return f"{int(value // 60)} min {value % 60:04.1f} s"


# --------------------------------------------------------------------------- the emulator process


class EmulatorProcess:
    """``ipamsync emulator serve --tls`` as a child process, its files under ``data_dir``."""

    def __init__(self, data_dir: Path, *, fresh: bool, keep: bool, screen: Screen) -> None:
        self.dir = data_dir
        self.db = data_dir / "emulator.db"
        self.log = data_dir / "emulator.log"
        self.pid_file = data_dir / "emulator.json"
        self.tls_dir = data_dir / "tls"
        self.fresh = fresh
        self.keep = keep
        self.screen = screen
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.ca_path = ""

    def __enter__(self) -> EmulatorProcess:
        from ipamsync_local.emulator import tls

        self.dir.mkdir(parents=True, exist_ok=True)
        self._stop_previous()
        if self.fresh:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.db}{suffix}").unlink(missing_ok=True)
        files = tls.generate(self.tls_dir)
        self.ca_path = str(files.ca_cert.resolve())
        ready = self.dir / "emulator.ready"
        ready.unlink(missing_ok=True)
        env = dict(
            os.environ, IPAMSYNC_EMULATOR_USERNAME=EMULATOR_USER, IPAMSYNC_EMULATOR_PASSWORD=EMULATOR_PASSWORD
        )
        command = [
            sys.executable,
            "-m",
            "ipamsync_local.cli",
            "emulator",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--tls",
            "--cert",
            str(files.chain),
            "--key",
            str(files.key),
            "--db",
            str(self.db),
            "--ready-file",
            str(ready),
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,  # Ctrl-C in the terminal is the demo's to handle
            )
        deadline = time.monotonic() + 60
        while not ready.is_file() or not ready.read_text().strip():
            if self.process.poll() is not None:
                tail = self.log.read_text(errors="replace")[-2000:]
                raise DemoError(f"the emulator exited with status {self.process.returncode}:\n{tail}")
            if time.monotonic() > deadline:
                self._terminate()
                raise DemoError(f"the emulator did not start within 60 s (see {self.log})")
            time.sleep(0.05)
        self.url = ready.read_text().strip()
        self.pid_file.write_text(
            json.dumps(
                {"pid": self.process.pid, "url": self.url, "ca": self.ca_path, "db": str(self.db.resolve())}
            )
            + "\n"
        )
        return self

    def __exit__(self, *exc: object) -> None:
        if self.keep and self.process is not None and self.process.poll() is None:
            return
        self._terminate()
        self.pid_file.unlink(missing_ok=True)

    def _terminate(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def _stop_previous(self) -> None:
        """An emulator a previous ``--keep-running`` demo left up holds the database: stop it (only
        that process: its pid is in our own file and its command line must be ours)."""
        try:
            info = json.loads(self.pid_file.read_text())
            pid = int(info["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            cmdline = []
        if b"emulator" in cmdline and b"serve" in cmdline and str(self.db).encode() in cmdline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
                for _ in range(100):
                    time.sleep(0.05)
                    os.kill(pid, 0)
            self.screen.line(f"stopped the emulator a previous demo left running (pid {pid})")
        self.pid_file.unlink(missing_ok=True)


# --------------------------------------------------------------------------- counters


@dataclass
class Snapshot:
    events: int = 0
    enriched: int = 0
    succeeded: int = 0
    failed: int = 0
    retries: int = 0
    retried: int = 0
    queue: int = 0

    def minus(self, base: Snapshot) -> Snapshot:
        return Snapshot(
            self.events - base.events,
            self.enriched - base.enriched,
            self.succeeded - base.succeeded,
            self.failed - base.failed,
            self.retries - base.retries,
            self.retried - base.retried,
            self.queue,
        )


def snapshot(aws: Any) -> Snapshot:
    enrich = aws.lambdas.stats().get("EnrichFunction", {}) if aws.lambdas is not None else {}
    summaries = list(aws.recorder.summaries) if aws.recorder is not None else []
    depth = aws.queue_depth("EventQueue")
    return Snapshot(
        events=len(aws.events_source.emitted),
        enriched=int(enrich.get("invocations", 0)) - int(enrich.get("errors", 0)),
        succeeded=sum(1 for s in summaries if s.status == "SUCCEEDED"),
        failed=sum(1 for s in summaries if s.status != "SUCCEEDED"),
        retries=sum(s.retries for s in summaries),
        retried=sum(1 for s in summaries if s.retries),
        queue=depth["visible"] + depth["in_flight"] + depth["delayed"],
    )


def counter_text(c: Snapshot, elapsed: float) -> str:
    return (
        f"events {c.events:>3}  enriched {c.enriched:>3}  executions ✔ {c.succeeded:>3} ✘ {c.failed}"
        f"  retried {c.retried} ({c.retries} retries)  queue {c.queue:>2}  {_seconds(elapsed)}"
    )


# --------------------------------------------------------------------------- the demo


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
        from ipamsync_local.emulator import EmulatorAdmin

        return EmulatorAdmin(self.url, verify=self.ca_path or True)


@dataclass
class PhaseResult:
    title: str
    counts: Snapshot
    seconds: float
    converged: bool
    note: str = ""


@dataclass
class Run:
    """What the demo did, for the final screen."""

    keys: dict[str, str] = field(default_factory=dict)  # plan key → instance id
    phases: list[PhaseResult] = field(default_factory=list)
    brownout: dict[str, Any] = field(default_factory=dict)
    caught_up: int = 0


@dataclass
class Earlier:
    """What earlier runs (another EC2) left in SOLIDserver, read before this run starts."""

    #: instances SOLIDserver still holds as live (caught up: their "terminated" events are replayed)
    live: list[str] = field(default_factory=list)
    #: instances already terminated: instance id → their device's name
    gone: dict[str, str] = field(default_factory=dict)
    #: (VPC or subnet id, CIDR) of the networks they made
    networks: list[tuple[str, str]] = field(default_factory=list)


class Demo:
    def __init__(self, args: argparse.Namespace, screen: Screen) -> None:
        from ipamsync_local.aws.executions import default_state_dir

        self.args = args
        self.screen = screen
        self.state_dir = Path(args.state_dir) if args.state_dir else default_state_dir()
        self.state_dir_given = args.state_dir is not None
        self.fresh = not args.continue_
        self.run_info = Run()
        self.started = time.monotonic()
        self.emulated = not args.solidserver_url
        self.zone_override: str | None = args.override_zone

    # ------------------------------------------------------------------ setup

    def _target(self, stack: contextlib.ExitStack) -> Target:
        args = self.args
        if self.emulated:
            emu = stack.enter_context(
                EmulatorProcess(args.data_dir, fresh=self.fresh, keep=args.keep_running, screen=self.screen)
            )
            return Target(emu.url, EMULATOR_USER, EMULATOR_PASSWORD, emu.ca_path, True, emu)
        username = args.username or os.environ.get("SOLIDSERVER_USERNAME", "")
        password = args.password or os.environ.get("SOLIDSERVER_PASSWORD", "")
        if not (username and password):
            raise DemoError(
                "a real SOLIDserver needs --username/--password (or SOLIDSERVER_USERNAME/"
                "SOLIDSERVER_PASSWORD)"
            )
        ca = str(args.ca_bundle.resolve()) if args.ca_bundle else None
        if args.insecure:
            import warnings

            from urllib3.exceptions import InsecureRequestWarning

            warnings.simplefilter("ignore", InsecureRequestWarning)  # said once here, not per request
            self.screen.line("note: --insecure: SOLIDserver's certificate is not verified")
        return Target(args.solidserver_url.rstrip("/"), username, password, ca, not args.insecure)

    def _prepare_solidserver(self, target: Target, ss: Any) -> list[str]:
        """Seed the emulator (space, DNS server, zones) or check the appliance; the reverse zones."""
        args = self.args
        if target.emulator is not None:
            admin = target.admin()
            admin.seed(
                space=args.space,
                dns_server=args.dns_server,
                forward_zones=[args.forward_zone, *([self.zone_override] if self.zone_override else [])],
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
        if self.zone_override and self.zone_override not in forward:
            self.screen.line(
                f"note: zone {self.zone_override} is not on {args.dns_server}: no instance "
                "gets the ipamsync:zone tag"
            )
            self.zone_override = None
        return sorted(z.name for z in zones if z.reverse)

    def _local_aws(self, target: Target) -> Any:
        from ipamsync_local.aws import LocalAws

        args = self.args
        rps = args.requests_per_second or (1000 if self.emulated else 10)
        parameters = {
            "SpaceName": args.space,
            "DnsServerName": args.dns_server,
            "DnsForwardZone": args.forward_zone,
            "SolidServerRequestsPerSecond": str(rps),
            "SolidServerVerifyTls": "true" if target.verify else "false",
        }
        self.state_dir.mkdir(parents=True, exist_ok=True)
        lambda_log = self.state_dir / "lambda.log"
        return LocalAws(
            parameters=parameters,
            state_dir=self.state_dir,
            time_scale=args.time_scale,
            solidserver_url=target.url,
            credentials={"username": target.username, "password": target.password},
            ca_bundle_pem=target.ca_pem if target.verify else None,
            lambda_log=lambda_log,
            reset_state=self.fresh,
        )

    # ------------------------------------------------------------------ run

    def run(self) -> int:
        args = self.args
        screen = self.screen
        screen.line(
            screen.bold("ipamsync demo") + f" — {args.instances} EC2 instances through the local "
            "pipeline into " + ("a SOLIDserver emulator" if self.emulated else args.solidserver_url)
        )
        if self.fresh:
            for name in ("lambda.log", "runtime.log"):
                (self.state_dir / name).unlink(missing_ok=True)
        _quiet_runtime_logs(self.state_dir)
        with contextlib.ExitStack() as stack:
            target = self._target(stack)
            if target.emulator is not None:
                screen.line(
                    f"SOLIDserver emulator  {target.url}  (process {target.emulator.process.pid}, "  # type: ignore[union-attr]
                    f"TLS, database {target.emulator.db}"
                    + (", continued" if not self.fresh else ", fresh")
                    + ")"
                )
            ss = target.client()
            stack.callback(ss.client.close)
            reverse_zones = self._prepare_solidserver(target, ss)
            t0 = time.monotonic()
            aws = stack.enter_context(self._local_aws(target))
            screen.line(
                f"local AWS             moto, template.yaml, 5 functions, state machine, pipe "
                f"(ready in {_seconds(time.monotonic() - t0)}; time scale {args.time_scale:g})"
            )
            screen.line(
                f"                      credentials in Secrets Manager ({aws.secret_name}), CA bundle in SSM "
                f"({aws.template.parameters.get('SolidServerCaBundleParameter') or 'none'}), "
                f"Lambda logs → {self.state_dir / 'lambda.log'}"
            )
            network = fleetlib.build_network(aws.fleet, aws.ec2)
            ip6_zone = fleetlib.ip6_reverse_zone(network.ipv6_block)
            if target.emulator is not None:
                admin = target.admin()
                admin.add_dns_zone(args.dns_server, ip6_zone, reverse=True)
                admin.close()
                reverse_zones = sorted({*reverse_zones, ip6_zone})
            screen.line(
                f"EC2 (moto)            VPC prod 10.0.0.0/16 (prod-1, prod-2), VPC dev 172.16.0.0/16 + "
                f"{network.ipv6_block} (dev-1 dual-stack, dev-2)"
            )
            screen.line(
                f"DNS                   {args.dns_server}: {args.forward_zone}"
                + (f", {self.zone_override}" if self.zone_override else "")
                + f"; reverse {', '.join(reverse_zones) or 'none'}"
            )
            earlier = self._earlier(ss, aws)
            stale = earlier.live
            if target.emulator is not None:
                admin = target.admin()
                admin.reset_stats()  # from here on, the counters are the pipeline's calls
                admin.close()
            ok = self._phases(aws, target, network, stale)
            calls = self._solidserver_calls(target)
            return self._final(aws, target, ss, earlier, calls, ok)
        return 1  # pragma: no cover

    def _earlier(self, ss: Any, aws: Any) -> Earlier:
        """What earlier runs left in SOLIDserver: this EC2 is new and knows none of it."""
        from ipamsync_local.inventory import read_inventory

        inv = read_inventory(ss, self.args.dns_server)
        prefix = truthlib.owner_of(aws.context.account_id, aws.context.region, "i-")
        found = Earlier()
        for d in inv.devices:
            owner = d.metadata.get(truthlib.OWNER, "")
            if not owner.startswith(prefix):
                continue
            iid = owner.rsplit(":", 1)[1]
            if truthlib.TOMBSTONE in d.metadata or d.metadata.get("aws_state") == "terminated":
                found.gone[iid] = d.name  # left as it is: a tombstone keeps its name
            else:
                found.live.append(iid)
        found.live.sort()
        for n in inv.networks:
            owner = n.metadata.get(truthlib.OWNER, "")
            resource = owner.rsplit(":", 1)[-1]
            if owner.startswith("aws:") and resource.startswith(("vpc-", "subnet-")):
                found.networks.append((resource, n.cidr))
        return found

    # ------------------------------------------------------------------ phases

    def _phases(self, aws: Any, target: Target, network: fleetlib.DemoNetwork, stale: list[str]) -> bool:
        args = self.args
        plan = fleetlib.fleet_plan(args.instances, zone_override=self.zone_override)
        phases = fleetlib.phase_plan(s.key for s in plan)
        keys = self.run_info.keys
        names = {s.key: s.name or s.key for s in plan}
        total = 5 + (1 if stale else 0)
        n = 0
        ok = True

        def step(title: str, detail: list[str], action: Callable[[], None], brownout: bool = False) -> None:
            nonlocal n, ok
            n += 1
            result = self._phase(aws, target, f"[{n}/{total}] {title}", detail, action, brownout)
            ok = ok and result.converged

        if stale:

            def catch_up() -> None:
                for iid in stale:
                    aws.events_source.emit(
                        iid, "terminated", account_id=aws.context.account_id, region=aws.context.region
                    )

            self.run_info.caught_up = len(stale)
            step(
                f"catch up: {len(stale)} instance(s) of an earlier run",
                [
                    "SOLIDserver still holds them, this (new) EC2 does not know them: their 'terminated' "
                    "events are replayed (enrich finds no instance → the device becomes a tombstone)"
                ],
                catch_up,
            )

        def launch() -> None:
            for spec in plan:
                action = aws.fleet.launch(
                    spec.name,
                    tags=spec.tags,
                    subnet_id=network.subnets[spec.subnet],
                    enis=spec.enis,
                    secondary_ips=spec.secondary_ips,
                    ipv6=spec.ipv6,
                    public_ip=spec.public_ip,
                    elastic_ip=spec.elastic_ip,
                    instance_type=spec.instance_type,
                )
                keys[spec.key] = action.instance_id

        showcase = [
            f"{s.name!r} ({s.subnet}{', ' + s.features() if s.features() else ''})"
            for s in plan
            if s.features() or s.key in ("worker-a", "cache1", "metrics")
        ]
        step(
            f"launch {len(plan)} instance{'s' if len(plan) != 1 else ''}",
            ["incl. " + "; ".join(showcase[:8]) + ("; …" if len(showcase) > 8 else "")],
            launch,
        )

        def public_ip(key: str) -> str | None:
            return aws.fleet.describe(keys[key]).get("PublicIpAddress")

        before = {k: public_ip(k) for k in phases.stop}
        detail = []
        for k in phases.stop:
            spec = next(s for s in plan if s.key == k)
            if spec.public_ip:
                detail.append(f"{names[k]} loses its public IP {before[k]}")
            elif spec.elastic_ip:
                detail.append(f"{names[k]} keeps its Elastic IP {before[k]}")
        step(
            f"stop {len(phases.stop)}: " + ", ".join(names[k] for k in phases.stop),
            detail,
            lambda: self._each(aws.fleet.stop, [keys[k] for k in phases.stop]),
        )

        faults = not args.no_faults and target.emulator is not None
        detail = []
        if faults:
            window = BROWNOUT_SECONDS * args.time_scale
            detail.append(
                f"⚡ SOLIDserver brownout: 15 % of API calls answer 503 or 429 (Retry-After: 1) for "
                f"up to {_seconds(window)}: the state machine retries, nothing is lost"
            )
        step(
            f"start {len(phases.start)}: " + ", ".join(names[k] for k in phases.start),
            detail,
            lambda: self._each(aws.fleet.start, [keys[k] for k in phases.start]),
            brownout=faults,
        )
        for k in phases.start:
            spec = next(s for s in plan if s.key == k)
            if spec.public_ip:
                self.screen.line(f"      {names[k]} came back with a new public IP {public_ip(k)}")

        step(
            "rename " + ", ".join(f"{names[k]} → {new!r}" for k, new in phases.rename),
            ["a tag change is no state change: the Name tag is set, then the instance restarted"],
            lambda: self._each(
                lambda pair: aws.fleet.rename(*pair), [(keys[k], new) for k, new in phases.rename]
            ),
        )
        step(
            f"terminate {len(phases.terminate)}: " + ", ".join(names[k] for k in phases.terminate),
            [
                "their addresses and records go, their devices stay as tombstones"
                + (
                    " (the other 'worker' keeps its A record)"
                    if "worker-b" in phases.terminate and "worker-a" in keys
                    else ""
                )
            ],
            lambda: self._each(aws.fleet.terminate, [keys[k] for k in phases.terminate]),
        )
        return ok

    @staticmethod
    def _each(action: Callable[[Any], Any], items: list[Any]) -> None:
        for item in items:
            action(item)

    def _phase(
        self,
        aws: Any,
        target: Target,
        title: str,
        detail: list[str],
        action: Callable[[], None],
        brownout: bool,
    ) -> PhaseResult:
        """Do ``action``, then wait until the pipeline is idle, showing the counters meanwhile."""
        screen = self.screen
        screen.line(screen.bold(title))
        for text in detail:
            screen.line(f"      {text}")
        base = snapshot(aws)
        t0 = time.monotonic()
        admin = target.admin() if brownout else None
        before: dict[str, int] = {}
        if admin is not None:
            before = {k: int(v) for k, v in admin.stats()["totals"]["statuses"].items()}
            admin.set_faults(FAULTS)
        faults_on = admin is not None
        window = BROWNOUT_SECONDS * self.args.time_scale
        action()
        converged, note = False, ""
        deadline = t0 + PHASE_TIMEOUT * max(self.args.time_scale, 0.05)
        quiet_since: float | None = None
        counts = Snapshot()
        while True:
            if faults_on and admin is not None and time.monotonic() - t0 >= window:
                admin.clear_faults()
                faults_on = False
                screen.line(f"      brownout over after {_seconds(time.monotonic() - t0)}")
            try:
                aws.wait_idle(timeout=0.25, poll=0.05)
                converged = True
            except TimeoutError:
                pass
            counts = snapshot(aws).minus(base)
            if converged:
                break
            now = time.monotonic()
            screen.status("      " + ("⚡ " if faults_on else "") + counter_text(counts, now - t0))
            if counts.failed and self._nothing_running(aws):
                quiet_since = quiet_since or now
                if now - quiet_since >= 2.0:
                    note = (
                        f"{counts.failed} execution(s) failed: SQS redelivers their events after the "
                        "visibility timeout (360 s x time scale), then dead-letters them; not waited for"
                    )
                    break
            else:
                quiet_since = None
            if now > deadline:
                note = f"still busy after {_seconds(now - t0)}: {aws.busy()}"
                break
        if admin is not None:
            if faults_on:
                admin.clear_faults()
            after = admin.stats()["totals"]["statuses"]
            self.run_info.brownout = {
                "window": window,
                "by_status": {k: int(after.get(k, 0)) - before.get(k, 0) for k in ("503", "429")},
            }
            admin.close()
        seconds = time.monotonic() - t0
        converged = converged and counts.failed == 0
        screen.line(f"    {'✔' if converged else '✘'} " + counter_text(counts, seconds))
        if note:
            screen.line(f"      {note}")
        result = PhaseResult(title, counts, seconds, converged, note)
        self.run_info.phases.append(result)
        return result

    @staticmethod
    def _nothing_running(aws: Any) -> bool:
        """No asynchronous invocation and no execution running: failed events wait for their visibility
        timeout (and their message groups behind them)."""
        if aws.busy(queue=False)["async_invocations"]:
            return False
        running = aws.sfn.list_executions(stateMachineArn=aws.state_machine.arn, statusFilter="RUNNING")
        return not running.get("executions")

    def _solidserver_calls(self, target: Target) -> dict[str, Any]:
        if target.emulator is not None:
            admin = target.admin()
            totals = admin.stats()["totals"]
            admin.close()
            return {"reads": totals["reads"], "writes": totals["writes"], "source": "the emulator's counters"}
        from ipamsync.runtime import container

        calls = container.sync_context().ss.client.calls
        return {"reads": calls["read"], "writes": calls["write"], "source": "the functions' client"}

    # ------------------------------------------------------------------ final screen

    def _final(
        self,
        aws: Any,
        target: Target,
        ss: Any,
        earlier: Earlier,
        calls: dict[str, Any],
        converged: bool,
    ) -> int:
        from ipamsync_local.inventory import read_inventory

        screen = self.screen
        args = self.args
        inv = read_inventory(ss, args.dns_server)
        truth, ignored = self._truth(aws, ss, inv, earlier)
        view = scope(inv, args.space)
        screen.section(f"SOLIDserver · IPAM (space {args.space})")
        screen.line(ipam_tree(view))
        screen.section("SOLIDserver · devices")
        screen.line(devices_view(view))
        screen.section(f"SOLIDserver · DNS records on {args.dns_server}")
        screen.line(dns_view(view))

        summaries = sorted(aws.recorder.summaries, key=lambda s: (s.start or "", s.name))
        screen.section("Executions (one per EC2 event)")
        names = {i["instance_id"]: i["name"] for i in aws.fleet.instances()}
        screen.line(executions_table(summaries, names))
        workflow = aws.dead_letters("WorkflowDeadLetterQueue")
        events = aws.dead_letters("EventDeadLetterQueue")
        emitted = aws.events_source.emitted
        by_state = Counter(e.state for e in emitted)
        retried = [s for s in summaries if s.retries]
        failed = [s for s in summaries if s.status != "SUCCEEDED"]
        wall = time.monotonic() - self.started
        screen.section("Summary")
        rows = [
            (
                "EC2 events",
                f"{len(emitted)}  (" + ", ".join(f"{k} {v}" for k, v in sorted(by_state.items())) + ")",
            ),
            (
                "executions",
                f"{len(summaries)}  succeeded {len(summaries) - len(failed)}, failed {len(failed)}",
            ),
            (
                "retries",
                f"{sum(s.retries for s in summaries)} in {len(retried)} execution(s)"
                + (
                    f"  ({', '.join(sorted({f['error'] for s in retried for f in s.task_failures}))})"
                    if retried
                    else ""
                ),
            ),
            (
                "dead letters",
                f"{len(workflow) + len(events)}  (workflow {len(workflow)}, event {len(events)})",
            ),
            (
                "SOLIDserver calls",
                f"{calls['reads'] + calls['writes']}  (reads {calls['reads']}, writes "
                f"{calls['writes']}; {calls['source']})",
            ),
        ]
        if self.run_info.brownout and not sum(self.run_info.brownout["by_status"].values()):
            rows.append(
                ("brownout", f"no call happened to fail in its {_seconds(self.run_info.brownout['window'])}")
            )
        elif self.run_info.brownout:
            b = self.run_info.brownout["by_status"]
            rows.append(
                (
                    "brownout",
                    f"{sum(b.values())} SOLIDserver calls failed on purpose ("
                    + ", ".join(f"{v}x {k}" for k, v in sorted(b.items()))
                    + "): 429s waited out by the "
                    "client (Retry-After), 503s retried by the state machine",
                )
            )
        if self.run_info.caught_up:
            rows.append(("earlier runs", f"{self.run_info.caught_up} instance(s) caught up (now tombstones)"))
        rows.append(
            (
                "phases",
                "  ".join(f"{p.title.split(']')[0][1:]} {_seconds(p.seconds)}" for p in self.run_info.phases),
            )
        )
        rows.append(("wall time", _seconds(wall)))
        for label, value in rows:
            screen.line(f"  {label:<18} {value}")

        problems = truthlib.compare(inv, truth, ignore_instances=ignored)
        screen.section("Consistency check (SOLIDserver against EC2)")
        if problems:
            screen.line(f"  ✘ SOLIDserver differs from EC2 in {len(problems)} point(s):")
            for p in problems[:60]:
                screen.line(f"    - {p}")
            if len(problems) > 60:
                screen.line(f"    … and {len(problems) - 60} more")
        else:
            n = truth.summary()
            screen.line(
                f"  ✔ SOLIDserver matches EC2: {n['live']} live instance(s) with {n['addresses']} addresses "
                f"and {n['records']} DNS records, {n['terminated']} terminated (tombstones only), "
                f"{n['networks']} networks, no duplicates"
            )
        if workflow or events:
            from ipamsync_local.aws.cli import describe_dead_letter

            screen.line("  dead letters:")
            for entry in workflow + events:
                screen.line(f"    {describe_dead_letter(entry)}")
        ok = converged and not problems and not workflow and not events and not failed
        self._look_again(aws, target, summaries)
        screen.line()
        verdict = "✔ demo succeeded" if ok else "✘ demo failed: see above"
        screen.line(screen.bold(f"{verdict} (wall time {_seconds(time.monotonic() - self.started)})"))
        if args.keep_running:
            self._keep_running(aws, target)
        return 0 if ok else 1

    def _truth(self, aws: Any, ss: Any, inv: Any, earlier: Earlier) -> tuple[truthlib.Truth, set[str]]:
        """What SOLIDserver must hold (:mod:`ipamsync_local.truth`, from moto's EC2 and README's
        rules), and the instances to leave out: those of other accounts or regions.

        Instances of earlier runs (this account and region, unknown to this EC2) must be tombstones
        and nothing else: the ones caught up now named after their id, the older ones as they were.
        Their VPCs' networks stay (networks are never deleted)."""
        account, region = aws.context.account_id, aws.context.region
        prefix = truthlib.owner_of(account, region, "i-")
        owners = {
            o.metadata.get(truthlib.OWNER, "")
            for o in (*inv.devices, *inv.interfaces, *inv.addresses, *inv.records)
        }
        instances = {o for o in owners if o.startswith("aws:") and o.count(":") == 3 and ":i-" in o}
        unknown = {o.rsplit(":", 1)[1] for o in instances if o.startswith(prefix)}
        truth = truthlib.compute_truth(
            aws.ec2,
            truthlib.settings_from_parameters(aws.template.parameters),
            zones=truthlib.zones_of(ss, self.args.dns_server),
            account=account,
            region=region,
            unknown_terminated={iid: earlier.gone.get(iid, iid) for iid in sorted(unknown)},
            networks_before=earlier.networks,
        )
        return truth, {o.rsplit(":", 1)[1] for o in instances if not o.startswith(prefix)}

    def _look_again(self, aws: Any, target: Target, summaries: list[Any]) -> None:
        sd = f" --state-dir {self.state_dir}" if self.state_dir_given else ""
        example = next((s for s in summaries if s.retries), summaries[0] if summaries else None)
        rows = [(f"ipamsync local executions{sd}", "every execution, newest first")]
        if example is not None:
            rows.append(
                (
                    f"ipamsync local history {example.name}{sd}",
                    "one execution's events" + (" (this one was retried)" if example.retries else ""),
                )
            )
        rows.append(
            (f"less {self.state_dir / 'lambda.log'}", "the functions' logs (JSON, one line per entry)")
        )
        if target.emulator is not None and not self.args.keep_running:
            rows.append(
                ("make demo DEMO_ARGS=--keep-running", "keep the emulator and the local AWS up to browse")
            )
        width = max(len(r[0]) for r in rows)
        self.screen.section("Look again")
        for command, what in rows:
            self.screen.line(f"  {command:<{width}}   {what}")

    # ------------------------------------------------------------------ --keep-running

    def _keep_running(self, aws: Any, target: Target) -> None:
        screen = self.screen
        if target.emulator is not None:
            assert target.emulator.process is not None
            screen.section("The emulator keeps running")
            b64 = "$(printf %s '{}' | base64)"
            screen.line(f"  URL          {target.url}")
            screen.line(f"  credentials  {target.username} / {target.password}")
            screen.line(f"  CA           {target.ca_path}")
            screen.line(f"  stop it      kill {target.emulator.process.pid}   (the next demo stops it too)")
            screen.line("  curl:")
            screen.line(
                f'    curl --cacert {target.ca_path} -H "X-IPM-Username: {b64.format(target.username)}" '
                f'-H "X-IPM-Password: {b64.format(target.password)}" \\'
            )
            screen.line(f"      '{target.url}/rest/hostdev_list?limit=5'")
            screen.line("  EfficientIP's client (SOLIDserverRest, in .venv):")
            host = target.url.removeprefix("https://")
            screen.line(
                "    .venv/bin/python -c 'from SOLIDserverRest import SOLIDserverRest as S; "
                f'c = S("{host}"); c.use_native_sds(user="{target.username}", password="{target.password}"); '
                f'c.set_certificate_file("{target.ca_path}"); '
                'print(c.query("ip_address_list", {"limit": 5}).json())\''
            )
        try:
            server = serve_local_aws(self.args.aws_port)
        except Exception as exc:  # the emulator stays up either way
            screen.line(f"\n  (the local AWS cannot be served over HTTP: {exc})")
            return
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        env = (
            "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=" + aws.context.region
        )
        queue = aws.queue_url("EventQueue")
        screen.section(f"The local AWS is served on {endpoint} (Ctrl-C ends it)")
        screen.line(f"  export {env}")
        screen.line(
            f"  aws --endpoint-url {endpoint} ec2 describe-instances --query "
            "'Reservations[].Instances[].[InstanceId,State.Name,PrivateIpAddress]' --output text"
        )
        live = [i["instance_id"] for i in aws.fleet.instances() if i["state"] == "running"]
        if live:
            screen.line(
                f"  aws --endpoint-url {endpoint} ec2 stop-instances --instance-ids {live[0]}"
                "   (the pipeline syncs it)"
            )
        screen.line(
            f"  aws --endpoint-url {endpoint} sqs get-queue-attributes --queue-url {queue} "
            "--attribute-names All"
        )
        screen.line(f"  ipamsync redrive --endpoint-url {endpoint} --event-queue-url {queue} \\")
        screen.line(f"      --dead-letter-queue-url {aws.queue_url('WorkflowDeadLetterQueue')} \\")
        screen.line(f"      --dead-letter-queue-url {aws.queue_url('EventDeadLetterQueue')} \\")
        screen.line(f"      --enrich-function {aws.lambdas.get('EnrichFunction').name} --dry-run")
        sd = f" --state-dir {self.state_dir}" if self.state_dir_given else ""
        screen.line(f"  ipamsync local executions{sd}")
        stop = threading.Event()
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            server.stop()
        screen.line(
            "\nlocal AWS stopped"
            + (f"; the emulator keeps running at {target.url}" if target.emulator else "")
        )


def serve_local_aws(port: int = 0) -> Any:
    """moto's server on loopback, on the same in-process backends as the running ``LocalAws``
    (so the AWS CLI and ``ipamsync redrive --endpoint-url`` see and drive the demo's resources).

    moto's server imports ``flask_cors`` (the ``moto[server]`` extra), which the pinned dependencies
    do not include; the server is loopback-only and never answers browsers, so CORS headers are
    not needed: a stand-in module is registered when the real one is missing."""
    import types

    try:
        import flask_cors  # noqa: F401
    except ImportError:
        stand_in = types.ModuleType("flask_cors")
        stand_in.CORS = lambda app, *a, **kw: app  # type: ignore[attr-defined]
        sys.modules["flask_cors"] = stand_in
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request on the demo's screen
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server


def _quiet_runtime_logs(state_dir: Path) -> None:
    """The local runtime's own warnings go to ``<state dir>/runtime.log``, not the screen."""
    import logging

    state_dir.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger("ipamsync_local")
    if not any(getattr(h, "_ipamsync_demo", False) for h in logger.handlers):
        handler = logging.FileHandler(state_dir / "runtime.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._ipamsync_demo = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False


# --------------------------------------------------------------------------- views


def scope(inv: Any, space: str) -> Any:
    """The part of SOLIDserver the demo is about: its space, and what its instances own (a real
    appliance holds much more)."""
    from ipamsync_local.inventory import Inventory

    spaces = [s for s in inv.spaces if s.name == space]
    ids = {s.id for s in spaces}
    mine = ("aws:", truthlib.PUBLIC_OWNER)

    def owned(obj: Any) -> bool:
        return str(obj.metadata.get("ipamsync_owner", "")).startswith(mine)

    return Inventory(
        spaces=spaces,
        networks=[n for n in inv.networks if n.space_id in ids],
        addresses=[a for a in inv.addresses if a.space_id in ids],
        devices=[d for d in inv.devices if owned(d)],
        interfaces=[i for i in inv.interfaces if owned(i)],
        records=[r for r in inv.records if owned(r)],
    )


def _owner(meta: dict[str, str]) -> str:
    owner = meta.get(truthlib.OWNER, "")
    if owner.startswith("aws:") and owner.count(":") == 3:
        return owner.rsplit(":", 1)[1]
    return owner or "(not ipamsync)"


def _kind(meta: dict[str, str]) -> str:
    kind = meta.get("aws_address_kind", "")
    public = meta.get("aws_public_ip_kind")
    return f"{kind} ({public})" if public else kind


def ipam_tree(inv: Any) -> str:
    """space → blocks → subnets → addresses (name, kind, interface, MAC, owning instance)."""
    import ipaddress
    from collections import defaultdict

    children: dict[tuple[int, str | None], list[Any]] = defaultdict(list)
    for net in inv.networks:
        children[(net.version, net.parent_id)].append(net)
    addresses: dict[tuple[int, str | None], list[Any]] = defaultdict(list)
    for a in inv.addresses:
        addresses[(a.version, a.subnet_id)].append(a)
    ifname = {i.id: i.name for i in inv.interfaces}
    rows: list[tuple[str, tuple[str, ...]]] = []  # (first column, the others)

    def walk(net: Any, depth: int) -> None:
        kind = "subnet" if net.terminal else ("block" if net.parent_id is None else "network")
        owner = net.metadata.get(truthlib.OWNER, "")
        extra = [net.metadata["aws_availability_zone"]] if net.metadata.get("aws_availability_zone") else []
        if not owner.startswith("aws:"):
            extra.append(f"owner {owner or '(not ipamsync)'}")
        rows.append(
            (
                "  " * depth + net.cidr,
                (f"{kind:<6}  {net.name}" + (f"  · {' · '.join(extra)}" if extra else ""),),
            )
        )
        for child in sorted(children.get((net.version, net.id), []), key=lambda n: n.first):
            walk(child, depth + 1)
        for a in sorted(
            addresses.get((net.version, net.id), []), key=lambda a: int(ipaddress.ip_address(a.address))
        ):
            rows.append(
                (
                    "  " * (depth + 1) + a.address,
                    (
                        a.name or "-",
                        _kind(a.metadata),
                        ifname.get(a.iface_id or "", "-"),
                        a.mac or "-",
                        _owner(a.metadata),
                    ),
                )
            )

    out: list[str] = []
    for space in sorted(inv.spaces, key=lambda s: s.name):
        rows.clear()
        roots = [n for n in inv.networks if n.space_id == space.id and n.parent_id is None]
        for net in sorted(roots, key=lambda n: (n.version, n.first)):
            walk(net, 1)
        first = max((len(r[0]) for r in rows), default=0)
        cols = [r[1] for r in rows if len(r[1]) > 1]
        widths = [max((len(c[i]) for c in cols), default=0) for i in range(5)]
        out.append(f"space {space.name}")
        for head, rest in rows:
            if len(rest) == 1:
                out.append(f"{head:<{first}}  {rest[0]}")
            else:
                out.append(
                    f"{head:<{first}}  "
                    + "  ".join(f"{c:<{w}}" for c, w in zip(rest, widths, strict=True)).rstrip()
                )
    return "\n".join(out)


def devices_view(inv: Any) -> str:
    from ipamsync_local import report

    return report.devices(inv)


def dns_view(inv: Any) -> str:
    from ipamsync_local import report

    return report.dns_records(inv)


_STATE_LABELS = {
    "SyncDevice": "device",
    "SkipStale": "stale: skipped",
    "SyncNetworks": "networks",
    "SkipNetworks": "(no subnets)",
    "SyncAddresses": "addresses",
    "SyncDns": "dns",
    "DeadLetter": "DEAD-LETTER",
}


def states_text(summary: Any) -> str:
    """The states an execution ran, in order (addresses and DNS run in parallel), with retries."""
    failures = Counter(f.get("state", "") for f in summary.task_failures)
    done: list[str] = []
    for state in summary.states:
        label = _STATE_LABELS.get(state)
        if label is None or label in done:
            continue
        done.append(label)
    parts: list[str] = []
    for label in done:
        state = next(k for k, v in _STATE_LABELS.items() if v == label)
        text = label + (f" ↻{failures[state]}" if failures.get(state) else "")
        if label == "dns" and parts and parts[-1].startswith("addresses"):
            parts[-1] += " ∥ " + text
        elif label == "addresses" and parts and parts[-1].startswith("dns"):
            parts[-1] = text + " ∥ " + parts[-1]
        else:
            parts.append(text)
    return " > ".join(parts)


def executions_table(summaries: list[Any], names: dict[str, str]) -> str:
    """One row per execution: name (for ``ipamsync local history``), instance, event, states run,
    retries, status, duration."""
    from ipamsync_local import report

    rows = [
        (
            s.name,
            names.get(s.instance_id, "-") or "-",
            s.event_state or "-",
            states_text(s),
            str(s.retries),
            s.status + (f" ({s.error})" if s.error else ""),
            f"{s.duration_ms / 1000:.2f} s" if s.duration_ms is not None else "-",
        )
        for s in summaries
    ]
    return (
        report.table(
            ("EXECUTION", "INSTANCE", "EVENT", "STATES RUN (↻ retried)", "RETRIES", "STATUS", "DURATION"),
            rows,
        )
        + f"\n{len(rows)} execution(s)"
    )
