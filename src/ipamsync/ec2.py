"""Reading EC2: the describe calls enrich and reconcile need (:class:`Ec2Reader`, batched), and
what EC2 said about one instance (:class:`Ec2View`, :func:`read_views`, :func:`read_ec2`).

EC2 calls per instance: ``DescribeInstances``; for a live instance also ``DescribeVpcs`` and
``DescribeSubnets`` (its ENIs' VPCs and subnets), ``DescribeAddresses`` when it has public IPs
(tells Elastic from ephemeral), and ``DescribeInstanceTypes`` once per type per container when
``CpuOptions`` is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ipamsync.errors import InstanceNotFound
from ipamsync.events import StateChange
from ipamsync.model import GONE_STATES

__all__ = [
    "FILTER_BATCH",
    "INSTANCE_BATCH",
    "Described",
    "Ec2Reader",
    "Ec2View",
    "instance_state",
    "read_ec2",
    "read_views",
]

Described = Mapping[str, Any]


#: Ids per ``DescribeInstances`` call (EC2 accepts up to 1,000 ids) and values per filter (200).
INSTANCE_BATCH = 1000
FILTER_BATCH = 200


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def _code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


class Ec2Reader:
    """The EC2 reads enrich needs, on a boto3 EC2 client. Every read of many ids is batched: one
    call per :data:`INSTANCE_BATCH` instances or :data:`FILTER_BATCH` filter values, never one per
    resource."""

    def __init__(self, client: Any) -> None:
        self.ec2 = client
        self._cores: dict[str, int | None] = {}

    def _pages(self, operation: str, key: str, **kwargs: Any) -> list[Described]:
        out: list[Described] = []
        token: str | None = None
        while True:
            resp = getattr(self.ec2, operation)(**kwargs, **({"NextToken": token} if token else {}))
            if key == "Reservations":
                out += [dict(i) for r in resp.get("Reservations", []) for i in r.get("Instances", [])]
            else:
                out += [dict(i) for i in resp.get(key, [])]
            token = resp.get("NextToken")
            if not token:
                return out

    def instance(self, instance_id: str) -> Described | None:
        return self.instances([instance_id]).get(instance_id)

    def instances(self, ids: Iterable[str]) -> dict[str, Described]:
        """The instances EC2 knows among ``ids``, by id (one call per 1,000 ids; when a batch names
        an id EC2 does not know, that batch is asked again by filter, which tolerates them)."""
        wanted = sorted(set(ids))
        found: dict[str, Described] = {}
        for batch in _chunks(wanted, INSTANCE_BATCH):
            found.update(
                {str(r["InstanceId"]): r for r in self._described(batch) if r.get("InstanceId") in batch}
            )
        return found

    def _described(self, batch: list[str]) -> list[Described]:
        """One batch of ids. EC2 refuses a batch that names an id it does not know and names the
        unknown ids in its message: they are left out and the rest asked again (by filter, which
        tolerates unknown ids, if the message does not name them)."""
        for _attempt in range(3):
            if not batch:
                return []
            try:
                return self._pages("describe_instances", "Reservations", InstanceIds=batch)
            except Exception as exc:
                if _code(exc) not in ("InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed"):
                    raise
                message = str(getattr(exc, "response", {}).get("Error", {}).get("Message", ""))
                unknown = set(re.findall(r"i-[0-9a-f]{8,17}", message)) & set(batch)
                if not unknown:
                    break
                batch = [i for i in batch if i not in unknown]
        return self._filtered("describe_instances", "Reservations", "instance-id", batch)

    def _filtered(self, operation: str, key: str, name: str, values: Iterable[str]) -> list[Described]:
        out: list[Described] = []
        for part in _chunks(sorted(set(values)), FILTER_BATCH):
            out += self._pages(operation, key, Filters=[{"Name": name, "Values": part}])
        return out

    def interfaces(self, eni_ids: Iterable[str] = (), attachment_ids: Iterable[str] = ()) -> list[Described]:
        """ENIs by id or by attachment (unknown ones are simply absent)."""
        by_id = self._filtered(
            "describe_network_interfaces", "NetworkInterfaces", "network-interface-id", eni_ids
        )
        by_attachment = self._filtered(
            "describe_network_interfaces", "NetworkInterfaces", "attachment.attachment-id", attachment_ids
        )
        return by_id + by_attachment

    def addresses(
        self,
        allocation_ids: Iterable[str] = (),
        association_ids: Iterable[str] = (),
        public_ips: Iterable[str] = (),
    ) -> list[Described]:
        """Elastic IPs by allocation, association or public IP (unknown ones are simply absent)."""
        return (
            self._filtered("describe_addresses", "Addresses", "allocation-id", allocation_ids)
            + self._filtered("describe_addresses", "Addresses", "association-id", association_ids)
            + self._filtered("describe_addresses", "Addresses", "public-ip", public_ips)
        )

    def one_instance_in(self, name: str, ids: Iterable[str]) -> list[str]:
        """One instance per VPC or subnet (``name``: ``vpc-id``/``subnet-id``) that has any: its
        snapshot carries the VPC's and subnet's names to the networks step."""
        out: list[str] = []
        for value in sorted(set(ids)):
            resp = self.ec2.describe_instances(
                Filters=[
                    {"Name": name, "Values": [value]},
                    {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
                ],
                MaxResults=5,
            )
            found = [i["InstanceId"] for r in resp.get("Reservations", []) for i in r.get("Instances", [])]
            out += sorted(found)[:1]
        return out

    def instance_pages(self, page_size: int = INSTANCE_BATCH) -> Iterator[list[Described]]:
        """Every instance of the region, one ``DescribeInstances`` page (``page_size``, at most
        1,000) at a time; reconcile lists a whole account and region with it."""
        token: str | None = None
        while True:
            resp = self.ec2.describe_instances(
                MaxResults=page_size, **({"NextToken": token} if token else {})
            )
            yield [dict(i) for r in resp.get("Reservations", []) for i in r.get("Instances", [])]
            token = resp.get("NextToken")
            if not token:
                return

    def vpcs(self, ids: Iterable[str]) -> list[Described]:
        return self._filtered("describe_vpcs", "Vpcs", "vpc-id", ids)

    def subnets(self, ids: Iterable[str]) -> list[Described]:
        return self._filtered("describe_subnets", "Subnets", "subnet-id", ids)

    def elastic_ips(self, public_ips: Iterable[str]) -> dict[str, str | None]:
        """The Elastic IPs among ``public_ips``, with their association ids."""
        return {
            str(a["PublicIp"]): (str(a["AssociationId"]) if a.get("AssociationId") else None)
            for a in self._filtered("describe_addresses", "Addresses", "public-ip", public_ips)
            if a.get("PublicIp")
        }

    def cores(self, instance_type: str | None) -> int | None:
        """Default core count of an instance type (looked up once per type per container)."""
        if not instance_type:
            return None
        if instance_type not in self._cores:
            try:
                resp = self.ec2.describe_instance_types(InstanceTypes=[instance_type])
                info = resp["InstanceTypes"][0]["VCpuInfo"]
                self._cores[instance_type] = int(info.get("DefaultCores") or info["DefaultVCpus"])
            except Exception:  # an unknown type must not stop the sync: cores stay unknown
                self._cores[instance_type] = None
        return self._cores[instance_type]


@dataclass(frozen=True)
class Ec2View:
    """What EC2 said about one instance: the instance and, when it is live, its VPCs and subnets."""

    instance: Described | None
    vpcs: tuple[Described, ...] = ()
    subnets: tuple[Described, ...] = ()
    #: the instance's Elastic IPs, with their association ids
    elastic: Mapping[str, str | None] = field(default_factory=dict)
    cores: int | None = None


def _public_ips(described: Described) -> list[str]:
    return sorted(
        {
            str(ip["Association"]["PublicIp"])
            for eni in described.get("NetworkInterfaces", [])
            for ip in eni.get("PrivateIpAddresses", [])
            if (ip.get("Association") or {}).get("PublicIp")
        }
    )


def instance_state(described: Described, default: str = "") -> str:
    return str((described.get("State") or {}).get("Name", default))


def read_views(described: Sequence[Described], reader: Ec2Reader) -> dict[str, Ec2View]:
    """Each described instance with its VPCs, subnets and Elastic IPs, read in one batch for all
    of them (one ``DescribeVpcs``, ``DescribeSubnets`` and ``DescribeAddresses`` per 200 ids)."""
    live = [d for d in described if instance_state(d) not in GONE_STATES]
    enis = [e for d in live for e in d.get("NetworkInterfaces", [])]
    vpcs = {str(v["VpcId"]): v for v in reader.vpcs({e["VpcId"] for e in enis if e.get("VpcId")})}
    subnets = {
        str(n["SubnetId"]): n for n in reader.subnets({e["SubnetId"] for e in enis if e.get("SubnetId")})
    }
    elastic = reader.elastic_ips({ip for d in live for ip in _public_ips(d)})
    views: dict[str, Ec2View] = {}
    for d in described:
        cores = None if (d.get("CpuOptions") or {}).get("CoreCount") else reader.cores(d.get("InstanceType"))
        iid = str(d["InstanceId"])
        if instance_state(d) in GONE_STATES:
            views[iid] = Ec2View(instance=d, cores=cores)
            continue
        mine = d.get("NetworkInterfaces", [])
        vpc_ids = sorted({e["VpcId"] for e in mine if e.get("VpcId") in vpcs})
        subnet_ids = sorted({e["SubnetId"] for e in mine if e.get("SubnetId") in subnets})
        views[iid] = Ec2View(
            instance=d,
            vpcs=tuple(vpcs[v] for v in vpc_ids),
            subnets=tuple(subnets[n] for n in subnet_ids),
            elastic={ip: elastic[ip] for ip in _public_ips(d) if ip in elastic},
            cores=cores,
        )
    return views


def read_ec2(change: StateChange, reader: Ec2Reader) -> Ec2View:
    """Everything EC2 has to say about the instance of ``change`` (raises ``InstanceNotFound``
    when EC2 does not know a live instance yet: its API is eventually consistent after launch)."""
    described = reader.instance(change.instance_id)
    if described is None:
        if change.state not in GONE_STATES:
            raise InstanceNotFound(
                f"EC2 does not know {change.instance_id} (event state {change.state}); "
                "retried by Lambda, then dead-lettered"
            )
        return Ec2View(instance=None)
    return read_views([described], reader)[change.instance_id]
