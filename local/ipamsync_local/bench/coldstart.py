"""Cold start: handler import time from the ``sam build`` artifacts, first invocation, package sizes.

For each function, a fresh Python 3.13 interpreter gets Lambda's path (function dir, the layer's
``python/`` dir, then the runtime's own boto3/botocore) and Lambda-like environment (tracing
active, so Powertools' Tracer really loads the X-Ray SDK), and measures:

* **import** — ``import app`` (what Lambda's init phase runs), median of ``runs`` interpreters;
* **first call** — the first ``lambda_handler`` call right after import, against a local
  SOLIDserver emulator (sync functions; the enrich function is skipped: it needs EC2), including
  everything deferred out of the import: the X-Ray SDK, ``requests``, settings, the version probe.

Size: the layer, unzipped (what Lambda's 250 MB limit and cold-start download are about).
Targets (issue #6): import ≤ 300 ms each; layer ≤ 10 MB unzipped. The functions are the
template's (:func:`.names.functions`), built by a fresh ``sam build`` into a temporary directory.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ipamsync_local.bench.fmt import Block, Table, ok
from ipamsync_local.bench.names import ENRICH_FUNCTION, ROOT, functions
from ipamsync_local.bench.pipeline import DNS_SERVER, FORWARD_ZONE
from ipamsync_local.bench.sections import Context

RUNS = (7, 3)  # fresh interpreters per function: full run, --quick
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
            "DNS_SERVER_NAME": DNS_SERVER,
            "DNS_FORWARD_ZONE": FORWARD_ZONE,
            "EVENT_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/ipamsync-EventQueue.fifo",
            "PYTHONNOUSERSITE": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def measure_build(build_dir: Path, runs: int = RUNS[0], first_call: bool = True) -> dict[str, Any]:
    """Import and first-call times of every function of ``build_dir`` (a ``sam build`` output)."""
    from ipamsync_local.emulator import EmulatorServer

    py = python313()
    event = json.loads((ROOT / "events" / "message-running.json").read_text())
    samples: dict[str, dict[str, list[float]]] = {f: {"import": [], "first": []} for f in functions()}
    with (
        tempfile.TemporaryDirectory() as tmp,
        EmulatorServer(port=0, password=BENCH_PASSWORD, seed=True) as emu,
    ):
        runtime = _runtime_dir(Path(tmp))
        layer = build_dir / "IpamsyncLayer" / "python"
        for i in range(runs):
            # One launch through the sync functions, in the state machine's order, each in a fresh
            # interpreter (a cold container), on a freshly seeded emulator.
            emu.admin.reset()
            emu.admin.seed()
            for logical, short in functions().items():
                env = _lambda_env(short, emu.url, BENCH_PASSWORD)
                env["PYTHONPATH"] = os.pathsep.join([str(build_dir / logical), str(layer), str(runtime)])
                if first_call and logical != ENRICH_FUNCTION:  # enrich needs EC2
                    env["BENCH_FIRST_CALL"] = "1"
                    env["BENCH_EVENT"] = json.dumps(event)
                data = _probe(py, build_dir / logical, env, f"{logical} run {i}")
                samples[logical]["import"].append(data["import_ms"])
                if data["first_call_ms"] is not None:
                    samples[logical]["first"].append(data["first_call_ms"])
    version = subprocess.run(
        [str(py), "-c", "import sys; print(sys.version.split()[0])"],
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        "functions": {
            logical: {
                "import_ms_median": round(statistics.median(s["import"]), 1),
                "first_call_ms_median": round(statistics.median(s["first"]), 1) if s["first"] else None,
            }
            for logical, s in samples.items()
        },
        "layer_mb": du_mb(build_dir / "IpamsyncLayer"),
        "python": version.stdout.strip(),
        "runs": runs,
    }


def _probe(py: Path, cwd: Path, env: dict[str, str], what: str) -> dict[str, Any]:
    proc = subprocess.run(
        [str(py), "-S", "-c", _PROBE],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{what}: {proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# --------------------------------------------------------------------------- the section


def measure(ctx: Context) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ipamsync-build-") as tmp:
        out = Path(tmp) / "build"
        ctx.log("  sam build…")
        sam_build(out)
        return measure_build(out, runs=ctx.size(*RUNS))


def _import_ok(f: Mapping[str, Any]) -> bool:
    return bool(f["import_ms_median"] <= IMPORT_TARGET_MS)


def targets(result: Mapping[str, Any]) -> list[tuple[str, bool]]:
    out = [
        (
            f"cold start: {name} imports in ≤ {IMPORT_TARGET_MS:.0f} ms ({f['import_ms_median']:.0f} ms)",
            _import_ok(f),
        )
        for name, f in result["functions"].items()
    ]
    out.append(
        (
            f"cold start: layer ≤ {LAYER_TARGET_MB:.0f} MB unzipped ({result['layer_mb']} MB)",
            result["layer_mb"] <= LAYER_TARGET_MB,
        )
    )
    return out


def report(result: Mapping[str, Any]) -> list[Block]:
    rows = [
        (
            name,
            f"{f['import_ms_median']:.0f}",
            "-" if f.get("first_call_ms_median") is None else f"{f['first_call_ms_median']:.0f}",
            ok(_import_ok(f)),
        )
        for name, f in result["functions"].items()
    ]
    header = (
        "function",
        "import ms (median)",
        "first call ms (median)",
        f"import ≤ {IMPORT_TARGET_MS:.0f} ms",
    )
    return [
        Table(header, rows),
        f"Layer: {result['layer_mb']} MB unzipped (target ≤ {LAYER_TARGET_MB:.0f} MB "
        f"{ok(result['layer_mb'] <= LAYER_TARGET_MB)}); Python {result['python']}, {result['runs']} fresh "
        "interpreters per function, from `sam build` artifacts. First call = the first `lambda_handler` call "
        "after the import against a local emulator (X-Ray SDK, requests, settings, version probe).",
    ]


def summary(result: Mapping[str, Any]) -> tuple[str, str, str]:
    fns = result["functions"].values()
    worst = max(f["import_ms_median"] for f in fns)
    return (
        "Cold start",
        f"handler import ≤ {worst:.0f} ms (median); layer {result['layer_mb']} MB",
        f"import ≤ {IMPORT_TARGET_MS:.0f} ms {ok(all(_import_ok(f) for f in fns))}; "
        f"layer ≤ {LAYER_TARGET_MB:.0f} MB {ok(result['layer_mb'] <= LAYER_TARGET_MB)}",
    )


def headline(result: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "import_ms_max_median": max(f["import_ms_median"] for f in result["functions"].values()),
        "layer_mb": result["layer_mb"],
    }
