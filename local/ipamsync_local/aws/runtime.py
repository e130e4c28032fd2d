"""``LocalAws``: the whole ipamsync pipeline on one machine, in-process, on moto.

::

    from ipamsync_local.aws import LocalAws
    from ipamsync_local.emulator import EmulatorServer

    with EmulatorServer(tls=True) as emu, LocalAws(
        solidserver_url=emu.url, ca_bundle_pem=Path(emu.cert_path).read_text(), time_scale=0.01
    ) as aws:
        launched = aws.fleet.launch("web-1")
        aws.wait_idle()
        print(aws.executions.list())

Everything is created from ``template.yaml`` (:mod:`.template`): the queues with their attributes
and redrive policy, the functions (moto Lambda for inspection, the local Lambda service for
running them), the EventBridge rule and target, the schedule rule, the state machine (definition
with its substitutions resolved), the pipe (moto's Pipes API for inspection, :mod:`.pipe` for
moving messages). The SOLIDserver credentials go into a moto Secrets Manager secret whose ARN is
the ``SolidServerSecretArn`` parameter, and an optional CA bundle into an SSM parameter named by
``SolidServerCaBundleParameter`` — the handlers read both through Powertools Parameters, as in AWS.

``time_scale`` scales every wait the pipeline makes by design: the interpreter's Retry intervals,
Lambda's asynchronous retry backoff and the queue's visibility timeout before a redelivery. Work
itself (handlers, SOLIDserver calls) runs at real speed.

Where the local run differs from AWS, on purpose:

* Delivery from EventBridge to a local function never fails, so the rule target's ``RetryPolicy``
  and ``DeadLetterConfig`` are created (inspectable) but never exercised.
* Schedules are created but not fired: :meth:`LocalAws.invoke_schedule` fires one.
* All five functions share one process, i.e. one execution environment: handler bodies run one at
  a time (:mod:`.lambdas`), and the client-side ``SolidServerRequestsPerSecond`` limit, meant per
  environment, applies to all of them together (raise it for load runs).
* Only one ``LocalAws`` runs per process at a time (moto is process-global).
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from . import motohook
from .ec2events import Ec2EventSource, Fleet
from .executions import ExecutionRecorder, ExecutionStore, ExecutionSummary, default_state_dir
from .lambdas import Handler, InvokeResult, LambdaService
from .pipe import ExecutionWaiter, Pipe
from .template import Destination, StackContext, Template

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_CREDENTIALS = {"username": "ipmadmin", "password": "admin"}  # the emulator's defaults
#: Pipe workers: Lambda's FIFO pollers scale with message groups; 4 stays under the template's
#: default reserved concurrency (SolidServerMaxConcurrency 5), so a default run does not throttle.
DEFAULT_PIPE_WORKERS = 4
PLACEHOLDER_URL = "https://solidserver.invalid"
QUEUE_ALIASES = {
    "event": "EventQueue",
    "events": "EventQueue",
    "workflow": "WorkflowDeadLetterQueue",
    "workflow-dlq": "WorkflowDeadLetterQueue",
    "event-dlq": "EventDeadLetterQueue",
    "dlq": "EventDeadLetterQueue",
}


class LambdaInvocationError(RuntimeError):
    def __init__(self, function: str, result: InvokeResult) -> None:
        self.function = function
        self.result = result
        payload = result.json() or {}
        super().__init__(f"{function} failed: {payload.get('errorType')}: {payload.get('errorMessage')}")


def _find_template(path: str | Path) -> Path:
    p = Path(path)
    if p.is_file() or p.is_absolute():
        return p
    candidate = REPO_ROOT / p
    return candidate if candidate.is_file() else p


class LocalAws:
    """The local AWS side of ipamsync. Use as a context manager (or :meth:`start`/:meth:`stop`).

    Parameters
    ----------
    template, parameters
        The SAM template and parameter overrides (``SolidServerSecretArn`` is set by the runtime).
    state_dir
        Where execution records go (default ``.ipamsync/local`` or ``$IPAMSYNC_LOCAL_STATE_DIR``).
    time_scale
        Factor for every designed wait (retry intervals, async backoff, visibility timeout). 1.0 =
        AWS's timing; tests use e.g. 0.01. Never 0: waits are scaled, not skipped.
    pipe_workers
        Batches the pipe runs concurrently (different message groups).
    solidserver_url, credentials, ca_bundle_pem
        SOLIDserver's URL (``SolidServerUrl``), the secret's JSON content and an optional PEM CA
        bundle (put in SSM; ``SolidServerCaBundleParameter`` names it).
    handler_overrides
        Test seam: replace a function's handler (by logical id or short name, e.g. ``"device"``).
    environment
        Extra process environment for the handlers (e.g. ``{"POWERTOOLS_LOG_LEVEL": "WARNING"}``).
    lambda_log
        Where the functions' logs and metrics go (a path or a text stream; default: stdout).
    strict_parameters
        Refuse parameter values the template's constraints refuse (e.g. an ``http://`` URL).
    """

    def __init__(
        self,
        template: str | Path = "template.yaml",
        parameters: Mapping[str, Any] | None = None,
        *,
        state_dir: str | Path | None = None,
        time_scale: float = 1.0,
        pipe_workers: int = DEFAULT_PIPE_WORKERS,
        solidserver_url: str | None = None,
        credentials: Mapping[str, str] | None = None,
        ca_bundle_pem: str | None = None,
        region: str = "us-east-1",
        stack_name: str = "ipamsync",
        handler_overrides: Mapping[str, Handler] | None = None,
        environment: Mapping[str, str] | None = None,
        lambda_log: str | Path | TextIO | None = None,
        async_workers: int = 4,
        strict_parameters: bool = True,
        start_pipe: bool = True,
        reset_state: bool = False,
        secret_name: str = "ipamsync/solidserver",  # noqa: S107 - a secret *name*
        ca_parameter_name: str = "/ipamsync/solidserver-ca",
        debug: bool = False,
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        params = dict(parameters or {})
        if "SolidServerSecretArn" in params:
            raise ValueError(
                "SolidServerSecretArn is set by the local runtime (a moto secret holding `credentials`)"
            )
        url = solidserver_url or params.get("SolidServerUrl") or PLACEHOLDER_URL
        if str(url).startswith("http://") and strict_parameters:
            raise ValueError(
                f"{url}: the template only allows https:// SOLIDserver URLs. Run the emulator with "
                "tls=True and pass ca_bundle_pem=<its CA>, or pass strict_parameters=False."
            )
        params["SolidServerUrl"] = url
        if ca_bundle_pem is not None:
            params.setdefault("SolidServerCaBundleParameter", ca_parameter_name)
        self.template_path = _find_template(template)
        self.parameters = params
        self.context = StackContext(region=region, stack_name=stack_name)
        self.state_dir = Path(state_dir) if state_dir is not None else default_state_dir()
        self.time_scale = float(time_scale)
        self.pipe_workers = int(pipe_workers)
        self.credentials = dict(credentials or DEFAULT_CREDENTIALS)
        self.ca_bundle_pem = ca_bundle_pem
        self.handler_overrides = dict(handler_overrides or {})
        self.environment = dict(environment or {})
        self.lambda_log = lambda_log
        self._log_file: TextIO | None = None
        self.async_workers = async_workers
        self.strict_parameters = strict_parameters
        self.start_pipe = start_pipe
        self.reset_state = reset_state
        self.secret_name = secret_name
        self.debug = debug

        self.template: Template | None = None
        self.executions = ExecutionStore(self.state_dir)
        self.recorder: ExecutionRecorder | None = None
        self.lambdas: LambdaService | None = None
        self.pipe: Pipe | None = None
        self.hooks: motohook.MotoHooks | None = None
        self.events_source: Ec2EventSource | None = None
        self.fleet: Fleet | None = None
        self.secret_arn: str | None = None
        self._mock: Any = None
        self._direct = 0
        self._direct_lock = threading.Lock()
        self.started = False

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> LocalAws:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> LocalAws:
        from moto import mock_aws

        motohook.check_moto_version()
        self._mock = mock_aws(
            config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
        )
        self._mock.start()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.started = True
        return self

    def _client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=self.context.region)

    def _start(self) -> None:
        self.ec2 = self._client("ec2")
        self.sqs = self._client("sqs")
        self.events = self._client("events")
        self.sfn = self._client("stepfunctions")
        self.lambda_ = self._client("lambda")
        self.secretsmanager = self._client("secretsmanager")
        self.ssm = self._client("ssm")
        self.iam = self._client("iam")
        self.pipes = self._client("pipes")
        self.sts = self._client("sts")
        account = self.sts.get_caller_identity()["Account"]
        self.context = StackContext(
            account_id=account, region=self.context.region, stack_name=self.context.stack_name
        )

        self.events_source = Ec2EventSource(self.events)
        self.waiter = ExecutionWaiter()
        self.hooks = motohook.MotoHooks(
            invoke=self._route_invoke,
            deliver=self._route_event,
            on_ec2_transitions=self.events_source.on_transitions,
            on_execution_end=self.waiter.ended,
            on_sqs_activity=self._sqs_activity,
            time_scale=self.time_scale,
            debug=self.debug,
        ).install()

        # Secrets and parameters first: their ARN/name are template parameters.
        self.secret_arn = self.secretsmanager.create_secret(
            Name=self.secret_name, SecretString=json.dumps(self.credentials)
        )["ARN"]
        params = dict(self.parameters, SolidServerSecretArn=self.secret_arn)
        self.template = Template(
            self.template_path, params, context=self.context, strict=self.strict_parameters
        )
        ca_param = str(self.template.parameters.get("SolidServerCaBundleParameter") or "")
        if self.ca_bundle_pem is not None:
            self.ssm.put_parameter(Name=ca_param, Value=self.ca_bundle_pem, Type="String", Tier="Advanced")

        self._create_queues()
        functions = self.template.functions()
        self._create_functions(functions)
        log_stream: TextIO | None = None
        if isinstance(self.lambda_log, str | Path):
            path = Path(self.lambda_log)
            path.parent.mkdir(parents=True, exist_ok=True)
            self._log_file = log_stream = path.open("a", encoding="utf-8")
        elif self.lambda_log is not None:
            log_stream = self.lambda_log
        self.lambdas = LambdaService(
            functions,
            region=self.context.region,
            layer_dirs=self._layer_dirs(),
            time_scale=self.time_scale,
            async_workers=self.async_workers,
            overrides=self.handler_overrides,
            extra_environment={**self._scaled_environment(), **self.environment},
            send_to_destination=self._send_to_destination,
            log_stream=log_stream,
        ).start()
        self._create_rules(functions)
        self.state_machine = self.template.state_machine()
        self.sfn.create_state_machine(
            name=self.state_machine.name,
            definition=self.state_machine.definition,
            roleArn=self._role(f"{self.state_machine.logical_id}Role", "states.amazonaws.com"),
            type=self.state_machine.type,
        )
        if self.reset_state:
            self.executions.clear()
        self.recorder = ExecutionRecorder(self.sfn, self.executions, motohook.execution_history)
        self.pipe_spec = self.template.pipe()
        self._create_pipe_definition()
        queue = self.queue_specs[self.pipe_spec.source_logical_id or "EventQueue"]
        self.pipe = Pipe(
            self.pipe_spec,
            queue=queue,
            state_machine=self.state_machine,
            sqs=self.sqs,
            sfn=self.sfn,
            region=self.context.region,
            workers=self.pipe_workers,
            time_scale=self.time_scale,
            waiter=self.waiter,
            on_execution=self._on_pipe_execution,
        )
        if self.start_pipe:
            self.pipe.start()
        self.fleet = Fleet(self.ec2, self.events_source)

    def stop(self) -> None:
        if self.pipe is not None:
            self.pipe.stop()
        if self.lambdas is not None:
            self.lambdas.stop()
        if self.hooks is not None:
            self.hooks.uninstall()
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        self.started = False

    # ------------------------------------------------------------------ resources

    def _scaled_environment(self) -> dict[str, str]:
        """The designed waits the functions read from their environment, scaled like the queue's
        visibility timeout: the execution lease (``ExecutionLeaseSeconds``), which must stay
        shorter than the (scaled) visibility timeout for a failed event's redelivery not to wait."""
        lease = int(str(self.template.parameters.get("ExecutionLeaseSeconds") or 330))
        return {"EXECUTION_LEASE_SECONDS": str(max(1, int(lease * self.time_scale)))}

    def _layer_dirs(self) -> list[Path]:
        assert self.template is not None
        dirs = []
        for lid in self.template.logical_ids("AWS::Serverless::LayerVersion"):
            uri = self.template.properties(lid).get("ContentUri")
            if isinstance(uri, str):
                dirs.append((self.template.root / uri).resolve())
        return dirs

    def _role(self, logical_id: str, principal: str) -> str:
        assert self.template is not None
        name = self.template.physical_name(logical_id)
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}
            ],
        }
        try:
            return self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
                "Arn"
            ]
        except self.iam.exceptions.EntityAlreadyExistsException:
            return self.iam.get_role(RoleName=name)["Role"]["Arn"]

    def _create_queues(self) -> None:
        assert self.template is not None
        self.queue_specs = self.template.queues()
        self.queue_urls: dict[str, str] = {}
        for lid, spec in self.queue_specs.items():
            url = self.sqs.create_queue(QueueName=spec.name, Attributes=spec.attributes)["QueueUrl"]
            if url != spec.url:
                raise RuntimeError(f"{lid}: moto gave {url}, the template resolves {spec.url}")
            self.queue_urls[lid] = url

    def _create_functions(self, functions: Mapping[str, Any]) -> None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("README.txt", "runs in-process: see ipamsync_local.aws.lambdas")
        code = buf.getvalue()
        for lid, spec in functions.items():
            role = self._role(f"{lid}Role", "lambda.amazonaws.com")
            self.lambda_.create_function(
                FunctionName=spec.name,
                Runtime=spec.runtime or "python3.13",
                Role=role,
                Handler=spec.handler,
                Code={"ZipFile": code},
                Timeout=spec.timeout,
                MemorySize=spec.memory_size,
                Environment={"Variables": spec.environment},
                Architectures=list(spec.architectures),
            )
            if spec.reserved_concurrency is not None:
                self.lambda_.put_function_concurrency(
                    FunctionName=spec.name, ReservedConcurrentExecutions=spec.reserved_concurrency
                )
            cfg = spec.async_config
            kwargs: dict[str, Any] = {
                "FunctionName": spec.name,
                "MaximumRetryAttempts": cfg.maximum_retry_attempts,
                "MaximumEventAgeInSeconds": cfg.maximum_event_age_in_seconds,
            }
            destinations = {}
            if cfg.on_failure is not None:
                destinations["OnFailure"] = {"Destination": cfg.on_failure.arn}
            if cfg.on_success is not None:
                destinations["OnSuccess"] = {"Destination": cfg.on_success.arn}
            if destinations:
                kwargs["DestinationConfig"] = destinations
            self.lambda_.put_function_event_invoke_config(**kwargs)

    def _create_rules(self, functions: Mapping[str, Any]) -> None:
        self.rule_specs = [r for f in functions.values() for r in f.rules]
        self.schedule_specs = [s for f in functions.values() for s in f.schedules]
        for rule in self.rule_specs:
            self.events.put_rule(
                Name=rule.name,
                EventPattern=json.dumps(rule.pattern),
                State=rule.state,
                EventBusName=rule.event_bus_name,
            )
            target: dict[str, Any] = {"Id": rule.target_id, "Arn": functions[rule.function_logical_id].arn}
            if rule.input is not None:
                target["Input"] = rule.input
            if rule.input_path is not None:
                target["InputPath"] = rule.input_path
            if rule.retry_policy:
                target["RetryPolicy"] = rule.retry_policy
            if rule.dead_letter_arn:
                target["DeadLetterConfig"] = {"Arn": rule.dead_letter_arn}
            self.events.put_targets(Rule=rule.name, EventBusName=rule.event_bus_name, Targets=[target])
        for sched in self.schedule_specs:
            # Created for inspection; moto does not fire schedules: invoke_schedule() does.
            self.events.put_rule(
                Name=sched.name,
                ScheduleExpression=sched.expression,
                State="ENABLED" if sched.enabled else "DISABLED",
                Description=sched.description,
            )
            target = {
                "Id": f"{sched.logical_id}LambdaTarget",
                "Arn": functions[sched.function_logical_id].arn,
            }
            if sched.input is not None:
                target["Input"] = sched.input
            self.events.put_targets(Rule=sched.name, Targets=[target])

    def _create_pipe_definition(self) -> None:
        spec = self.pipe_spec
        props = spec.properties
        self.pipes.create_pipe(
            Name=spec.name,
            Source=spec.source_arn,
            SourceParameters=props.get("SourceParameters") or {},
            Target=spec.target_arn,
            TargetParameters=props.get("TargetParameters") or {},
            RoleArn=spec.role_arn or self._role(f"{spec.logical_id}Role", "pipes.amazonaws.com"),
            DesiredState="RUNNING",
        )

    # ------------------------------------------------------------------ routers (motohook)

    def _route_invoke(
        self, name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
    ) -> bytes | None:
        if self.lambdas is None:
            return None
        return self.lambdas.route(name, qualifier, body, headers, response_headers)

    def _route_event(self, target_arn: str, event: dict[str, Any], rule: motohook.RuleInfo) -> bool:
        if self.lambdas is None:
            return False
        return self.lambdas.deliver(target_arn, event, rule)

    def _sqs_activity(self, queue_name: str) -> None:
        if self.pipe is not None:
            self.pipe.notify(queue_name)

    def _send_to_destination(self, destination: Destination, record: dict[str, Any]) -> None:
        if destination.type.upper() != "SQS" and ":sqs:" not in destination.arn:
            raise NotImplementedError(f"destination type {destination.type} is not supported locally")
        _, _, _, _region, account, name = destination.arn.split(":", 5)
        url = self.sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        self.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record))

    def _on_pipe_execution(
        self, status: str, records: list[dict[str, Any]], describe: dict[str, Any]
    ) -> None:
        if self.recorder is not None and describe.get("executionArn"):
            self.recorder.record(
                describe["executionArn"],
                records,
                source="pipe",
                describe=describe if status != "STARTED" else None,
            )

    # ------------------------------------------------------------------ driving the pipeline

    def put_event(self, event: Mapping[str, Any]) -> str:
        """Put an EventBridge event (an ``events/ec2-*.json`` style document) on the default bus."""
        import datetime as dt

        entry: dict[str, Any] = {
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event.get("detail") or {}),
            "Resources": list(event.get("resources") or []),
        }
        if event.get("time"):
            entry["Time"] = dt.datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
        result = self.events.put_events(Entries=[entry])["Entries"][0]
        if "EventId" not in result:
            raise ValueError(f"PutEvents refused the event: {result}")
        return str(result["EventId"])

    def send_message(
        self, message: Mapping[str, Any], *, group_id: str | None = None, dedup_id: str | None = None
    ) -> str:
        """Put an ipamsync message straight on the EventQueue (group = the instance id)."""
        import uuid

        instance_id = str((message.get("instance") or {}).get("id") or group_id or "unknown")
        event_id = str((message.get("event") or {}).get("id") or uuid.uuid4())
        resp = self.sqs.send_message(
            QueueUrl=self.queue_url("EventQueue"),
            MessageBody=json.dumps(message, separators=(",", ":")),
            MessageGroupId=group_id or instance_id,
            MessageDeduplicationId=dedup_id or event_id,
            MessageAttributes={
                "schema": {"DataType": "String", "StringValue": str(message.get("schema", ""))},
                "state": {
                    "DataType": "String",
                    "StringValue": str((message.get("instance") or {}).get("state", "")),
                },
            },
        )
        return str(resp["MessageId"])

    def execute(
        self, execution_input: Any, *, name: str | None = None, timeout: float = 300.0
    ) -> ExecutionSummary:
        """Start an execution directly (no pipe), wait for it and record it (source ``direct``)."""
        from .pipe import execution_name

        records = execution_input if isinstance(execution_input, list) else [execution_input]
        name = name or execution_name([r for r in records if isinstance(r, dict)] or [{}])
        with self._direct_lock:
            self._direct += 1
        try:
            arn = self.sfn.start_execution(
                stateMachineArn=self.state_machine.arn, name=name, input=json.dumps(execution_input)
            )["executionArn"]
            deadline = time.monotonic() + timeout
            while True:
                self.waiter.wait(arn, 0.5)
                desc = self.sfn.describe_execution(executionArn=arn)
                if desc["status"] != "RUNNING":
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"execution {name} still running after {timeout} s")
            assert self.recorder is not None
            return self.recorder.record(arn, [r for r in records if isinstance(r, dict)], "direct", desc)
        finally:
            with self._direct_lock:
                self._direct -= 1

    def invoke(self, function: str, event: Any) -> Any:
        """Invoke a function synchronously; its JSON result, or LambdaInvocationError."""
        assert self.lambdas is not None
        result = self.lambdas.invoke(function, event)
        if not result.ok:
            raise LambdaInvocationError(function, result)
        return result.json()

    def invoke_schedule(self, name: str, *, asynchronous: bool = False) -> Any:
        """Fire a ``Schedule`` event of the template, e.g. ``"device gc"``, ``"TombstoneGc"`` or the
        rule's logical id. EventBridge invokes scheduled targets asynchronously; by default this
        invokes synchronously and returns the result (``asynchronous=True`` returns the request id)."""
        assert self.lambdas is not None
        wanted = name.strip()
        words = wanted.split()
        match = []
        for sched in self.schedule_specs:
            fn = self.lambdas.get(sched.function_logical_id)
            action = ""
            try:
                action = str(json.loads(sched.input or "{}").get("action", ""))
            except (ValueError, AttributeError):
                pass
            keys = {sched.logical_id, sched.event_name, sched.name, f"{fn.spec.short_name} {action}".strip()}
            if wanted in keys or (len(words) == 1 and words[0] == fn.spec.short_name):
                match.append(sched)
        if len(match) != 1:
            known = [s.event_name for s in self.schedule_specs]
            raise KeyError(f"schedule {name!r}: {len(match)} match (known: {known})")
        sched = match[0]
        payload = json.loads(sched.input) if sched.input else {}
        if asynchronous:
            return self.lambdas.invoke_async(sched.function_logical_id, payload)
        return self.invoke(sched.function_logical_id, payload)

    # ------------------------------------------------------------------ inspection

    def queue_url(self, queue: str) -> str:
        lid = QUEUE_ALIASES.get(queue, queue)
        if lid not in self.queue_urls:
            raise KeyError(f"no queue {queue!r} (known: {sorted(self.queue_urls)})")
        return self.queue_urls[lid]

    def queue_depth(self, queue: str = "EventQueue") -> dict[str, int]:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url(queue),
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        return {
            "visible": int(attrs.get("ApproximateNumberOfMessages", 0)),
            "in_flight": int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
            "delayed": int(attrs.get("ApproximateNumberOfMessagesDelayed", 0)),
        }

    def dead_letters(
        self, queue: str = "WorkflowDeadLetterQueue", *, delete: bool = False
    ) -> list[dict[str, Any]]:
        """The messages of a (dead-letter) queue: body (parsed JSON when it is), id, attributes.

        Peeking (``delete=False``) receives every message and makes it visible again at the end; on
        a FIFO queue a message group then yields at most 10 messages (the rest of the group waits
        behind the in-flight ones). ``delete=True`` drains the queue: each batch is deleted as it
        arrives, so every group is read to its end.
        """
        url = self.queue_url(queue)
        found: list[dict[str, Any]] = []
        handles: list[str] = []
        while True:
            msgs = self.sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=60,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not msgs:
                break
            for m in msgs:
                try:
                    body: Any = json.loads(m["Body"])
                except ValueError:
                    body = m["Body"]
                found.append(
                    {"message_id": m["MessageId"], "body": body, "attributes": m.get("Attributes", {})}
                )
                if delete:
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                else:
                    handles.append(m["ReceiptHandle"])
        for handle in handles:
            self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
        return found

    def busy(self, *, queue: bool = True) -> dict[str, int]:
        """What is in flight right now (all zero = idle)."""
        with self._direct_lock:
            direct = self._direct
        found = {
            "async_invocations": self.lambdas.async_outstanding if self.lambdas is not None else 0,
            "pipe_batches": self.pipe.in_flight if self.pipe is not None else 0,
            "direct_executions": direct,
        }
        if queue:
            depth = self.queue_depth("EventQueue")
            found.update(
                queue_visible=depth["visible"] if (self.pipe is not None and self.start_pipe) else 0,
                queue_in_flight=depth["in_flight"],
                queue_delayed=depth["delayed"],
            )
        return found

    def wait_idle(self, timeout: float = 60.0, poll: float = 0.05) -> dict[str, int]:
        """Wait until nothing is in flight: asynchronous invocations (including scheduled retries),
        EventQueue messages (visible, in flight, delayed), pipe batches and their redeliveries,
        direct executions. Two consecutive idle observations are required. TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        idle_seen = 0
        last: dict[str, int] = {}
        while True:
            last = self.busy(queue=False)  # cheap counters first; the queue only when they are 0
            if not any(last.values()):
                last = self.busy()
            idle_seen = idle_seen + 1 if not any(last.values()) else 0
            if idle_seen >= 2:
                return last
            if time.monotonic() > deadline:
                raise TimeoutError(f"local pipeline still busy after {timeout} s: {last}")
            time.sleep(poll)

    def counters(self) -> dict[str, Any]:
        by_status: dict[str, int] = {}
        retries = 0
        summaries = list(self.recorder.summaries) if self.recorder is not None else []
        for s in summaries:
            by_status[s.status] = by_status.get(s.status, 0) + 1
            retries += s.retries
        emitted = self.events_source.emitted if self.events_source is not None else []
        states: dict[str, int] = {}
        for e in emitted:
            states[e.state] = states.get(e.state, 0) + 1
        return {
            "lambda": self.lambdas.stats() if self.lambdas is not None else {},
            "pipe": dict(vars(self.pipe.stats)) if self.pipe is not None else {},
            "executions": {"total": len(summaries), "by_status": by_status, "task_retries": retries},
            "ec2_events": {"emitted": len(emitted), "by_state": states},
            "interpreter_retry_waits": self.hooks.retry_waits if self.hooks is not None else 0,
            "queues": {lid: self.queue_depth(lid) for lid in self.queue_urls},
        }
