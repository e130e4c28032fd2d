"""Canaries for :mod:`ipamsync_local.aws.motoquirks`: moto still has each quirk it fixes (when one
fails, moto changed that code: check whether the fix is still needed), and the fixed moto answers as
AWS does."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from ipamsync_local.aws.motoquirks import ORIGINALS, fix_moto_quirks

REGION = "us-east-1"


# --------------------------------------------------------------------------- quirks moto still has


def _original(key: str) -> Any:
    fix_moto_quirks()
    return ORIGINALS[key]


@pytest.mark.parametrize(
    "key, quirk",
    [
        # b. the previous holder's ENI keeps the moved address; ENI associations skip the check
        ("ElasticAddressBackend.associate_address", "eip.eni.public_ip = eip.public_ip"),
        ("ElasticAddressBackend.associate_address", "not eip.eni or eni.id == eip.eni.id"),
        # d. PrivateIpAddress is never read
        ("ElasticIPAddresses.associate_address", "AllowReassociation"),
        # e. random addresses of the whole CIDR; named ones appended unchecked; every address answered
        ("NetworkInterfaceBackend.assign_private_ip_addresses", "random_private_ip(eni.subnet.cidr_block)"),
        ("NetworkInterfaceBackend.assign_private_ip_addresses", "for ip in private_ip_addresses"),
        (
            "ElasticNetworkInterfaces.assign_private_ip_addresses",
            '"AssignedPrivateIpAddresses": eni.private_ip_addresses',
        ),
        # f. nothing protects the primary address
        ("NetworkInterfaceBackend.unassign_private_ip_addresses", "eni.private_ip_addresses.remove(item)"),
        # g. every IPv6 address answered; the subnet's first association taken blindly
        ("ElasticNetworkInterfaces.assign_ipv6_addresses", '"AssignedIpv6Addresses": eni.ipv6_addresses'),
        ("NetworkInterfaceBackend.assign_ipv6_addresses", "ipv6_cidr_block_associations.values())[0]"),
        # h., i. attach without checks; only the last ENI is protected from a detach
        ("NetworkInterfaceBackend.attach_network_interface", "instance.attach_eni(eni, device_index)"),
        ("NetworkInterfaceBackend.detach_network_interface", "len(eni.instance.nics) == 1"),
        # j. any attribute of any instance, whatever its state
        ("InstanceBackend.modify_instance_attribute", "setattr(instance, key, value)"),
    ],
)
def test_moto_still_has_the_quirks_fix_moto_quirks_fixes(key: str, quirk: str) -> None:
    """When one fails, moto changed that code: check whether the fix (motoquirks) is still needed."""
    assert quirk in inspect.getsource(_original(key))


def test_moto_still_has_the_address_instance_and_subnet_state_quirks() -> None:
    from moto.ec2.models.instances import Instance

    assert "self.instance.id if self.instance" in inspect.getsource(
        _original("ElasticAddress.instance_id").fget
    )
    assert "PrivateIpAddress" not in inspect.getsource(_original("ElasticIPAddresses.associate_address"))
    assert "self.nics[device_index] = eni" in inspect.getsource(Instance.attach_eni)
    assert '"State"' not in inspect.getsource(
        _original("Subnet.ipv6_cidr_block_association_set").fget
    ) or "ipv6CidrBlockState" in inspect.getsource(_original("Subnet.ipv6_cidr_block_association_set").fget)


def test_moto_itself_still_leaves_a_moved_elastic_ip_on_the_previous_holder() -> None:
    """b by behaviour, with moto's own ``associate_address``: an Elastic IP moved from A to B with
    ``AllowReassociation`` still shows on A's ENI. When this fails, moto fixed it: drop the fix."""
    from moto.ec2.models.elastic_ip_addresses import ElasticAddressBackend

    fixed = _original("ElasticAddressBackend.associate_address")
    patched = vars(ElasticAddressBackend)["associate_address"]
    ElasticAddressBackend.associate_address = fixed  # type: ignore[method-assign]
    try:
        with mock_aws():
            ec2 = boto3.client("ec2", region_name=REGION)
            a, b = (
                i["InstanceId"]
                for i in ec2.run_instances(ImageId="ami-12c6146b", MinCount=2, MaxCount=2)["Instances"]
            )
            eip = ec2.allocate_address(Domain="vpc")
            ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=a)
            ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=b, AllowReassociation=True)
            found = ec2.describe_instances(InstanceIds=[a, b])["Reservations"]
            public = {i["InstanceId"]: i.get("PublicIpAddress") for r in found for i in r["Instances"]}
            enis = {
                i["InstanceId"]: (i["NetworkInterfaces"][0].get("Association") or {}).get("PublicIp")
                for r in found
                for i in r["Instances"]
            }
    finally:
        ElasticAddressBackend.associate_address = patched  # type: ignore[method-assign]
    assert public[b] == eip["PublicIp"]
    assert eip["PublicIp"] in (public[a], enis[a]), "moto now clears A itself: remove fix b"


# --------------------------------------------------------------------------- the fixed moto


class _Fleet:
    """Two running instances in one /28 subnet with IPv6, on moto with its quirks fixed."""

    def __init__(self) -> None:
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
        v6 = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
        self.ec2 = ec2
        self.subnet = ec2.create_subnet(
            VpcId=vpc,
            CidrBlock="10.0.1.0/28",
            Ipv6CidrBlock=v6.replace("/56", "/64"),
            AvailabilityZone="us-east-1a",
        )["Subnet"]["SubnetId"]
        self.a, self.b = (
            ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=self.subnet)[
                "Instances"
            ][0]["InstanceId"]
            for _ in range(2)
        )

    def described(self, iid: str) -> dict[str, Any]:
        return self.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]  # type: ignore[no-any-return]

    def eni(self, iid: str) -> str:
        return str(self.described(iid)["NetworkInterfaces"][0]["NetworkInterfaceId"])


def _refused(code: str, call: Callable[..., Any], **kw: Any) -> None:
    with pytest.raises(ClientError) as caught:
        call(**kw)
    assert caught.value.response["Error"]["Code"] == code


@pytest.fixture
def fleet() -> Iterator[_Fleet]:
    fix_moto_quirks()
    with mock_aws():
        yield _Fleet()


def test_a_moved_elastic_ip_answers_as_aws(fleet: _Fleet) -> None:
    ec2, a, b = fleet.ec2, fleet.a, fleet.b
    # b., c. an Elastic IP moved from A to B: A no longer holds it, DescribeAddresses names B
    eip = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=a)
    _refused(
        "Resource.AlreadyAssociated", ec2.associate_address, AllocationId=eip["AllocationId"], InstanceId=b
    )
    ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=b, AllowReassociation=True)
    assert "PublicIpAddress" not in fleet.described(a)
    assert fleet.described(b)["PublicIpAddress"] == eip["PublicIp"]
    [address] = ec2.describe_addresses(AllocationIds=[eip["AllocationId"]])["Addresses"]
    assert address["InstanceId"] == b
    # d. a secondary private IP for an Elastic IP is not modelled: loud, not silently wrong
    with pytest.raises(NotImplementedError):
        ec2.associate_address(
            AllocationId=eip["AllocationId"], NetworkInterfaceId=fleet.eni(b), PrivateIpAddress="10.0.1.14"
        )


def test_private_addresses_answer_as_aws(fleet: _Fleet) -> None:
    ec2, a = fleet.ec2, fleet.a
    eni_a, eni_b = fleet.eni(a), fleet.eni(fleet.b)
    # e. free, non-reserved addresses; another ENI's only with AllowReassignment (then moved)
    got = ec2.assign_private_ip_addresses(NetworkInterfaceId=eni_a, SecondaryPrivateIpAddressCount=8)
    drawn = [x["PrivateIpAddress"] for x in got["AssignedPrivateIpAddresses"]]
    assert len(drawn) == 8
    assert not {"10.0.1.0", "10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.15"} & set(drawn)
    assign = ec2.assign_private_ip_addresses
    _refused("InvalidParameterValue", assign, NetworkInterfaceId=eni_b, PrivateIpAddresses=[drawn[0]])
    _refused("InvalidParameterValue", assign, NetworkInterfaceId=eni_b, PrivateIpAddresses=["10.0.2.9"])
    moved = assign(NetworkInterfaceId=eni_b, PrivateIpAddresses=[drawn[0]], AllowReassignment=True)
    assert moved["AssignedPrivateIpAddresses"] == [{"PrivateIpAddress": drawn[0]}]
    assert drawn[0] not in {
        p["PrivateIpAddress"] for p in fleet.described(a)["NetworkInterfaces"][0]["PrivateIpAddresses"]
    }
    # f. the primary address stays
    _refused(
        "InvalidParameterValue",
        ec2.unassign_private_ip_addresses,
        NetworkInterfaceId=eni_a,
        PrivateIpAddresses=[fleet.described(a)["PrivateIpAddress"]],
    )
    # g. only the new IPv6 address is answered
    first = ec2.assign_ipv6_addresses(NetworkInterfaceId=eni_a, Ipv6AddressCount=1)["AssignedIpv6Addresses"]
    second = ec2.assign_ipv6_addresses(NetworkInterfaceId=eni_a, Ipv6AddressCount=1)["AssignedIpv6Addresses"]
    assert len(first) == len(second) == 1 and first != second


def test_attachments_and_instance_type_answer_as_aws(fleet: _Fleet) -> None:
    ec2, a = fleet.ec2, fleet.a
    # h., i. attachments
    eni = ec2.create_network_interface(SubnetId=fleet.subnet, PrivateIpAddress="10.0.1.13")[
        "NetworkInterface"
    ]
    ec2.attach_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"], InstanceId=a, DeviceIndex=1)
    _refused(
        "InvalidNetworkInterface.InUse",
        ec2.attach_network_interface,
        NetworkInterfaceId=eni["NetworkInterfaceId"],
        InstanceId=fleet.b,
        DeviceIndex=1,
    )
    primary = fleet.described(a)["NetworkInterfaces"][0]["Attachment"]["AttachmentId"]
    _refused("OperationNotPermitted", ec2.detach_network_interface, AttachmentId=primary)
    # j. the type of a running instance
    _refused(
        "IncorrectInstanceState",
        ec2.modify_instance_attribute,
        InstanceId=a,
        InstanceType={"Value": "m5.large"},
    )
