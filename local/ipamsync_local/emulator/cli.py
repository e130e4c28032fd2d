"""``ipamsync emulator ...``: run, seed and control the SOLIDserver emulator.

Its latency at scale is measured by ``ipamsync bench --only emulator`` (``ipamsync_local.bench``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from .admin import EmulatorAdmin, EmulatorAdminError
from .profile import PROFILES
from .seed import DEFAULT_DNS_SERVER, DEFAULT_FORWARD_ZONES, DEFAULT_REVERSE_ZONES, DEFAULT_SPACE

ENV_USERNAME = "IPAMSYNC_EMULATOR_USERNAME"
ENV_PASSWORD = "IPAMSYNC_EMULATOR_PASSWORD"  # noqa: S105 - the name of an environment variable
ENV_TOKEN_ID = "IPAMSYNC_EMULATOR_TOKEN_ID"  # noqa: S105 - the name of an environment variable
ENV_TOKEN_SECRET = "IPAMSYNC_EMULATOR_TOKEN_SECRET"  # noqa: S105 - the name of an environment variable


def register(subparsers: Any, name: str, help_text: str) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(name, help=help_text, description=help_text)
    sub = parser.add_subparsers(dest="emulator_command", metavar="SUBCOMMAND")

    _serve_parser(sub)
    _seed_parser(sub)
    _control_parsers(sub)
    _show_and_reset_parsers(sub)

    def usage(_: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(func=usage)


def _serve_parser(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the emulator until Ctrl-C / SIGTERM")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8443, help="0 picks a free port")
    serve.add_argument("--db", default=":memory:", help="SQLite file (kept across restarts) or :memory:")
    serve.add_argument("--username", default=None, help=f"default: ${ENV_USERNAME} or ipmadmin")
    serve.add_argument("--password", default=None, help=f"default: ${ENV_PASSWORD} or admin")
    serve.add_argument("--tls", action="store_true", help="HTTPS (a throw-away CA unless --cert/--key)")
    serve.add_argument("--cert", help="PEM certificate chain to serve (with --tls)")
    serve.add_argument("--key", help="PEM private key of --cert")
    serve.add_argument("--token-id", default=None, help=f"enable SDS token auth (default: ${ENV_TOKEN_ID})")
    serve.add_argument("--token-secret", default=None, help=f"default: ${ENV_TOKEN_SECRET}")
    serve.add_argument("--seed", action="store_true", help="create the demo space, DNS server and zones")
    serve.add_argument("--faults", help="fault configuration: JSON text or @file")
    serve.add_argument(
        "--profile",
        default="default",
        choices=sorted(PROFILES),
        help="appliance profile: the behaviours that vary between appliances (docs/solidserver.md)",
    )
    serve.add_argument(
        "--profile-settings", help="appliance settings over the profile: JSON text or @file (profile.py)"
    )
    serve.add_argument("--ready-file", help="write the URL to this file once listening")
    serve.set_defaults(func=cmd_serve)


def _seed_parser(sub: Any) -> None:
    seed = sub.add_parser("seed", help="create the demo space, DNS server and zones (idempotent)")
    _admin_args(seed)
    seed.add_argument("--space", default=DEFAULT_SPACE, help=f"IP space to create (default {DEFAULT_SPACE})")
    seed.add_argument(
        "--dns-server", default=DEFAULT_DNS_SERVER, help=f"DNS server (default {DEFAULT_DNS_SERVER})"
    )
    seed.add_argument(
        "--forward-zone",
        action="append",
        dest="forward_zones",
        help=f"repeatable (default: {', '.join(DEFAULT_FORWARD_ZONES)})",
    )
    seed.add_argument(
        "--reverse-zone",
        action="append",
        dest="reverse_zones",
        help=f"repeatable, *.in-addr.arpa or *.ip6.arpa (default: {', '.join(DEFAULT_REVERSE_ZONES)})",
    )
    seed.set_defaults(func=cmd_seed)


def _control_parsers(sub: Any) -> None:
    """faults, stats, profile: a running emulator's admin endpoints."""
    faults = sub.add_parser("faults", help="show or change fault injection")
    _admin_args(faults)
    action = faults.add_mutually_exclusive_group()
    action.add_argument("--set", dest="set_config", help="replace the configuration: JSON text or @file")
    action.add_argument("--merge", help="merge into the configuration: JSON text or @file")
    action.add_argument("--clear", action="store_true", help="remove every fault")
    action.add_argument("--outage", choices=("on", "off"), help="every /rest request answers 503 (or not)")
    faults.set_defaults(func=cmd_faults)

    stats = sub.add_parser("stats", help="per-service request counters (JSON)")
    _admin_args(stats)
    stats.add_argument("--reset", action="store_true", help="reset the counters after printing them")
    stats.set_defaults(func=cmd_stats)
    profile = sub.add_parser(
        "profile",
        help="show or change the appliance profile of a running emulator",
        description="Print the appliance profile of a running emulator (the behaviours that vary between "
        "SOLIDserver appliances), or switch to a named profile and/or change some of its settings.",
    )
    _admin_args(profile)
    profile.add_argument("--set", dest="set_profile", choices=sorted(PROFILES), help="switch to this profile")
    profile.add_argument("--settings", help="settings to change: JSON text or @file")
    profile.set_defaults(func=cmd_profile)


def _show_and_reset_parsers(sub: Any) -> None:
    show = sub.add_parser(
        "show",
        help="print the IPAM tree, devices and DNS records of an emulator (--url) or its database (--db)",
        description="Print what SOLIDserver holds (IPAM tree, devices, DNS records), as the demo's final "
        "screen does: from a running emulator or appliance (--url, read through list services only), "
        "from an emulator's database file (--db, read from a copy), or else from the demo's.",
    )
    from ipamsync_local.console.cli import solidserver_arguments

    solidserver_arguments(show, demo=True)
    show.set_defaults(func=cmd_show)

    reset = sub.add_parser("reset", help="delete every object of a running emulator")
    _admin_args(reset)
    reset.set_defaults(func=cmd_reset)


def _admin_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", required=True, help="the emulator's URL, e.g. http://127.0.0.1:8443")
    verify = parser.add_mutually_exclusive_group()
    verify.add_argument("--ca", help="CA bundle to verify an https emulator (its cert_path)")
    verify.add_argument("--insecure", action="store_true", help="do not verify the emulator's certificate")


def _admin(args: argparse.Namespace) -> EmulatorAdmin:
    verify: bool | str = False if args.insecure else (args.ca or True)
    return EmulatorAdmin(args.url, verify=verify)


def _json_arg(text: str) -> Any:
    if text.startswith("@"):
        text = Path(text[1:]).read_text(encoding="utf-8")
    return json.loads(text)


def _print(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=True))


# --------------------------------------------------------------------------- commands


def cmd_serve(args: argparse.Namespace) -> int:
    from .server import EmulatorServer

    faults = _json_arg(args.faults) if args.faults else None
    from .profile import resolve

    try:
        profile = resolve(args.profile, _json_arg(args.profile_settings) if args.profile_settings else None)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.db != ":memory:":
        Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    server = EmulatorServer(
        host=args.host,
        port=args.port,
        db=args.db,
        username=args.username or os.environ.get(ENV_USERNAME) or "ipmadmin",
        password=args.password or os.environ.get(ENV_PASSWORD) or "admin",
        tls=args.tls,
        cert=args.cert,
        key=args.key,
        token_id=args.token_id or os.environ.get(ENV_TOKEN_ID),
        token_secret=args.token_secret or os.environ.get(ENV_TOKEN_SECRET),
        faults=faults,
        seed=args.seed,
        profile=profile,
    )
    # SIGTERM and Ctrl-C only set an event: no KeyboardInterrupt can land inside a lock or a
    # handshake and leave the shutdown waiting on it
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    server.start()
    try:
        print(f"ipamsync emulator listening on {server.url}", flush=True)
        if server.tls:
            print(f"CA certificate: {server.cert_path}", flush=True)
        if args.ready_file:
            Path(args.ready_file).write_text(server.url + "\n", encoding="utf-8")
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if args.ready_file:
            Path(args.ready_file).unlink(missing_ok=True)
    return 0


def _run_admin(args: argparse.Namespace, call: Any) -> int:
    admin = _admin(args)
    try:
        _print(call(admin))
    except EmulatorAdminError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        admin.close()
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    return _run_admin(
        args,
        lambda admin: admin.seed(
            space=args.space,
            dns_server=args.dns_server,
            forward_zones=args.forward_zones or list(DEFAULT_FORWARD_ZONES),
            reverse_zones=args.reverse_zones or list(DEFAULT_REVERSE_ZONES),
        ),
    )


def cmd_faults(args: argparse.Namespace) -> int:
    def call(admin: EmulatorAdmin) -> Any:
        if args.set_config:
            return admin.set_faults(_json_arg(args.set_config))
        if args.merge:
            return admin.merge_faults(_json_arg(args.merge))
        if args.clear:
            return admin.clear_faults()
        if args.outage:
            return admin.outage(args.outage == "on")
        return admin.faults()

    return _run_admin(args, call)


def cmd_stats(args: argparse.Namespace) -> int:
    def call(admin: EmulatorAdmin) -> Any:
        data = admin.stats()
        if args.reset:
            admin.reset_stats()
        return data

    return _run_admin(args, call)


def cmd_profile(args: argparse.Namespace) -> int:
    def call(admin: EmulatorAdmin) -> Any:
        settings = _json_arg(args.settings) if args.settings else {}
        if args.set_profile:
            return admin.set_profile(args.set_profile, **settings)
        if settings:
            return admin.change_profile(**settings)
        return admin.profile()

    return _run_admin(args, call)


def cmd_reset(args: argparse.Namespace) -> int:
    return _run_admin(args, lambda admin: admin.reset())


def cmd_show(args: argparse.Namespace) -> int:
    from ipamsync_local import report
    from ipamsync_local.console.cli import source_from_args

    source = source_from_args(args)
    try:
        snap = source.read()
    except Exception as exc:  # one line, no traceback: the server is down, the file is missing…
        print(f"ipamsync emulator show: {source.label}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    inv = snap.inventory
    for title, text in (
        ("IPAM", report.ipam_tree(inv)),
        ("devices", report.devices(inv)),
        ("DNS records", report.dns_records(inv)),
    ):
        print(f"── SOLIDserver · {title} " + "─" * max(3, 64 - len(title)))
        print(text or "(none)")
        print()
    print(f"read from {source.label}")
    return 0
