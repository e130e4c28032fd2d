"""Changes on running instances, for :class:`~.ec2events.Fleet`: Elastic IPs moved, associated and
disassociated, ENIs attached and detached, secondary private IPv4 and IPv6 addresses assigned and
unassigned, tags set and removed (a rename by tag, without a restart), the instance type changed.

Each helper makes the EC2 calls as a user would (one call of :data:`ipamsync.events.CALLS`, plus
the preparation some need, e.g. ``CreateNetworkInterface`` before an attachment) and returns a
:class:`~.ec2events.FleetAction`: the API calls made, the CloudTrail events they produced
(``calls``: id, event name, error code if the call failed), the state-change events (none: these
are no state changes) and what changed (``details``). A call EC2 refuses raises boto3's
``ClientError``, as it would for a user; its CloudTrail event (with ``errorCode``) is still emitted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .cloudtrail import CloudTrailSource
    from .ec2events import Ec2EventSource, FleetAction


class RunningChanges:
    """The fleet's changes on running instances (mixed into :class:`~.ec2events.Fleet`)."""

    ec2: Any
    source: Ec2EventSource
    calls: CloudTrailSource | None

    # provided by Fleet
    def describe(self, instance_id: str) -> dict[str, Any]:  # pragma: no cover - Fleet's
        raise NotImplementedError

    def _name(self, instance_id: str) -> str | None:  # pragma: no cover - Fleet's
        raise NotImplementedError

    def _allocate(self, subnet_id: str, count: int) -> list[str]:  # pragma: no cover - Fleet's
        raise NotImplementedError

    def _next_elastic_ip(self) -> str:  # pragma: no cover - Fleet's
        raise NotImplementedError

    # ------------------------------------------------------------------ bookkeeping

    def _begin(self) -> tuple[int, int]:
        return self.source.mark(), (self.calls.mark() if self.calls is not None else 0)

    def _done(
        self,
        action: str,
        instance_id: str,
        marks: tuple[int, int],
        api_calls: list[str],
        details: dict[str, Any],
    ) -> FleetAction:
        from .ec2events import FleetAction

        done = FleetAction(action, instance_id, self._name(instance_id), api_calls, details=details)
        for e in self.source.since(marks[0]):
            done.events.append({"id": e.id, "state": e.state, "time": e.time})
        if self.calls is not None:
            done.calls = [c.to_dict() for c in self.calls.since(marks[1])]
        return done

    def eni_of(self, instance_id: str, device_index: int = 0) -> dict[str, Any]:
        """The instance's ENI at ``device_index`` (as ``DescribeInstances`` shows it)."""
        for eni in self.describe(instance_id).get("NetworkInterfaces", []):
            if int((eni.get("Attachment") or {}).get("DeviceIndex", -1)) == device_index:
                return dict(eni)
        raise LookupError(f"{instance_id} has no ENI at device index {device_index}")

    def _eni_id(self, instance_id: str, eni_id: str | None) -> str:
        return eni_id or str(self.eni_of(instance_id)["NetworkInterfaceId"])

    def public_ip(self, instance_id: str) -> str | None:
        return self.describe(instance_id).get("PublicIpAddress")

    # ------------------------------------------------------------------ Elastic IPs

    def allocate_elastic_ip(self) -> dict[str, str]:
        """A new Elastic IP (from the RFC 5737 documentation ranges): ``{"PublicIp", "AllocationId"}``."""
        eip = self.ec2.allocate_address(Domain="vpc", Address=self._next_elastic_ip())
        return {"PublicIp": str(eip["PublicIp"]), "AllocationId": str(eip["AllocationId"])}

    def _address(self, public_ip: str | None = None, allocation_id: str | None = None) -> dict[str, Any]:
        if allocation_id:
            found = self.ec2.describe_addresses(AllocationIds=[allocation_id])["Addresses"]
        else:
            found = self.ec2.describe_addresses(PublicIps=[public_ip])["Addresses"]
        return dict(found[0])

    def associate_address(
        self,
        instance_id: str,
        *,
        allocation_id: str | None = None,
        eni_id: str | None = None,
        allow_reassociation: bool = False,
    ) -> FleetAction:
        """``AssociateAddress`` of an Elastic IP (a new one unless ``allocation_id``) with the
        instance (its primary ENI unless ``eni_id``)."""
        marks = self._begin()
        api_calls = []
        if allocation_id is None:
            allocation_id = self.allocate_elastic_ip()["AllocationId"]
            api_calls.append("AllocateAddress")
        before = self._address(allocation_id=allocation_id)
        target: dict[str, Any] = {"NetworkInterfaceId": eni_id} if eni_id else {"InstanceId": instance_id}
        kw: dict[str, Any] = {"AllocationId": allocation_id, **target}
        if allow_reassociation:
            kw["AllowReassociation"] = True
        association = self.ec2.associate_address(**kw)["AssociationId"]
        api_calls.append("AssociateAddress")
        details = {
            "public_ip": before["PublicIp"],
            "allocation_id": allocation_id,
            "association_id": association,
            "previous_instance": before.get("InstanceId") or None,
            "previous_association_id": before.get("AssociationId") or None,
        }
        return self._done("associate-address", instance_id, marks, api_calls, details)

    def move_elastic_ip(
        self, to_instance_id: str, *, public_ip: str | None = None, allocation_id: str | None = None
    ) -> FleetAction:
        """Fail an Elastic IP over to another running instance: ``AssociateAddress`` with
        ``AllowReassociation`` (the previous holder loses it, as in AWS)."""
        if allocation_id is None:
            allocation_id = str(self._address(public_ip=public_ip)["AllocationId"])
        moved = self.associate_address(to_instance_id, allocation_id=allocation_id, allow_reassociation=True)
        moved.action = "move-elastic-ip"
        return moved

    def disassociate_address(self, instance_id: str, *, public_ip: str | None = None) -> FleetAction:
        """``DisassociateAddress`` of the instance's Elastic IP (its public IP unless ``public_ip``)
        by its association id."""
        address = self._address(public_ip=public_ip or self.public_ip(instance_id))
        marks = self._begin()
        self.ec2.disassociate_address(AssociationId=address["AssociationId"])
        details = {
            "public_ip": address["PublicIp"],
            "allocation_id": address.get("AllocationId"),
            "association_id": address["AssociationId"],
        }
        return self._done("disassociate-address", instance_id, marks, ["DisassociateAddress"], details)

    # ------------------------------------------------------------------ ENIs

    def attach_eni(
        self,
        instance_id: str,
        *,
        eni_id: str | None = None,
        device_index: int | None = None,
        secondary_ips: int = 0,
    ) -> FleetAction:
        """``AttachNetworkInterface`` of an ENI (a new one in the instance's primary subnet unless
        ``eni_id``, its addresses chosen as AWS would) at the next free device index."""
        marks = self._begin()
        api_calls = []
        if eni_id is None:
            subnet = str(self.eni_of(instance_id)["SubnetId"])
            ips = self._allocate(subnet, 1 + secondary_ips)
            eni_id = str(
                self.ec2.create_network_interface(
                    SubnetId=subnet,
                    PrivateIpAddresses=[
                        {"PrivateIpAddress": ip, "Primary": n == 0} for n, ip in enumerate(ips)
                    ],
                )["NetworkInterface"]["NetworkInterfaceId"]
            )
            api_calls.append("CreateNetworkInterface")
        if device_index is None:
            used = {
                int((e.get("Attachment") or {}).get("DeviceIndex", 0))
                for e in self.describe(instance_id).get("NetworkInterfaces", [])
            }
            device_index = next(i for i in range(len(used) + 1) if i not in used)
        attachment = self.ec2.attach_network_interface(
            NetworkInterfaceId=eni_id, InstanceId=instance_id, DeviceIndex=device_index
        )["AttachmentId"]
        api_calls.append("AttachNetworkInterface")
        eni = self.ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0]
        details = {
            "eni_id": eni_id,
            "attachment_id": attachment,
            "device_index": device_index,
            "private_ips": [p["PrivateIpAddress"] for p in eni.get("PrivateIpAddresses", [])],
        }
        return self._done("attach-eni", instance_id, marks, api_calls, details)

    def detach_eni(self, instance_id: str, eni_id: str, *, delete: bool = False) -> FleetAction:
        """``DetachNetworkInterface`` (by its attachment id, ``Force`` false); ``delete`` also deletes
        the ENI afterwards (``DeleteNetworkInterface``, no call ipamsync follows)."""
        eni = self.ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0]
        attachment = (eni.get("Attachment") or {}).get("AttachmentId")
        marks = self._begin()
        self.ec2.detach_network_interface(AttachmentId=attachment, Force=False)
        api_calls = ["DetachNetworkInterface"]
        if delete:
            self.ec2.delete_network_interface(NetworkInterfaceId=eni_id)
            api_calls.append("DeleteNetworkInterface")
        details = {
            "eni_id": eni_id,
            "attachment_id": attachment,
            "private_ips": [p["PrivateIpAddress"] for p in eni.get("PrivateIpAddresses", [])],
        }
        return self._done("detach-eni", instance_id, marks, api_calls, details)

    # ------------------------------------------------------------------ secondary and IPv6 addresses

    def assign_private_ip(
        self,
        instance_id: str,
        address: str | None = None,
        *,
        eni_id: str | None = None,
        allow_reassignment: bool = False,
    ) -> FleetAction:
        """``AssignPrivateIpAddresses`` of one secondary address (chosen as AWS would unless
        ``address``) on the instance's ENI (its primary one unless ``eni_id``)."""
        eni_id = self._eni_id(instance_id, eni_id)
        if address is None:
            subnet = str(
                self.ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0][
                    "SubnetId"
                ]
            )
            address = self._allocate(subnet, 1)[0]
        marks = self._begin()
        kw: dict[str, Any] = {"NetworkInterfaceId": eni_id, "PrivateIpAddresses": [address]}
        if allow_reassignment:
            kw["AllowReassignment"] = True
        resp = self.ec2.assign_private_ip_addresses(**kw)
        assigned = [a["PrivateIpAddress"] for a in resp.get("AssignedPrivateIpAddresses", [])]
        details = {"eni_id": eni_id, "addresses": assigned}
        return self._done("assign-private-ip", instance_id, marks, ["AssignPrivateIpAddresses"], details)

    def unassign_private_ip(
        self, instance_id: str, address: str, *, eni_id: str | None = None
    ) -> FleetAction:
        """``UnassignPrivateIpAddresses`` of one secondary address."""
        eni_id = eni_id or self._holder(instance_id, address)
        marks = self._begin()
        self.ec2.unassign_private_ip_addresses(NetworkInterfaceId=eni_id, PrivateIpAddresses=[address])
        details = {"eni_id": eni_id, "addresses": [address]}
        return self._done("unassign-private-ip", instance_id, marks, ["UnassignPrivateIpAddresses"], details)

    def _holder(self, instance_id: str, address: str) -> str:
        for eni in self.describe(instance_id).get("NetworkInterfaces", []):
            held = {p["PrivateIpAddress"] for p in eni.get("PrivateIpAddresses", [])}
            held |= {a["Ipv6Address"] for a in eni.get("Ipv6Addresses", [])}
            if address in held:
                return str(eni["NetworkInterfaceId"])
        raise LookupError(f"{instance_id} does not hold {address}")

    def assign_ipv6(self, instance_id: str, *, count: int = 1, eni_id: str | None = None) -> FleetAction:
        """``AssignIpv6Addresses`` of ``count`` addresses of the subnet's /64 (EC2 chooses them)."""
        eni_id = self._eni_id(instance_id, eni_id)
        marks = self._begin()
        resp = self.ec2.assign_ipv6_addresses(NetworkInterfaceId=eni_id, Ipv6AddressCount=count)
        details = {"eni_id": eni_id, "addresses": list(resp.get("AssignedIpv6Addresses", []))}
        return self._done("assign-ipv6", instance_id, marks, ["AssignIpv6Addresses"], details)

    def unassign_ipv6(self, instance_id: str, address: str, *, eni_id: str | None = None) -> FleetAction:
        """``UnassignIpv6Addresses`` of one address."""
        eni_id = eni_id or self._holder(instance_id, address)
        marks = self._begin()
        resp = self.ec2.unassign_ipv6_addresses(NetworkInterfaceId=eni_id, Ipv6Addresses=[address])
        details = {"eni_id": eni_id, "addresses": list(resp.get("UnassignedIpv6Addresses", []))}
        return self._done("unassign-ipv6", instance_id, marks, ["UnassignIpv6Addresses"], details)

    # ------------------------------------------------------------------ tags and attributes

    def tag(self, instance_id: str, tags: Mapping[str, str], *, resources: Iterable[str] = ()) -> FleetAction:
        """``CreateTags`` on the instance (and ``resources``), no restart."""
        marks = self._begin()
        old = self._name(instance_id)
        self.ec2.create_tags(
            Resources=[instance_id, *resources], Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
        )
        details = {"tags": dict(tags), "old_name": old}
        return self._done("tag", instance_id, marks, ["CreateTags"], details)

    def rename_by_tag(self, instance_id: str, name: str) -> FleetAction:
        """A new ``Name`` tag and nothing else: no restart (CloudTrail's ``CreateTags`` event is what
        the pipeline hears)."""
        renamed = self.tag(instance_id, {"Name": name})
        renamed.action = "rename-by-tag"
        return renamed

    def untag(self, instance_id: str, keys: Iterable[str]) -> FleetAction:
        """``DeleteTags`` of the instance's tags ``keys`` (whatever their values)."""
        marks = self._begin()
        keys = list(keys)
        old = self._name(instance_id)
        self.ec2.delete_tags(Resources=[instance_id], Tags=[{"Key": k} for k in keys])
        details = {"keys": keys, "old_name": old}
        return self._done("untag", instance_id, marks, ["DeleteTags"], details)

    def set_instance_type(self, instance_id: str, instance_type: str) -> FleetAction:
        """``ModifyInstanceAttribute`` of the instance type (EC2 only allows it on a stopped instance)."""
        old = self.describe(instance_id).get("InstanceType")
        marks = self._begin()
        self.ec2.modify_instance_attribute(InstanceId=instance_id, InstanceType={"Value": instance_type})
        details = {"instance_type": instance_type, "old_instance_type": old}
        return self._done("set-instance-type", instance_id, marks, ["ModifyInstanceAttribute"], details)
