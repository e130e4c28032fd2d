"""EC2 instance state-change events, and a small fleet helper.

:class:`Ec2EventSource` receives the state transitions moto's EC2 makes (reported by
:mod:`.motohook` for ``RunInstances``, ``StartInstances``, ``StopInstances`` and
``TerminateInstances``, whoever calls them) and puts one EventBridge event per transition on
moto's default bus with ``PutEvents``, in AWS's order (launch: pending, running; stop: stopping,
stopped; start: pending, running; terminate: shutting-down, terminated). Reboot is not a state
change and produces nothing. The template's rule pattern, evaluated by moto, decides what reaches
the enrich Lambda. The event EventBridge delivers has AWS's shape::

    {"version": "0", "id": "<uuid>", "detail-type": "EC2 Instance State-change Notification",
     "source": "aws.ec2", "account": "<account>", "time": "2026-11-27T07:00:02Z",
     "region": "<region>", "resources": ["arn:aws:ec2:<region>:<account>:instance/<id>"],
     "detail": {"instance-id": "<id>", "state": "running"}}

moto's EC2 changes state instantly, so by the time an event is delivered EC2 already describes the
final state (AWS's events are late too: the enrich Lambda always reads EC2 as it is *now*).

:class:`Fleet` launches, stops, starts, renames (Name tag, then a restart) and terminates
instances, and changes running ones (:mod:`.fleetcalls`: Elastic IPs, ENIs, secondary and IPv6
addresses, tags, the instance type), and returns what it did, including the events each action
produced (state changes; the CloudTrail events of its EC2 calls, :mod:`.cloudtrail`).
"""

from __future__ import annotations

import ipaddress
import json
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from .eventsource import EventSource
from .fleetcalls import RunningChanges
from .motohook import Transition

if TYPE_CHECKING:  # pragma: no cover
    from .cloudtrail import CloudTrailSource

DETAIL_TYPE = "EC2 Instance State-change Notification"
SOURCE = "aws.ec2"
DEFAULT_IMAGE = "ami-12c6146b"  # an AMI moto knows


@dataclass(frozen=True)
class EmittedEvent:
    id: str
    instance_id: str
    state: str
    previous_state: str
    time: str
    event: dict[str, Any]


class Ec2EventSource(EventSource[EmittedEvent]):
    """Turns EC2 transitions into ``PutEvents`` calls on the default bus."""

    def on_transitions(self, transitions: list[Transition]) -> None:
        if not self.enabled:
            return
        for t in transitions:  # one PutEvents per transition keeps AWS's order
            self.emit(
                t.instance_id,
                t.state,
                previous_state=t.previous_state,
                when=t.time,
                account_id=t.account_id,
                region=t.region,
            )

    def emit(
        self,
        instance_id: str,
        state: str,
        *,
        previous_state: str = "",
        when: Any = None,
        account_id: str,
        region: str,
    ) -> EmittedEvent | None:
        """Put one state-change event (also usable directly, e.g. for a state EC2 did not reach)."""
        import datetime as dt

        when = (when or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        detail = {"instance-id": instance_id, "state": state}
        resources = [f"arn:aws:ec2:{region}:{account_id}:instance/{instance_id}"]
        event_id = self._put(SOURCE, DETAIL_TYPE, json.dumps(detail), resources, when)
        if event_id is None:
            return None
        event = {
            "version": "0",
            "id": event_id,
            "detail-type": DETAIL_TYPE,
            "source": SOURCE,
            "account": account_id,
            "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": region,
            "resources": resources,
            "detail": detail,
        }
        return self._record(EmittedEvent(event_id, instance_id, state, previous_state, event["time"], event))

    def since(self, mark: int, instance_ids: set[str] | None = None) -> list[EmittedEvent]:
        found = self._since(mark)
        return [e for e in found if instance_ids is None or e.instance_id in instance_ids]


@dataclass
class FleetAction:
    """What a fleet call did: the API calls made, the state-change events and the CloudTrail events
    they produced."""

    action: str
    instance_id: str
    name: str | None = None
    api_calls: list[str] = field(default_factory=list)
    events: list[dict[str, str]] = field(default_factory=list)  # {"id", "state", "time"}
    details: dict[str, Any] = field(default_factory=dict)
    #: CloudTrail events of the calls made: {"id", "name", "time"} and "error" when the call failed
    calls: list[dict[str, str]] = field(default_factory=list)

    @property
    def states(self) -> list[str]:
        return [e["state"] for e in self.events]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Network:
    vpc_id: str
    subnet_ids: tuple[str, ...]
    cidr: str
    ipv6_cidr: str | None


class Fleet(RunningChanges):
    """Launch and change EC2 instances in moto; every state change, and every call ipamsync follows,
    reaches the pipeline."""

    def __init__(self, ec2: Any, source: Ec2EventSource, calls: CloudTrailSource | None = None) -> None:
        self.ec2 = ec2
        self.source = source
        self.calls = calls
        self._network: Network | None = None
        self._allocated: dict[str, set[str]] = {}
        self._elastic_ips = (
            str(ip)
            for net in ("203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24")
            for ip in ipaddress.ip_network(net).hosts()
        )
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ network

    def ensure_network(
        self, cidr: str = "10.0.0.0/16", *, name: str = "local", subnets: int = 2, ipv6: bool = True
    ) -> Network:
        """A VPC with ``subnets`` /24 subnets (IPv6 /64s too), created once and reused. Their names are
        set as they are created (``TagSpecifications``): no ``CreateTags`` call, so no CloudTrail
        event reaches the pipeline while instances are being launched into them."""
        with self._lock:
            if self._network is not None:
                return self._network
            vpc = self.ec2.create_vpc(
                CidrBlock=cidr, AmazonProvidedIpv6CidrBlock=ipv6, **_named("vpc", name)
            )["Vpc"]
            vpc_id = vpc["VpcId"]
            v6 = None
            if ipv6:
                desc = self.ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
                v6 = desc["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
            net4 = ipaddress.ip_network(cidr)
            v4_subnets = net4.subnets(new_prefix=24)
            v6_subnets = ipaddress.ip_network(v6).subnets(new_prefix=64) if v6 else None
            zones = [z["ZoneName"] for z in self.ec2.describe_availability_zones()["AvailabilityZones"]]
            ids = []
            for i in range(subnets):
                kw: dict[str, Any] = {
                    "VpcId": vpc_id,
                    "CidrBlock": str(next(v4_subnets)),
                    "AvailabilityZone": zones[i % len(zones)],
                    **_named("subnet", f"{name}-{i + 1}"),
                }
                if v6_subnets is not None:
                    kw["Ipv6CidrBlock"] = str(next(v6_subnets))
                sid = self.ec2.create_subnet(**kw)["Subnet"]["SubnetId"]
                ids.append(sid)
            self._network = Network(vpc_id, tuple(ids), cidr, v6)
            return self._network

    # ------------------------------------------------------------------ actions

    def _capture(self, action: FleetAction, mark: int) -> FleetAction:
        for e in self.source.since(mark, {action.instance_id}):
            action.events.append({"id": e.id, "state": e.state, "time": e.time})
        return action

    def _launch(
        self,
        name: str | None = None,
        *,
        tags: Mapping[str, str] | None = None,
        subnet_id: str | None = None,
        enis: int = 1,
        secondary_ips: int = 0,
        ipv6: int = 0,
        public_ip: bool = False,
        elastic_ip: bool = False,
        instance_type: str = "t3.micro",
        image_id: str = DEFAULT_IMAGE,
    ) -> FleetAction:
        """One instance with ``enis`` interfaces (device indexes 0..n-1), each with ``secondary_ips``
        secondary private IPv4 and ``ipv6`` IPv6 addresses; ``public_ip`` = an ephemeral public IPv4
        on the primary interface; ``elastic_ip`` = an Elastic IP on the primary interface (from the
        RFC 5737 documentation ranges: moto's own come from 127.0.0.0/8).

        Everything is in place before ``RunInstances`` (interfaces created and the Elastic IP
        associated first), so the events of the launch already see it. moto ignores the address
        counts of interfaces described inside ``RunInstances``, hence pre-created interfaces; a
        public IP needs a primary interface created by ``RunInstances`` itself, so ``public_ip``
        cannot be combined with addresses on the primary interface or an Elastic IP.

        Private IPv4 addresses are chosen here, as AWS does: never the first four addresses of the
        subnet nor the last (moto's ``CreateNetworkInterface`` picks random ones, the network and
        broadcast addresses included, which SOLIDserver rightly refuses), from the top of the
        subnet down (moto's own allocator counts up from the bottom).
        """
        if enis < 1:
            raise ValueError("an instance has at least one network interface")
        if public_ip and (elastic_ip or secondary_ips or ipv6):
            raise ValueError("public_ip cannot be combined with elastic_ip, secondary_ips or ipv6")
        network = self.ensure_network()
        subnet_id = subnet_id or network.subnet_ids[0]
        all_tags = dict(tags or {})
        if name is not None:
            all_tags["Name"] = name
        calls: list[str] = []
        interfaces: list[dict[str, Any]] = []
        details: dict[str, Any] = {"subnet_id": subnet_id, "vpc_id": network.vpc_id}

        def new_eni() -> str:
            return self._new_eni(subnet_id, secondary_ips, ipv6, calls)

        if public_ip or not (elastic_ip or secondary_ips or ipv6):
            interfaces.append(
                {
                    "DeviceIndex": 0,
                    "SubnetId": subnet_id,
                    "PrivateIpAddress": self._allocate(subnet_id, 1)[0],
                    "AssociatePublicIpAddress": public_ip,
                }
            )
        else:
            eni_id = new_eni()
            if elastic_ip:  # its CloudTrail event is delivered once the instance exists (below)
                eip = self.ec2.allocate_address(Domain="vpc", Address=self._next_elastic_ip())
                self.ec2.associate_address(AllocationId=eip["AllocationId"], NetworkInterfaceId=eni_id)
                calls += ["AllocateAddress", "AssociateAddress"]
                details.update(elastic_ip=eip["PublicIp"], allocation_id=eip["AllocationId"])
            interfaces.append({"NetworkInterfaceId": eni_id, "DeviceIndex": 0})
        for index in range(1, enis):
            interfaces.append({"NetworkInterfaceId": new_eni(), "DeviceIndex": index})
        kwargs: dict[str, Any] = {
            "ImageId": image_id,
            "MinCount": 1,
            "MaxCount": 1,
            "InstanceType": instance_type,
            "NetworkInterfaces": interfaces,
            **_tag_specifications(all_tags),
        }
        mark = self.source.mark()
        instance = self.ec2.run_instances(**kwargs)["Instances"][0]
        calls.append("RunInstances")
        iid = instance["InstanceId"]
        details.update(_launched(self.describe(iid)), tags=all_tags)
        action = FleetAction("launch", iid, name, calls, details=details)
        return self._capture(action, mark)

    def launch(self, name: str | None = None, **options: Any) -> FleetAction:
        """See :meth:`_launch`. The CloudTrail events of the calls made before ``RunInstances`` (an
        Elastic IP associated with the new primary ENI) are delivered after it, as CloudTrail's
        are: enrich then always ties them to the instance (one more message for it)."""
        if self.calls is None:
            return self._launch(name, **options)
        mark = self.calls.mark()
        with self.calls.delayed():
            action = self._launch(name, **options)
        action.calls = [c.to_dict() for c in self.calls.since(mark)]
        return action

    def _new_eni(self, subnet_id: str, secondary_ips: int, ipv6: int, calls: list[str]) -> str:
        ips = self._allocate(subnet_id, 1 + secondary_ips)
        kw: dict[str, Any] = {
            "SubnetId": subnet_id,
            "PrivateIpAddresses": [{"PrivateIpAddress": ip, "Primary": i == 0} for i, ip in enumerate(ips)],
        }
        if ipv6:
            kw["Ipv6AddressCount"] = ipv6
        calls.append("CreateNetworkInterface")
        return str(self.ec2.create_network_interface(**kw)["NetworkInterface"]["NetworkInterfaceId"])

    def _next_elastic_ip(self) -> str:
        """moto's Elastic IPs come from 127.0.0.0/8 (loopback, never public): use the documentation
        ranges (RFC 5737) instead, through AllocateAddress's ``Address`` (as for a BYOIP pool)."""
        with self._lock:
            taken = {a["PublicIp"] for a in self.ec2.describe_addresses()["Addresses"]}
            for ip in self._elastic_ips:
                if ip not in taken:
                    return ip
        raise RuntimeError("no documentation address left for an Elastic IP")

    def _allocate(self, subnet_id: str, count: int) -> list[str]:
        """``count`` free private IPv4 addresses of the subnet, AWS's reserved ones excluded."""
        with self._lock:
            cidr = self.ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]["CidrBlock"]
            net = ipaddress.ip_network(cidr)
            used = set(self._allocated.setdefault(subnet_id, set()))
            in_subnet = [{"Name": "subnet-id", "Values": [subnet_id]}]
            for eni in self.ec2.describe_network_interfaces(Filters=in_subnet)["NetworkInterfaces"]:
                used.update(p["PrivateIpAddress"] for p in eni.get("PrivateIpAddresses", []))
            for r in self.ec2.describe_instances(Filters=in_subnet)["Reservations"]:
                used.update(i.get("PrivateIpAddress", "") for i in r["Instances"])
            first, last = int(net.network_address) + 4, int(net.broadcast_address) - 1
            found: list[str] = []
            candidate = last
            while len(found) < count:
                if candidate < first:
                    raise RuntimeError(f"subnet {subnet_id} ({cidr}) has no free address left")
                ip = str(ipaddress.ip_address(candidate))
                if ip not in used:
                    found.append(ip)
                candidate -= 1
            self._allocated[subnet_id].update(found)
            return found

    def stop(self, instance_id: str) -> FleetAction:
        mark = self.source.mark()
        self.ec2.stop_instances(InstanceIds=[instance_id])
        return self._capture(
            FleetAction("stop", instance_id, self._name(instance_id), ["StopInstances"]), mark
        )

    def start(self, instance_id: str) -> FleetAction:
        mark = self.source.mark()
        self.ec2.start_instances(InstanceIds=[instance_id])
        return self._capture(
            FleetAction("start", instance_id, self._name(instance_id), ["StartInstances"]), mark
        )

    def reboot(self, instance_id: str) -> FleetAction:
        """Not a state change: no event (as in AWS)."""
        mark = self.source.mark()
        self.ec2.reboot_instances(InstanceIds=[instance_id])
        return self._capture(
            FleetAction("reboot", instance_id, self._name(instance_id), ["RebootInstances"]), mark
        )

    def rename(self, instance_id: str, name: str) -> FleetAction:
        """A rename across a restart: the Name tag is set (``CreateTags``: its CloudTrail event reaches
        the pipeline), then the instance restarted (stopping, stopped, pending, running). For a
        rename without a restart, :meth:`rename_by_tag`."""
        old = self._name(instance_id)
        mark = self.source.mark()
        calls = self.calls.mark() if self.calls is not None else 0
        self.ec2.create_tags(Resources=[instance_id], Tags=[{"Key": "Name", "Value": name}])
        self.ec2.stop_instances(InstanceIds=[instance_id])
        self.ec2.start_instances(InstanceIds=[instance_id])
        action = FleetAction(
            "rename",
            instance_id,
            name,
            ["CreateTags", "StopInstances", "StartInstances"],
            details={"old_name": old},
        )
        if self.calls is not None:
            action.calls = [c.to_dict() for c in self.calls.since(calls)]
        return self._capture(action, mark)

    def terminate(self, instance_id: str) -> FleetAction:
        mark = self.source.mark()
        name = self._name(instance_id)
        self.ec2.terminate_instances(InstanceIds=[instance_id])
        return self._capture(FleetAction("terminate", instance_id, name, ["TerminateInstances"]), mark)

    # ------------------------------------------------------------------ inspection

    def describe(self, instance_id: str) -> dict[str, Any]:
        reservations = self.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        return reservations[0]["Instances"][0] if reservations else {}

    def _name(self, instance_id: str) -> str | None:
        tags = {t["Key"]: t["Value"] for t in self.describe(instance_id).get("Tags", [])}
        return tags.get("Name")

    def instances(self) -> list[dict[str, Any]]:
        found = []
        for r in self.ec2.describe_instances()["Reservations"]:
            for i in r["Instances"]:
                tags = {t["Key"]: t["Value"] for t in i.get("Tags", [])}
                found.append(
                    {"instance_id": i["InstanceId"], "state": i["State"]["Name"], "name": tags.get("Name")}
                )
        return found


def _named(resource_type: str, name: str) -> dict[str, Any]:
    return {"TagSpecifications": [{"ResourceType": resource_type, "Tags": [{"Key": "Name", "Value": name}]}]}


def _tag_specifications(tags: Mapping[str, str]) -> dict[str, Any]:
    if not tags:
        return {}
    return {
        "TagSpecifications": [
            {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        ]
    }


def _launched(described: Mapping[str, Any]) -> dict[str, Any]:
    """What a launch reports of its instance: addresses, public IP, interfaces."""
    nics = described.get("NetworkInterfaces", [])
    return {
        "private_ips": [p["PrivateIpAddress"] for n in nics for p in n["PrivateIpAddresses"]],
        "ipv6": [a["Ipv6Address"] for n in nics for a in n.get("Ipv6Addresses", [])],
        "public_ip": described.get("PublicIpAddress"),
        "enis": [n["NetworkInterfaceId"] for n in nics],
    }
