"""The Lambda runtime (``ipamsync.runtime``): credentials from Secrets Manager (cached, re-read after an auth failure), the CA
bundle from SSM, the shaped handler contract, and tracing with requests patched."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from ipamsync.errors import InvalidMessage, SolidServerAuthError
from ipamsync.runtime import container
from tests.helpers import PASSWORD, ROOT, FakeLambdaContext, load_handler

MESSAGE = json.loads((ROOT / "events/message-running.json").read_text())


@pytest.fixture
def lambda_env(emu, monkeypatch):
    emu.admin.seed()
    for key in [k for k in os.environ if k.startswith(("SOLIDSERVER_", "DNS_", "IPAM_"))]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("SOLIDSERVER_URL", emu.url)
    monkeypatch.setenv("SOLIDSERVER_REQUESTS_PER_SECOND", "0")
    monkeypatch.setenv("DNS_SERVER_NAME", "ns.ipamsync.local")
    monkeypatch.setenv("DNS_FORWARD_ZONE", "ec2.example.internal")
    container.reset()
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
    yield monkeypatch
    container.reset()
    parameters.clear_caches()


def _secret(lambda_env, name: str, password: str = PASSWORD):
    """A Secrets Manager secret (inside ``mock_aws``) the functions read SOLIDserver's credentials
    from; returns the client and the secret's ARN."""
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    arn = sm.create_secret(
        Name=name, SecretString=json.dumps({"username": "ipmadmin", "password": password})
    )["ARN"]
    lambda_env.setenv("SOLIDSERVER_SECRET_ARN", arn)
    return sm, arn


def test_credentials_come_from_the_secret_and_are_cached(lambda_env, emu):
    with mock_aws():
        sm, arn = _secret(lambda_env, "ipamsync/sds")
        device = load_handler("device")
        out = device.lambda_handler(MESSAGE, FakeLambdaContext("device"))
        assert out["device_id"] and out["lifecycle"] == "present"
        ctx = container.sync_context()
        assert ctx.ss.client.config.credentials.username == "ipmadmin"
        assert PASSWORD not in repr(ctx.ss.client.config)
        # The secret is rotated: the cached client keeps working until SOLIDserver refuses it...
        emu.admin.reset()
        sm.put_secret_value(SecretId=arn, SecretString=json.dumps({"username": "ipmadmin", "password": "x"}))
        container.reset()  # a new container reads the new (wrong) value...
        from aws_lambda_powertools.utilities import parameters

        parameters.clear_caches()
        with pytest.raises(SolidServerAuthError):
            device.lambda_handler(MESSAGE, FakeLambdaContext("device"))
        # ...and after an auth failure the container drops its client and reads the secret again
        # from Secrets Manager, not from Powertools' 5-minute cache: the fixed secret is used.
        sm.put_secret_value(
            SecretId=arn, SecretString=json.dumps({"username": "ipmadmin", "password": PASSWORD})
        )
        emu.admin.seed()
        assert device.lambda_handler(MESSAGE, FakeLambdaContext("device"))["device_id"]


def test_a_secret_rotated_while_cached_is_used_at_the_first_refusal(lambda_env, emu):
    """Every Lambda environment caches the secret for 5 minutes. When SOLIDserver refuses the cached
    credentials and the secret holds others (it was rotated), the invocation reads it again and
    carries on with them: no environment fails an event because another one saw the rotation."""
    with mock_aws():
        sm, arn = _secret(lambda_env, "rot", "old")
        container.sync_context()  # this environment has read (and cached) the old secret
        sm.put_secret_value(
            SecretId=arn, SecretString=json.dumps({"username": "ipmadmin", "password": PASSWORD})
        )
        device = load_handler("device")
        out = device.lambda_handler(MESSAGE, FakeLambdaContext("device"))
        assert out["device_id"] and out["lifecycle"] == "present"
        assert container.sync_context().ss.client.config.credentials.password.reveal() == PASSWORD
        statuses = emu.admin.stats()["services"]["member_list"]["statuses"]
        assert statuses.get("401") == 1  # refused once, with the old password, then accepted


@pytest.mark.parametrize(
    "secret",
    [
        {"SecretString": json.dumps({"user": "u", "pass": "hunter2-secret"})},  # missing keys
        {"SecretString": "hunter2-secret"},  # not JSON
        {"SecretString": json.dumps(["hunter2-secret"])},  # JSON, not an object
        {"SecretBinary": b"\xffhunter2-secret"},  # binary, not UTF-8
        None,  # no such secret
    ],
)
def test_malformed_secret_is_a_configuration_error_without_its_text(lambda_env, secret):
    from ipamsync.errors import ConfigurationError

    with mock_aws():
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        if secret is None:
            arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf"
        else:
            arn = sm.create_secret(Name="bad", **secret)["ARN"]
        lambda_env.setenv("SOLIDSERVER_SECRET_ARN", arn)
        with pytest.raises(ConfigurationError) as exc:
            container.build_context()
        assert "hunter2" not in str(exc.value)


def test_ca_bundle_from_ssm_enables_verified_tls(monkeypatch, tmp_path):
    from ipamsync_local.emulator import EmulatorServer

    with EmulatorServer(port=0, password=PASSWORD, tls=True, seed=True) as server, mock_aws():
        ssm = boto3.client("ssm", region_name="us-east-1")
        ssm.put_parameter(Name="/ipamsync/ca", Value=Path(server.cert_path).read_text(), Type="String")
        for key in [k for k in os.environ if k.startswith(("SOLIDSERVER_", "DNS_", "IPAM_"))]:
            monkeypatch.delenv(key)
        monkeypatch.setenv("SOLIDSERVER_URL", server.url)
        monkeypatch.setenv("SOLIDSERVER_USERNAME", "ipmadmin")
        monkeypatch.setenv("SOLIDSERVER_PASSWORD", PASSWORD)
        monkeypatch.setenv("SOLIDSERVER_CA_BUNDLE_PARAMETER", "/ipamsync/ca")
        ctx = container.build_context()
        assert ctx.ss.client.config.verify.startswith("/tmp/ipamsync-ca-")
        assert ctx.ss.find_space("AWS") is not None  # a verified HTTPS call


def test_handlers_refuse_malformed_input_with_a_named_error(lambda_env):
    lambda_env.setenv("SOLIDSERVER_USERNAME", "ipmadmin")
    lambda_env.setenv("SOLIDSERVER_PASSWORD", PASSWORD)
    for name in ("device", "networks", "addresses", "dns"):
        handler = load_handler(name)
        for bad in (
            {"message": "{not json"},
            {"message": {"schema": "nope"}},
            [],
            {"message": json.dumps({})},
            {},
        ):
            with pytest.raises(InvalidMessage):
                handler.lambda_handler(bad, FakeLambdaContext(name))


# Over 80 lines: one fresh interpreter (a subprocess, as Lambda has it) and a stand-in X-Ray daemon;
# the assertions read the segments that one run sent.
def test_tracing_patches_requests_and_annotates_the_correlation_id(emu):
    """In a fresh interpreter with tracing on (as in Lambda), the X-Ray segments sent to the daemon
    address include one subsegment per SOLIDserver call and the correlation-id annotation."""
    emu.admin.seed()
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    daemon.settimeout(10)
    port = daemon.getsockname()[1]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SOLIDSERVER_", "DNS_", "IPAM_", "POWERTOOLS_"))
    }
    env.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": "ipamsync-device",
            "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
            "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{port}",
            "LAMBDA_TASK_ROOT": str(ROOT / "functions" / "device"),
            "SOLIDSERVER_URL": emu.url,
            "SOLIDSERVER_USERNAME": "ipmadmin",
            "SOLIDSERVER_PASSWORD": PASSWORD,
            "POWERTOOLS_SERVICE_NAME": "ipamsync",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "functions" / "device"), str(ROOT / "src")]),
        }
    )
    code = (  # no tests.conftest here: it disables tracing for the test process
        "import json, sys\n"
        "import app\n"
        "class Ctx:\n"
        "    function_name = 'ipamsync-device'; function_version = '$LATEST'; memory_limit_in_mb = 256\n"
        "    aws_request_id = 'req-1'; log_group_name = 'g'; log_stream_name = 's'\n"
        "    invoked_function_arn = 'arn:aws:lambda:us-east-1:123456789012:function:ipamsync-device'\n"
        "    def get_remaining_time_in_millis(self): return 30000\n"
        f"event = json.load(open({str(ROOT / 'events/message-running.json')!r}))\n"
        "print(json.dumps(app.lambda_handler(event, Ctx())))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    documents = []
    try:
        while True:
            data, _ = daemon.recvfrom(65536)
            _header, _, body = data.decode().partition("\n")
            documents.append(json.loads(body))
            if any(d.get("name", "").startswith("## ") for d in documents):
                break  # the handler's subsegment closes last
    except TimeoutError:
        pass
    finally:
        daemon.close()

    def walk(doc):
        yield doc
        for sub in doc.get("subsegments", []):
            yield from walk(sub)

    segments = [s for d in documents for s in walk(d)]
    handler = next(s for s in segments if s.get("name", "").startswith("## "))
    assert handler["annotations"]["correlation_id"] == MESSAGE["message"]["event"]["id"]
    assert handler["annotations"]["instance_id"] == MESSAGE["message"]["instance"]["id"]
    http = [
        s
        for s in segments
        if s.get("namespace") == "remote" and "/rest/" in s.get("http", {}).get("request", {}).get("url", "")
    ]
    urls = {s["http"]["request"]["url"].rsplit("/", 1)[1] for s in http}
    assert {"member_list", "hostdev_list", "hostdev_add", "hostiface_add"} <= urls  # every SOLIDserver call
    assert all(
        "?" not in s["http"]["request"]["url"] for s in http
    )  # no query strings (WHERE values) in traces
    assert all(PASSWORD not in json.dumps(s) for s in segments)


def _emf(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{") and '"_aws"' in line]


def test_zero_counts_are_left_out_of_the_metrics(lambda_env, emu, capsys):
    """A count that is 0 is not emitted (it sums the same; the EMF line is shorter): a replay of an
    applied message emits its reads, and no writes or object counts."""
    device = load_handler("device")
    with mock_aws():
        _secret(lambda_env, "zero")
        capsys.readouterr()
        first = device.lambda_handler(MESSAGE, FakeLambdaContext("device"))
        [applied] = _emf(capsys.readouterr().out)
        # the last step gives the lease back
        load_handler("dns").lambda_handler(
            {**MESSAGE, "device": first, "finish": True}, FakeLambdaContext("dns")
        )
        capsys.readouterr()
        again = device.lambda_handler(MESSAGE, FakeLambdaContext("device"))
        [replayed] = _emf(capsys.readouterr().out)
    assert first["lease_id"] and again["unchanged"] is True

    def names(doc: dict) -> set[str]:
        return {m["Name"] for block in doc["_aws"]["CloudWatchMetrics"] for m in block["Metrics"]}

    assert {"SolidServerReads", "SolidServerWrites", "ObjectsCreated"} <= names(applied)
    assert names(replayed) == {"SolidServerReads"} and replayed["SolidServerReads"] >= [1.0]
    assert "SolidServerWrites" not in replayed and "ObjectsCreated" not in replayed
