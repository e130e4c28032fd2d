"""One demo run: SOLIDserver (emulator or appliance), the local AWS from ``template.yaml``, the
demo's network in EC2, the phases, the final screen and, with ``--keep-running``, the browsing."""

from __future__ import annotations

import argparse
import contextlib
import logging
import time
from pathlib import Path
from typing import Any

from . import fleet as fleetlib
from .consistency import read_earlier
from .final import final_screen
from .keep_running import keep_running
from .phases import Lifecycle, Run
from .screen import Screen, seconds
from .target import CallCount, Target, add_reverse_zone, open_target, prepare_solidserver


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
        self.console_url: str | None = None  # --keep-running: where the console is served

    def state_dir_option(self) -> str:
        """`` --state-dir D`` for the commands shown, when the state directory was given."""
        return f" --state-dir {self.state_dir}" if self.state_dir_given else ""

    def run(self) -> int:
        args, screen = self.args, self.screen
        screen.line(
            screen.bold("ipamsync demo") + f" — {args.instances} EC2 instances through the local "
            "pipeline into " + ("a SOLIDserver emulator" if self.emulated else args.solidserver_url)
        )
        if self.fresh:
            for name in ("lambda.log", "runtime.log"):
                (self.state_dir / name).unlink(missing_ok=True)
        _quiet_runtime_logs(self.state_dir)
        with contextlib.ExitStack() as stack:
            target = open_target(args, stack, fresh=self.fresh, screen=screen)
            if target.emulator is not None:
                screen.line(
                    f"SOLIDserver emulator  {target.url}  (process {target.emulator.proc.pid}, "  # type: ignore[union-attr]
                    f"TLS, database {target.emulator.db}"
                    + (", continued" if not self.fresh else ", fresh")
                    + ")"
                )
            ss = target.client()
            stack.callback(ss.client.close)
            reverse_zones, self.zone_override = prepare_solidserver(
                args, target, ss, self.zone_override, screen
            )
            t0 = time.monotonic()
            aws = stack.enter_context(self._local_aws(target))
            self._local_aws_lines(aws, t0)
            if args.keep_running:
                self._console(stack, aws, target)
            network = self._network(aws, target, reverse_zones)
            earlier = read_earlier(ss, aws, args.dns_server)
            calls = CallCount(target, self.state_dir / "lambda.log")
            calls.start()  # from here on, the calls counted are the pipeline's
            lifecycle = Lifecycle(args, screen, aws, target, network, self.zone_override, self.run_info)
            converged = lifecycle.run(earlier.live)
            ok = final_screen(self, aws, target, ss, earlier, calls.result(aws), converged)
            screen.line()
            verdict = "✔ demo succeeded" if ok else "✘ demo failed: see above"
            screen.line(screen.bold(f"{verdict} (wall time {seconds(time.monotonic() - self.started)})"))
            if args.keep_running:
                keep_running(self, aws, target)
            return 0 if ok else 1
        return 1  # pragma: no cover

    def _local_aws(self, target: Target) -> Any:
        """The local AWS from ``template.yaml`` (to start), its functions pointed at ``target``."""
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
        return LocalAws(
            parameters=parameters,
            state_dir=self.state_dir,
            time_scale=args.time_scale,
            solidserver_url=target.url,
            credentials={"username": target.username, "password": target.password},
            ca_bundle_pem=target.ca_pem if target.verify else None,
            lambda_log=self.state_dir / "lambda.log",
            reset_state=self.fresh,
            concurrency="serial" if getattr(args, "serial", False) else "parallel",
            # the whole demo lasts minutes: reconcile may declare an orphan whatever its device's
            # age (default: not within 15 minutes of its last observation)
            environment={"RECONCILE_ORPHAN_GRACE_SECONDS": "0"},
        )

    def _console(self, stack: contextlib.ExitStack, aws: Any, target: Target) -> None:
        """``--keep-running``: the console (``ipamsync console``) on loopback from the start, over
        this run's SOLIDserver, execution records and dead-letter queues: it follows the phases."""
        from ipamsync_local.console.cli import has_display, make_console, open_page, start_server
        from ipamsync_local.console.runs import moto_dead_letters
        from ipamsync_local.console.sources import ApiSource

        verify: bool | str = (target.ca_path or True) if target.verify else False
        source = ApiSource(target.url, target.username, target.password, verify, self.args.dns_server)
        console = make_console(source, self.state_dir, dead_letters=moto_dead_letters(aws))
        server = start_server(console, "127.0.0.1", self.args.console_port)
        stack.callback(server.stop)
        self.console_url = server.url
        self.screen.line(f"console               {server.url}  (read-only, loopback; it follows the run)")
        if self.screen.live and has_display():  # a person at a desktop: open it for them
            open_page(server.url)

    def _local_aws_lines(self, aws: Any, t0: float) -> None:
        self.screen.line(
            f"local AWS             moto, template.yaml, 6 functions, 2 state machines, pipe "
            f"(ready in {seconds(time.monotonic() - t0)}; time scale {self.args.time_scale:g})"
        )
        self.screen.line(
            f"                      credentials in Secrets Manager ({aws.secret_name}), CA bundle in SSM "
            f"({aws.template.parameters.get('SolidServerCaBundleParameter') or 'none'}), "
            f"Lambda logs → {self.state_dir / 'lambda.log'}"
        )

    def _network(self, aws: Any, target: Target, reverse_zones: list[str]) -> fleetlib.DemoNetwork:
        """The demo's VPCs and subnets in EC2, the IPv6 VPC's reverse zone on the emulator."""
        args = self.args
        network = fleetlib.build_network(aws.fleet, aws.ec2)
        ip6_zone = fleetlib.ip6_reverse_zone(network.ipv6_block)
        if target.emulator is not None:
            add_reverse_zone(target, args.dns_server, ip6_zone)
            reverse_zones = sorted({*reverse_zones, ip6_zone})
        self.screen.line(
            f"EC2 (moto)            VPC prod 10.0.0.0/16 (prod-1, prod-2), VPC dev 172.16.0.0/16 + "
            f"{network.ipv6_block} (dev-1 dual-stack, dev-2)"
        )
        self.screen.line(
            f"DNS                   {args.dns_server}: {args.forward_zone}"
            + (f", {self.zone_override}" if self.zone_override else "")
            + f"; reverse {', '.join(reverse_zones) or 'none'}"
        )
        return network


def _quiet_runtime_logs(state_dir: Path) -> None:
    """The local runtime's own warnings go to ``<state dir>/runtime.log``, not the screen."""
    state_dir.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger("ipamsync_local")
    if not any(getattr(h, "_ipamsync_demo", False) for h in logger.handlers):
        handler = logging.FileHandler(state_dir / "runtime.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._ipamsync_demo = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False
