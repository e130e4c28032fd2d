"""Fixes that make moto answer as AWS does where moto 5.2.5 does not, so the product needs no
workaround (:func:`fix_moto_quirks`; applied by :meth:`.motohook.MotoHooks.install`, and by tests that
use ``mock_aws`` directly). They are fixes, not hooks: they stay installed for the process. Each is
checked against moto's own behaviour by a canary (``local/tests/aws/test_moto_canary.py``, ``quirk``
tests), which reads moto's own versions in :data:`ORIGINALS`.

a. ``Subnet.ipv6_cidr_block_association_set`` — moto reports a subnet's IPv6 CIDR state as
   ``{"State": {"State": "associated"}}`` (the text of a dict once serialised); AWS says
   ``{"State": "associated"}``.
b. ``ElasticAddressBackend.associate_address`` — moving an Elastic IP from instance (or ENI) A
   to B with ``AllowReassociation`` leaves A's ENI holding it too (A's ``PublicIpAddress`` and
   its ENI's association stay); ``AllowReassociation=False`` is not enforced when the address
   was associated through an ENI; an Elastic IP associated with an ENI that already had another
   one leaves the other one claiming the ENI. As in AWS: A loses it (and gets a new ephemeral
   public IP if its ENI auto-assigns one and it runs, as after ``DisassociateAddress``), a
   second association without ``AllowReassociation`` is ``Resource.AlreadyAssociated``, the
   replaced Elastic IP is disassociated.
c. ``ElasticAddress.instance_id`` (``DescribeAddresses``' ``InstanceId``, filter
   ``instance-id``) — moto keeps the instance named in ``AssociateAddress``: empty for an
   address associated through an ENI, stale once that ENI is detached or attached elsewhere.
   AWS names the instance the address's ENI is attached to.
d. ``AssociateAddress`` with ``PrivateIpAddress`` — moto ignores it (one public IP per ENI, on
   its primary private IP). Not modelled: naming a secondary address raises
   ``NotImplementedError`` instead of silently associating the primary one.
e. ``AssignPrivateIpAddresses`` — with a count, moto draws random addresses of the subnet, the
   network and broadcast addresses and other ENIs' addresses included (SOLIDserver refuses the
   former); named addresses may lie outside the subnet or belong to another ENI (two ENIs then
   hold one address, and ``AllowReassignment`` is ignored); the response lists every address of
   the ENI. As in AWS: free addresses only, never the subnet's first four nor its last; an
   address outside the subnet or held by another ENI is ``InvalidParameterValue`` unless
   ``AllowReassignment`` (then it moves; a primary address never does); the response lists the
   addresses the call assigned.
f. ``UnassignPrivateIpAddresses`` — moto unassigns the primary address and ignores addresses the
   ENI does not have; AWS refuses both (``InvalidParameterValue``).
g. ``AssignIpv6Addresses`` — the response lists every IPv6 address of the ENI (AWS: the ones
   assigned); an ENI in a subnet without IPv6 fails with an ``IndexError`` (AWS: an error);
   named addresses are not checked against the subnet nor other ENIs.
h. ``AttachNetworkInterface`` — moto replaces whatever is at the device index (the replaced ENI
   still claims the attachment) and attaches an ENI that is attached elsewhere; AWS refuses
   both (``InvalidParameterValue``, ``InvalidNetworkInterface.InUse``) and an ENI of another
   availability zone (``InvalidParameterCombination``).
i. ``DetachNetworkInterface`` — moto detaches the primary ENI (device index 0) unless it is the
   instance's only one; AWS never does (``OperationNotPermitted``).
j. ``ModifyInstanceAttribute`` (instance type) — moto changes the type of a running instance;
   AWS only of a stopped one (``IncorrectInstanceState``).

Left as moto has them (they change nothing ipamsync writes): ``CreateTags``/``DeleteTags`` on
ids EC2 does not know are accepted; ``CreateNetworkInterface`` draws random addresses (the fleet
helper names them, see ``ec2events.Fleet.launch``).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from .motoversion import MotoVersionError

__all__ = ["ORIGINALS", "fix_moto_quirks"]

_FIXED = False


def fix_moto_quirks() -> None:
    """Make moto answer as AWS does where it does not (the list above). Idempotent."""
    global _FIXED
    if _FIXED:
        return
    _fix_subnet_ipv6_state()
    _fix_elastic_ips()
    _fix_private_ips()
    _fix_ipv6_addresses()
    _fix_attachments()
    _fix_instance_type()
    _FIXED = True


#: What :func:`fix_moto_quirks` replaced, by ``"Class.attribute"`` (the canary tests read moto's own
#: versions here: they still have the quirks).
ORIGINALS: dict[str, Any] = {}


def _replace(owner: type, name: str, new: Any) -> None:
    if name not in vars(owner):
        raise MotoVersionError(f"{owner.__name__}.{name} is gone: re-check fix_moto_quirks")
    ORIGINALS[f"{owner.__name__}.{name}"] = vars(owner)[name]
    setattr(owner, name, new)


def _ec2_error(code: str, message: str) -> Exception:
    from moto.ec2.exceptions import EC2ClientError

    return EC2ClientError(code, message)


def _fix_subnet_ipv6_state() -> None:
    """a."""
    from moto.ec2.models.subnets import Subnet

    def ipv6_cidr_block_association_set(self: Any) -> list[dict[str, Any]]:
        return [
            {
                "ipv6CidrBlock": a["ipv6CidrBlock"],
                "associationId": a["associationId"],
                "ipv6CidrBlockState": {"state": a["ipv6CidrBlockState"]["State"]},
            }
            for a in self.ipv6_cidr_block_associations.values()
            if a["ipv6CidrBlockState"]["State"] == "associated"
        ]

    _replace(Subnet, "ipv6_cidr_block_association_set", property(ipv6_cidr_block_association_set))


def _release_public_ip(eni: Any) -> None:
    """What AWS does to an ENI whose Elastic IP goes elsewhere: no public IP, or a new ephemeral one
    when the ENI auto-assigns one and its instance runs (moto's own ``disassociate_address``)."""
    eni.public_ip = None
    if eni.instance is not None and eni.instance._state.name == "running":
        eni.check_auto_public_ip()


def _fix_elastic_ips() -> None:
    """b-d."""
    from moto.ec2.models.elastic_ip_addresses import ElasticAddress, ElasticAddressBackend
    from moto.ec2.responses.elastic_ip_addresses import ElasticIPAddresses
    from moto.ec2.utils import random_eip_association_id

    def associate_address(
        backend: Any,
        instance: Any = None,
        eni: Any = None,
        address: str | None = None,
        allocation_id: str | None = None,
        reassociate: bool = False,
    ) -> Any:
        if address:
            eip = backend.address_by_ip([address])[0]
        else:
            eip = backend.address_by_allocation([allocation_id])[0]
        target = eni if eni is not None else (instance.nics[0] if instance is not None else None)
        holder = eip.eni if eip.eni is not None else (eip.instance.nics[0] if eip.instance else None)
        if holder is not None and holder is not target and not reassociate:
            raise _ec2_error(
                "Resource.AlreadyAssociated",
                f"Resource {eip.allocation_id or eip.public_ip} is already associated.",
            )
        if holder is not None and holder is not target and holder.public_ip == eip.public_ip:
            _release_public_ip(holder)  # b: the previous holder no longer has it
        if target is not None and target.public_ip and target.public_ip != eip.public_ip:
            for other in backend.address_by_ip([target.public_ip], fail_if_not_found=False):
                other.eni = other.instance = other.association_id = None  # b: replaced
        eip.instance = target.instance if target is not None else instance
        eip.eni = target
        if target is not None:
            target.public_ip = eip.public_ip
        if eip.domain == "vpc":
            eip.association_id = random_eip_association_id()
        return eip

    _replace(ElasticAddressBackend, "associate_address", associate_address)

    def instance_id(self: Any) -> str:
        """c: the instance the ENI holding the address is attached to."""
        if self.eni is not None:
            return str(self.eni.instance.id) if self.eni.instance is not None else ""
        return str(self.instance.id) if self.instance is not None else ""

    _replace(ElasticAddress, "instance_id", property(instance_id))
    original_filter = ElasticAddress.get_filter_value

    def get_filter_value(self: Any, filter_name: str, method_name: str | None = None) -> Any:
        if filter_name == "instance-id":
            return self.instance_id or None
        return original_filter(self, filter_name, method_name)

    _replace(ElasticAddress, "get_filter_value", get_filter_value)
    original_response = ElasticIPAddresses.associate_address

    def associate_address_response(response: Any) -> Any:
        """d: moto has one public IP per ENI, on its primary private IP."""
        wanted = response._get_param("PrivateIpAddress")
        if wanted:
            backend = response.ec2_backend
            if response._get_param("NetworkInterfaceId"):
                eni = backend.get_network_interface(response._get_param("NetworkInterfaceId"))
            else:
                eni = backend.get_instance(response._get_param("InstanceId")).nics[0]
            if wanted != eni.private_ip_address:
                raise NotImplementedError(
                    "AssociateAddress with the PrivateIpAddress of a secondary address: moto models one "
                    f"public IP per ENI, on its primary private IP ({eni.private_ip_address}), not {wanted}"
                )
        return original_response(response)

    _replace(ElasticIPAddresses, "associate_address", associate_address_response)


def _reserved(cidr: str) -> tuple[int, int]:
    """The first and last addresses of a subnet AWS hands out (not the first four, nor the last)."""
    net = ipaddress.ip_network(cidr)
    return int(net.network_address) + 4, int(net.broadcast_address) - 1


def _private_ips_in_use(backend: Any, subnet_id: str) -> dict[str, Any]:
    """Every private IPv4 address an ENI of the subnet holds, with its ENI."""
    return {
        str(item.get("PrivateIpAddress")): eni
        for eni in backend.enis.values()
        if eni.subnet is not None and eni.subnet.id == subnet_id
        for item in eni.private_ip_addresses
    }


def _free_address(backend: Any, subnet: Any) -> str:
    from moto.moto_api._internal import mock_random

    first, last = _reserved(subnet.cidr_block)
    used = set(_private_ips_in_use(backend, subnet.id))
    for _ in range(64):  # moto's generator, so that a seeded run repeats its choices
        candidate = str(ipaddress.ip_address(mock_random.randint(first, last)))
        if candidate not in used:
            return candidate
    for value in range(last, first - 1, -1):
        if str(ipaddress.ip_address(value)) not in used:
            return str(ipaddress.ip_address(value))
    raise _ec2_error(
        "InsufficientFreeAddressesInSubnet", f"The specified subnet {subnet.id} has no free addresses."
    )


def _check_named_private_ips(backend: Any, eni: Any, wanted: list[str], allow_reassignment: bool) -> None:
    """e: in the subnet, and not another ENI's unless reassigning (a primary address never moves)."""
    net = ipaddress.ip_network(eni.subnet.cidr_block)
    in_use = _private_ips_in_use(backend, eni.subnet.id)
    for ip in wanted:
        if ipaddress.ip_address(ip) not in net:
            raise _ec2_error(
                "InvalidParameterValue",
                f"Address {ip} does not fall within the subnet's address range",
            )
        holder = in_use.get(ip)
        if holder is not None and holder is not eni:
            primary = holder.private_ip_address == ip
            if primary or not allow_reassignment:
                raise _ec2_error("InvalidParameterValue", f"Address {ip} is in use.")


def _assign_private_ip_addresses(
    backend: Any,
    eni_id: str,
    private_ip_addresses: list[str] | None = None,
    secondary_ips_count: int | None = None,
    allow_reassignment: bool = False,
) -> Any:
    eni = backend.get_network_interface(eni_id)
    mine = {str(item.get("PrivateIpAddress")) for item in eni.private_ip_addresses}
    if private_ip_addresses:
        _check_named_private_ips(backend, eni, private_ip_addresses, allow_reassignment)
        in_use = _private_ips_in_use(backend, eni.subnet.id)
        for ip in private_ip_addresses:
            holder = in_use.get(ip)
            if holder is not None and holder is not eni:  # e: moved, as AWS does
                holder.private_ip_addresses[:] = [
                    item for item in holder.private_ip_addresses if item.get("PrivateIpAddress") != ip
                ]
            if ip not in mine:
                eni.private_ip_addresses.append({"Primary": False, "PrivateIpAddress": ip})
                mine.add(ip)
        return eni
    for _ in range(int(secondary_ips_count or 0)):
        ip = _free_address(backend, eni.subnet)
        eni.private_ip_addresses.append({"Primary": False, "PrivateIpAddress": ip})
    return eni


def _unassign_private_ip_addresses(
    backend: Any, eni_id: str, private_ip_address: list[str] | None = None
) -> Any:
    eni = backend.get_network_interface(eni_id)
    wanted = set(private_ip_address or [])
    mine = {str(item.get("PrivateIpAddress")) for item in eni.private_ip_addresses}
    if eni.private_ip_address in wanted:
        raise _ec2_error(
            "InvalidParameterValue",
            f"The primary private IP address {eni.private_ip_address} of {eni_id} cannot be unassigned.",
        )
    if wanted - mine:
        raise _ec2_error(
            "InvalidParameterValue",
            f"Some of the specified addresses are not assigned to interface {eni_id}",
        )
    eni.private_ip_addresses[:] = [
        item for item in eni.private_ip_addresses if item.get("PrivateIpAddress") not in wanted
    ]
    return eni


def _assign_private_response(response: Any) -> Any:
    """e: the response lists the addresses this call assigned, as AWS's does."""
    from moto.core.responses import ActionResult

    eni_id = response._get_param("NetworkInterfaceId")
    before = {
        str(item.get("PrivateIpAddress"))
        for item in response.ec2_backend.get_network_interface(eni_id).private_ip_addresses
    }
    eni = response.ec2_backend.assign_private_ip_addresses(
        eni_id,
        response._get_param("PrivateIpAddresses", []),
        response._get_int_param("SecondaryPrivateIpAddressCount", 0),
        allow_reassignment=bool(response._get_bool_param("AllowReassignment", False)),
    )
    assigned = [
        {"PrivateIpAddress": item["PrivateIpAddress"]}
        for item in eni.private_ip_addresses
        if str(item.get("PrivateIpAddress")) not in before
    ]
    return ActionResult({"NetworkInterfaceId": eni.id, "AssignedPrivateIpAddresses": assigned})


def _fix_private_ips() -> None:
    """e-f."""
    from moto.ec2.models.elastic_network_interfaces import NetworkInterfaceBackend
    from moto.ec2.responses.elastic_network_interfaces import ElasticNetworkInterfaces

    _replace(NetworkInterfaceBackend, "assign_private_ip_addresses", _assign_private_ip_addresses)
    _replace(NetworkInterfaceBackend, "unassign_private_ip_addresses", _unassign_private_ip_addresses)
    _replace(ElasticNetworkInterfaces, "assign_private_ip_addresses", _assign_private_response)


def _fix_ipv6_addresses() -> None:
    """g."""
    from moto.ec2.models.elastic_network_interfaces import NetworkInterfaceBackend
    from moto.ec2.responses.elastic_network_interfaces import ElasticNetworkInterfaces

    original = NetworkInterfaceBackend.assign_ipv6_addresses

    def assign_ipv6_addresses(
        backend: Any, eni_id: str, ipv6_addresses: list[str] | None = None, ipv6_count: int | None = None
    ) -> Any:
        eni = backend.get_network_interface(eni_id)
        blocks = [a.get("ipv6CidrBlock") for a in eni.subnet.ipv6_cidr_block_associations.values()]
        if not blocks:
            raise _ec2_error(
                "InvalidParameterValue", f"The subnet {eni.subnet.id} of {eni_id} has no IPv6 CIDR block."
            )
        nets = [ipaddress.ip_network(b) for b in blocks if b]
        held = {
            str(ipaddress.ip_address(a)): other
            for other in backend.enis.values()
            for a in other.ipv6_addresses
        }
        for ip in ipv6_addresses or []:
            if not any(ipaddress.ip_address(ip) in n for n in nets):
                raise _ec2_error("InvalidParameterValue", f"Address {ip} is not in the subnet's IPv6 range.")
            if held.get(str(ipaddress.ip_address(ip)), eni) is not eni:
                raise _ec2_error("InvalidParameterValue", f"Address {ip} is in use.")
        return original(backend, eni_id, ipv6_addresses, ipv6_count)

    _replace(NetworkInterfaceBackend, "assign_ipv6_addresses", assign_ipv6_addresses)

    def assign_response(response: Any) -> Any:
        """g: the response lists the addresses this call assigned, as AWS's does."""
        from moto.core.responses import ActionResult

        eni_id = response._get_param("NetworkInterfaceId")
        before = set(response.ec2_backend.get_network_interface(eni_id).ipv6_addresses)
        eni = response.ec2_backend.assign_ipv6_addresses(
            eni_id, response._get_param("Ipv6Addresses", []), response._get_int_param("Ipv6AddressCount", 0)
        )
        assigned = [a for a in eni.ipv6_addresses if a not in before]
        return ActionResult({"AssignedIpv6Addresses": assigned, "NetworkInterfaceId": eni.id})

    _replace(ElasticNetworkInterfaces, "assign_ipv6_addresses", assign_response)


def _fix_attachments() -> None:
    """h-i."""
    from moto.ec2.models.elastic_network_interfaces import NetworkInterfaceBackend

    original_attach = NetworkInterfaceBackend.attach_network_interface
    original_detach = NetworkInterfaceBackend.detach_network_interface

    def attach_network_interface(backend: Any, eni_id: str, instance_id: str, device_index: int) -> Any:
        eni = backend.get_network_interface(eni_id)
        instance = backend.get_instance(instance_id)
        if eni.instance is not None:
            raise _ec2_error("InvalidNetworkInterface.InUse", f"Interface: [{eni_id}] in use.")
        if int(device_index) in instance.nics:
            raise _ec2_error(
                "InvalidParameterValue",
                f"Instance '{instance_id}' already has an interface attached at device index "
                f"'{device_index}'.",
            )
        if eni.subnet.availability_zone != instance.placement.zone:
            raise _ec2_error(
                "InvalidParameterCombination",
                "You may not attach a network interface to an instance if they are not in the same "
                "availability zone",
            )
        return original_attach(backend, eni_id, instance_id, device_index)

    def detach_network_interface(backend: Any, attachment_id: str) -> None:
        for eni in backend.enis.values():
            if eni.attachment_id == attachment_id and eni.device_index == 0:
                raise _ec2_error(
                    "OperationNotPermitted", "The network interface at device index 0 cannot be detached."
                )
        original_detach(backend, attachment_id)

    _replace(NetworkInterfaceBackend, "attach_network_interface", attach_network_interface)
    _replace(NetworkInterfaceBackend, "detach_network_interface", detach_network_interface)


def _fix_instance_type() -> None:
    """j."""
    from moto.ec2.models.instances import InstanceBackend

    original = InstanceBackend.modify_instance_attribute

    def modify_instance_attribute(backend: Any, instance_id: str, key: str, value: Any) -> Any:
        if key == "instance_type":
            state = backend.get_instance(instance_id)._state.name
            if state != "stopped":
                raise _ec2_error(
                    "IncorrectInstanceState", f"The instance '{instance_id}' is not in the 'stopped' state."
                )
        return original(backend, instance_id, key, value)

    _replace(InstanceBackend, "modify_instance_attribute", modify_instance_attribute)
