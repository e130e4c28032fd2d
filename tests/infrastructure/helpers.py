"""Helpers for the deployment-artefact tests (template.yaml, statemachine/sync.asl.json, samconfig.toml).

Everything here works offline: the SAM CLI and cfn-lint get fake credentials and a fixed region,
and the SAM transform runs in-process through ``samtranslator`` (no IAM calls).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
ASL = REPO / "statemachine" / "sync.asl.json"
RECONCILE_ASL = REPO / "statemachine" / "reconcile.asl.json"
SAMCONFIG = REPO / "samconfig.toml"
README = REPO / "README.md"
BIN = Path(sys.executable).parent

FUNCTIONS = {
    "EnrichFunction": "functions/enrich/",
    "DeviceFunction": "functions/device/",
    "NetworksFunction": "functions/networks/",
    "AddressesFunction": "functions/addresses/",
    "DnsFunction": "functions/dns/",
    "ReconcileFunction": "functions/reconcile/",
}
SYNC_FUNCTIONS = ("DeviceFunction", "NetworksFunction", "AddressesFunction", "DnsFunction")

# Plausible values for the ASL's DefinitionSubstitutions (cfn-lint, moto).
SUBSTITUTION_EXAMPLES = {
    "DeviceFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:ipamsync-DeviceFunction-AbC123",
    "NetworksFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:ipamsync-NetworksFunction-AbC123",
    "AddressesFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:ipamsync-AddressesFunction-AbC123",
    "DnsFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:ipamsync-DnsFunction-AbC123",
    "WorkflowDeadLetterQueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/ipamsync-WorkflowDeadLetterQueue-AbC123",
}


def tool(name: str) -> str:
    """A console script of this virtualenv (sam, cfn-lint, statelint), else from PATH."""
    candidate = BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed (expected in {BIN}); run `make install`")
    return found


def python313_bin() -> Path | None:
    """Directory holding a python3.13 (the Lambda runtime's version), as the Makefile finds it:
    PY313, else a python3.13 on PATH that runs (a pyenv shim of an inactive version does not),
    else pyenv's newest 3.13."""
    env = os.environ.get("PY313")
    if env and (Path(env) / "python3.13").exists():
        return Path(env)
    try:
        proc = subprocess.run(
            ["python3.13", "-c", "import os, sys; print(os.path.dirname(sys.executable))"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        return Path(proc.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        root = str(Path.home() / ".pyenv")
    candidates = sorted(
        (p for p in Path(root).glob("versions/3.13*/bin") if (p / "python3.13").exists()),
        key=lambda p: [int(x) if x.isdigit() else -1 for x in p.parent.name.replace("-", ".").split(".")],
    )
    return candidates[-1] if candidates else None


def offline_env(**extra: str) -> dict[str, str]:
    """Environment for the AWS tools: fake credentials, fixed region, no telemetry, no real profile."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        SAM_CLI_TELEMETRY="0",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_SESSION_TOKEN="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    py313 = python313_bin()
    path = [str(BIN), env.get("PATH", "")]
    if py313:
        path.insert(0, str(py313))
    env["PATH"] = os.pathsep.join(path)
    env.update(extra)
    return env


def run(
    cmd: list[str], *, cwd: Path = REPO, timeout: int = 300, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, check=False, cwd=cwd, env=offline_env(**env), capture_output=True, text=True, timeout=timeout
    )


# --------------------------------------------------------------------------- ASL walking


def iter_states(
    states: dict[str, Any], scope: str = ""
) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(name, state, enclosing_states) for every state, descending into Map and Parallel."""
    for name, state in states.items():
        yield name, state, states
        if state["Type"] == "Map":
            proc = state.get("ItemProcessor") or state.get("Iterator")
            yield from iter_states(proc["States"], f"{scope}{name}/")
        elif state["Type"] == "Parallel":
            for branch in state["Branches"]:
                yield from iter_states(branch["States"], f"{scope}{name}/")


def cfn_lint_wrapped(definition: dict[str, Any], tmp_path: Path, machine_type: str = "EXPRESS") -> str:
    """cfn-lint (rule E3601) on a throwaway AWS::StepFunctions::StateMachine wrapping the definition:
    its findings, or "" when it is clean."""
    import yaml

    wrapper = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "StateMachine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "StateMachineType": machine_type,
                    "RoleArn": "arn:aws:iam::123456789012:role/ipamsync-StateMachineRole",
                    "Definition": definition,
                },
            }
        },
    }
    path = tmp_path / "wrapped.yaml"
    path.write_text(yaml.safe_dump(wrapper))
    proc = run([tool("cfn-lint"), "--", str(path)])
    return proc.stdout + proc.stderr if proc.returncode else ""
