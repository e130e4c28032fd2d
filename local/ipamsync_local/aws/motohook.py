"""With :mod:`.motoec2`, :mod:`.motoquirks` and :mod:`.motoserver`, the only modules that touch moto's
internals. Pinned to one moto version (:mod:`.motoversion`); see the canary tests
(``local/tests/aws/test_moto_canary.py``, ``test_moto_quirks.py``), which fail loudly when any seam
below moves.

What is patched (all restored by :meth:`MotoHooks.uninstall`) and why:

1. ``LambdaSimpleBackend.invoke`` — with ``use_docker=False`` moto's Lambda echoes the payload; the
   hook hands the call to the local Lambda service (real handler, Lambda error shape, throttling as
   a 429 ``TooManyRequestsException`` so the interpreter names it ``Lambda.TooManyRequestsException``).
   Function names the service does not know keep moto's default behaviour.
2. ``events.models.Rule.send_to_targets`` — moto has no Lambda targets (``NotImplementedError``).
   Matching events (moto's own pattern matcher, rule ``State`` honoured, schedule-only rules — which
   moto's matcher would match with everything — excluded) go to the local Lambda service as
   *asynchronous* invocations, in AWS's event shape (``time`` as ``…Z`` with second
   precision, no ``ingestion-time``). Other targets keep moto's behaviour.
3. ``retrier_decl.time`` — the interpreter's ``Retry`` waits are ``time.sleep(interval)``: they are
   scaled by :attr:`MotoHooks.time_scale` (really waited, never skipped), and each is recorded
   with its execution and state (:attr:`MotoHooks.scheduled_waits`; ``RetrierDecl._eval_body`` is
   wrapped to know them), so tests check what was scheduled, not how long a loaded machine took.
4. The interpreter's loggers (``moto.stepfunctions.parser``) log every failed state at ERROR with
   a traceback: silenced unless ``debug``.
5. ``AmazonStateLanguageParser.parse`` — moto re-parses the ASL with ANTLR for every execution
   (~0.1 s for sync.asl.json). The parse *tree* is cached per definition; each execution still gets
   fresh evaluation components (``Preprocessor().visit(tree)``), so no state is shared. Likewise
   the interpreter parses every JSONPath it evaluates (``json_path.parse``, ``result_path.parse``:
   a new PLY parser each time, ~1 ms, some 25 per execution): the parsed expressions, immutable,
   are cached per path text.
6. ``boto_client_for`` (imported by name into the interpreter's task modules) — one boto3 client per
   task invocation costs ~30 ms and is created on boto3's default session, which is not safe to use
   from several threads at once. Clients are cached per (region, service); botocore clients are
   thread-safe.
7. ``SQSBackend`` — not thread-safe: ``Queue.delete_message`` rebuilds the message list
   (``self._messages = new_messages``), so a ``send_message`` on another thread at that moment is
   lost; ``receive_message`` deep-copies the pending-groups set while other threads change it, and
   two concurrent receives can both hand out messages of one FIFO group. Every public backend
   method runs under one re-entrant lock; long polling (``WaitTimeSeconds``) is re-implemented
   around short polls so the lock is never held while waiting.
8. ``EC2Backend`` (every public method under one lock, state transitions reported) and 14.
   ``EC2Response.<action>`` (the EC2 calls CloudTrail would record, reported): :mod:`.motoec2`.
9. ``boto3.client``/``boto3.resource`` (not moto, but the same reason as 6): creation on the default
   session is serialised by a lock; calls on the clients are not.
10. ``BaseExecutionWorkerCommunication.terminated`` — called by the interpreter when an execution
    ends: :attr:`MotoHooks.on_execution_end` is told the execution ARN, so the pipe waits for its
    execution instead of polling ``DescribeExecution`` (each poll serialises the execution's input
    and output; eight workers polling cost more CPU than the executions themselves).
11. :func:`execution_history` reads ``GetExecutionHistory``'s events from moto's backend instead of
    through the API: moto's response serializer costs ~50 ms of CPU per execution history (a third
    of an execution's whole cost). A canary test checks it equals the API's answer.

12. :func:`~.motoquirks.fix_moto_quirks` (applied by :meth:`MotoHooks.install`) makes moto answer
    as AWS does where moto 5.2.5 does not, so the product needs no workaround: :mod:`.motoquirks`.
13. :class:`~.motoserver.MotoServer` — moto's server on loopback, on the same backends: :mod:`.motoserver`.
14. See 8.

The SQS wrapper (7) also reports sends and visibility changes (:attr:`MotoHooks.on_sqs_activity`)
so the pipe wakes up when a message may have become receivable instead of polling an empty queue.

Everything else (``mock_aws``, the boto3 APIs) is public.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time as _time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from . import motoec2
from .cloudtrail import Ec2Call
from .eventshape import RuleInfo, Transition, aws_event_shape, json_path
from .invocation import InvalidRequestContent, Throttled
from .motoec2 import plain
from .motoquirks import ORIGINALS, fix_moto_quirks
from .motoserver import MotoServer
from .motoversion import REQUIRED_MOTO_VERSION, MotoVersionError, check_moto_version
from .patching import Patch, locked, locked_receive, public_methods

__all__ = [
    "ORIGINALS",
    "REQUIRED_MOTO_VERSION",
    "Ec2Call",
    "InvalidRequestContent",
    "MotoHooks",
    "MotoServer",
    "MotoVersionError",
    "RuleInfo",
    "Throttled",
    "Transition",
    "aws_event_shape",
    "check_moto_version",
    "execution_history",
    "fix_moto_quirks",
]

#: Loggers of moto's Step Functions interpreter (quiet unless debugging).
INTERPRETER_LOGGERS = ("moto.stepfunctions.parser", "moto.stepfunctions")

#: Modules of moto's interpreter that import ``boto_client_for`` by name (checked by a canary).
BOTO_CLIENT_FOR_MODULES = (
    "moto.stepfunctions.parser.asl.utils.boto_client",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_batch",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_ecs",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_events",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_glue",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sns",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sqs",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_unsupported",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval.resource_eval_s3",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3",
)

InvokeRouter = Callable[[str, "str | None", Any, Mapping[str, str], dict[str, str]], "bytes | None"]
EventRouter = Callable[[str, dict[str, Any], RuleInfo], bool]
TransitionListener = Callable[[list[Transition]], None]
CallListener = Callable[[list[Ec2Call]], None]


@dataclass(frozen=True)
class ScheduledWait:
    """A ``Retry`` wait the interpreter scheduled: the ASL's seconds (before scaling)."""

    execution_arn: str
    state: str
    seconds: float


_RETRYING = threading.local()  # the retrier's environment while it evaluates (one per thread)


class _ScaledTime:
    """Stands in for the ``time`` module inside ``retrier_decl``: ``sleep`` is scaled and recorded."""

    def __init__(self, hooks: MotoHooks) -> None:
        self._hooks = hooks

    def sleep(self, seconds: float) -> None:
        seconds = max(0.0, float(seconds))
        execution, state = "", ""
        env = getattr(_RETRYING, "env", None)
        if env is not None:
            data = env.states.context_object.context_object_data
            execution = str(data.get("Execution", {}).get("Id", ""))
            state = str(data.get("State", {}).get("Name", ""))
        with self._hooks.counter_lock:
            self._hooks.retry_waits += 1
            self._hooks.scheduled_waits.append(ScheduledWait(execution, state, seconds))
        _time.sleep(seconds * self._hooks.time_scale)

    def __getattr__(self, name: str) -> Any:
        return getattr(_time, name)


_ACTIVE: MotoHooks | None = None
_ACTIVE_LOCK = threading.Lock()
#: ASL parse trees by definition text (immutable once built; shared by every runtime).
_TREES: dict[str, Any] = {}
#: Parsed JSONPath expressions by (parsing module, path text) (immutable; shared by every runtime).
_JSON_PATHS: dict[tuple[str, str], Any] = {}
#: The interpreter's modules that parse JSONPath with a module-level ``parse`` (5.).
JSON_PATH_MODULES = (
    "moto.stepfunctions.parser.asl.utils.json_path",
    "moto.stepfunctions.parser.asl.component.common.path.result_path",
)


class MotoHooks:
    """Install the seams above for the duration of a local runtime (one at a time per process)."""

    def __init__(
        self,
        *,
        invoke: InvokeRouter,
        deliver: EventRouter,
        on_ec2_transitions: TransitionListener | None = None,
        on_ec2_calls: CallListener | None = None,
        ec2_calls: Iterable[str] = (),
        on_execution_end: Callable[[str], None] | None = None,
        on_sqs_activity: Callable[[str], None] | None = None,
        time_scale: float = 1.0,
        debug: bool = False,
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0 (waits are scaled, never skipped)")
        self.invoke = invoke
        self.deliver = deliver
        self.on_ec2_transitions = on_ec2_transitions
        self.on_ec2_calls = on_ec2_calls
        #: the EC2 API calls reported to ``on_ec2_calls`` (e.g. ``"AssociateAddress"``)
        self.ec2_calls = tuple(ec2_calls)
        self.on_execution_end = on_execution_end
        self.on_sqs_activity = on_sqs_activity
        self.time_scale = float(time_scale)
        self.debug = debug
        #: Retry waits the interpreter made (a counter for tests and the demo).
        self.retry_waits = 0
        #: Every retry wait the interpreter scheduled (unscaled), with its execution and state.
        self.scheduled_waits: list[ScheduledWait] = []
        self.counter_lock = threading.Lock()
        self.sqs_lock = threading.RLock()
        self.ec2_lock = threading.RLock()
        self.boto3_lock = threading.RLock()
        self._patches: list[Patch] = []
        self._log_levels: dict[str, int] = {}
        self._clients: dict[tuple[str, str, bool], Any] = {}
        self._clients_lock = threading.Lock()
        self.installed = False

    # ------------------------------------------------------------------ lifecycle

    def install(self) -> MotoHooks:
        global _ACTIVE
        check_moto_version()
        fix_moto_quirks()
        with _ACTIVE_LOCK:
            if _ACTIVE is not None:
                raise RuntimeError("another local AWS runtime is running in this process")
            _ACTIVE = self
        try:
            self._install_lambda()
            self._install_events()
            self._install_retry_clock()
            self._install_parser_cache()
            self._install_client_cache()
            self._install_sqs_lock()
            self._install_ec2()
            self._install_ec2_calls()
            self._install_boto3_lock()
            self._install_execution_end()
            for patch in self._patches:
                patch.apply()
            for name in INTERPRETER_LOGGERS:
                logger = logging.getLogger(name)
                self._log_levels[name] = logger.level
                if not self.debug:
                    logger.setLevel(logging.CRITICAL + 1)
        except BaseException:
            self.uninstall()
            raise
        self.installed = True
        return self

    def uninstall(self) -> None:
        global _ACTIVE
        for patch in reversed(self._patches):
            if getattr(patch.owner, patch.name, None) is patch.new:
                patch.restore()
        self._patches.clear()
        for name, level in self._log_levels.items():
            logging.getLogger(name).setLevel(level)
        self._log_levels.clear()
        self._clients.clear()
        self.installed = False
        with _ACTIVE_LOCK:
            if _ACTIVE is self:
                _ACTIVE = None

    def __enter__(self) -> MotoHooks:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.uninstall()

    # ------------------------------------------------------------------ 1. Lambda invoke

    def _install_lambda(self) -> None:
        from moto.awslambda.exceptions import LambdaClientError
        from moto.awslambda_simple.models import LambdaSimpleBackend

        class LambdaRefused(LambdaClientError):
            def __init__(self, code: int, error: str, message: str) -> None:
                self.code = code
                super().__init__(error, message)

        original = LambdaSimpleBackend.invoke
        hooks = self

        def invoke(
            backend: Any,
            function_name: str,
            qualifier: str | None,
            body: Any,
            headers: Any,
            response_headers: Any,
        ) -> str | bytes | None:
            try:
                result = hooks.invoke(function_name, qualifier, body, headers, response_headers)
            except Throttled as exc:  # and InvalidRequestContent
                raise LambdaRefused(exc.code, exc.error, exc.message) from None
            if result is None:
                return original(backend, function_name, qualifier, body, headers, response_headers)
            return result

        self._patches.append(Patch(LambdaSimpleBackend, "invoke", invoke))

    # ------------------------------------------------------------------ 2. EventBridge → Lambda

    def _install_events(self) -> None:
        from moto.events.models import Rule
        from moto.events.utils import EventTemplateParser

        original = Rule.send_to_targets
        hooks = self

        def is_lambda(target: Mapping[str, Any]) -> bool:
            return str(target.get("Arn", "")).split(":")[2:3] == ["lambda"]

        def send_to_targets(rule: Any, original_event: Any, transform_input: bool = True) -> None:
            lambda_targets = [t for t in rule.targets if is_lambda(t)]
            if not lambda_targets:
                return original(rule, original_event, transform_input)
            others = [t for t in rule.targets if not is_lambda(t)]
            if others:
                proxy = copy.copy(rule)
                proxy.targets = others
                original(proxy, original_event, transform_input)
            if getattr(rule, "state", "ENABLED") != "ENABLED":
                return None
            if getattr(rule, "scheduled_expression", None) and not rule.event_pattern.get_pattern():
                return None  # a schedule-only rule matches no event (moto's matcher says "all")
            event = aws_event_shape(original_event)
            if not rule.event_pattern.matches_event(event):
                return None
            unknown = []
            for target in lambda_targets:
                if "Input" in target:
                    payload = json.loads(target["Input"])
                elif "InputPath" in target:
                    payload = json_path(event, str(target["InputPath"]))
                elif "InputTransformer" in target and transform_input:
                    transformer = target["InputTransformer"]
                    payload = EventTemplateParser.parse(
                        input_template=transformer.get("InputTemplate"),
                        input_paths_map=transformer.get("InputPathsMap", {}),
                        event={**event, "ingestion-time": original_event.get("ingestion-time")},
                    )
                else:
                    payload = copy.deepcopy(event)
                info = RuleInfo(rule.name, rule.arn, rule.event_bus_name, str(target.get("Id", "")))
                if not hooks.deliver(str(target["Arn"]), payload, info):
                    unknown.append(target)
            if unknown:  # not a local function: moto's own behaviour (NotImplementedError)
                proxy = copy.copy(rule)
                proxy.targets = unknown
                return original(proxy, original_event, transform_input)
            return None

        self._patches.append(Patch(Rule, "send_to_targets", send_to_targets))

    # ------------------------------------------------------------------ 3. retry waits

    def _install_retry_clock(self) -> None:
        from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

        if retrier_decl.time is not _time:
            raise MotoVersionError("retrier_decl.time is not the time module (already patched?)")
        self._patches.append(Patch(retrier_decl, "time", _ScaledTime(self)))
        original = retrier_decl.RetrierDecl._eval_body

        def _eval_body(decl: Any, env: Any) -> None:
            _RETRYING.env = env
            try:
                original(decl, env)
            finally:
                _RETRYING.env = None

        self._patches.append(Patch(retrier_decl.RetrierDecl, "_eval_body", _eval_body))

    # ------------------------------------------------------------------ 5. ASL parse cache

    def _install_parser_cache(self) -> None:
        from moto.stepfunctions.parser.asl.parse import asl_parser
        from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

        parser_cls = asl_parser.AmazonStateLanguageParser
        original = parser_cls.parse
        trees = _TREES

        def parse(definition: str) -> tuple[Any, Any]:
            tree = trees.get(definition)
            if tree is None:
                program, tree = original(definition)  # raises on syntax errors: nothing cached
                trees[definition] = tree
                return program, tree
            return Preprocessor().visit(tree), tree

        self._patches.append(Patch(parser_cls, "parse", staticmethod(parse)))

        import importlib

        paths = _JSON_PATHS
        for module_name in JSON_PATH_MODULES:
            module = importlib.import_module(module_name)

            def parse_path(path: str, _parse: Any = module.parse, _module: str = module_name) -> Any:
                expr = paths.get((_module, path))
                if expr is None:
                    expr = _parse(path)  # raises on a bad path: nothing cached
                    paths[(_module, path)] = expr
                return expr

            self._patches.append(Patch(module, "parse", parse_path))

    # ------------------------------------------------------------------ 6. interpreter clients

    def _install_client_cache(self) -> None:
        import importlib

        from moto.core.models import botocore_stubber
        from moto.stepfunctions.parser.asl.utils import boto_client

        original = boto_client.boto_client_for
        cache, lock = self._clients, self._clients_lock

        def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
            # The credentials argument does not change the client moto builds (fixed fake keys).
            key = (region, service, bool(botocore_stubber.enabled))
            client = cache.get(key)
            if client is None:
                with lock:
                    client = cache.get(key)
                    if client is None:
                        client = original(region=region, service=service, state_credentials=state_credentials)
                        cache[key] = client
            return client

        for name in BOTO_CLIENT_FOR_MODULES:
            module = importlib.import_module(name)
            if getattr(module, "boto_client_for", None) is not original:
                raise MotoVersionError(f"{name} no longer imports boto_client_for")
            self._patches.append(Patch(module, "boto_client_for", boto_client_for))

    # ------------------------------------------------------------------ 7. SQS lock

    def _install_sqs_lock(self) -> None:
        from moto.sqs.models import SQSBackend

        lock = self.sqs_lock
        for name in public_methods(SQSBackend):
            method = getattr(SQSBackend, name)
            if name == "receive_message":
                wrapped = locked_receive(method, lock)
            else:
                wrapped = locked(method, lock)
                if name in _SQS_ACTIVITY:
                    wrapped = self._sqs_reporter(wrapped)
            self._patches.append(Patch(SQSBackend, name, wrapped))

    def _sqs_reporter(self, locked: Callable[..., Any]) -> Callable[..., Any]:
        hooks = self

        def report(backend: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
            result = locked(backend, queue_name, *args, **kwargs)
            if hooks.on_sqs_activity is not None:
                hooks.on_sqs_activity(queue_name)
            return result

        report.__name__ = getattr(locked, "__name__", "report")
        return report

    # ------------------------------------------------------------------ 8, 14. EC2 (motoec2)

    def _install_ec2(self) -> None:
        self._patches.extend(motoec2.transition_patches(self))

    def _install_ec2_calls(self) -> None:
        self._patches.extend(motoec2.call_patches(self))

    # ------------------------------------------------------------------ 9. boto3 client creation

    def _install_boto3_lock(self) -> None:
        import boto3

        lock = self.boto3_lock
        for name in ("client", "resource"):
            original = getattr(boto3, name)

            def create(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
                with lock:
                    return _original(*args, **kwargs)

            create.__name__ = name
            create.__doc__ = original.__doc__
            self._patches.append(Patch(boto3, name, create))

    # ------------------------------------------------------------------ 10. execution end

    def _install_execution_end(self) -> None:
        from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

        original = BaseExecutionWorkerCommunication.terminated
        hooks = self

        def terminated(comm: Any) -> None:
            try:
                original(comm)
            finally:
                if hooks.on_execution_end is not None:
                    hooks.on_execution_end(str(comm.execution.exec_arn))

        self._patches.append(Patch(BaseExecutionWorkerCommunication, "terminated", terminated))


_SQS_ACTIVITY = frozenset(
    {"send_message", "send_message_batch", "change_message_visibility", "change_message_visibility_batch"}
)


def execution_history(execution_arn: str) -> list[dict[str, Any]]:
    """The events ``GetExecutionHistory`` returns for an execution, read from moto's backend."""
    from moto.stepfunctions.responses import get_backend

    parts = execution_arn.split(":")
    region, account = parts[3], parts[4]
    output = get_backend(account, region).get_execution_history(execution_arn)
    return [plain(e) for e in output["events"]]


def active() -> MotoHooks | None:
    """The installed hooks, if a local runtime is running in this process."""
    return _ACTIVE
