"""Helpers shared by the product's tests (every level): credentials of the test emulators, the
Lambda handler loader, a fake Lambda context, a client configuration, and message factories
(valid by construction; ``parse_message`` checks them).
"""

from __future__ import annotations

import copy
import importlib.util
import ipaddress
import itertools
import json
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from ipamsync.model import SCHEMA, Message, format_time, parse_message

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ROOT / "functions"

#: Credentials of the test emulators: distinctive, so a leak is found by searching for them.
USERNAME = "ipmadmin"
PASSWORD = "s3cr3t-Pa55w0rd!"
TOKEN_ID = "tok-1"
TOKEN_SECRET = "tok-s3cr3t-value"


def load_handler(name: str) -> ModuleType:
    """Import ``functions/<name>/app.py`` as a module of its own (no cross-talk between handlers)."""
    path = FUNCTIONS / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"ipamsync_fn_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class FakeLambdaContext:
    """The attributes Powertools and the handlers read from Lambda's context object."""

    def __init__(self, name: str = "ipamsync-test", timeout_ms: int = 30_000) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 256
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "test"
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def make_config(url: str, **kw: Any) -> Any:
    """A client configuration for the test emulators (no client-side rate limit)."""
    from ipamsync.solidserver import ClientConfig, Credentials, Secret

    creds = kw.pop("credentials", None) or Credentials(
        USERNAME, Secret(PASSWORD), TOKEN_ID, Secret(TOKEN_SECRET)
    )
    kw.setdefault("requests_per_second", 0)
    return ClientConfig(url=url, credentials=creds, **kw)


# --------------------------------------------------------------------------- messages

ACCOUNT = "123456789012"
REGION = "us-east-1"
_clock = itertools.count(1)
BASE = datetime(2026, 11, 27, 7, 0, 0, tzinfo=UTC)

VPC = {"id": "vpc-0f1e2d3c4b5a69788", "name": "prod", "cidrs_v4": ["10.20.0.0/16"], "cidrs_v6": []}
SUBNET_A = {
    "id": "subnet-0aa11bb22cc33dd44",
    "vpc_id": VPC["id"],
    "name": "prod-app-a",
    "availability_zone": "us-east-1a",
    "cidr_v4": "10.20.1.0/24",
    "cidrs_v6": [],
}
SUBNET_B = {
    "id": "subnet-0bb22cc33dd44ee55",
    "vpc_id": VPC["id"],
    "name": "prod-data-a",
    "availability_zone": "us-east-1a",
    "cidr_v4": "10.20.2.0/24",
    "cidrs_v6": [],
}
VPC6 = {
    "id": "vpc-0c6c6c6c6c6c6c6c6",
    "name": "dualstack",
    "cidrs_v4": ["10.30.0.0/16"],
    "cidrs_v6": ["2600:1f18:4a3:6900::/56"],
}
SUBNET6 = {
    "id": "subnet-0c6c6c6c6c6c6c6c6",
    "vpc_id": VPC6["id"],
    "name": "dualstack-a",
    "availability_zone": "us-east-1b",
    "cidr_v4": "10.30.1.0/24",
    "cidrs_v6": ["2600:1f18:4a3:6901::/64"],
}


def tick() -> str:
    """A strictly increasing observation time."""
    return format_time(BASE + timedelta(seconds=next(_clock)))


def eni(
    n: int,
    ips: list[str],
    *,
    subnet: dict = SUBNET_A,
    public: dict[str, tuple[str, bool]] | None = None,
    ipv6: list[str] | None = None,
    mac: str | None = None,
    attachment: str | None = None,
    associations: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An ENI of a message: ``public`` maps a private IP to (public IP, elastic); ``associations``
    a private IP to its Elastic IP's association id; ``attachment`` the attachment id."""
    public = public or {}
    associations = associations or {}
    return {
        "id": f"eni-0{n:016x}",
        "device_index": n % 100,
        "mac": mac or f"0e:00:00:00:{n // 256:02x}:{n % 256:02x}",
        "subnet_id": subnet["id"],
        "vpc_id": subnet["vpc_id"],
        "private_ipv4": [
            {
                "address": ip,
                "primary": i == 0,
                "public_ip": public.get(ip, (None, False))[0],
                "elastic": public.get(ip, (None, False))[1],
                "association_id": associations.get(ip),
            }
            for i, ip in enumerate(ips)
        ],
        "ipv6": ipv6 or [],
        "attachment_id": attachment,
    }


def message(
    iid: str = "i-0a1b2c3d4e5f67890",
    state: str = "running",
    *,
    name: str | None = "web-1",
    hostname: str | None = "",
    enis: list[dict] | None = None,
    tags: dict[str, str] | None = None,
    vpcs: list[dict] | None = None,
    subnets: list[dict] | None = None,
    observed_at: str | None = None,
    known: bool = True,
    event_id: str | None = None,
) -> Message:
    gone = state in ("shutting-down", "terminated")
    if enis is None:
        enis = [] if gone else [eni(0, ["10.20.1.15"])]
    if gone:
        enis = []
    tags = dict(tags or {})
    if name is not None:
        tags.setdefault("Name", name)
    host = (name.lower() if name else None) if hostname == "" else hostname
    if vpcs is None:
        used_vpcs = {e["vpc_id"] for e in enis}
        vpcs = [v for v in (VPC, VPC6) if v["id"] in used_vpcs]
    if subnets is None:
        used = {e["subnet_id"] for e in enis}
        subnets = [s for s in (SUBNET_A, SUBNET_B, SUBNET6) if s["id"] in used]
    instance: dict[str, Any] = {"id": iid, "state": state, "known": known}
    if known:
        instance.update(
            {
                "architecture": "arm64",
                "cpu_cores": 2,
                "instance_type": "t4g.medium",
                "availability_zone": "us-east-1a",
                "launch_time": "2026-11-27T06:59:58.000Z",
                "private_dns_name": "ip-10-20-1-15.ec2.internal",
                "name": name,
                "hostname": host,
                "tags": tags,
                "network_interfaces": enis,
            }
        )
    data = {
        "schema": SCHEMA,
        "event": {
            "id": event_id or f"evt-{iid}-{state}-{next(_clock)}",
            "time": "2026-11-27T07:00:00Z",
            "state": state,
            "account": ACCOUNT,
            "region": REGION,
        },
        "observed_at": observed_at or tick(),
        "instance": instance,
        "vpcs": [] if gone else vpcs,
        "subnets": [] if gone else subnets,
    }
    return parse_message(data)


# --------------------------------------------------------------------------- running the steps

NS = "ns.test"
ZONE = "ec2.example.internal"
V6_REVERSE = ipaddress.ip_network("2600:1f18:4a3:6900::/56").network_address.reverse_pointer.split(".", 18)[
    -1
]


def run(msg: Message, ctx: Any, *, execution: str | None = None) -> dict[str, Any]:
    """The state machine's path: device → (stale, unchanged or complete? stop) → networks (unless
    gone) → addresses → DNS, which gives the lease back (naming refresh requests for the instances
    addresses were taken from, as ``refresh``); after a failure the lease is given up before the
    error is raised."""
    from ipamsync.sync.addresses import sync_addresses
    from ipamsync.sync.device import give_up, sync_device
    from ipamsync.sync.dns import sync_dns_and_finish
    from ipamsync.sync.networks import NetworksResult, sync_networks

    holder = execution or f"test-{uuid.uuid4().hex[:12]}"
    try:
        dev = sync_device(msg, ctx, holder=holder, started=ctx.now())
        if dev.done:
            return {"device": dev.to_dict()}
        nets = NetworksResult() if dev.lifecycle == "gone" else sync_networks(msg, ctx)
        ips = sync_addresses(msg, ctx, device=dev, networks=nets)
        dns = sync_dns_and_finish(msg, ctx, device=dev, taken=ips.taken)
    except Exception:
        give_up(msg, ctx, holder=holder)
        raise
    out = dns.to_dict()
    return {
        "device": dev.to_dict(),
        "networks": nets.to_dict(),
        "addresses": ips.to_dict(),
        "dns": dns.to_dict(),
        "refresh": out["refresh"]["entries"],
    }


def writes(emu: Any) -> int:
    return int(emu.admin.stats()["totals"]["writes"])


def inv(ctx: Any) -> Any:
    from ipamsync_local.inventory import read_inventory

    return read_inventory(ctx.ss, NS)


def owner(iid: str) -> str:
    """The ``ipamsync_owner`` value of an instance of :data:`ACCOUNT` in :data:`REGION`."""
    return f"aws:{ACCOUNT}:{REGION}:{iid}"


def with_public_ip(
    iid: str, name: str, n: int, private: str, public: str, *, elastic: bool = False
) -> Message:
    """A running instance with one ENI (``n``: see :func:`eni`) whose private address has a public IP."""
    return message(iid, name=name, enis=[eni(n, [private], public={private: (public, elastic)})])


def lookup(**ids: tuple[str, ...]) -> Any:
    """A lookup (a CloudTrail call EC2 no longer ties to an instance) for these attachment,
    association or public-IP ids."""
    from ipamsync.model import EventInfo, Lookup

    event = EventInfo(
        f"evt-{tick()}",
        "2026-11-27T07:05:00Z",
        "",
        ACCOUNT,
        REGION,
        "aws.ec2",
        "AWS API Call via CloudTrail",
        "X",
    )
    return Lookup(event=event, **ids)


def public_networks(ctx: Any) -> set[str]:
    """The ipamsync-made public networks (``AWS public …``) SOLIDserver holds, as CIDRs."""
    return {f"{n.start}/{n.prefix}" for n in inv(ctx).networks if (n.name or "").startswith("AWS public")}


#: The metadata key naming the instance that owns an object.
OWNER = "ipamsync_owner"


def new_context(emu: Any, settings: Any, **config: Any) -> Any:
    """A sync context as another Lambda execution environment has it (its own client, nothing learnt
    yet), on the emulator ``emu``."""
    from ipamsync.solidserver import SolidServer, SolidServerClient
    from ipamsync.sync.common import SyncContext

    return SyncContext(settings=settings, ss=SolidServer(SolidServerClient(make_config(emu.url, **config))))


def ptr(address: str) -> str:
    return ipaddress.ip_address(address).reverse_pointer


def raw_records(ctx: Any) -> list[dict[str, str]]:
    """Every DNS record row SOLIDserver answers, as it answers it."""
    return list(ctx.ss.client.list("dns_rr_list", where=None))


# --------------------------------------------------------------------------- CloudTrail events


def call_event(
    name: str,
    request: dict[str, Any],
    response: dict[str, Any] | None = None,
    *,
    event_id: str | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """An "AWS API Call via CloudTrail" event in AWS's shape (the envelope of the fixture
    ``events/cloudtrail-create-tags.json``) for ``name`` with these parameters."""
    event = copy.deepcopy(json.loads((ROOT / "events/cloudtrail-create-tags.json").read_text()))
    event["id"] = event_id or str(uuid.uuid4())
    detail = event["detail"]
    detail["eventName"] = name
    detail["requestParameters"] = request
    detail["responseElements"] = (
        response if response is not None else {"requestId": str(uuid.uuid4()), "_return": True}
    )
    detail["eventID"] = str(uuid.uuid4())
    if error:
        detail["errorCode"] = error
        detail["errorMessage"] = f"{error} (test)"
        detail["responseElements"] = None
    return event


def items(key: str, values: list[str]) -> dict[str, list[dict[str, str]]]:
    """CloudTrail's EC2 list shape: ``{"items": [{key: value}, …]}``."""
    return {"items": [{key: v} for v in values]}
