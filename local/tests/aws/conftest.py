"""Fixtures of the local AWS runtime tests: a TLS emulator, runtimes with scripted handlers.

Every test is hermetic (moto in-process, the emulator on loopback, fake credentials from the
root conftest) and uses a small ``time_scale`` so designed waits are short but real.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ipamsync_local.emulator import EmulatorServer
from local.tests.helpers import Script

from .envprobe import Gate


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorServer]:
    """A SOLIDserver emulator over TLS (its own CA), shared by the tests; reset it before use."""
    with EmulatorServer(tls=True) as emu:
        yield emu


@pytest.fixture(scope="session")
def emulator_ca(emulator: EmulatorServer) -> str:
    return Path(str(emulator.cert_path)).read_text()


@pytest.fixture
def script() -> Script:
    return Script()


@pytest.fixture
def gate() -> Iterator[Gate]:
    """A loopback gate the probe handler waits at (see ``envprobe.py``)."""
    g = Gate()
    yield g
    g.close()
