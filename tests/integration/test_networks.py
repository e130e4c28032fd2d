"""The networks step (``sync/networks.py``): spaces, VPC blocks, subnets, public networks.

Each test runs the steps against the emulator over HTTP and asserts SOLIDserver's contents
afterwards (read back through the inventory reader) and, where it matters, the writes the emulator counted.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.helpers import eni, inv, message, run


def test_known_subnets_reuse_networks(ctx, emu):
    run(message("i-0000000000000aaa1", enis=[eni(1, ["10.20.1.20"])]), ctx)
    before = len(inv(ctx).networks)
    run(message("i-0000000000000aaa2", name="web-2", enis=[eni(2, ["10.20.1.21"])]), ctx)
    assert len(inv(ctx).networks) == before


def test_existing_hand_made_networks_are_used_not_modified(ctx):
    sid = ctx.space_id("AWS", create=True)
    corp = ctx.ss.create_network(
        4, sid, "10.0.0.0/8", name="corporate", terminal=False, parent_id=None, metadata={"owner": "netops"}
    )
    run(message("i-0000000000000abc8", enis=[eni(0x57, ["10.20.1.120"])]), ctx)
    nets = {n.cidr: n for n in inv(ctx).networks}
    assert nets["10.0.0.0/8"].name == "corporate" and nets["10.0.0.0/8"].metadata == {"owner": "netops"}
    vpc_net = nets["10.20.0.0/16"]
    assert vpc_net.parent_id == corp and not vpc_net.terminal  # placed inside the corporate block


def test_per_account_spaces(ctx):
    ctx.settings = replace(ctx.settings, space_strategy="per-account", space_name="AWS")
    run(message("i-0000000000000abd3", enis=[eni(0x5B, ["10.20.1.160"])]), ctx)
    i = inv(ctx)
    assert "AWS-123456789012" in {s.name for s in i.spaces}
    assert i.address_map()["10.20.1.160"].space_id == next(
        s.id for s in i.spaces if s.name == "AWS-123456789012"
    )


@pytest.mark.parametrize("public_ip", ["54.210.40.0", "54.210.40.255"])
def test_public_ip_at_either_end_of_its_slash_24(ctx, public_ip):
    iid = "i-0000000000000abd6"
    run(message(iid, enis=[eni(0x5E, ["10.20.1.190"], public={"10.20.1.190": (public_ip, False)})]), ctx)
    a = inv(ctx).address_map()[public_ip]
    assert a.metadata["aws_address_kind"] == "public" and a.metadata["ipamsync_owner"] == message(iid).owner
