"""The console's JSON API and its safety, over a real run (no browser)."""

from __future__ import annotations

import http.client
import json
import urllib.parse
import urllib.request
from typing import Any

import pytest

from local.tests.console.conftest import HOSTILE_NAME, Run

pytestmark = pytest.mark.slow


def _get(
    run: Run, path: str, *, method: str = "GET", host: str | None = None
) -> tuple[int, dict[str, str], Any]:
    parts = urllib.parse.urlsplit(run.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        headers = {"Host": host} if host else {}
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        ctype = response.getheader("Content-Type") or ""
        data = json.loads(body) if body and ctype.startswith("application/json") else body
        return response.status, dict(response.getheaders()), data
    finally:
        conn.close()


def _walk(networks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for n in networks:
        out.append(n)
        out += _walk(n["children"])
    return out


def test_listens_on_loopback_and_sends_a_strict_policy(run: Run) -> None:
    assert run.server.host == "127.0.0.1" and run.url.startswith("http://127.0.0.1:")
    status, headers, body = _get(run, "/")
    assert status == 200 and b'<script type="module" src="/static/app.js">' in body
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert b"innerHTML" not in b"".join(
        _get(run, f"/static/{f}")[2] for f in ("app.js", "dom.js", "ipam.js", "executions.js")
    )


def test_changes_nothing_and_refuses_other_hosts(run: Run) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        assert _get(run, "/api/status", method=method)[0] == 405
    assert _get(run, "/api/status", host="attacker.example:80")[0] == 421
    assert _get(run, "/api/executions/..%2F..%2Fetc%2Fpasswd")[0] == 404
    assert _get(run, "/static/../server.py")[0] == 404


def test_the_ipam_tree_has_the_demo_networks_with_usage(run: Run) -> None:
    status, _, data = _get(run, "/api/ipam")
    assert status == 200 and data["error"] is None
    (space,) = [s for s in data["spaces"] if s["name"] == "AWS"]
    networks = {n["cidr"]: n for n in _walk(space["networks"])}
    assert networks["10.0.0.0/16"]["kind"] == "block" and networks["10.0.0.0/16"]["name"].startswith(
        "prod (vpc-"
    )
    prod1 = networks["10.0.0.0/24"]
    assert (
        prod1["kind"] == "subnet"
        and prod1["capacity"] == 254
        and prod1["used"] == len(prod1["addresses"]) > 0
    )
    assert prod1["percent"] == pytest.approx(100 * prod1["used"] / 254, abs=1e-3)
    names = {a["name"] for n in networks.values() for a in n["addresses"]}
    assert "web-server-1.ec2.example.internal" in names and "api-1.ec2.example.internal" in names
    # The markup in a Name tag is data: the JSON carries it, escaped for any HTML reader
    _, _, devices = _get(run, "/api/devices")
    hostile = next(d for d in devices["devices"] if d["instance_id"] == run.instances["hostile"])
    assert hostile["instance_name"] == HOSTILE_NAME and hostile["name"].startswith(
        "img-src-x-onerror-alert-1-i-"
    )
    raw = urllib.request.urlopen(run.url + "api/devices", timeout=60).read()
    assert b"<img" not in raw and b"\\u003cimg src=x onerror=alert(1)>" in raw


def test_dns_zones_carry_their_records(run: Run) -> None:
    _, _, data = _get(run, "/api/dns")
    zones = {z["name"]: z for z in data["zones"]}
    forward = zones["ec2.example.internal"]
    assert not forward["reverse"] and any(
        r["name"] == "web-server-1.ec2.example.internal" for r in forward["records"]
    )
    assert zones["10.in-addr.arpa"]["reverse"] and all(
        r["type"] == "PTR" for r in zones["10.in-addr.arpa"]["records"]
    )


def test_search_finds_an_instance_by_id_ip_and_tag(run: Run) -> None:
    iid = run.instances["web1"]
    _, _, data = _get(run, f"/api/search?q={iid}")
    kinds = {h["kind"] for h in data["hits"]}
    assert {"device", "address", "record"} <= kinds and data["executions"]
    assert all(e["instance_id"] == iid for e in data["executions"])
    _, _, by_tag = _get(run, "/api/search?q=cc-1001")
    assert [h["instance_id"] for h in by_tag["hits"] if h["kind"] == "device"] == [iid]


def test_an_execution_shows_each_state_and_the_retry(run: Run) -> None:
    _, _, listing = _get(run, "/api/executions")
    assert listing["total"] == listing["matched"] == len(listing["executions"]) > 0
    retried = [e for e in listing["executions"] if e["retries"]]
    assert retried, "the first hostdev_add answered 503: one execution retried SyncDevice"
    _, _, detail = _get(run, "/api/executions/" + urllib.parse.quote(retried[0]["name"]))
    device = detail["states"]["SyncDevice"]
    assert device["retries"] == 1 and device["attempts"] == 2 and device["status"] == "succeeded"
    assert device["errors"][0]["error"] == "SolidServerUnavailable" and device["duration_ms"] > 0
    # the first state's input is the pipe's record (the message); its output only the device result
    assert "body" in json.loads(device["input"])[0] and set(json.loads(device["output"])) == {"device"}
    assert detail["states"]["SyncAddresses"]["status"] == detail["states"]["SyncDns"]["status"] == "succeeded"
    assert "DeadLetter" not in detail["states"]
    # the path it took, transition by transition (not every edge between two states that ran)
    taken = [tuple(pair) for pair in detail["taken"]]
    assert taken[:2] == [("SyncDevice", "IsDone"), ("IsDone", "SyncNetworks")]
    assert ("SyncAddresses", "SyncDns") in taken and ("SyncDns", "NeedsRefresh") in taken
    assert ("IsDone", "NeedsRefresh") not in taken and ("NeedsRefresh", "Synced") in taken
    # every event is named after the state it belongs to
    own = {e["type"]: e["state"] for e in detail["events"] if e["type"].startswith("Choice")}
    assert own["ChoiceStateEntered"] in {"IsDone", "NeedsRefresh"}
    nodes = {n["name"]: n for n in detail["graph"]["nodes"]}
    assert not nodes["SyncAddresses"]["parent"] and not nodes["SyncDevice"]["parent"]
    failed = _get(run, "/api/executions?status=FAILED")[2]
    assert failed["matched"] == 0 and failed["total"] == listing["total"]
    by_instance = _get(run, "/api/executions?instance=" + run.instances["api1"])[2]
    assert by_instance["matched"] and {e["instance_id"] for e in by_instance["executions"]} == {
        run.instances["api1"]
    }


def test_dead_letters_are_shown_without_being_received(run: Run) -> None:
    _, _, data = _get(run, "/api/deadletters")
    queues = {q["name"]: q for q in data["queues"]}
    (entry,) = queues["WorkflowDeadLetterQueue"]["entries"]
    assert "planted-for-the-console" in entry["summary"] and "OwnershipConflict" in entry["summary"]
    assert queues["EventDeadLetterQueue"]["entries"] == []
    # read again: still there, never received (a receive would count and hide it)
    assert (
        _get(run, "/api/deadletters")[2]["queues"][0]["entries"][0]["attributes"]["ApproximateReceiveCount"]
        == "0"
    )
    assert len(run.aws.dead_letters("WorkflowDeadLetterQueue")) == 1


def test_a_lookup_names_what_it_looked_up_and_the_instance_it_asked_a_refresh_of(run: Run) -> None:
    worker = run.instances["worker-a"]
    by_instance = _get(run, "/api/executions?instance=" + worker)[2]
    (lookup,) = [e for e in by_instance["executions"] if e["kind"] == "lookup"]
    assert lookup["instance_id"] == "" and lookup["event_state"] == "lookup"
    assert lookup["event_call"] == "DetachNetworkInterface" and lookup["name"].startswith("lookup-")
    assert lookup["lookup"]["attachment_ids"] == [run.looked_up]
    assert lookup["refreshed"] == [worker] and lookup["refreshed_names"] == {worker: "worker"}
    assert {e["kind"] for e in by_instance["executions"]} == {"snapshot", "lookup"}
    detail = _get(run, "/api/executions/" + urllib.parse.quote(lookup["name"]))[2]
    states = detail["states"]
    assert [
        states[s]["status"] for s in ("SyncDevice", "IsDone", "NeedsRefresh", "RequestRefresh", "Synced")
    ] == ["succeeded"] * 5
    assert "NeedsNetworks" not in states and "SyncAddresses" not in states  # a lookup only reads
    assert detail["taken"] == [
        ["SyncDevice", "IsDone"],
        ["IsDone", "NeedsRefresh"],
        ["NeedsRefresh", "RequestRefresh"],
        ["RequestRefresh", "Synced"],
    ]
    assert json.loads(states["SyncDevice"]["output"])["device"]["lifecycle"] == "lookup"
    # no address changed hands in this run: no snapshot asked a refresh
    assert all(
        not e["refreshed"] for e in _get(run, "/api/executions")[2]["executions"] if e["kind"] != "lookup"
    )
