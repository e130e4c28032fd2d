"""``ipamsync demo`` as ``make demo`` runs it (a process of its own, which starts the emulator as
another): a small fleet, fresh, then again with ``--continue`` on the same emulator database."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ipamsync_local.demo.target import metric_calls
from tests.helpers import ROOT

#: the whole demo, twice, through the full local pipeline (≈ 70 s)
pytestmark = pytest.mark.slow


def _demo(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "ipamsync_local.cli",
        "demo",
        "--instances",
        "4",
        "--time-scale",
        "0.02",
        "--no-faults",
        "--state-dir",
        str(tmp_path / "state"),
        "--data-dir",
        str(tmp_path / "data"),
        *extra,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPAMSYNC_")}
    return subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300, check=False
    )


def _section(out: str, title: str) -> str:
    start = out.index(f"── {title}")
    end = out.find("\n── ", start + 1)
    return out[start : end if end > 0 else None]


def _hints_work_as_printed(section: str) -> None:
    """Each "look again" command that prints and exits is typed as printed, in a shell, where
    `make demo` runs (the repository, the venv not activated): it succeeds and prints something."""
    commands = [line.strip().split("   ")[0] for line in section.splitlines()[1:] if "ipamsync " in line]
    commands = [c for c in commands if " console" not in c and not c.startswith("make ")]
    assert len(commands) >= 3, section
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPAMSYNC_")}
    env["PATH"] = "/usr/bin:/bin"  # no venv on PATH: the hint must name it
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", command],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0 and done.stdout.strip(), (command, done.stderr[-2000:])


# Over 80 lines: one demo run (a subprocess of tens of seconds) whose whole output the assertions
# read, then a second run that must continue on the emulator the first left; a test per phase would
# rerun it.
def test_the_demo_runs_fresh_then_continues_on_the_same_emulator(tmp_path: Path) -> None:
    first = _demo(tmp_path)
    out = first.stdout
    assert first.returncode == 0, out[-4000:] + first.stderr[-4000:]
    assert first.stderr == ""
    # The phases, each converged.
    phases = (
        "launch 4 instances",
        "stop 2",
        "start 2",
        "change running instances",
        "undo on running instances",
        "rename app-v6-1 → 'app-v6-main'",
        "terminate 1",
        "reconcile: ",
    )
    for n, phase in enumerate(phases, 1):
        assert re.search(rf"^\[{n}/8\] {re.escape(phase)}", out, re.M), phase
    assert out.count("    ✔ events") == 8 and "    ✘" not in out
    # the reconcile phase: 2 instances older than ipamsync and 1 launched while paused (missing),
    # 1 terminated while paused and gone from EC2 (orphaned); the plan printed before the run
    assert re.search(
        r"Reconcile plan for \d{12}/us-east-1, .*: 3 missing, 0 drifted, \d+ in-sync, 1 orphaned", out
    )
    assert "deleted by hand in SOLIDserver: address " in out and "; record " in out
    reconciled = re.search(
        r"^\[8/8\] reconcile.*?^    ✔ events\s+\d+\s+enriched\s+\d+\s+executions ✔\s+(\d+)", out, re.M | re.S
    )
    assert reconciled is not None
    assert "loses its public IP" in out and "keeps its Elastic IP" in out
    # Changes on running instances: no restart, heard of through their CloudTrail events.
    eip = re.search(r"api-1 keeps its Elastic IP (\S+)", out).group(1)
    assert f"Elastic IP {eip} fails over from api-1 to app-v6-1" in out
    assert re.search(r"Web Server #1: eni eni-[0-9a-f]+$", out, re.M)
    assert re.search(r"Web Server #1: secondary 10\.0\.0\.\d+$", out, re.M)
    assert re.search(r"app-v6-1: ipv6 [0-9a-f:]+$", out, re.M)
    assert "by its Name tag alone (CreateTags), no restart" in out

    tree = _section(out, "SOLIDserver · IPAM")
    assert "space AWS" in tree and "10.0.0.0/16" in tree and "block   prod (vpc-" in tree
    assert re.search(r"subnet\s+dev-1 \(subnet-\w+\)", tree) and "public (elastic)" in tree and "ipv6" in tree
    # the Elastic IP on the instance it failed over to; the ENI, secondary and IPv6 added then removed
    assert re.search(rf"{re.escape(eip)}\s+app-v6-main\.ec2\.example\.internal\s+public \(elastic\)", tree)
    assert len(re.findall(r"\s+ipv6\s+eth0", tree)) == 1
    assert not re.search(r"web-server-1\.\S+\s+(secondary|primary\s+eth1)", tree)
    devices = _section(out, "SOLIDserver · devices")
    assert re.search(r"^web-server-1-i-[0-9a-f]+$", devices, re.M)  # "Web Server #1", sanitised
    assert re.search(r"^worker-i-[0-9a-f]+ \(tombstone until ", devices, re.M)
    dns = _section(out, "SOLIDserver · DNS records")
    assert re.search(r"^web-server-1\.ec2\.example\.internal\s+A\s+10\.0\.0\.\d+", dns, re.M)
    assert re.search(r"\.ip6\.arpa\s+PTR\s+app-v6-main\.ec2\.example\.internal", dns)
    executions = _section(out, "Executions")
    summary = _section(out, "Summary")
    count = int(re.search(r"^(\d+) execution\(s\)$", executions, re.M).group(1))
    # launch (+ api-1's Elastic IP association, made before RunInstances, its CloudTrail event
    # delivered after it), stop, start, changes on running instances (the failover's new holder, the
    # previous one refreshed, ENI, secondary IP, IPv6), their undoing (the detach: a lookup in
    # SOLIDserver, then the refresh of its holder; secondary IP, IPv6), the rename by tag, terminate
    # then 'short-lived' launched and terminated while paused, and the reconcile phase's executions
    # (the reconcile run and what it queued)
    assert count == 2 * 4 + 1 + 2 * 2 + 2 * 2 + 5 + 4 + 1 + 2 + 2 + int(reconciled.group(1)), count
    assert re.search(rf"executions\s+{count}\s+succeeded {count}, failed 0", summary)
    assert re.search(r"dead letters\s+0 ", summary)
    assert re.search(
        r"CloudTrail events\s+\d+\s+\(.*AssociateAddress \d, AttachNetworkInterface 1, CreateTags 1, ",
        summary,
    )
    assert re.search(r"SOLIDserver calls\s+\d+\s+\(reads \d+, writes \d+; the emulator's counters\)", summary)
    assert "✔ SOLIDserver matches EC2: 6 live instance(s)" in _section(out, "Consistency check")
    assert re.search(
        r"reconcile\s+3 missing, 0 drifted, \d+ in-sync, 1 orphaned; deep run queued \d+ \(SUCCEEDED\)",
        summary,
    )
    assert "ipamsync local executions --state-dir" in out and "ipamsync local history i-" in out
    _hints_work_as_printed(_section(out, "Look again"))
    assert "✔ demo succeeded" in out

    recorded = list((tmp_path / "state" / "executions").glob("*.json"))
    assert len(recorded) == count
    assert all(json.loads(p.read_text())["summary"]["status"] == "SUCCEEDED" for p in recorded)
    data = tmp_path / "data"
    assert (data / "emulator.db").is_file() and not (data / "emulator.json").exists()  # emulator stopped

    # Again on the same database: the previous run's live instances are unknown to this new EC2.
    second = _demo(tmp_path, "--continue")
    out2 = second.stdout
    assert second.returncode == 0, out2[-4000:] + second.stderr[-4000:]
    assert re.search(r"^\[1/9\] catch up: 6 instance\(s\) of an earlier run", out2, re.M)
    assert out2.count("    ✔ events") == 9 and "✔ SOLIDserver matches EC2" in out2
    assert "continued" in out2.splitlines()[1]
    # the first run's 2 (worker, the orphan), the 6 caught up, this run's 2
    assert len(re.findall(r"\(tombstone until ", _section(out2, "SOLIDserver · devices"))) == 2 + 6 + 2
    assert len(list((tmp_path / "state" / "executions").glob("*.json"))) > count


def test_on_an_appliance_the_calls_counted_are_the_functions_metrics(tmp_path: Path) -> None:
    """Without the emulator's counters, the demo sums what the functions report (their EMF
    ``SolidServerReads``/``SolidServerWrites`` in lambda.log), from the start of the phases."""

    def emf(**metrics: object) -> str:
        names = [{"Name": k, "Unit": "Count"} for k in metrics]
        head = {"Timestamp": 0, "CloudWatchMetrics": [{"Namespace": "ipamsync", "Metrics": names}]}
        return json.dumps({"_aws": head, "step": "device", **metrics})

    log = tmp_path / "lambda.log"
    earlier = emf(SolidServerReads=[7.0], SolidServerWrites=[7.0]) + "\n"
    log.write_text(
        earlier
        + emf(SolidServerReads=[3.0], SolidServerWrites=[1.0])
        + "\n"
        + json.dumps({"level": "INFO", "message": "device done", "SolidServerReads": 100})
        + "\n"
        + emf(EventsEnriched=[1.0])
        + "\n"
        + emf(SolidServerReads=2, SolidServerWrites=0)
        + "\n"
        + '{"_aws": not json\n'
    )
    assert metric_calls(log) == (12, 8)
    assert metric_calls(log, len(earlier)) == (5, 1)
    assert metric_calls(tmp_path / "missing.log") == (0, 0)
