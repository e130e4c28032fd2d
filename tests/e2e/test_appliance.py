"""The whole local pipeline against the ``strict`` appliance profile (``profile.py``): edits that
replace the class-parameter set, free-range rows, delayed record deletion, record ids that change,
a live appliance's error bodies, no ``ip.``/``ip6.``/``rr.`` tags, IPAM-to-DNS replication, unique
address names, names without letter case, orphans not attached. A representative subset of
``test_lifecycle.py`` (launch with every kind of address, shared names, stop/start, rename,
termination); after every step SOLIDserver must hold exactly what EC2 says. (Each behaviour on its
own, against the emulator: ``tests/integration/test_appliance.py``.)"""

from __future__ import annotations

import ipaddress

from .harness import SCENARIO_DNS_SERVER, SCENARIO_ZONE, SCENARIO_ZONE2, Pipeline, pipeline_fixture

pipeline = pipeline_fixture(profile="strict")

OWNER = "ipamsync_owner"


def _all_succeeded(p: Pipeline, *instance_ids: str) -> None:
    for iid in instance_ids:
        found = p.executions_of(iid)
        assert found and {s.status for s in found} == {"SUCCEEDED"}, [(s.name, s.error) for s in found]
    workflow, events = p.dead_letters()
    assert workflow == [] and events == []


def test_a_fleet_lives_on_a_strict_appliance(pipeline: Pipeline) -> None:
    settings = pipeline.emu.admin.profile()["settings"]
    assert settings["class_parameters"] == "replace" and settings["missing_tag_types"] == ["ip", "ip6", "rr"]
    web = pipeline.launch("Web", "prod-1", enis=2, secondary_ips=1, elastic_ip=True, tags={"env": "prod"})
    v6 = pipeline.launch("app-v6", "dev-1", ipv6=2, tags={"ipamsync:zone": SCENARIO_ZONE2})
    asg = [pipeline.launch("asg", "prod-2") for _ in range(2)]  # one name, two instances
    pipeline.settle()
    _, inv = pipeline.exact(web, v6, *asg)
    _all_succeeded(pipeline, web, v6, *asg)

    # unique names: the principal address keeps the instance's name, the others their own
    primary = pipeline.describe(web)["PrivateIpAddress"]
    names = {a.address: a.name for a in inv.owned_by(pipeline.owner(web))["addresses"]}
    assert names[primary] == f"web.{SCENARIO_ZONE}" and len(set(names.values())) == len(names) == 5
    # replication: the appliance made the records, ipamsync adopted the ones it wants
    fqdn = f"web.{SCENARIO_ZONE}"
    ptr = ipaddress.ip_address(primary).reverse_pointer
    assert inv.records_of(web) == {(fqdn, "A", primary), (ptr, "PTR", fqdn)}
    asg_values = {r.value for r in inv.records if r.fqdn == f"asg.{SCENARIO_ZONE}" and OWNER in r.metadata}
    assert asg_values == {pipeline.describe(i)["PrivateIpAddress"] for i in asg}

    pipeline.aws.fleet.stop(web)
    pipeline.aws.fleet.rename(v6, "App Renamed")
    pipeline.aws.fleet.terminate(asg[0])
    pipeline.settle()
    _, inv = pipeline.exact(web, v6, *asg)
    assert {r[0] for r in inv.records_of(v6)} >= {f"app-renamed.{SCENARIO_ZONE2}"}
    assert not any(r.fqdn.startswith("app-v6.") for r in inv.records if OWNER in r.metadata)
    owned = inv.owned_by(pipeline.owner(asg[0]))
    assert owned["addresses"] == owned["records"] == owned["interfaces"] == []
    assert inv.records_of(asg[1]) != set()

    pipeline.aws.fleet.start(web)
    pipeline.aws.fleet.terminate(v6)
    pipeline.settle()
    _, inv = pipeline.exact(web, v6, *asg)
    assert inv.records_of(web) == {(fqdn, "A", primary), (ptr, "PTR", fqdn)}
    assert all(r.server == SCENARIO_DNS_SERVER for r in inv.records)
    _all_succeeded(pipeline, web, v6, *asg)
