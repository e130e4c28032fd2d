"""Test-wide rules for every test tree (``tests/`` for the product, ``local/tests/`` for the tooling):
hermetic (fake AWS credentials, loopback only: pytest-socket's ``--allow-hosts`` in pyproject.toml)
and quiet; the shared fixtures (a SOLIDserver emulator over HTTP and one over HTTPS, a Lambda
context). Helpers live in ``tests/helpers.py`` and ``local/tests/helpers.py``, never in a conftest.
"""

from __future__ import annotations

import os
import sys

import pytest

# Fake AWS: set before anything imports boto3/moto.
FAKE_AWS = {
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
os.environ.update(FAKE_AWS)
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

# Bytecode caching on, whatever the shell says (PYTHONDONTWRITEBYTECODE=1 is common in containers):
# the suite starts hundreds of Python processes (xdist workers, CLI subprocesses, the forkservers and
# every Lambda execution environment) which import the same moto, botocore, Powertools and ipamsync
# modules; uv installs no .pyc, so without a cache each of them compiles ~1,200 modules again (2-4 s
# of CPU per process). The first import writes the .pyc (.venv and the tree's __pycache__, both
# ignored by git); every later process, this one's children included (os.environ), reads it.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

# Powertools' logger binds its handler to sys.stdout when it is first imported: import it now,
# under pytest's session-wide capture, not inside a test whose capture is closed afterwards.
import ipamsync.runtime.observability  # noqa: E402, F401
from tests.helpers import PASSWORD, TOKEN_ID, TOKEN_SECRET, USERNAME, FakeLambdaContext  # noqa: E402


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Modules with a ``slow`` test (the whole local pipeline: tens of seconds each) run first.
    xdist's ``loadscope`` hands modules to the workers in this order, so a long module collected
    last (the demo, the console) no longer keeps one worker busy while the other waits. The order
    inside a module, and between the other modules, is kept (a stable sort)."""
    slow = {item.module.__name__ for item in items if item.module and item.get_closest_marker("slow")}
    items.sort(key=lambda item: 0 if item.module and item.module.__name__ in slow else 1)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for k, v in FAKE_AWS.items():
        monkeypatch.setenv(k, v)
    return dict(FAKE_AWS)


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture(scope="session")
def emulator():
    """One in-process emulator (loopback, HTTP, in-memory) for the session; ``emu`` resets it."""
    from ipamsync_local.emulator import EmulatorServer

    with EmulatorServer(
        host="127.0.0.1",
        port=0,
        db=":memory:",
        username=USERNAME,
        password=PASSWORD,
        token_id=TOKEN_ID,
        token_secret=TOKEN_SECRET,
    ) as server:
        yield server


@pytest.fixture
def emu(emulator):
    emulator.set_profile("default")
    emulator.admin.reset()
    emulator.admin.clear_faults()
    emulator.admin.reset_stats()
    yield emulator
    emulator.admin.clear_faults()
    emulator.set_profile("default")


@pytest.fixture(scope="session")
def tls_emulator():
    """One HTTPS emulator (its own CA) for the session: what the full local pipeline talks to."""
    from ipamsync_local.emulator import EmulatorServer

    with EmulatorServer(tls=True, username=USERNAME, password=PASSWORD) as server:
        yield server
