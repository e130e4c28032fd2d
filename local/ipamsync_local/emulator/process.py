"""``ipamsync emulator serve`` in a child process: its own core and GIL (benchmarks, soak, the demo).

The child listens on a free loopback port; :meth:`EmulatorProcess.start` reads the URL (and, with
TLS, the CA certificate's path) from the lines ``serve`` prints. Credentials go through the
environment, never the command line (visible in ``ps``).

Throw-away by default: an in-memory database, a throw-away CA, its output in a temporary file
(errors on the parent's stderr). With ``data_dir`` (the demo) its files live there and outlast it:

* ``emulator.db``: the SQLite database (kept across runs unless ``fresh``);
* ``tls/ca.pem``: the CA that signs its certificate (``tls/server.pem``, ``tls/server.key``),
  made anew at each start;
* ``emulator.log``: its output (appended);
* ``emulator.json``: its pid, URL, CA and database while it runs. With ``keep``, leaving the
  ``with`` block leaves it running (in a session of its own: Ctrl-C in the terminal is the
  parent's); the next start on the same ``data_dir`` stops it first, and only it: the process
  that file names, if its command line is an emulator serving that database.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ipamsync_local.emulator.cli import ENV_PASSWORD, ENV_USERNAME


class EmulatorStartError(RuntimeError):
    """The emulator exited, or did not listen in time."""


class EmulatorProcess:
    def __init__(
        self,
        *,
        seed: bool = True,
        tls: bool = True,
        username: str | None = None,
        password: str | None = None,
        data_dir: Path | None = None,
        fresh: bool = True,
        keep: bool = False,
        profile: str = "default",
    ) -> None:
        self.seed = seed
        self.profile = profile
        self.tls = tls
        self.username = username
        self.password = password
        self.data_dir = data_dir
        self.fresh = fresh
        self.keep = keep
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.ca_path = ""
        #: pid of the emulator a previous run left running on ``data_dir``, stopped by :meth:`start`
        self.stopped_previous: int | None = None
        self._tmp: str | None = None
        #: the database and the output (a temporary file for a throw-away emulator, set by start)
        self.db: Path | None = None
        self.log: Path | None = None
        if data_dir is not None:
            self.db, self.log = data_dir / "emulator.db", data_dir / "emulator.log"

    @property
    def pid_file(self) -> Path | None:
        return self.data_dir / "emulator.json" if self.data_dir is not None else None

    # ------------------------------------------------------------------ start

    def start(self, timeout: float = 60.0) -> EmulatorProcess:
        if self.data_dir is None:
            self._tmp = tempfile.mkdtemp(prefix="ipamsync-emulator-")
            self.log = Path(self._tmp) / "emulator.log"
        else:
            self._prepare_data_dir()
        args = [sys.executable, "-c", "import sys; from ipamsync_local.cli import main; sys.exit(main())"]
        args += ["emulator", "serve", "--host", "127.0.0.1", "--port", "0"]
        args += ["--tls"] if self.tls else []
        args += ["--seed"] if self.seed else []
        args += ["--profile", self.profile] if self.profile != "default" else []
        if self.data_dir is not None:
            args += ["--db", str(self.db)]
            if self.tls:
                from ipamsync_local.emulator import tls

                files = tls.generate(self.data_dir / "tls")
                args += ["--cert", str(files.chain), "--key", str(files.key)]
                self.ca_path = str(files.ca_cert.resolve())
        env = dict(os.environ)
        if self.username is not None:
            env[ENV_USERNAME] = self.username
        if self.password is not None:
            env[ENV_PASSWORD] = self.password
        assert self.log is not None
        offset = self.log.stat().st_size if self.log.is_file() else 0
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT if self.data_dir is not None else None,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=self.keep,
            )
        try:
            self._wait_listening(offset, timeout)
        except BaseException:
            self.stop()
            raise
        if self.pid_file is not None and self.db is not None:
            record = {"pid": self.proc.pid, "url": self.url, "ca": self.ca_path, "db": str(self.db.resolve())}
            self.pid_file.write_text(json.dumps(record) + "\n")
        return self

    def _wait_listening(self, offset: int, timeout: float) -> None:
        """Read what ``serve`` prints (from ``offset`` of the log) until it listens."""
        assert self.proc is not None and self.log is not None
        deadline = time.monotonic() + timeout
        while True:
            with self.log.open("rb") as log:
                log.seek(offset)
                lines = log.read().decode(errors="replace").splitlines()
            for line in lines:
                if "listening on" in line:
                    self.url = line.split()[-1]
                elif line.startswith("CA certificate:") and not self.ca_path:
                    self.ca_path = line.split(":", 1)[1].strip()
            if self.url and (self.ca_path or not self.tls):
                return
            if self.proc.poll() is not None:
                tail = "\n".join(lines)[-2000:]
                raise EmulatorStartError(
                    f"the emulator exited with status {self.proc.returncode} before it listened"
                    + (f":\n{tail}" if tail else "")
                )
            if time.monotonic() > deadline:
                where = f" (see {self.log})" if self.data_dir is not None else ""
                raise EmulatorStartError(f"the emulator did not start within {timeout:g} s{where}")
            time.sleep(0.05)

    def _prepare_data_dir(self) -> None:
        assert self.data_dir is not None
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._stop_previous()
        if self.fresh:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.db}{suffix}").unlink(missing_ok=True)

    def _stop_previous(self) -> None:
        """Stop the emulator a previous run left running on this database (only that process: its
        pid is in our own file and its command line must be an emulator serving this database)."""
        assert self.pid_file is not None
        try:
            pid = int(json.loads(self.pid_file.read_text())["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            cmdline = []
        if b"emulator" in cmdline and b"serve" in cmdline and str(self.db).encode() in cmdline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
                for _ in range(100):
                    time.sleep(0.05)
                    os.kill(pid, 0)
            self.stopped_previous = pid
        self.pid_file.unlink(missing_ok=True)

    # ------------------------------------------------------------------ use

    @property
    def ca_pem(self) -> str | None:
        return Path(self.ca_path).read_text(encoding="utf-8") if self.ca_path else None

    def cpu_seconds(self) -> float:
        """User + system CPU of the emulator process so far (from /proc)."""
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    @property
    def admin(self) -> Any:
        from ipamsync_local.emulator import EmulatorAdmin

        return EmulatorAdmin(self.url, verify=self.ca_path or True)

    # ------------------------------------------------------------------ stop

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        self._terminate()
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def _terminate(self) -> None:
        if not self.running():
            return
        assert self.proc is not None
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            self.proc.kill()
            self.proc.wait(10)

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.keep and self.running():
            return  # left running: emulator.json says where
        self.stop()
