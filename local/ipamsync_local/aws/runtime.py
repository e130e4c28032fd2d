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

EC2's state changes and the CloudTrail events of the EC2 calls ipamsync follows
(:data:`ipamsync.events.CALLS`, :mod:`.cloudtrail`) are put on the default bus as AWS would, for
every caller of moto's EC2 (:mod:`.motohook`); the template's rules route them.

Where the local run differs from AWS, on purpose:

* Delivery from EventBridge to a local function never fails, so the rule target's ``RetryPolicy``
  and ``DeadLetterConfig`` are created (inspectable) but never exercised.
* Schedules are created but not fired: :meth:`LocalAws.invoke_schedule` fires one.
* Concurrency (``concurrency``): in ``"parallel"`` mode (the default) each function runs in
  execution environments of its own, one process each, as many at once as its reserved concurrency
  (:mod:`.lambdas`, :mod:`.environments`): executions of different instances reach SOLIDserver in
  parallel, as in AWS. The environments call AWS through moto's server on loopback (same backends).
  ``"serial"`` runs every handler in this process, one at a time (for debugging: breakpoints,
  profilers); the five functions then share one execution environment, and the client-side
  ``SolidServerRequestsPerSecond`` limit, meant per environment, applies to all of them together.
* The pipe runs as many batches at once as the sync functions' reserved concurrency
  (``SolidServerMaxConcurrency``) unless ``pipe_workers`` says otherwise.
* Only one ``LocalAws`` runs per process at a time (moto is process-global).

Over 600 lines because :class:`LocalAws` is the one facade the tests, the demo and the bench drive
(start and stop, drive, inspect); what it starts lives in the modules named above, and about sixty
of its lines are this description.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from . import motohook
from .cloudtrail import CloudTrailSource
from .ec2events import Ec2EventSource, Fleet
from .executions import ExecutionRecorder, ExecutionStore, ExecutionSummary, default_state_dir
from .functions import create_functions, layer_dirs, sync_concurrency
from .lambdas import CONCURRENCY_MODES, Handler, InvokeResult, LambdaService
from .pipe import ExecutionWaiter, Pipe, create_pipe_definition
from .queues import QUEUE_ALIASES, Queues  # noqa: F401 - QUEUE_ALIASES: re-exported
from .roles import ensure_role
from .rules import create_rules, find_schedule, put_event
from .secrets import DEFAULT_CREDENTIALS, create_credentials_secret, put_ca_bundle
from .statemachine import DirectExecutions, create_state_machine
from .template import QueueSpec, StackContext, Template

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[3]
#: Pipe workers when no sync function has a reserved concurrency (``SolidServerMaxConcurrency=0``);
#: otherwise they follow it (Lambda's FIFO pollers scale with message groups, the functions' reserved
#: concurrency bounds what can run).
DEFAULT_PIPE_WORKERS = 4
PLACEHOLDER_URL = "https://solidserver.invalid"


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
        Batches the pipe runs concurrently (different message groups); default: the sync
        functions' reserved concurrency (``SolidServerMaxConcurrency``).
    concurrency
        ``"parallel"`` (default): one process per execution environment, as many per function as
        its reserved concurrency; ``"serial"``: every handler in this process, one at a time.
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
        pipe_workers: int | None = None,
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
        concurrency: str = "parallel",
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        if concurrency not in CONCURRENCY_MODES:
            raise ValueError(f"concurrency must be one of {CONCURRENCY_MODES}, not {concurrency!r}")
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
        self.pipe_workers = None if pipe_workers is None else int(pipe_workers)
        self.concurrency = concurrency
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
        self.calls_source: CloudTrailSource | None = None
        self.fleet: Fleet | None = None
        self.secret_arn: str | None = None
        self._mock: Any = None
        self.moto_server: motohook.MotoServer | None = None
        self.endpoint_url: str | None = None
        self.queues: Queues | None = None
        self.direct: DirectExecutions | None = None
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
        self._start_clients()
        from ipamsync.events import CALLS

        self.events_source = Ec2EventSource(self.events)
        self.calls_source = CloudTrailSource(self.events)
        self.waiter = ExecutionWaiter()
        self.hooks = motohook.MotoHooks(
            invoke=self._route_invoke,
            deliver=self._route_event,
            on_ec2_transitions=self.events_source.on_transitions,
            on_ec2_calls=self.calls_source.on_calls,
            ec2_calls=CALLS,
            on_execution_end=self.waiter.ended,
            on_sqs_activity=self._sqs_activity,
            time_scale=self.time_scale,
            debug=self.debug,
        ).install()
        self.template = self._start_secrets()  # their ARN/name are template parameters
        self.queues = Queues(self.sqs).create(self.template)
        functions = self.template.functions()
        create_functions(self.lambda_, functions, self._role)
        if self.pipe_workers is None:
            self.pipe_workers = sync_concurrency(functions) or DEFAULT_PIPE_WORKERS
        if self.concurrency == "parallel":
            self.moto_server = motohook.MotoServer()
            self.endpoint_url = self.moto_server.start()
        self.lambdas = self._start_lambdas(functions)
        self.rule_specs, self.schedule_specs = create_rules(self.events, functions)
        self.state_machine = self.template.state_machine()
        create_state_machine(
            self.sfn,
            self.state_machine,
            self._role(f"{self.state_machine.logical_id}Role", "states.amazonaws.com"),
        )
        if self.reset_state:
            self.executions.clear()
        self.recorder = ExecutionRecorder(self.sfn, self.executions, motohook.execution_history)
        self.direct = DirectExecutions(self.sfn, self.state_machine, self.waiter, self.recorder)
        self._start_reconcile()
        self.pipe = self._start_pipe()
        self.fleet = Fleet(self.ec2, self.events_source, self.calls_source)

    def _start_reconcile(self) -> None:
        """The reconcile workflow, when the template has it: its real definition in moto, started
        by :meth:`reconcile` (EventBridge Scheduler's schedules are not run locally)."""
        assert self.template is not None and self.recorder is not None
        machines = self.template.state_machines()
        self.reconcile_machine = machines.get("ReconcileStateMachine")
        self.reconcile_executions = None
        if self.reconcile_machine is None:
            return
        create_state_machine(
            self.sfn,
            self.reconcile_machine,
            self._role(f"{self.reconcile_machine.logical_id}Role", "states.amazonaws.com"),
        )
        self.reconcile_executions = DirectExecutions(
            self.sfn, self.reconcile_machine, self.waiter, self.recorder, source="reconcile"
        )

    def reconcile(
        self,
        targets: list[Mapping[str, str]] | None = None,
        *,
        deep: bool = False,
        dry_run: bool = False,
        name: str | None = None,
        timeout: float = 900.0,
    ) -> tuple[ExecutionSummary, dict[str, Any]]:
        """Run the reconcile workflow and wait for it: its summary and its output (``{"targets":
        [...], "any_failed": ...}``; ``{}`` when it failed). Without ``targets``, as the schedules
        start it: its first step lists every covered (account, region). What it queued is applied by
        the pipe like any event (:meth:`wait_idle`)."""
        if self.reconcile_executions is None:
            raise RuntimeError("the template has no ReconcileStateMachine")
        run: dict[str, Any] = {"deep": deep, "dry_run": dry_run}
        if targets:
            run["targets"] = [dict(t) for t in targets]
        name = name or f"reconcile-{uuid.uuid4().hex[:12]}"
        summary = self.reconcile_executions.execute(run, name=name, timeout=timeout)
        desc = self.sfn.describe_execution(executionArn=summary.execution_arn)
        output = json.loads(desc.get("output") or "{}") if desc.get("status") == "SUCCEEDED" else {}
        return summary, output

    def reconcile_plan(
        self, *, deep: bool = False, account: str | None = None, region: str | None = None
    ) -> dict[str, Any]:
        """A dry run of one target through ReconcileFunction itself: the plan with its items (what
        ``ipamsync reconcile --dry-run`` does against AWS). Nothing is queued or written."""
        return dict(
            self.invoke(
                "ReconcileFunction",
                {
                    "account": account or self.context.account_id,
                    "region": region or self.context.region,
                    "run": f"dry-run-{uuid.uuid4().hex[:12]}",
                    "deep": deep,
                    "dry_run": True,
                },
            )
        )

    def _start_clients(self) -> None:
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

    def _start_secrets(self) -> Template:
        """The credentials secret and the CA parameter, then the template resolved with them."""
        self.secret_arn = create_credentials_secret(self.secretsmanager, self.secret_name, self.credentials)
        params = dict(self.parameters, SolidServerSecretArn=self.secret_arn)
        template = Template(self.template_path, params, context=self.context, strict=self.strict_parameters)
        ca_param = str(template.parameters.get("SolidServerCaBundleParameter") or "")
        if self.ca_bundle_pem is not None:
            put_ca_bundle(self.ssm, ca_param, self.ca_bundle_pem)
        return template

    def _start_lambdas(self, functions: Mapping[str, Any]) -> LambdaService:
        assert self.template is not None
        log_stream: TextIO | None = None
        if isinstance(self.lambda_log, str | Path):
            path = Path(self.lambda_log)
            path.parent.mkdir(parents=True, exist_ok=True)
            self._log_file = log_stream = path.open("a", encoding="utf-8")
        elif self.lambda_log is not None:
            log_stream = self.lambda_log
        assert self.queues is not None
        return LambdaService(
            functions,
            region=self.context.region,
            layer_dirs=layer_dirs(self.template),
            time_scale=self.time_scale,
            async_workers=self.async_workers,
            overrides=self.handler_overrides,
            extra_environment={**self._scaled_environment(), **self.environment},
            send_to_destination=self.queues.send_to_destination,
            log_stream=log_stream,
            concurrency=self.concurrency,
            endpoint_url=self.endpoint_url,
        ).start()

    def _start_pipe(self) -> Pipe:
        assert self.template is not None and self.queues is not None
        self.pipe_spec = spec = self.template.pipe()
        role = spec.role_arn or self._role(f"{spec.logical_id}Role", "pipes.amazonaws.com")
        create_pipe_definition(self.pipes, spec, role)
        pipe = Pipe(
            spec,
            queue=self.queues.specs[spec.source_logical_id or "EventQueue"],
            state_machine=self.state_machine,
            sqs=self.sqs,
            sfn=self.sfn,
            region=self.context.region,
            workers=self.pipe_workers or DEFAULT_PIPE_WORKERS,
            time_scale=self.time_scale,
            waiter=self.waiter,
            on_execution=self._on_pipe_execution,
        )
        if self.start_pipe:
            pipe.start()
        return pipe

    def stop(self) -> None:
        """Stop everything; a part that fails to stop does not keep the others (moto's mock, the
        process-wide hooks) running: its error is raised once the rest is down."""
        try:
            if self.pipe is not None:
                self.pipe.stop()
            if self.lambdas is not None:
                self.lambdas.stop()
        finally:
            try:
                if self.moto_server is not None:
                    self.moto_server.stop()
                    self.moto_server = None
            finally:
                if self.hooks is not None:
                    self.hooks.uninstall()
                if self._mock is not None:
                    self._mock.stop()
                    self._mock = None
                if self._log_file is not None:
                    self._log_file.close()
                    self._log_file = None
                self.started = False

    def _scaled_environment(self) -> dict[str, str]:
        """The designed waits the functions read from their environment, scaled like the queue's
        visibility timeout: the execution lease (``ExecutionLeaseSeconds``), which must stay
        shorter than the (scaled) visibility timeout for a failed event's redelivery not to wait."""
        lease = int(str(self.template.parameters.get("ExecutionLeaseSeconds") or 330))
        return {
            "EXECUTION_LEASE_SECONDS": str(max(1, int(lease * self.time_scale))),
            # reconcile: how recently observed a device is never declared orphaned (900 s)
            "RECONCILE_ORPHAN_GRACE_SECONDS": str(int(900 * self.time_scale)),
        }

    def _role(self, logical_id: str, principal: str) -> str:
        assert self.template is not None
        return ensure_role(self.iam, self.template, logical_id, principal)

    # ------------------------------------------------------------------ resources

    @property
    def queue_specs(self) -> dict[str, QueueSpec]:
        return self.queues.specs if self.queues is not None else {}

    @property
    def queue_urls(self) -> dict[str, str]:
        return self.queues.urls if self.queues is not None else {}

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
        return put_event(self.events, event)

    def send_message(
        self, message: Mapping[str, Any], *, group_id: str | None = None, dedup_id: str | None = None
    ) -> str:
        """Put an ipamsync message straight on the EventQueue (group = the instance id)."""
        assert self.queues is not None
        return self.queues.send_message(message, group_id=group_id, dedup_id=dedup_id)

    def execute(
        self, execution_input: Any, *, name: str | None = None, timeout: float = 300.0
    ) -> ExecutionSummary:
        """Start an execution directly (no pipe), wait for it and record it (source ``direct``)."""
        assert self.direct is not None
        return self.direct.execute(execution_input, name=name, timeout=timeout)

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
        lambdas = self.lambdas
        sched = find_schedule(self.schedule_specs, name, lambda lid: lambdas.get(lid).spec.short_name)
        payload = json.loads(sched.input) if sched.input else {}
        if asynchronous:
            return lambdas.invoke_async(sched.function_logical_id, payload)
        return self.invoke(sched.function_logical_id, payload)

    def cold_start(self) -> int:
        """The next invocation of each function is a cold start (parallel mode: the idle execution
        environments are retired; serial mode: the shared container is reset). Returns how many
        environments were retired."""
        assert self.lambdas is not None
        return self.lambdas.cold_start()

    # ------------------------------------------------------------------ inspection

    def queue_url(self, queue: str) -> str:
        assert self.queues is not None
        return self.queues.url(queue)

    def queue_depth(self, queue: str = "EventQueue") -> dict[str, int]:
        assert self.queues is not None
        return self.queues.depth(queue)

    def dead_letters(
        self, queue: str = "WorkflowDeadLetterQueue", *, delete: bool = False
    ) -> list[dict[str, Any]]:
        """The messages of a (dead-letter) queue: body (parsed JSON when it is), id, attributes.

        Peeking (``delete=False``) receives every message and makes it visible again at the end; on
        a FIFO queue a message group then yields at most 10 messages (the rest of the group waits
        behind the in-flight ones). ``delete=True`` drains the queue: each batch is deleted as it
        arrives, so every group is read to its end.
        """
        assert self.queues is not None
        return self.queues.dead_letters(queue, delete=delete)

    def busy(self, *, queue: bool = True) -> dict[str, int]:
        """What is in flight right now (all zero = idle)."""
        found = {
            "async_invocations": self.lambdas.async_outstanding if self.lambdas is not None else 0,
            "pipe_batches": self.pipe.in_flight if self.pipe is not None else 0,
            "direct_executions": self.direct.in_flight if self.direct is not None else 0,
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
        calls = self.calls_source.emitted if self.calls_source is not None else []
        by_call: dict[str, int] = {}
        for c in calls:
            key = f"{c.name} ({c.error_code})" if c.error_code else c.name
            by_call[key] = by_call.get(key, 0) + 1
        return {
            "lambda": self.lambdas.stats() if self.lambdas is not None else {},
            "pipe": dict(vars(self.pipe.stats)) if self.pipe is not None else {},
            "executions": {"total": len(summaries), "by_status": by_status, "task_retries": retries},
            "ec2_events": {"emitted": len(emitted), "by_state": states},
            "cloudtrail_events": {"emitted": len(calls), "by_call": by_call},
            "interpreter_retry_waits": self.hooks.retry_waits if self.hooks is not None else 0,
            "queues": {lid: self.queue_depth(lid) for lid in self.queue_urls},
        }
