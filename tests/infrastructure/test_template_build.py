"""`sam build` (no Docker, python3.13 found as the Makefile finds it) and a smoke test of the artefacts.

Each handler is imported from the build output by a fresh python3.13 interpreter whose path is
what Lambda gives it: the function directory, then the layer's ``python/`` directory, then the
runtime's own packages (boto3 & co., which the layer does not ship). This proves the shared
package really reaches the functions through the layer and that nothing local-only is shipped.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.infrastructure.helpers import FUNCTIONS, TEMPLATE, offline_env, python313_bin, run, tool

pytestmark = pytest.mark.slow

# Packages the Lambda python3.13 runtime provides (not in the layer).
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")

# Plausible configuration, in case a handler reads its environment at import time.
LAMBDA_ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "ipamsync-smoke",
    "POWERTOOLS_SERVICE_NAME": "ipamsync",
    "POWERTOOLS_METRICS_NAMESPACE": "ipamsync",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "LOG_LEVEL": "INFO",
    "SOLIDSERVER_URL": "https://solidserver.example.com",
    "SOLIDSERVER_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:ipamsync-AbCdEf",
    "SOLIDSERVER_AUTH_MODE": "native",
    "SOLIDSERVER_VERIFY_TLS": "true",
    "SOLIDSERVER_CA_BUNDLE_PARAMETER": "",
    "SOLIDSERVER_REQUESTS_PER_SECOND": "10",
    "IPAM_SPACE_STRATEGY": "single",
    "IPAM_SPACE_NAME": "AWS",
    "IPAM_PUBLIC_SPACE_NAME": "",
    "DNS_SERVER_NAME": "",
    "DNS_FORWARD_ZONE": "",
    "DNS_ZONE_TAG_KEY": "ipamsync:zone",
    "DNS_REVERSE": "true",
    "DNS_TTL": "300",
    "HOSTNAME_SOURCE": "name-tag",
    "HOSTNAME_TAG_KEY": "Hostname",
    "STOPPED_POLICY": "keep",
    "TERMINATED_POLICY": "delete",
    "TOMBSTONE_RETENTION_HOURS": "336",
    "EXECUTION_LEASE_SECONDS": "330",
    "EVENT_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/ipamsync-EventQueue.fifo",
}

SMOKE = """
import json, sys
import app
assert callable(app.lambda_handler), "lambda_handler is not callable"
import ipamsync
mods = sorted(m for m in sys.modules if m == "ipamsync_local" or m.startswith("ipamsync_local."))
print(json.dumps({"app": app.__file__, "ipamsync": ipamsync.__file__, "local": mods, "version": sys.version}))
"""


@pytest.fixture(scope="module")
def py313() -> Path:
    found = python313_bin()
    if found is None:
        pytest.fail("sam build needs python3.13 (on PATH, pyenv install 3.13, or set PY313=<bin dir>)")
    return found


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory, py313: Path) -> Path:
    out = tmp_path_factory.mktemp("sam-build") / "build"
    proc = run(
        [
            tool("sam"),
            "build",
            "--template-file",
            str(TEMPLATE),
            "--build-dir",
            str(out),
            "--no-cached",
            "--parallel",
        ],
        cwd=out.parent,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return out


@pytest.fixture(scope="module")
def runtime_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stand-in for /var/runtime: links to this venv's copies of the runtime-provided packages."""
    import importlib.util

    out = tmp_path_factory.mktemp("lambda-runtime")
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        assert spec and spec.origin, name
        origin = Path(spec.origin)
        src = origin.parent if origin.name == "__init__.py" else origin
        (out / src.name).symlink_to(src)
    return out


def test_build_has_every_function_and_the_layer(build_dir: Path) -> None:
    for name in FUNCTIONS:
        assert (build_dir / name / "app.py").is_file(), name
    layer = build_dir / "IpamsyncLayer" / "python"
    assert (layer / "ipamsync" / "__init__.py").is_file()
    assert (layer / "ipamsync" / "errors.py").is_file()
    for dep in ("requests", "aws_lambda_powertools", "aws_xray_sdk"):
        assert (layer / dep).is_dir(), f"layer lacks {dep}"


def test_layer_leaves_the_aws_sdk_to_the_runtime(build_dir: Path) -> None:
    """boto3/botocore come with the Lambda runtime: a copy in the layer would shadow it (30 MB)."""
    layer = build_dir / "IpamsyncLayer" / "python"
    for sdk in ("botocore", "boto3", "s3transfer"):
        assert not (layer / sdk).exists(), f"layer ships {sdk}"
    pinned = {
        line.split("==")[0].strip().lower().replace("_", "-")
        for line in (TEMPLATE.parent / "src" / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.lstrip().startswith("#")
    }
    shipped = {p.name.split("-")[0].lower().replace("_", "-") for p in layer.glob("*.dist-info")}
    assert shipped == pinned, shipped ^ pinned


def test_nothing_local_only_is_shipped(build_dir: Path) -> None:
    shipped = [
        p for p in build_dir.rglob("*") if "ipamsync_local" in p.parts or p.name.startswith("ipamsync_local")
    ]
    assert not shipped, shipped[:5]


def test_functions_do_not_vendor_the_shared_package(build_dir: Path) -> None:
    """The shared code comes from the layer only (one copy, one version per deployment)."""
    for name in FUNCTIONS:
        assert not (build_dir / name / "ipamsync").exists(), name


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_handler_imports_in_a_fresh_python313(
    build_dir: Path, runtime_dir: Path, py313: Path, function: str
) -> None:
    import json

    fn_dir = build_dir / function
    layer = build_dir / "IpamsyncLayer" / "python"
    env = offline_env(**LAMBDA_ENV)
    env = {k: v for k, v in env.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PYTHONPATH"] = os.pathsep.join([str(fn_dir), str(layer), str(runtime_dir)])
    env["PYTHONNOUSERSITE"] = "1"
    proc = subprocess.run(
        # -S: no site-packages of that interpreter, only the Lambda-like path above.
        [str(py313 / "python3.13"), "-S", "-c", SMOKE],
        check=False,
        cwd=fn_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    info: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info["version"].startswith("3.13"), info
    assert Path(info["app"]).parent == fn_dir
    assert Path(info["ipamsync"]).is_relative_to(layer), info
    assert info["local"] == [], info
