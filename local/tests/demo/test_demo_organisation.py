"""``ipamsync demo --organisation`` as ``make demo`` runs it: 2 accounts x 2 regions, one range
reused, one IPAM tree per (account, region) space, the refusing member dead-lettered by name."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.slow


def test_the_organisation_demo_shows_a_tree_per_space(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "ipamsync_local.cli",
        "demo",
        "--organisation",
        "--time-scale",
        "0.01",
        "--state-dir",
        str(tmp_path / "state"),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPAMSYNC_")}
    proc = subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=600, check=False
    )
    out = proc.stdout
    assert proc.returncode == 0, out[-4000:] + proc.stderr[-4000:]
    spaces = re.findall(r"^── SOLIDserver · IPAM \(space (AWS-\d{12}-[a-z0-9-]+)\)", out, re.M)
    assert spaces == [
        "AWS-123456789012-us-east-1",
        "AWS-123456789012-us-west-2",
        "AWS-210987654321-us-east-1",
        "AWS-210987654321-us-west-2",
    ]
    # the same range in each space, each with its own instances
    for space in spaces:
        tree = out[out.index(f"(space {space})") :].split("\n── ", 1)[0]
        assert re.search(r"^  10\.0\.0\.0/16\s+block", tree, re.M), space
        assert re.search(r"^      10\.0\.0\.\d+\s+web-\d{4}-us-[a-z]+-\d-\d", tree, re.M), space
    assert "MemberAccessRefused: account 333333333333 refuses the hub" in out
    assert "✔ organisation demo succeeded" in out and "✘" not in out
