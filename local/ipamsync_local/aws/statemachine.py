"""The state machine: created in moto from the template (the ASL with its substitutions; moto's
interpreter runs it, :mod:`.motohook` routes its Lambda tasks to the local Lambda service), and
executions started directly (no pipe), waited for and recorded (source ``direct``)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from .executions import ExecutionRecorder, ExecutionSummary
from .pipe import ExecutionWaiter, execution_name
from .template import StateMachineSpec


def create_state_machine(sfn: Any, spec: StateMachineSpec, role_arn: str) -> None:
    sfn.create_state_machine(name=spec.name, definition=spec.definition, roleArn=role_arn, type=spec.type)


class DirectExecutions:
    """Executions started with ``StartExecution`` by the runtime's caller (counted while running)."""

    def __init__(
        self,
        sfn: Any,
        spec: StateMachineSpec,
        waiter: ExecutionWaiter,
        recorder: ExecutionRecorder,
        source: str = "direct",
    ) -> None:
        self.sfn = sfn
        self.spec = spec
        self.source = source
        self.waiter = waiter
        self.recorder = recorder
        self._running = 0
        self._lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._running

    def execute(
        self, execution_input: Any, *, name: str | None = None, timeout: float = 300.0
    ) -> ExecutionSummary:
        records = execution_input if isinstance(execution_input, list) else [execution_input]
        name = name or execution_name([r for r in records if isinstance(r, dict)] or [{}])
        with self._lock:
            self._running += 1
        try:
            arn = self.sfn.start_execution(
                stateMachineArn=self.spec.arn, name=name, input=json.dumps(execution_input)
            )["executionArn"]
            deadline = time.monotonic() + timeout
            while True:
                self.waiter.wait(arn, 0.5)
                desc = self.sfn.describe_execution(executionArn=arn)
                if desc["status"] != "RUNNING":
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"execution {name} still running after {timeout} s")
            records = [] if self.source != "direct" else [r for r in records if isinstance(r, dict)]
            return self.recorder.record(arn, records, self.source, desc)
        finally:
            with self._lock:
                self._running -= 1
