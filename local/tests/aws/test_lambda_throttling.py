"""Reserved concurrency from the template, enforced like Lambda's throttling."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ipamsync_local.aws import LocalAws
from ipamsync_local.aws.motohook import Throttled
from local.tests.helpers import EVENTS, Script, device_ok, history, task_errors

INPUT = json.loads((EVENTS / "statemachine-input-running.json").read_text())


def test_reserved_concurrency_throttles_like_lambda(tmp_path: Path) -> None:
    """SolidServerMaxConcurrency=1 → ReservedConcurrentExecutions 1 on the sync functions: a second
    concurrent device invocation is throttled (429 TooManyRequestsException), which the state machine
    sees as Lambda.TooManyRequestsException and retries."""
    script = Script()
    release = threading.Event()
    entered = threading.Event()

    def slow_device(event: Any, ctx: Any) -> Any:
        if not entered.is_set():
            entered.set()
            assert release.wait(20)
        return device_ok("i-1")

    script.on["device"] = slow_device
    try:
        with LocalAws(
            parameters={"SolidServerMaxConcurrency": "1"},
            state_dir=tmp_path,
            time_scale=0.2,
            handler_overrides=script.overrides(),
        ) as aws:
            assert aws.lambdas is not None
            assert aws.lambdas.get("device").spec.reserved_concurrency == 1
            results: dict[str, Any] = {}
            first = threading.Thread(target=lambda: results.setdefault("a", aws.execute(INPUT)))
            first.start()
            assert entered.wait(10)
            with pytest.raises(Throttled):
                aws.lambdas.invoke("device", {"body": "{}"})
            no_retries = boto3.client(
                "lambda", region_name="us-east-1", config=Config(retries={"total_max_attempts": 1})
            )
            with pytest.raises(ClientError) as err:
                no_retries.invoke(FunctionName="ipamsync-DeviceFunction", Payload=b"{}")
            assert err.value.response["Error"]["Code"] == "TooManyRequestsException"
            assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429

            assert aws.counters()["lambda"]["DeviceFunction"]["throttles"] == 2

            def release_after_a_throttle() -> None:
                deadline = time.monotonic() + 10
                while (
                    aws.counters()["lambda"]["DeviceFunction"]["throttles"] < 3
                    and time.monotonic() < deadline
                ):
                    time.sleep(0.005)
                release.set()

            watcher = threading.Thread(target=release_after_a_throttle)
            watcher.start()
            second = aws.execute(INPUT)
            first.join(20)
            watcher.join(20)
            assert results["a"].status == "SUCCEEDED"
            assert second.status == "SUCCEEDED", second
            errors = task_errors(history(aws, second.name))
            assert errors and set(errors) == {"Lambda.TooManyRequestsException"}
            assert second.retries == len(errors)
            assert aws.counters()["lambda"]["DeviceFunction"]["in_flight_max"] == 1
    finally:
        release.set()
