"""Security, through the whole pipeline.

* Credentials come only from Secrets Manager (the local runtime's moto secret named by
  ``SolidServerSecretArn``): no function environment and no process variable holds them, and
  SOLIDserver accepts the pipeline's requests.
* No output ever contains them: every byte the run produced — the functions' logs (DEBUG), stdout and
  stderr, Python logging, execution histories (inputs, outputs, errors, causes, stack traces),
  dead-letter payloads, the redrive's output, exception texts, and the request log of the emulator —
  is scanned for the password, the token secret and their encoded forms (base64, Basic-auth base64,
  URL/form encoding, JSON escaping): zero hits, for each auth mode, on success and failure paths
  (faults, an outage, refused credentials).
* TLS is verified by default: against a SOLIDserver whose CA the pipeline was not given, the
  handshake fails, the event is dead-lettered with ``ConfigurationError`` (permanent, not retried)
  and SOLIDserver never receives a request.
* IAM least privilege and queue encryption are checked on template.yaml by tests/template (see
  docs/guarantees.md); they are not repeated here.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from ipamsync.runtime import observability
from ipamsync_local.aws.runtime import LambdaInvocationError

from .harness import MAX_RECEIVE, PASSWORD, TOKEN_ID, TOKEN_SECRET, USERNAME, Run, scan, secret_forms

pytestmark = pytest.mark.slow

SCALE = 0.002  # visibility timeout 360 s → 0.7 s between deliveries
WRONG_PASSWORD = "Wr0ng-Pa55!-c0ffee-b4d"
CREDENTIALS = {
    "native": {"username": USERNAME, "password": PASSWORD},
    "basic": {"username": USERNAME, "password": PASSWORD},
    "token": {"token_id": TOKEN_ID, "token_secret": TOKEN_SECRET},
    "refused": {"username": USERNAME, "password": WRONG_PASSWORD},
}
CREDENTIAL_VARIABLES = (
    "SOLIDSERVER_USERNAME",
    "SOLIDSERVER_PASSWORD",
    "SOLIDSERVER_TOKEN_ID",
    "SOLIDSERVER_TOKEN_SECRET",
)


def _outputs(run: Run, captured: str, caplog_text: str, extra: dict[str, str]) -> dict[str, str]:
    texts = {"lambda log": run.lambda_log.read_text(encoding="utf-8"), "stdout+stderr": captured}
    texts["python logging"] = caplog_text
    for path in sorted((run.tmp_path / "state").rglob("*")):
        if path.is_file():
            texts[f"execution record {path.name}"] = path.read_text(encoding="utf-8")
    for queue in ("WorkflowDeadLetterQueue", "EventDeadLetterQueue", "EventQueue"):
        texts[f"{queue} messages"] = json.dumps(run.dead_letters(queue), default=str)
    texts["emulator request log"] = json.dumps([vars(r) for r in run.log.snapshot()])
    texts["execution summaries"] = json.dumps([s.to_dict() for s in run.executions()])
    texts.update(extra)
    return texts


@pytest.mark.parametrize("mode", ["native", "basic", "token", "refused"])
def test_no_credential_in_any_output(
    make_pipeline: Callable[..., AbstractContextManager[Run]],
    mode: str,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    auth = "native" if mode == "refused" else mode
    caplog.set_level(logging.INFO)
    # LogLevel=DEBUG reaches the functions as POWERTOOLS_LOG_LEVEL; the layer's logger was built when
    # this process first imported it (one process = one execution environment), so set its level
    # as a cold start with that variable would.
    previous = observability.logger.log_level
    observability.logger.setLevel("DEBUG")
    try:
        _scenario(make_pipeline, mode, auth, capfd, caplog)
    finally:
        observability.logger.setLevel(previous)


def _scenario(
    make_pipeline: Callable[..., AbstractContextManager[Run]],
    mode: str,
    auth: str,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    credentials = CREDENTIALS[mode]
    with make_pipeline(
        parameters={"SolidServerAuthMode": auth, "LogLevel": "DEBUG"},
        credentials=credentials,
        time_scale=SCALE,
    ) as run:
        aws = run.aws
        assert aws.lambdas is not None and aws.fleet is not None
        # Only the secret's ARN reaches the functions.
        for fn in aws.lambdas.functions.values():
            assert not set(fn.spec.environment) & set(CREDENTIAL_VARIABLES)
        assert aws.lambdas.get("DeviceFunction").spec.environment["SOLIDSERVER_SECRET_ARN"] == aws.secret_arn
        assert not set(os.environ) & set(CREDENTIAL_VARIABLES)
        secret = json.loads(aws.secretsmanager.get_secret_value(SecretId=aws.secret_arn)["SecretString"])
        assert secret == credentials

        web = aws.fleet.launch("web-1", ipv6=1, elastic_ip=True)
        run.wait(120)
        errors = []
        if mode != "refused":
            # failure paths: transient faults, then (once) an outage long enough to dead-letter
            run.emu.admin.set_faults({"seed": 5, "rules": {"*": {"error_rates": {"500": 0.2, "503": 0.1}}}})
            aws.fleet.stop(web.instance_id)
            run.wait(120)
            if mode == "native":
                run.emu.admin.outage(True)
                aws.fleet.start(web.instance_id)
                run.wait(120)
            run.emu.admin.clear_faults()
        try:
            aws.invoke("DeviceFunction", {"message": json.dumps(run.applied_messages()[-1])})
        except LambdaInvocationError as exc:
            errors.append(str(exc))
        if mode == "native":
            report = run.redrive()
            print(json.dumps(report.to_dict()))
            run.wait(120)

        requests = run.log.snapshot()
        statuses = Counter(r.status for r in requests)
        if mode == "refused":
            assert set(statuses) <= {"401", "500", "503"} and statuses["401"] > 0
            workflow = [d["body"] for d in run.dead_letters("WorkflowDeadLetterQueue")]
            assert {w["record"]["error"]["Error"] for w in workflow} == {"SolidServerAuthError"}
            assert errors and "SolidServerAuthError" in errors[0]
        else:
            assert statuses["401"] == 0 and statuses["200"] > 0, statuses
            run.assert_converged()
        captured = capfd.readouterr()
        texts = _outputs(run, captured.out + captured.err, caplog.text, {"exceptions": "\n".join(errors)})
        assert sum(len(t) for t in texts.values()) > 10_000, "the scan had something to read"
        assert '"level":"DEBUG"' in texts["lambda log"], "the functions logged at DEBUG"
        forms = secret_forms(PASSWORD, TOKEN_SECRET, WRONG_PASSWORD, json.dumps(credentials))
        header = "X-IPM-Password: " + base64.b64encode(PASSWORD.encode()).decode()
        assert scan({"probe": header}, forms), "the scanner finds an encoded password"
        assert scan(texts, forms) == []


def test_tls_is_verified_by_default(
    make_pipeline: Callable[..., AbstractContextManager[Run]], tmp_path: Path
) -> None:
    """No CA bundle given: SOLIDserver's certificate (signed by the emulator's own CA) is refused."""
    with make_pipeline(ca_bundle_pem=None, time_scale=SCALE) as run:
        aws = run.aws
        assert aws.fleet is not None and aws.lambdas is not None
        env = aws.lambdas.get("DeviceFunction").spec.environment
        assert env["SOLIDSERVER_VERIFY_TLS"] == "true" and env["SOLIDSERVER_CA_BUNDLE_PARAMETER"] == ""
        iid = aws.fleet.launch("tls-1").instance_id
        run.wait(120)
        summaries = run.executions()
        assert len(summaries) == 2 * MAX_RECEIVE and {s.status for s in summaries} == {"FAILED"}
        assert all(s.retries == 0 and s.dead_lettered for s in summaries), "permanent: not retried"
        workflow = [d["body"] for d in run.dead_letters("WorkflowDeadLetterQueue")]
        assert {w["record"]["error"]["Error"] for w in workflow} == {"ConfigurationError"}
        assert all("could not be verified" in w["record"]["error"]["Cause"] for w in workflow)
        assert len(run.dead_letters("EventDeadLetterQueue")) == 2
        assert run.log.snapshot() == [], "no request got past the TLS handshake"
        assert run.inventory().owned_by(f"aws:{run.truth().account}:us-east-1:{iid}")["devices"] == []


def test_a_rotated_secret_is_picked_up_after_an_auth_failure(
    make_pipeline: Callable[..., AbstractContextManager[Run]], rel_emulator: Any
) -> None:
    """Every execution environment caches the secret: after a rotation each one's first call is
    refused, reads the secret again, finds other credentials and carries on with them — no event
    fails, however many environments there are (parallel mode: one process per environment)."""
    rotated = "R0tated-Pa55w0rd-5e1f"
    with make_pipeline(time_scale=SCALE) as run:
        aws = run.aws
        assert aws.fleet is not None
        iid = aws.fleet.launch("rot-1").instance_id
        run.wait(120)
        run.assert_converged()
        # The operator rotates the password on SOLIDserver and in Secrets Manager.
        aws.secretsmanager.put_secret_value(
            SecretId=aws.secret_arn, SecretString=json.dumps({"username": USERNAME, "password": rotated})
        )
        rel_emulator.auth.password = rotated
        refused_before = sum(1 for r in run.log.snapshot() if r.status == "401")
        try:
            aws.fleet.stop(iid)
            run.wait(120)
            refused = sum(1 for r in run.log.snapshot() if r.status == "401") - refused_before
            assert refused >= 1, "the environments' cached credentials were refused at first"
            assert [s.status for s in run.executions() if s.status != "SUCCEEDED"] == []
            assert run.dead_letters("EventDeadLetterQueue") == []
            assert run.dead_letters("WorkflowDeadLetterQueue") == []
        finally:
            rel_emulator.auth.password = PASSWORD
        run.assert_converged()
