"""Cold start: handler import time from the ``sam build`` artifacts, first invocation, package sizes.

For each function, a fresh Python 3.13 interpreter gets Lambda's path (function dir, the layer's
``python/`` dir, then the runtime's own boto3/botocore) and Lambda-like environment (tracing
active, so Powertools' Tracer really loads the X-Ray SDK), and measures:

* **import** — ``import app`` (what Lambda's init phase runs), median of ``runs`` interpreters;
* **first call** — the first ``lambda_handler`` call right after import, against a local
  SOLIDserver emulator (sync functions; the enrich function is skipped: it needs EC2), including
  everything deferred out of the import: the X-Ray SDK, ``requests``, settings, the version probe.

Sizes: the layer and each function, unzipped (what Lambda's 250 MB limit and cold-start download
are about). Targets (issue #6): import ≤ 300 ms each; layer ≤ 10 MB unzipped.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
FUNCTIONS = {
    "EnrichFunction": "enrich",
    "DeviceFunction": "device",
    "NetworksFunction": "networks",
    "AddressesFunction": "addresses",
    "DnsFunction": "dns",
}
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "dateutil", "six")
IMPORT_TARGET_MS = 300.0
BENCH_PASSWORD = "bench-only"  # noqa: S105 - the throwaway emulator's password
LAYER_TARGET_MB = 10.0

_PROBE = r"""
import json, os, sys, time
t0 = time.perf_counter()
import app
t1 = time.perf_counter()
first = None
if os.environ.get("BENCH_FIRST_CALL") == "1":
    class Ctx:
        function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]; function_version = "$LATEST"
        memory_limit_in_mb = 256; aws_request_id = "bench"; log_group_name = "/aws/lambda/bench"
        log_stream_name = "bench"
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
        def get_remaining_time_in_millis(self): return 30000
    event = json.loads(os.environ["BENCH_EVENT"])
    t2 = time.perf_counter()
    app.lambda_handler(event, Ctx())
    first = (time.perf_counter() - t2) * 1000
print(json.dumps({"import_ms": (t1 - t0) * 1000, "first_call_ms": first}))
"""


def python313() -> Path:
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    for candidate in (os.environ.get("PY313", ""), str(pyenv_root / "versions" / "3.13.0" / "bin")):
        if candidate and (Path(candidate) / "python3.13").exists():
            return Path(candidate) / "python3.13"
    found = subprocess.run(
        ["which", "python3.13"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if found:
        return Path(found)
    raise RuntimeError("the cold-start benchmark needs python3.13 (pyenv install 3.13.0, or set PY313)")


def sam_build(build_dir: Path) -> None:
    env = {
        **os.environ,
        "SAM_CLI_TELEMETRY": "0",
        "PATH": f"{python313().parent}:{Path(sys.executable).parent}:" + os.environ.get("PATH", ""),
    }
    sam = Path(sys.executable).parent / "sam"
    proc = subprocess.run(
        [
            str(sam),
            "build",
            "--template-file",
            str(ROOT / "template.yaml"),
            "--build-dir",
            str(build_dir),
            "--no-cached",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    if proc.returncode != 0:
        raise RuntimeError("sam build failed:\n" + proc.stdout[-3000:] + proc.stderr[-3000:])


def _runtime_dir(tmp: Path) -> Path:
    """Stand-in for Lambda's /var/runtime: this venv's boto3/botocore (not shipped in the layer)."""
    import importlib.util

    out = tmp / "runtime"
    out.mkdir()
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        src = origin.parent if origin.name == "__init__.py" else origin
        (out / src.name).symlink_to(src)
    return out


def du_mb(path: Path) -> float:
    total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return round(total / 1_000_000, 2)


def _lambda_env(function: str, emulator_url: str | None, password: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "AWS_"))}
    env.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": f"ipamsync-{function}",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "_X_AMZN_TRACE_ID": "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0",
            "POWERTOOLS_SERVICE_NAME": "ipamsync",
            "POWERTOOLS_METRICS_NAMESPACE": "ipamsync",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "SOLIDSERVER_URL": emulator_url or "https://solidserver.example.com",
            "SOLIDSERVER_USERNAME": "ipmadmin",
            "SOLIDSERVER_PASSWORD": password,
            "SOLIDSERVER_AUTH_MODE": "native",
            "SOLIDSERVER_VERIFY_TLS": "false",
            "IPAM_SPACE_NAME": "AWS",
            "DNS_SERVER_NAME": "ns.ipamsync.local",
            "DNS_FORWARD_ZONE": "ec2.example.internal",
            "EVENT_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/ipamsync-EventQueue.fifo",
            "PYTHONNOUSERSITE": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def measure(build_dir: Path, runs: int = 7, first_call: bool = True) -> dict[str, Any]:
    from ipamsync_local.emulator import EmulatorServer

    py = python313()
    event = json.loads((ROOT / "events" / "message-running.json").read_text())
    results: dict[str, Any] = {
        "functions": {},
        "python": subprocess.run(
            [str(py), "-c", "import sys; print(sys.version.split()[0])"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip(),
    }
    samples: dict[str, dict[str, list[float]]] = {f: {"import": [], "first": []} for f in FUNCTIONS}
    with (
        tempfile.TemporaryDirectory() as tmp,
        EmulatorServer(port=0, password=BENCH_PASSWORD, seed=True) as emu,
    ):
        runtime = _runtime_dir(Path(tmp))
        layer = build_dir / "IpamsyncLayer" / "python"
        for i in range(runs):
            # One launch through the four sync functions, in the state machine's order, each in a
            # fresh interpreter (a cold container), on a freshly seeded emulator.
            emu.admin.reset()
            emu.admin.seed()
            for logical, short in FUNCTIONS.items():
                fn_dir = build_dir / logical
                env = _lambda_env(short, emu.url, BENCH_PASSWORD)
                env["PYTHONPATH"] = os.pathsep.join([str(fn_dir), str(layer), str(runtime)])
                if first_call and short != "enrich":
                    env["BENCH_FIRST_CALL"] = "1"
                    env["BENCH_EVENT"] = json.dumps(event)
                proc = subprocess.run(
                    [str(py), "-S", "-c", _PROBE],
                    cwd=fn_dir,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                    timeout=120,
                )
                if proc.returncode != 0:
                    raise RuntimeError(f"{logical} run {i}: {proc.stderr[-2000:]}")
                data = json.loads(proc.stdout.strip().splitlines()[-1])
                samples[logical]["import"].append(data["import_ms"])
                if data["first_call_ms"] is not None:
                    samples[logical]["first"].append(data["first_call_ms"])
        for logical in FUNCTIONS:
            imports, firsts = samples[logical]["import"], samples[logical]["first"]
            results["functions"][logical] = {
                "import_ms_median": round(statistics.median(imports), 1),
                "import_ms_max": round(max(imports), 1),
                "first_call_ms_median": round(statistics.median(firsts), 1) if firsts else None,
                "package_kb": round(du_mb(build_dir / logical) * 1000, 1),
                "meets_import_target": statistics.median(imports) <= IMPORT_TARGET_MS,
            }
        results["layer_mb"] = du_mb(build_dir / "IpamsyncLayer")
        results["layer_meets_target"] = results["layer_mb"] <= LAYER_TARGET_MB
        results["runs"] = runs
    return results


def run(runs: int = 7, build_dir: Path | None = None) -> dict[str, Any]:
    started = time.monotonic()
    if build_dir is None:
        with tempfile.TemporaryDirectory(prefix="ipamsync-build-") as tmp:
            out = Path(tmp) / "build"
            sam_build(out)
            result = measure(out, runs=runs)
    else:
        result = measure(build_dir, runs=runs)
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


def format_table(result: dict[str, Any]) -> str:
    from ipamsync_local.report import table

    rows = [
        (
            name,
            f"{f['import_ms_median']:.0f}",
            f"{f['import_ms_max']:.0f}",
            "-" if f.get("first_call_ms_median") is None else f"{f['first_call_ms_median']:.0f}",
            f"{f['package_bytes']:,} B" if "package_bytes" in f else f"{f['package_mb']:.3f} MB",
            "✔" if f["meets_import_target"] else "✘",
        )
        for name, f in result["functions"].items()
    ]
    text = table(
        (
            "function",
            "import ms (median)",
            "import ms (max)",
            "first call ms (median)",
            "package size",
            f"import ≤ {IMPORT_TARGET_MS:.0f} ms",
        ),
        rows,
    )
    ok = "✔" if result["layer_meets_target"] else "✘"
    size = f"{result['layer_mb']} MB unzipped"
    if "layer_bytes" in result:
        size += f" ({result['layer_bytes']:,} bytes)"
    top = ", ".join(f"{k} {v / 1e6:.2f}" for k, v in result.get("layer_top", []))
    return (
        text
        + f"\nlayer: {size}; target ≤ {LAYER_TARGET_MB:.0f} MB {ok}"
        + (f"; largest packages (MB): {top}" if top else "")
        + f"\npython {result['python']}, {result['runs']} fresh interpreters per function; first call = the "
        "first lambda_handler call after import against a local emulator (X-Ray SDK, requests, settings, "
        "version probe)."
    )
