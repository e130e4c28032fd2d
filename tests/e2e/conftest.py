"""Fixtures of the end-to-end tests (see ``support.py`` for what they run)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ipamsync_local.emulator import EmulatorServer
from tests.conftest import PASSWORD


@pytest.fixture(scope="session")
def tls_emulator() -> Iterator[EmulatorServer]:
    """One HTTPS emulator (its own CA) for the session; each module's pipeline resets it."""
    with EmulatorServer(tls=True, password=PASSWORD) as emu:
        yield emu


@pytest.fixture(scope="module")
def module_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e-state")
