"""The local Lambda service's modes with a runtime of their own per test (moto is process-wide:
one runtime at a time): error shapes alike in both modes, overrides beside the environments, serial
mode one handler at a time, and no process left behind when a runtime stops (also on errors)."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from ipamsync_local.aws import LocalAws

from .envprobe import RESERVED, Gate, alive, in_threads, invoke, runtime


def test_errors_have_lambdas_shape_in_both_modes(tmp_path: Path) -> None:
    def shapes(runtime: LocalAws) -> list[dict[str, Any]]:
        assert runtime.lambdas is not None
        out = []
        for event in (
            {"action": "fail", "name": "SolidServerTimeout", "message": "no answer"},
            {"action": "not-json"},
        ):
            result = runtime.lambdas.invoke("DeviceFunction", event)
            assert result.function_error == "Unhandled"
            out.append(result.json())
        return out

    with runtime(tmp_path / "serial", concurrency="serial") as serial_aws:
        serial = shapes(serial_aws)
    aws = runtime(tmp_path / "parallel").start()
    try:
        parallel = shapes(aws)
        for p, s in zip(parallel, serial, strict=True):
            assert list(p) == list(s) == ["errorMessage", "errorType", "requestId", "stackTrace"]
            assert (p["errorType"], p["errorMessage"]) == (s["errorType"], s["errorMessage"])
        assert parallel[0]["errorType"] == "SolidServerTimeout" and parallel[0]["errorMessage"] == "no answer"
        assert any("lambda_handler" in line for line in parallel[0]["stackTrace"])
        assert parallel[1]["errorType"] == "Runtime.MarshalError"

        pid = invoke(aws, {"action": "where"})["pid"]
        exited = aws.lambdas.invoke("DeviceFunction", {"action": "exit"}).json()  # type: ignore[union-attr]
        assert exited["errorType"] == "Runtime.ExitError"
        assert invoke(aws, {"action": "where"})["pid"] != pid  # that environment was replaced
    finally:
        aws.stop()


# --------------------------------------------------------------------------- overrides and serial mode


def test_an_override_runs_in_process_beside_the_environments(tmp_path: Path, gate: Gate) -> None:
    calls: list[int] = []
    inside = threading.Event()
    release = threading.Event()

    def networks(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append(os.getpid())  # a closure: it can only run in this process
        if event.get("hold"):
            inside.set()
            assert release.wait(30)
        return {"space_id": "1"}

    with runtime(tmp_path, handler_overrides={"networks": networks}) as aws:
        assert aws.lambdas is not None
        held, _ = in_threads(aws, [{"action": "gate", "port": gate.port}])
        gate.wait_inside(1)  # the device function is busy in its environment...
        assert aws.invoke("networks", {}) == {"space_id": "1"}  # ...and the override runs meanwhile
        assert calls == [os.getpid()]
        # one invocation of an overridden function at a time (its own lock), others alongside
        first = threading.Thread(target=aws.invoke, args=("networks", {"hold": True}))
        first.start()
        assert inside.wait(30)
        second = threading.Thread(target=aws.invoke, args=("networks", {}))
        second.start()
        fn = aws.lambdas.get("networks")
        while fn.stats.in_flight < 2:  # admitted, waiting for the function's lock
            threading.Event().wait(0.01)
        assert len(calls) == 2
        release.set()
        first.join(30)
        second.join(30)
        assert len(calls) == 3
        gate.release()
        held[0].join(30)


def test_serial_mode_runs_one_handler_at_a_time_in_this_process(tmp_path: Path, gate: Gate) -> None:
    with runtime(tmp_path, concurrency="serial") as aws:
        assert aws.lambdas is not None and aws.endpoint_url is None and aws.lambdas.environment_pids() == {}
        threads, results = in_threads(aws, [{"action": "gate", "port": gate.port}])
        gate.wait_inside(1)
        more, _ = in_threads(aws, [{"action": "gate", "port": gate.port}])
        fn = aws.lambdas.get("DeviceFunction")
        while fn.stats.in_flight < 2:  # the second is admitted and waits for the sandbox
            threading.Event().wait(0.01)
        assert gate.entered == 1
        gate.release()
        gate.wait_inside(1)
        gate.release()
        for t in threads + more:
            t.join(30)
        assert gate.max_inside == 1 and set(gate.pids) == {os.getpid()}
        assert [r["pid"] for r in results] == [os.getpid()]


# --------------------------------------------------------------------------- process hygiene


def test_every_environment_process_ends_with_the_runtime(tmp_path: Path, gate: Gate) -> None:
    aws = runtime(tmp_path).start()
    try:
        assert aws.lambdas is not None and aws.endpoint_url is not None
        port = int(aws.endpoint_url.rsplit(":", 1)[1])
        threads, _ = in_threads(aws, [{"action": "gate", "port": gate.port}] * RESERVED)
        gate.wait_inside(RESERVED)
        gate.release()
        for t in threads:
            t.join(60)
        held, _ = in_threads(aws, [{"action": "gate", "port": gate.port}])
        gate.wait_inside(1)  # one of them is busy when the runtime stops
        pids = [p for ps in aws.lambdas.environment_pids().values() for p in ps]
        assert len(pids) == RESERVED and all(alive(p) for p in pids)
    finally:
        aws.stop()
    gate.release()
    held[0].join(30)
    assert [p for p in pids if alive(p)] == []
    with pytest.raises(OSError):  # moto's server is gone and its port closed
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_environments_end_when_the_with_block_raises(tmp_path: Path) -> None:
    pids: list[int] = []
    with pytest.raises(RuntimeError, match="boom"), runtime(tmp_path) as aws:
        pids.append(invoke(aws, {"action": "where"})["pid"])
        raise RuntimeError("boom")
    assert pids and not alive(pids[0])


def test_a_runtime_whose_lambdas_fail_to_stop_still_frees_the_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A part that raises while stopping must not leave moto's mock and the process-wide hooks
    installed: the next runtime in the process starts (one failed teardown used to fail every
    later test of a worker with "another local AWS runtime is running in this process")."""
    aws = runtime(tmp_path / "first").start()
    assert aws.lambdas is not None
    real_stop = aws.lambdas.stop

    def failing_stop() -> None:
        real_stop()
        raise AttributeError("'ForkServerProcess' object has no attribute '_sentinel'")

    monkeypatch.setattr(aws.lambdas, "stop", failing_stop)
    with pytest.raises(AttributeError, match="_sentinel"):
        aws.stop()
    with runtime(tmp_path / "second") as again:
        assert invoke(again, {"action": "where"})["pid"]
