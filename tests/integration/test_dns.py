"""The DNS step (``sync/dns.py``): A/AAAA/PTR records, zones, ownership, shared names.

Each test runs the steps against the emulator over HTTP and asserts SOLIDserver's contents
afterwards (read back through the inventory reader) and, where it matters, the writes the emulator counted.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from ipamsync.errors import ConfigurationError, InvalidMessage, OwnershipConflict
from tests.helpers import NS, ZONE, eni, inv, message, run


def test_stopped_policy_remove_dns(ctx):
    ctx.settings = replace(ctx.settings, stopped_policy="remove-dns")
    iid = "i-0000000000000bbb3"
    run(message(iid, enis=[eni(5, ["10.20.1.32"])]), ctx)
    run(message(iid, "stopped", enis=[eni(5, ["10.20.1.32"])]), ctx)
    i = inv(ctx)
    assert i.records_of(iid) == set() and "10.20.1.32" in i.address_map()
    run(message(iid, "running", enis=[eni(5, ["10.20.1.32"])]), ctx)
    assert len(inv(ctx).records_of(iid)) == 2


def test_dns_name_held_by_a_manual_record_is_a_conflict(ctx, emu):
    zone = next(z for z in ctx.ss.list_zones(NS) if z.name == ZONE)
    ctx.ss.create_record(NS, zone, f"mail.{ZONE}", "A", "192.0.2.10", ttl=3600, metadata={})
    with pytest.raises(OwnershipConflict):
        run(message("i-0000000000000abc5", name="mail", enis=[eni(0x54, ["10.20.1.103"])]), ctx)
    assert {(r.fqdn, r.value) for r in inv(ctx).records if r.fqdn == f"mail.{ZONE}"} == {
        (f"mail.{ZONE}", "192.0.2.10")
    }


def test_instances_sharing_a_name_each_own_an_a_record(ctx):
    run(message("i-0000000000000abc6", name="asg", enis=[eni(0x55, ["10.20.1.110"])]), ctx)
    run(message("i-0000000000000abc7", name="asg", enis=[eni(0x56, ["10.20.1.111"])]), ctx)
    values = {r.value for r in inv(ctx).records if r.fqdn == f"asg.{ZONE}" and r.type == "A"}
    assert values == {"10.20.1.110", "10.20.1.111"}


def test_zone_override_by_tag_and_invalid_zone_tag(ctx):
    iid = "i-0000000000000abc9"
    run(
        message(iid, enis=[eni(0x58, ["10.20.1.130"])], tags={"ipamsync:zone": "other.example.internal"}), ctx
    )
    assert ("web-1.other.example.internal", "A", "10.20.1.130") in inv(ctx).records_of(iid)
    with pytest.raises(InvalidMessage):
        run(message(iid, enis=[eni(0x58, ["10.20.1.130"])], tags={"ipamsync:zone": "not a zone!"}), ctx)
    with pytest.raises(ConfigurationError):
        run(message(iid, enis=[eni(0x58, ["10.20.1.130"])], tags={"ipamsync:zone": "missing.example"}), ctx)
