"""``ipamsync emulator serve`` in a child process: its own core and GIL (benchmarks, soak).

The child listens on a free loopback port; :meth:`EmulatorProcess.start` reads the URL (and, with
TLS, the CA certificate's path) from the lines ``serve`` prints. Credentials go through the
environment, never the command line (visible in ``ps``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ipamsync_local.emulator.cli import ENV_PASSWORD, ENV_USERNAME


class EmulatorProcess:
    def __init__(
        self,
        *,
        seed: bool = True,
        tls: bool = True,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.seed = seed
        self.tls = tls
        self.username = username
        self.password = password
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.ca_path = ""

    def start(self, timeout: float = 60.0) -> EmulatorProcess:
        args = [sys.executable, "-c", "import sys; from ipamsync_local.cli import main; sys.exit(main())"]
        args += ["emulator", "serve", "--host", "127.0.0.1", "--port", "0"]
        args += ["--tls"] if self.tls else []
        args += ["--seed"] if self.seed else []
        env = dict(os.environ)
        if self.username is not None:
            env[ENV_USERNAME] = self.username
        if self.password is not None:
            env[ENV_PASSWORD] = self.password
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while not (self.url and (self.ca_path or not self.tls)):
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"the emulator exited ({self.proc.poll()}) before it listened")
            if "listening on" in line:
                self.url = line.split()[-1]
            elif line.startswith("CA certificate:"):
                self.ca_path = line.split(":", 1)[1].strip()
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the emulator did not start in time")
        return self

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

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                self.proc.kill()
                self.proc.wait(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
