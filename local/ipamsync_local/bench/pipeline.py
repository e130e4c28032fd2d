"""The full local pipeline as the benchmarks drive and observe it (shared by :mod:`.calls`,
:mod:`.throughput` and whatever section comes next).

* :data:`PARAMETERS` — the template parameters of every benchmark run (template defaults otherwise);
* :class:`PipeTap` — every execution the pipe ran, with the events it applied and its timestamps,
  and optional hooks just before and just after each one (in the pipe's worker);
* :func:`cold_invocations` — every sync function invocation in a fresh execution environment;
* :func:`launch` / :func:`terminate` — one EC2 call and the events it produced (:class:`Call`);
* :func:`solidserver_calls` — the difference of two emulator stats documents, per service.

SOLIDserver calls are counted by the emulator (``admin.stats()``, the ``/_emulator/stats``
endpoint, not counted itself), never inside the product.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ipamsync_local.aws.pipe import record_body
from ipamsync_local.bench.names import ENRICH_FUNCTION

DNS_SERVER = "ns.ipamsync.local"
FORWARD_ZONE = "ec2.example.internal"
#: The rate limit is per execution environment; locally one process is the environment of all five
#: functions, so it is raised out of the way.
PARAMETERS = {
    "DnsServerName": DNS_SERVER,
    "DnsForwardZone": FORWARD_ZONE,
    "SolidServerRequestsPerSecond": "1000",
}
IMAGE_ID = "ami-12c6146b"  # an AMI moto knows (the fleet's default)
HOSTS_PER_SUBNET = 200


@dataclass
class Execution:
    """One batch the pipe ran: its event(s), when it started and when the pipe saw it end."""

    event_ids: list[str]
    started: float
    ended: float
    status: str
    extra: dict[str, Any] = field(default_factory=dict)


Before = Callable[[list[dict[str, Any]]], Any]
After = Callable[[list[dict[str, Any]], Any], dict[str, Any]]


class PipeTap:
    """Wraps the local pipe's per-batch execution (``Pipe._execute``, the local runtime's; nothing
    of the product): wall-clock timestamps, and ``before``/``after`` hooks around each execution."""

    def __init__(self, aws: Any, before: Before | None = None, after: After | None = None) -> None:
        pipe = aws.pipe
        if pipe is None or not callable(getattr(pipe, "_execute", None)):
            raise RuntimeError(
                "ipamsync_local.aws.pipe.Pipe has no _execute(records): the tap needs updating"
            )
        self.executions: list[Execution] = []
        self._lock = threading.Lock()
        original = pipe._execute

        def execute(records: list[dict[str, Any]]) -> tuple[str, Any]:
            token = before(records) if before is not None else None
            started = time.time()
            status, desc = original(records)
            ended = time.time()
            extra = after(records, token) if after is not None else {}
            ids = [str((record_body(r).get("event") or {}).get("id", "")) for r in records]
            with self._lock:
                self.executions.append(Execution(ids, started, ended, status, extra))
            return status, desc

        pipe._execute = execute

    def mark(self) -> int:
        with self._lock:
            return len(self.executions)

    def since(self, mark: int) -> list[Execution]:
        with self._lock:
            return list(self.executions[mark:])


def cold_invocations(aws: Any) -> None:
    """Run every sync function invocation in a fresh execution environment.

    Each sync function is marked ``always_cold``: before each of its invocations the local runtime
    does what its ``cold_start()`` does for that function (parallel mode: the idle execution
    environments are retired, so a new one starts; serial mode: the shared container is reset), so
    every invocation pays what a new Lambda container pays and the calls a fresh set of containers
    makes are measured per function.
    """
    for fn in aws.lambdas.functions.values():
        if fn.spec.logical_id != ENRICH_FUNCTION:
            fn.always_cold = True


def solidserver_calls(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, int]:
    """``{"METHOD service": count}`` made between two emulator stats documents."""
    out: dict[str, int] = {}
    for service, now in (after.get("services") or {}).items():
        then = ((before.get("services") or {}).get(service) or {}).get("methods") or {}
        for method, n in (now.get("methods") or {}).items():
            if n - then.get(method, 0):
                out[f"{method} {service}"] = n - then.get(method, 0)
    return out


# --------------------------------------------------------------------------- workload


class Addresses:
    """Private IPv4 addresses for the instances: AWS's reserved ones excluded, one /24 per
    ``HOSTS_PER_SUBNET`` instances."""

    def __init__(self, ec2: Any, subnet_ids: tuple[str, ...]) -> None:
        self.slots: list[tuple[str, str]] = []
        for sid in subnet_ids:
            cidr = ec2.describe_subnets(SubnetIds=[sid])["Subnets"][0]["CidrBlock"]
            hosts = [str(ip) for ip in ipaddress.ip_network(cidr).hosts()][9 : 9 + HOSTS_PER_SUBNET]
            self.slots += [(sid, ip) for ip in hosts]  # .10 upwards
        self._next = 0

    def take(self) -> tuple[str, str]:
        slot = self.slots[self._next]
        self._next += 1
        return slot


@dataclass
class Call:
    """One EC2 call of the workload and the events it produced."""

    action: str
    instance_id: str
    started: float
    returned: float
    events: list[str]  # EventBridge event ids


def launch(aws: Any, addresses: Addresses, index: int) -> Call:
    """``RunInstances`` of one instance (one ENI, a private IPv4 chosen here)."""
    subnet_id, ip = addresses.take()
    mark = aws.events_source.mark()
    started = time.time()
    resp = aws.ec2.run_instances(
        ImageId=IMAGE_ID,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        NetworkInterfaces=[
            {
                "DeviceIndex": 0,
                "SubnetId": subnet_id,
                "PrivateIpAddress": ip,
                "AssociatePublicIpAddress": False,
            }
        ],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": f"load-{index}"}]}],
    )
    returned = time.time()
    iid = resp["Instances"][0]["InstanceId"]
    return Call("launch", iid, started, returned, [e.id for e in aws.events_source.since(mark, {iid})])


def terminate(aws: Any, instance_id: str) -> Call:
    mark = aws.events_source.mark()
    started = time.time()
    aws.ec2.terminate_instances(InstanceIds=[instance_id])
    returned = time.time()
    return Call(
        "terminate",
        instance_id,
        started,
        returned,
        [e.id for e in aws.events_source.since(mark, {instance_id})],
    )
