"""The other policies, as template parameter overrides: ``StoppedPolicy=remove-dns`` (a stopped
instance loses its records until it runs again) and ``TerminatedPolicy=retain`` (the device of a
terminated instance stays, marked terminated, instead of becoming a tombstone)."""

from __future__ import annotations

import ipaddress

from ipamsync_local.truth import compare, format_differences

from .harness import SCENARIO_ZONE, Pipeline, pipeline_fixture

pipeline = pipeline_fixture({"StoppedPolicy": "remove-dns", "TerminatedPolicy": "retain"})


def test_remove_dns_policy_drops_the_records_of_a_stopped_instance_and_restores_them(
    pipeline: Pipeline,
) -> None:
    iid = pipeline.launch("sleeper", "dev-1", ipv6=1)
    pipeline.settle()
    _, inv = pipeline.exact(iid)
    running_records = inv.records_of(iid)
    assert {r[1] for r in running_records} == {"A", "AAAA", "PTR"} and len(running_records) == 4
    addresses = {a.address for a in inv.owned_by(pipeline.owner(iid))["addresses"]}

    pipeline.aws.fleet.stop(iid)
    pipeline.settle()
    _, inv = pipeline.exact(iid)
    assert inv.records_of(iid) == set()
    assert {a.address for a in inv.owned_by(pipeline.owner(iid))["addresses"]} == addresses
    assert inv.device_of(iid).metadata["aws_state"] == "stopped"

    pipeline.aws.fleet.start(iid)
    pipeline.settle()
    _, inv = pipeline.exact(iid)
    assert inv.records_of(iid) == running_records
    v6 = str(
        ipaddress.ip_address(
            pipeline.describe(iid)["NetworkInterfaces"][0]["Ipv6Addresses"][0]["Ipv6Address"]
        )
    )
    assert (f"sleeper.{SCENARIO_ZONE}", "AAAA", v6) in running_records
    assert {s.status for s in pipeline.executions_of(iid)} == {"SUCCEEDED"}


def test_retain_policy_keeps_the_device_marked_terminated(pipeline: Pipeline) -> None:
    iid = pipeline.launch("keepsake", "prod-2", enis=2, secondary_ips=1, tags={"team": "data"})
    other = pipeline.launch("bystander", "prod-2")
    pipeline.settle()
    pipeline.exact(iid, other)

    pipeline.aws.fleet.terminate(iid)
    pipeline.settle()
    truth, inv = pipeline.truth(), pipeline.inventory()
    diffs = compare(inv, truth.restrict({other}))
    assert diffs == [], format_differences(diffs)
    owned = inv.owned_by(pipeline.owner(iid))
    (device,) = owned["devices"]
    assert device.name == f"keepsake-{iid}"
    expected = {**truth.instances[iid].device_metadata, **truth.instances[iid].tags}
    assert {
        k: v for k, v in device.metadata.items() if not k.startswith("ipamsync_") or k == "ipamsync_owner"
    } == expected
    assert device.metadata["aws_state"] == "terminated" and "ipamsync_tombstone" not in device.metadata
    assert device.metadata["aws_instance_type"] == "t3.micro" and device.metadata["aws_tag_team"] == "data"
    assert "aws_private_ip" not in device.metadata and "aws_eni_count" not in device.metadata
    assert owned["addresses"] == [] and owned["records"] == []
    assert {s.status for s in pipeline.executions_of(iid)} == {"SUCCEEDED"}


def test_retain_policy_removes_the_interfaces_like_addresses_and_records(pipeline: Pipeline) -> None:
    iid = pipeline.launch("keepsake-2", "prod-1", enis=2)
    pipeline.settle()
    pipeline.aws.fleet.terminate(iid)
    pipeline.settle()
    pipeline.exact(iid)
