"""Changes to running instances, on the sync side: addresses that change hands and the refresh
requests for their previous holders, lookups by attachment and association, and public networks
that do not accumulate. Against the emulator over HTTP. A public network deleted between an
execution's networks and addresses steps: ``test_appliance.py`` (with and without the appliance's
``attach_orphans``)."""

from __future__ import annotations

from ipamsync.sync.refresh import holder, lookup_holders, refresh_entries
from tests.helpers import (
    ACCOUNT,
    REGION,
    eni,
    inv,
    load_handler,
    lookup,
    message,
    owner,
    public_networks,
    run,
    with_public_ip,
)

device_app = load_handler("device")
A, B, C = "i-0000000000000eee1", "i-0000000000000eee2", "i-0000000000000eee3"
EIP = "3.213.40.7"


def test_an_elastic_ip_moved_to_a_newer_observation_changes_hands_and_asks_for_the_old_holders_snapshot(ctx):
    run(with_public_ip(A, "a", 0x61, "10.20.1.161", EIP, elastic=True), ctx)
    out = run(with_public_ip(B, "b", 0x62, "10.20.1.162", EIP, elastic=True), ctx)
    moved = inv(ctx).address_map()[EIP]
    assert moved.metadata["ipamsync_owner"] == owner(B) and moved.name.startswith("b.")
    assert out["addresses"]["taken"] == [owner(A)]
    [request] = out["refresh"]
    assert request["Detail"]["instance-id"] == A and request["Source"] == "ipamsync"
    # A's own snapshot (as enrich takes it for the refresh: no EIP) is applied in full, not skipped
    # as unchanged: its digest was dropped when the address was taken
    again = run(message(A, name="a", enis=[eni(0x61, ["10.20.1.161"])]), ctx)
    assert again["device"]["unchanged"] is False and again["addresses"]["taken"] == []
    assert inv(ctx).address_map()[EIP].metadata["ipamsync_owner"] == owner(B)


def test_an_older_claim_yields_and_asks_for_nothing(ctx):
    old_a = with_public_ip(A, "a", 0x63, "10.20.1.163", EIP, elastic=True)
    run(with_public_ip(B, "b", 0x64, "10.20.1.164", EIP, elastic=True), ctx)
    out = run(old_a, ctx)  # A's message observed before the move arrives late
    assert out["addresses"]["yielded"] == [EIP] and out["refresh"] == []
    assert inv(ctx).address_map()[EIP].metadata["ipamsync_owner"] == owner(B)


def test_a_lookup_finds_who_held_an_attachment_an_association_or_a_public_ip(ctx):
    run(
        message(
            A,
            name="a",
            enis=[
                eni(0x65, ["10.20.1.165"]),
                eni(0x66, ["10.20.1.166"], attachment="eni-attach-0000000000000a66"),
            ],
        ),
        ctx,
    )
    run(
        message(
            B,
            name="b",
            enis=[
                eni(
                    0x67,
                    ["10.20.1.167"],
                    public={"10.20.1.167": (EIP, True)},
                    associations={"10.20.1.167": "eipassoc-00000000000000b67"},
                )
            ],
        ),
        ctx,
    )
    run(
        with_public_ip(C, "c", 0x68, "10.20.1.168", "54.210.50.8"),
        ctx,
    )
    assert lookup_holders(lookup(attachment_ids=("eni-attach-0000000000000a66",)), ctx).holders == [owner(A)]
    assert lookup_holders(lookup(association_ids=("eipassoc-00000000000000b67",)), ctx).holders == [owner(B)]
    assert lookup_holders(lookup(public_ips=("54.210.50.8",)), ctx).holders == [owner(C)]
    assert lookup_holders(lookup(attachment_ids=("eni-attach-00000000000000ff",)), ctx).holders == []
    # the address of every ENI of the instance carries its attachment; the EIP its association
    i = inv(ctx).address_map()
    assert i["10.20.1.166"].metadata["aws_attachment_id"] == "eni-attach-0000000000000a66"
    assert i[EIP].metadata["aws_association_id"] == "eipassoc-00000000000000b67"


def test_the_device_function_answers_a_lookup_with_refresh_requests(ctx, monkeypatch, lambda_context):
    from ipamsync.runtime import container

    run(
        message(A, name="a", enis=[eni(0x69, ["10.20.1.169"], attachment="eni-attach-0000000000000a69")]), ctx
    )
    monkeypatch.setattr(container, "sync_context", lambda: ctx)
    found = lookup(attachment_ids=("eni-attach-0000000000000a69",))
    out = device_app.lambda_handler({"message": found.to_json(), "execution": "x1"}, lambda_context)
    assert out["lifecycle"] == "lookup" and out["holders"] == [owner(A)]
    assert [e["Detail"]["instance-id"] for e in out["refresh"]["entries"]] == [A]
    assert out["lease_id"] is None  # a lookup writes nothing and takes no lease


def test_refresh_requests_are_distinct_well_formed_and_at_most_ten():
    owners = [owner(f"i-{n:017x}") for n in range(15)] + [owner(A), owner(A), "aws:bad", "not-an-owner"]
    entries = refresh_entries(owners, "r")
    assert len(entries) == 10 and len({e["Detail"]["instance-id"] for e in entries}) == 10
    assert holder(owner(A)) == (ACCOUNT, REGION, A) and holder("aws:1:us-east-1:i-1") is None


def test_public_networks_go_once_nothing_is_left_in_them(ctx):
    """Ephemeral public IPs come and go: the ipamsync-owned /24 (and /16) around one is deleted
    when the last address in it is freed, and kept while another address or /24 remains."""
    run(
        with_public_ip(A, "a", 0x70, "10.20.1.170", "54.211.7.10"),
        ctx,
    )
    run(
        with_public_ip(B, "b", 0x71, "10.20.1.171", "54.211.7.11"),
        ctx,
    )
    run(
        with_public_ip(C, "c", 0x72, "10.20.1.172", "54.211.9.12"),
        ctx,
    )
    assert public_networks(ctx) == {"54.211.0.0/16", "54.211.7.0/24", "54.211.9.0/24"}
    run(message(A, "stopped", name="a", enis=[eni(0x70, ["10.20.1.170"])]), ctx)  # loses its public IP
    assert public_networks(ctx) == {"54.211.0.0/16", "54.211.7.0/24", "54.211.9.0/24"}  # B is still in it
    run(message(B, "terminated", name="b"), ctx)
    assert public_networks(ctx) == {"54.211.0.0/16", "54.211.9.0/24"}
    run(message(C, "stopped", name="c", enis=[eni(0x72, ["10.20.1.172"])]), ctx)
    assert public_networks(ctx) == set()
    assert "10.20.1.170" in inv(ctx).address_map()  # private addresses and networks stay
