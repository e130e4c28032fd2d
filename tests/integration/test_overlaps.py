"""Overlapping ranges across accounts, regions and VPCs, per space strategy (README, "Overlapping
ranges"), against the emulator: the same CIDR reused lands in separate spaces with the right owners,
or — with one space for all — is refused as a named ``OverlappingRange`` that touches nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ipamsync.errors import OverlappingRange
from ipamsync.model import Message
from tests.helpers import SUBNET_A, VPC, eni, inv, message, run

OTHER = "210987654321"


def elsewhere(msg: Message, *, account: str | None = None, region: str | None = None) -> Message:
    event = replace(msg.event, account=account or msg.event.account, region=region or msg.event.region)
    return replace(msg, event=event)


def other_vpc_same_cidr(iid: str, ip: str) -> Message:
    vpc = dict(VPC, id="vpc-0bbbbbbbbbbbbbbb1", name="copy")
    sub = dict(SUBNET_A, id="subnet-0bbbbbbbbbbbbbbb1", vpc_id=vpc["id"], name="copy-a")
    return message(iid, enis=[eni(7, [ip], subnet=sub)], vpcs=[vpc], subnets=[sub])


def owners_by_space(ctx, address: str) -> dict[str, str]:
    i = inv(ctx)
    names = {s.id: s.name for s in i.spaces}
    return {names[a.space_id]: a.metadata["ipamsync_owner"] for a in i.addresses if a.address == address}


def test_single_space_refuses_another_accounts_range_and_keeps_the_first(ctx):
    first = message("i-0000000000000f001", enis=[eni(1, ["10.20.1.15"])])
    run(first, ctx)
    second = elsewhere(message("i-0000000000000f002", enis=[eni(2, ["10.20.1.15"])]), account=OTHER)
    with pytest.raises(OverlappingRange) as info:
        run(second, ctx)
    text = str(info.value)
    assert OTHER in text and "123456789012" in text and "per-account" in text
    assert info.value.to_dict()["error"] == "OverlappingRange"
    assert owners_by_space(ctx, "10.20.1.15") == {"AWS": first.owner}  # untouched


def test_single_space_reuses_the_range_of_a_replaced_vpc_of_the_same_account_and_region(ctx):
    run(message("i-0000000000000f003", enis=[eni(1, ["10.20.1.16"])]), ctx)
    run(other_vpc_same_cidr("i-0000000000000f004", "10.20.1.17"), ctx)  # a VPC recreated with its range
    assert set(owners_by_space(ctx, "10.20.1.17")) == {"AWS"}


def test_per_account_spaces_hold_the_same_range_twice(ctx):
    ctx.settings = replace(ctx.settings, space_strategy="per-account")
    a = message("i-0000000000000f005", enis=[eni(1, ["10.20.1.15"])])
    b = elsewhere(message("i-0000000000000f006", enis=[eni(2, ["10.20.1.15"])]), account=OTHER)
    run(a, ctx)
    run(b, ctx)
    assert owners_by_space(ctx, "10.20.1.15") == {"AWS-123456789012": a.owner, f"AWS-{OTHER}": b.owner}


def test_per_account_region_spaces_split_one_account_across_regions(ctx):
    ctx.settings = replace(ctx.settings, space_strategy="per-account-region")
    a = message("i-0000000000000f007", enis=[eni(1, ["10.20.1.15"])])
    b = elsewhere(message("i-0000000000000f008", enis=[eni(2, ["10.20.1.15"])]), region="eu-west-1")
    run(a, ctx)
    run(b, ctx)
    assert owners_by_space(ctx, "10.20.1.15") == {
        "AWS-123456789012-us-east-1": a.owner,
        "AWS-123456789012-eu-west-1": b.owner,
    }
    # one space for all would refuse the other region's range
    ctx.settings = replace(ctx.settings, space_strategy="single")
    run(a, ctx)
    with pytest.raises(OverlappingRange):
        run(elsewhere(message("i-0000000000000f009", enis=[eni(3, ["10.20.1.18"])]), region="eu-west-1"), ctx)


def test_per_vpc_spaces_split_two_vpcs_of_one_account_and_region(ctx):
    ctx.settings = replace(ctx.settings, space_strategy="per-vpc")
    a = message("i-0000000000000f00a", enis=[eni(1, ["10.20.1.15"])])
    b = other_vpc_same_cidr("i-0000000000000f00b", "10.20.1.15")
    run(a, ctx)
    run(b, ctx)
    assert owners_by_space(ctx, "10.20.1.15") == {
        f"AWS-123456789012-us-east-1-{VPC['id']}": a.owner,
        "AWS-123456789012-us-east-1-vpc-0bbbbbbbbbbbbbbb1": b.owner,
    }
