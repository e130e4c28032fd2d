"""The emulator in a child process (``ipamsync_local.emulator.process``): throw-away (benchmarks, soak)
or with its files in a data directory, kept running and stopped by the next start (the demo)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ipamsync_local.emulator.process import EmulatorProcess, EmulatorStartError


def test_a_throw_away_emulator_leaves_nothing_behind() -> None:
    with EmulatorProcess(username="u", password="p") as emu:
        assert emu.url.startswith("https://127.0.0.1:") and emu.ca_pem and "BEGIN CERTIFICATE" in emu.ca_pem
        assert emu.admin.stats()["totals"]["reads"] == 0
        log = emu.log
        assert log is not None and log.is_file()
    assert not emu.running() and not log.exists()


_KEEP = """
import sys
from pathlib import Path
from ipamsync_local.emulator.process import EmulatorProcess
emu = EmulatorProcess(seed=False, data_dir=Path(sys.argv[1]), keep=True)
with emu:
    print(emu.proc.pid, flush=True)
"""


def test_a_kept_emulator_is_stopped_by_the_next_start_on_its_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # a previous run (its own process) leaves its emulator running
    started = subprocess.run(
        [sys.executable, "-c", _KEEP, str(data)], capture_output=True, text=True, timeout=120, check=True
    )
    pid = int(started.stdout.strip())
    try:
        record = json.loads((data / "emulator.json").read_text())
        assert record["pid"] == pid and record["ca"] == str((data / "tls" / "ca.pem").resolve())
        assert record["db"] == str((data / "emulator.db").resolve())
        os.kill(pid, 0)  # still running

        with EmulatorProcess(seed=False, data_dir=data, fresh=False) as emu:
            assert emu.stopped_previous == pid and emu.url != record["url"]
            assert (
                emu.ca_path == record["ca"] and json.loads((data / "emulator.json").read_text())["pid"] != pid
            )
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
        assert not emu.running() and not (data / "emulator.json").exists()
        assert (data / "emulator.db").is_file() and "listening on" in (data / "emulator.log").read_text()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


def test_an_emulator_that_cannot_start_says_why(tmp_path: Path) -> None:
    (tmp_path / "emulator.db").mkdir()  # the database path is a directory: serve fails
    emu = EmulatorProcess(seed=False, data_dir=tmp_path, fresh=False)
    with pytest.raises(EmulatorStartError, match="exited with status"):
        emu.start()
    assert not emu.running() and not (tmp_path / "emulator.json").exists()
