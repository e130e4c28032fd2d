"""The ``ipamsync emulator`` command line, seeding, and the bulk loader the benchmark uses (the
benchmark itself: ``ipamsync bench --only emulator``, tests/bench)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from ipamsync_local.emulator import EmulatorServer
from ipamsync_local.emulator.ipam import bulk_add_ipv4
from ipamsync_local.emulator.seed import seed
from local.tests.helpers import Api, Net

CLI = [sys.executable, "-m", "ipamsync_local.cli", "emulator"]


def wait_for(path: Path, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=30, check=False)


# Over 80 lines: one emulator process through its whole life (serve, seed, faults, stats, SIGTERM,
# restart on the same database): each command acts on the state the one before left.
def test_serve_seed_faults_stats_and_sigterm(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    db = tmp_path / "state" / "emulator.db"
    env = {**os.environ, "IPAMSYNC_EMULATOR_USERNAME": "robot", "IPAMSYNC_EMULATOR_PASSWORD": "pw"}
    proc = subprocess.Popen(
        [
            *CLI,
            "serve",
            "--port",
            "0",
            "--db",
            str(db),
            "--ready-file",
            str(ready),
            "--seed",
            "--faults",
            json.dumps({"rules": {"ip_site_list": {"latency_ms": 1}}}),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        url = wait_for(ready)
        assert url.startswith("http://127.0.0.1:")
        api = Api(url, auth=("robot", "pw"))
        assert [r["site_name"] for r in api.rows("ip_site_list")] == ["AWS"]
        zones = {r["dnszone_name"]: r["dnszone_is_reverse"] for r in api.rows("dns_zone_list")}
        assert zones == {
            "ec2.example.internal": "0",
            "10.in-addr.arpa": "1",
            "16.172.in-addr.arpa": "1",
            "168.192.in-addr.arpa": "1",
        }
        assert (
            requests.get(f"{url}/rest/member_list", auth=("ipmadmin", "admin"), timeout=5).status_code == 401
        )

        done = cli(
            "seed",
            "--url",
            url,
            "--space",
            "Lab",
            "--forward-zone",
            "lab.internal",
            "--reverse-zone",
            "0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["space"]["site_name"] == "Lab"
        assert cli("seed", "--url", url).returncode == 0  # idempotent
        assert len(api.rows("ip_site_list")) == 2
        assert api.one("dns_zone_list", WHERE="dnszone_name like '%ip6.arpa'")["dnszone_is_reverse"] == "1"

        shown = json.loads(cli("faults", "--url", url).stdout)
        assert shown["rules"] == {"ip_site_list": {"latency_ms": 1.0}}
        assert cli("faults", "--url", url, "--outage", "on").returncode == 0
        assert api.get("member_list").status_code == 503
        assert cli("faults", "--url", url, "--outage", "off").returncode == 0
        assert (
            cli("faults", "--url", url, "--set", '{"rules": {"*": {"error_rates": {"500": 1}}}}').returncode
            == 0
        )
        assert api.get("member_list").status_code == 500
        config = tmp_path / "faults.json"
        config.write_text(json.dumps({"rules": {}}))
        assert cli("faults", "--url", url, "--set", f"@{config}").returncode == 0
        assert api.get("member_list").status_code == 200
        assert cli("faults", "--url", url, "--set", '{"bogus": 1}').returncode == 1

        stats = json.loads(cli("stats", "--url", url, "--reset").stdout)
        assert stats["services"]["member_list"]["statuses"] == {"401": 1, "503": 1, "500": 1, "200": 1}
        assert json.loads(cli("stats", "--url", url).stdout)["totals"]["total"] == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert f"ipamsync emulator listening on {url}" in out
    assert not ready.exists()
    # the file database survived the process
    with EmulatorServer(port=0, db=str(db), username="robot", password="pw") as again:
        assert len(Api(again.url, auth=("robot", "pw")).rows("ip_site_list")) == 2


def test_there_is_no_emulator_bench_command() -> None:
    """One command per job: the benchmark is ``ipamsync bench --only emulator``."""
    done = cli("bench")
    assert done.returncode == 2 and "invalid choice: 'bench'" in done.stderr


def test_serve_tls_prints_an_https_url(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    proc = subprocess.Popen(
        [
            *CLI,
            "serve",
            "--port",
            "0",
            "--tls",
            "--ready-file",
            str(ready),
            "--profile",
            "strict",
            "--profile-settings",
            '{"version": "8.1.0"}',
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = wait_for(ready)
        assert url.startswith("https://")
        assert cli("stats", "--url", url, "--insecure").returncode == 0
        assert cli("stats", "--url", url).returncode != 0  # the throw-away CA is not trusted by default
        shown = json.loads(cli("profile", "--url", url, "--insecure").stdout)["settings"]
        assert shown["class_parameters"] == "replace" and shown["version"] == "8.1.0"
        changed = cli(
            "profile", "--url", url, "--insecure", "--set", "default", "--settings", '{"free_rows": true}'
        )
        assert json.loads(changed.stdout)["settings"]["free_rows"] is True
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=15)
    assert proc.returncode == 0


def test_seed_is_idempotent(emulator: EmulatorServer, api: Api) -> None:
    assert emulator.store is not None
    first = seed(emulator.store)
    assert seed(emulator.store) == first
    assert emulator.admin.seed() == first
    assert len(api.rows("dns_zone_list")) == 4


def test_bulk_loader_stores_what_ip_add_stores(emulator: EmulatorServer, api: Api, net: Net) -> None:
    assert emulator.store is not None
    via_rest = api.add(
        "ip_add",
        site_id=net.site_id,
        hostaddr="10.0.1.10",
        name="web",
        ip_class_parameters="aws_instance_id=i-1",
    )
    bulk_add_ipv4(
        emulator.store,
        int(net.site_id),
        [(int.from_bytes(bytes([10, 0, 1, 11]), "big"), "web", {"aws_instance_id": "i-1"})],
    )
    rest_row, bulk_row = api.rows("ip_address_list", ORDERBY="hostaddr", TAGS="ip.aws_instance_id")
    assert rest_row["ip_id"] == via_rest
    differing = {k for k in rest_row if rest_row[k] != bulk_row[k]}
    assert differing == {"ip_id", "ip_addr", "hostaddr", "mac_addr"}  # the address and what derives from it
    assert bulk_row["tag_ip_aws_instance_id"] == "i-1"


def test_addresses_without_a_mac_carry_the_eip_placeholder(api: Api, net: Net) -> None:
    ip_id = api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.10")
    assert api.one("ip_address_info", ip_id=ip_id)["mac_addr"] == "EIP:0a00010a"
    api.edit("ip_add", ip_id=ip_id, mac_addr="02:00:00:00:00:0a")
    assert api.one("ip_address_info", ip_id=ip_id)["mac_addr"] == "02:00:00:00:00:0a"
