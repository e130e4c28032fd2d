"""``ipamsync demo`` (``make demo``): a fleet of EC2 instances through the whole local pipeline.

The command line (:func:`register`), its checks and the exit status (:func:`main`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ipamsync_local.aws.cli import serial_argument

DEFAULT_DATA_DIR = Path(".ipamsync") / "demo"
DEFAULT_SPACE = "AWS"
DEFAULT_DNS_SERVER = "ns.ipamsync.local"
DEFAULT_ZONE = "ec2.example.internal"
OVERRIDE_ZONE = "apps.example.internal"

EXAMPLES = """examples:
  make demo
  make demo DEMO_ARGS='--continue --instances 30'
  ipamsync demo --keep-running
  SOLIDSERVER_USERNAME=… SOLIDSERVER_PASSWORD=… ipamsync demo \\
      --solidserver-url https://sds.example.com --ca-bundle ca.pem --space ipamsync-demo \\
      --dns-server ns1.example.com --forward-zone lab.example.com
see docs/demo.md"""


class DemoError(RuntimeError):
    """Something the demo cannot go on with (told to the user, exit status 1)."""


def register(subparsers: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        name,
        help=help_text,
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXAMPLES,
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
    p.add_argument(
        "--organisation",
        action="store_true",
        help="the multi-account demo instead: a hub and member stacks in 2 accounts x 2 regions, one "
        "range reused, the IPAM tree per space (README, Deploy across an organisation)",
    )
    p.add_argument(
        "--console-port",
        type=int,
        default=8470,
        help="port of the console with --keep-running (default 8470, or a free one when taken)",
    )
    serial_argument(p)
    _solidserver_arguments(p)
    p.set_defaults(func=main, continue_=False)
    return p


def _solidserver_arguments(p: argparse.ArgumentParser) -> None:
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


def _refused(args: argparse.Namespace) -> str | None:
    """Why these arguments cannot run (None: they can)."""
    if args.instances < 1:
        return "--instances must be at least 1"
    if args.time_scale <= 0:
        return "--time-scale must be > 0 (waits are scaled, never skipped)"
    if args.solidserver_url and not args.solidserver_url.startswith("https://"):
        return "--solidserver-url must be https:// (the template allows nothing else)"
    if not args.solidserver_url and (args.ca_bundle or args.insecure):
        return "--ca-bundle/--insecure go with --solidserver-url"
    return None


def main(args: argparse.Namespace) -> int:
    from .run import Demo
    from .screen import Screen

    refused = _refused(args)
    if refused:
        print(refused, file=sys.stderr)
        return 2
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    screen = Screen(sys.stdout)
    try:
        if getattr(args, "organisation", False):
            from .organisation import run as run_organisation

            return run_organisation(args, screen)
        return Demo(args, screen).run()
    except DemoError as exc:
        screen.line(f"\nerror: {exc}")
        return 1
    except BrokenPipeError:  # `ipamsync demo | head`: everything was stopped on the way out
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error when Python flushes at exit
        return 1
