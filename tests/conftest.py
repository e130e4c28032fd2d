"""Test-wide rules: hermetic (fake AWS credentials, no network except loopback) and quiet."""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Fake AWS: set before anything imports boto3/moto.
_FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "ipamsync",
    "POWERTOOLS_METRICS_NAMESPACE": "ipamsync",
    "SAM_CLI_TELEMETRY": "0",
}
for _k in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(_k, None)
os.environ.update(_FAKE_AWS)
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull


# Loopback only: a test that reaches for the network fails loudly instead of hanging or passing.
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check(address: object) -> None:
    if not isinstance(address, tuple) or not address:
        return  # AF_UNIX and friends
    host = str(address[0])
    if host in ("localhost", ""):
        return
    try:
        if ipaddress.ip_address(host.split("%", maxsplit=1)[0]).is_loopback:
            return
    except ValueError:
        pass
    raise OSError(f"tests are hermetic: connection to {host} refused (loopback only)")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check(address)
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]

# Lambda handlers are imported the way the Lambda runtime does: from their own directory.
FUNCTIONS = ROOT / "functions"


def load_handler(name: str):
    """Import ``functions/<name>/app.py`` as a module of its own (no cross-talk between handlers)."""
    import importlib.util

    path = FUNCTIONS / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"ipamsync_fn_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for k, v in _FAKE_AWS.items():
        monkeypatch.setenv(k, v)
    return dict(_FAKE_AWS)


class FakeLambdaContext:
    """The attributes Powertools and the handlers read from Lambda's context object."""

    def __init__(self, name: str = "ipamsync-test", timeout_ms: int = 30_000) -> None:
        import time
        import uuid

        self.function_name = name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 256
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "test"
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        import time

        return max(0, int((self._deadline - time.monotonic()) * 1000))


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


# --------------------------------------------------------------------------- SOLIDserver emulator
PASSWORD = "s3cr3t-Pa55w0rd!"
TOKEN_SECRET = "tok-s3cr3t-value"


@pytest.fixture(scope="session")
def emulator():
    """One in-process emulator (loopback, in-memory) for the session; ``emu`` resets it per test."""
    from ipamsync_local.emulator import EmulatorServer

    with EmulatorServer(
        host="127.0.0.1",
        port=0,
        db=":memory:",
        username="ipmadmin",
        password=PASSWORD,
        token_id="tok-1",
        token_secret=TOKEN_SECRET,
    ) as server:
        yield server


@pytest.fixture
def emu(emulator):
    emulator.admin.reset()
    emulator.admin.clear_faults()
    emulator.admin.reset_stats()
    yield emulator
    emulator.admin.clear_faults()
