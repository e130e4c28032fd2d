"""Fixtures of the reliability suite (``tests/reliability``): one TLS emulator with distinctive
credentials for the whole session, a log of every request it receives, and the full pipeline.

Every test module here goes through the whole local chain and is marked ``slow`` (``make test``
runs them; ``make test-fast`` leaves them out).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

# Powertools' logger binds its handler to sys.stdout when lambda_support is first imported: import
# it now, under pytest's session-wide capture, not inside a test whose capture is closed afterwards.
from ipamsync import lambda_support  # noqa: F401
from ipamsync_local.emulator import EmulatorServer

from .harness import PASSWORD, TOKEN_ID, TOKEN_SECRET, USERNAME, RequestLog, Run, pipeline


@pytest.fixture(scope="session")
def rel_emulator() -> Iterator[EmulatorServer]:
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
) -> Callable[..., AbstractContextManager[Run]]:
    """``with make_pipeline(parameters={...}, time_scale=..., retry_scale=...) as run:``"""

    def make(**kwargs: Any) -> AbstractContextManager[Run]:
        return pipeline(rel_emulator, request_log, tmp_path, **kwargs)

    yield make
    rel_emulator.admin.clear_faults()
