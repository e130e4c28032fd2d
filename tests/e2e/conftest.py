"""Fixtures of the end-to-end tests (the full local pipeline). Their helpers live in ``harness.py``
(one module): the scenario pipelines, one per module, on the session's TLS emulator, and the
reliability runs, one pipeline per test, with a log of every request the emulator receives.

Every test here goes through the whole local chain and is marked ``slow`` (``make test`` runs
them; ``make test-fast`` leaves them out).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from ipamsync_local.emulator import EmulatorServer

from .harness import PASSWORD, TOKEN_ID, TOKEN_SECRET, USERNAME, RequestLog, Run, pipeline


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="module")
def module_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e-state")


@pytest.fixture(scope="session")
def rel_emulator() -> Iterator[EmulatorServer]:
    """A TLS emulator with distinctive credentials: the security test scans every output for them."""
    with EmulatorServer(
        tls=True, username=USERNAME, password=PASSWORD, token_id=TOKEN_ID, token_secret=TOKEN_SECRET
    ) as emu:
        yield emu


@pytest.fixture(scope="session")
def request_log(rel_emulator: EmulatorServer) -> Iterator[RequestLog]:
    log = RequestLog(rel_emulator).install()
    try:
        yield log
    finally:
        log.uninstall()


@pytest.fixture(autouse=True)
def _seeded() -> None:
    # moto's interpreter draws its Retry jitter from the global generator: seed it per test.
    random.seed(20261127)


@pytest.fixture
def make_pipeline(
    rel_emulator: EmulatorServer, request_log: RequestLog, tmp_path: Path
) -> Iterator[Callable[..., AbstractContextManager[Run]]]:
    """``with make_pipeline(parameters={...}, time_scale=..., retry_scale=...) as run:``"""

    def make(**kwargs: Any) -> AbstractContextManager[Run]:
        return pipeline(rel_emulator, request_log, tmp_path, **kwargs)

    yield make
    rel_emulator.admin.clear_faults()
