"""template.yaml, read the way CloudFormation and SAM read it, resolved to the local resources.

This module is the runtime's only description of the stack: parameters (defaults + overrides,
constraints checked), Conditions, the SAM Globals, intrinsic functions (``Ref``, ``Fn::Sub``,
``Fn::GetAtt``, ``Fn::If``, ``Fn::Equals``, ``Fn::Not``, ``Fn::And``, ``Fn::Or``, ``Fn::Join``,
``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap``, ``Fn::Base64``, ``Fn::GetAZs``,
``AWS::NoValue`` and the pseudo parameters) and the resources the runtime creates, as typed specs:
queues, functions (with their async configuration, EventBridge rules and schedules), the state
machine and the pipe.

Physical names are deterministic: ``<stack>-<LogicalId>`` (``.fifo`` appended for FIFO queues), so
every ``Ref``/``GetAtt`` can be resolved before anything exists (``LocalNames``). SAM's implicit
resources are known too: ``<Function><EventName>`` (the rule of an EventBridgeRule/Schedule event),
``<Function>Role``, ``<StateMachine>Role``.

Nothing is evaluated eagerly except parameters and Conditions: properties are resolved when a spec
is asked for, so the alarms or outputs never need local equivalents.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "AsyncConfig",
    "Destination",
    "FunctionSpec",
    "PipeSpec",
    "QueueSpec",
    "RedriveSpec",
    "RuleSpec",
    "ScheduleSpec",
    "StackContext",
    "StateMachineSpec",
    "Template",
    "TemplateError",
    "load_yaml",
]


class TemplateError(ValueError):
    """The template cannot be read or resolved (or a parameter violates its constraints)."""


# --------------------------------------------------------------------------- YAML with CFN tags

_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    "GetAtt": "Fn::GetAtt",
    "Sub": "Fn::Sub",
    "If": "Fn::If",
    "Equals": "Fn::Equals",
    "Not": "Fn::Not",
    "And": "Fn::And",
    "Or": "Fn::Or",
    "Join": "Fn::Join",
    "Select": "Fn::Select",
    "Split": "Fn::Split",
    "FindInMap": "Fn::FindInMap",
    "Base64": "Fn::Base64",
    "GetAZs": "Fn::GetAZs",
    "ImportValue": "Fn::ImportValue",
    "Cidr": "Fn::Cidr",
    "Transform": "Fn::Transform",
    "ToJsonString": "Fn::ToJsonString",
    "Length": "Fn::Length",
}


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader + CloudFormation short-form tags (``!Ref X`` → ``{"Ref": "X"}``)."""


def _construct_tag(loader: _CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    key = _TAGS.get(suffix)
    if key is None:
        raise TemplateError(f"unknown CloudFormation tag !{suffix} (line {node.start_mark.line + 1})")
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if key == "Fn::GetAtt":  # !GetAtt A.B  →  ["A", "B"]  (the attribute may contain dots)
            logical, _, attr = str(value).partition(".")
            value = [logical, attr]
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {key: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_yaml(path: str | Path) -> dict[str, Any]:
    """A template file as plain data, short-form intrinsics expanded."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        doc = yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass with CFN tags only
    except yaml.YAMLError as exc:
        raise TemplateError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("Resources"), dict):
        raise TemplateError(f"{path}: not a CloudFormation template (no Resources)")
    return doc


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class StackContext:
    """The pseudo parameters of the local stack."""

    account_id: str = "123456789012"
    region: str = "us-east-1"
    stack_name: str = "ipamsync"
    partition: str = "aws"

    @property
    def url_suffix(self) -> str:
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"

    @property
    def stack_id(self) -> str:
        return (
            f"arn:{self.partition}:cloudformation:{self.region}:{self.account_id}:stack/"
            f"{self.stack_name}/00000000-0000-0000-0000-000000000000"
        )


@dataclass(frozen=True)
class RedriveSpec:
    dead_letter_arn: str
    dead_letter_logical_id: str | None
    max_receive_count: int


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    name: str
    url: str
    arn: str
    fifo: bool
    content_based_deduplication: bool
    visibility_timeout: int
    message_retention_period: int
    sse: bool
    redrive: RedriveSpec | None
    #: The attributes for ``sqs.create_queue`` (strings, as the SQS API wants them).
    attributes: dict[str, str]
    properties: dict[str, Any]


@dataclass(frozen=True)
class Destination:
    type: str  # SQS, SNS, Lambda, EventBridge
    arn: str


@dataclass(frozen=True)
class AsyncConfig:
    """A function's asynchronous-invocation configuration (SAM ``EventInvokeConfig``)."""

    maximum_retry_attempts: int = 2
    maximum_event_age_in_seconds: int = 21600
    on_failure: Destination | None = None
    on_success: Destination | None = None


@dataclass(frozen=True)
class RuleSpec:
    """An EventBridge rule SAM creates for an ``EventBridgeRule`` event of a function."""

    logical_id: str
    name: str
    arn: str
    function_logical_id: str
    event_name: str
    pattern: dict[str, Any]
    event_bus_name: str
    state: str
    target_id: str
    input: str | None
    input_path: str | None
    retry_policy: dict[str, Any]
    dead_letter_arn: str | None


@dataclass(frozen=True)
class ScheduleSpec:
    """A ``Schedule`` event of a function (an EventBridge scheduled rule)."""

    logical_id: str
    name: str
    arn: str
    function_logical_id: str
    event_name: str
    expression: str
    input: str | None
    description: str
    enabled: bool


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    arn: str
    code_uri: Path
    handler: str
    runtime: str
    architectures: tuple[str, ...]
    timeout: int
    memory_size: int
    reserved_concurrency: int | None
    environment: dict[str, str]
    log_group: str
    async_config: AsyncConfig
    rules: tuple[RuleSpec, ...]
    schedules: tuple[ScheduleSpec, ...]
    properties: dict[str, Any]

    @property
    def short_name(self) -> str:
        """``functions/device/`` → ``device``."""
        return self.code_uri.name


@dataclass(frozen=True)
class StateMachineSpec:
    logical_id: str
    name: str
    arn: str
    type: str
    definition_uri: Path | None
    substitutions: dict[str, str]
    #: The definition as deployed: DefinitionSubstitutions applied to the ASL.
    definition: str
    role_arn: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class PipeSpec:
    logical_id: str
    name: str
    arn: str
    source_arn: str
    source_logical_id: str | None
    target_arn: str
    target_logical_id: str | None
    batch_size: int
    maximum_batching_window_in_seconds: int
    invocation_type: str
    input_template: str | None
    role_arn: str
    properties: dict[str, Any]


_NO_VALUE = object()

_QUEUE_ATTRIBUTES = (
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoQueue",
    "FifoThroughputLimit",
    "KmsDataKeyReusePeriodSeconds",
    "KmsMasterKeyId",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "RedriveAllowPolicy",
    "RedrivePolicy",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
)

_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


def _to_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _digest(text: str, size: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:size].upper()


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


# --------------------------------------------------------------------------- the template


class Template:
    """A SAM template, its parameters and Conditions evaluated, resolvable to local resources.

    ``parameters`` override the defaults (values may be str, int, float, bool or a list for a
    CommaDelimitedList). Constraint violations (AllowedValues, AllowedPattern, Min/Max...) are
    collected in :attr:`parameter_problems`; with ``strict=True`` (the default) they raise, as
    ``sam deploy`` would refuse them.
    """

    def __init__(
        self,
        path: str | Path = "template.yaml",
        parameters: Mapping[str, Any] | None = None,
        *,
        context: StackContext | None = None,
        strict: bool = True,
    ) -> None:
        self.path = Path(path).resolve()
        self.root = self.path.parent
        self.doc = load_yaml(self.path)
        self.context = context or StackContext()
        self.parameter_problems: list[str] = []
        self.parameters = self._parameters(dict(parameters or {}))
        if strict and self.parameter_problems:
            raise TemplateError("parameter constraints violated: " + "; ".join(self.parameter_problems))
        self.conditions: dict[str, bool] = {}
        self._evaluating: set[str] = set()
        for name in self.doc.get("Conditions") or {}:
            self.condition(name)
        all_resources: dict[str, dict[str, Any]] = self.doc["Resources"]
        self.resources: dict[str, dict[str, Any]] = {
            lid: res
            for lid, res in all_resources.items()
            if "Condition" not in res or self.condition(res["Condition"])
        }
        self._implicit = self._implicit_resources()

    # ------------------------------------------------------------------ parameters

    def _parameters(self, overrides: dict[str, Any]) -> dict[str, Any]:
        declared: dict[str, dict[str, Any]] = self.doc.get("Parameters") or {}
        unknown = sorted(set(overrides) - set(declared))
        if unknown:
            raise TemplateError(f"unknown parameter(s): {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for name, decl in declared.items():
            ptype = str(decl.get("Type", "String"))
            if name in overrides:
                raw = overrides[name]
            elif "Default" in decl:
                raw = decl["Default"]
            else:
                self.parameter_problems.append(f"{name}: no value and no default")
                raw = ""
            if ptype == "CommaDelimitedList" or ptype.startswith("List<"):
                items = (
                    [_to_str(x) for x in raw] if isinstance(raw, list | tuple) else _to_str(raw).split(",")
                )
                values[name] = [x.strip() for x in items]
                continue
            text = _to_str(raw)
            values[name] = text
            self._check_parameter(name, decl, ptype, text)
        return values

    def _check_parameter(self, name: str, decl: Mapping[str, Any], ptype: str, text: str) -> None:
        problems = self.parameter_problems
        allowed = decl.get("AllowedValues")
        if allowed is not None and text not in [_to_str(a) for a in allowed]:
            problems.append(f"{name}={text!r} is not one of {[_to_str(a) for a in allowed]}")
        pattern = decl.get("AllowedPattern")
        if pattern is not None and re.fullmatch(str(pattern), text) is None:
            problems.append(f"{name}={text!r} does not match {pattern}")
        if "MinLength" in decl and len(text) < int(decl["MinLength"]):
            problems.append(f"{name} is shorter than {decl['MinLength']}")
        if "MaxLength" in decl and len(text) > int(decl["MaxLength"]):
            problems.append(f"{name} is longer than {decl['MaxLength']}")
        if ptype == "Number":
            try:
                number = float(text)
            except ValueError:
                problems.append(f"{name}={text!r} is not a number")
                return
            if "MinValue" in decl and number < float(decl["MinValue"]):
                problems.append(f"{name}={text} is below {decl['MinValue']}")
            if "MaxValue" in decl and number > float(decl["MaxValue"]):
                problems.append(f"{name}={text} is above {decl['MaxValue']}")

    # ------------------------------------------------------------------ conditions

    def condition(self, name: str) -> bool:
        if name in self.conditions:
            return self.conditions[name]
        declared = self.doc.get("Conditions") or {}
        if name not in declared:
            raise TemplateError(f"unknown condition {name}")
        if name in self._evaluating:
            raise TemplateError(f"condition {name} depends on itself")
        self._evaluating.add(name)
        try:
            value = self.resolve(declared[name])
        finally:
            self._evaluating.discard(name)
        if not isinstance(value, bool):
            raise TemplateError(f"condition {name} is not a boolean: {value!r}")
        self.conditions[name] = value
        return value

    # ------------------------------------------------------------------ local names

    def _implicit_resources(self) -> dict[str, tuple[str, str, str]]:
        """SAM-generated logical ids → (type, owner logical id, event name)."""
        found: dict[str, tuple[str, str, str]] = {}
        for lid, res in self.resources.items():
            rtype = res.get("Type")
            props = res.get("Properties") or {}
            if rtype == "AWS::Serverless::Function":
                found[f"{lid}Role"] = ("AWS::IAM::Role", lid, "")
                for ename, event in (props.get("Events") or {}).items():
                    if event.get("Type") in ("EventBridgeRule", "CloudWatchEvent", "Schedule"):
                        found[f"{lid}{ename}"] = ("AWS::Events::Rule", lid, ename)
            elif rtype == "AWS::Serverless::StateMachine":
                found[f"{lid}Role"] = ("AWS::IAM::Role", lid, "")
        return found

    def resource_type(self, logical_id: str) -> str:
        if logical_id in self.resources:
            return str(self.resources[logical_id]["Type"])
        if logical_id in self._implicit:
            return self._implicit[logical_id][0]
        if logical_id in self.doc["Resources"]:
            raise TemplateError(f"{logical_id} is not created (its Condition is false)")
        raise TemplateError(f"unknown resource {logical_id}")

    def physical_name(self, logical_id: str) -> str:
        rtype = self.resource_type(logical_id)
        name = f"{self.context.stack_name}-{logical_id}"
        if rtype == "AWS::SQS::Queue":
            props = self.resources[logical_id].get("Properties") or {}
            if "QueueName" in props:
                return str(self.resolve(props["QueueName"]))
            if _truthy(self.resolve(props.get("FifoQueue", False))):
                name += ".fifo"
        elif rtype == "AWS::Logs::LogGroup":
            props = self.resources[logical_id].get("Properties") or {}
            if "LogGroupName" in props:
                return str(self.resolve(props["LogGroupName"]))
        elif rtype in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            props = self.resources[logical_id].get("Properties") or {}
            if "FunctionName" in props:
                return str(self.resolve(props["FunctionName"]))
        elif rtype in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
            props = self.resources[logical_id].get("Properties") or {}
            for key in ("Name", "StateMachineName"):
                if key in props:
                    return str(self.resolve(props[key]))
        elif rtype == "AWS::Pipes::Pipe":
            props = self.resources[logical_id].get("Properties") or {}
            if "Name" in props:
                return str(self.resolve(props["Name"]))
        return name

    def _arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        c = self.context
        return (
            f"arn:{c.partition}:{service}:{c.region if region else ''}:{c.account_id if account else ''}:"
            f"{resource}"
        )

    def ref(self, logical_id: str) -> Any:
        """What ``!Ref`` returns: a parameter's value, a pseudo parameter, or a resource's id."""
        c = self.context
        pseudo = {
            "AWS::AccountId": c.account_id,
            "AWS::Region": c.region,
            "AWS::StackName": c.stack_name,
            "AWS::StackId": c.stack_id,
            "AWS::Partition": c.partition,
            "AWS::URLSuffix": c.url_suffix,
            "AWS::NotificationARNs": [],
        }
        if logical_id == "AWS::NoValue":
            return _NO_VALUE
        if logical_id in pseudo:
            return pseudo[logical_id]
        if logical_id in self.parameters:
            return self.parameters[logical_id]
        rtype = self.resource_type(logical_id)
        name = self.physical_name(logical_id)
        if rtype == "AWS::SQS::Queue":
            return f"https://sqs.{c.region}.{c.url_suffix}/{c.account_id}/{name}"
        if rtype in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
            return self._arn("states", f"stateMachine:{name}")
        if rtype == "AWS::Serverless::LayerVersion":
            return self._arn("lambda", f"layer:{name}:1")
        if rtype == "AWS::SNS::Topic":
            return self._arn("sns", name)
        if rtype == "AWS::KMS::Key":
            return "00000000-0000-0000-0000-" + _digest(logical_id, 12).lower()
        return name

    def get_att(self, logical_id: str, attribute: str) -> Any:
        rtype = self.resource_type(logical_id)
        name = self.physical_name(logical_id)
        c = self.context
        table: dict[str, dict[str, Any]] = {
            "AWS::SQS::Queue": {
                "Arn": self._arn("sqs", name),
                "QueueName": name,
                "QueueUrl": f"https://sqs.{c.region}.{c.url_suffix}/{c.account_id}/{name}",
            },
            "AWS::Serverless::Function": {"Arn": self._arn("lambda", f"function:{name}")},
            "AWS::Lambda::Function": {"Arn": self._arn("lambda", f"function:{name}")},
            "AWS::Serverless::StateMachine": {
                "Arn": self._arn("states", f"stateMachine:{name}"),
                "Name": name,
            },
            "AWS::StepFunctions::StateMachine": {
                "Arn": self._arn("states", f"stateMachine:{name}"),
                "Name": name,
            },
            "AWS::Events::Rule": {"Arn": self._arn("events", f"rule/{name}")},
            "AWS::Pipes::Pipe": {"Arn": self._arn("pipes", f"pipe/{name}")},
            "AWS::Logs::LogGroup": {"Arn": self._arn("logs", f"log-group:{name}:*")},
            "AWS::IAM::Role": {
                "Arn": self._arn("iam", f"role/{name}", region=False),
                "RoleId": "AROA" + _digest(logical_id, 16),
            },
            "AWS::SNS::Topic": {"TopicArn": self._arn("sns", name), "TopicName": name},
            "AWS::KMS::Key": {"Arn": self._arn("kms", f"key/{self.ref(logical_id)}")},
        }
        try:
            return table[rtype][attribute]
        except KeyError:
            raise TemplateError(
                f"!GetAtt {logical_id}.{attribute} is not supported locally ({rtype})"
            ) from None

    # ------------------------------------------------------------------ intrinsics

    def resolve(self, node: Any) -> Any:
        """Evaluate every intrinsic function in ``node`` (``AWS::NoValue`` entries disappear)."""
        out = self._resolve(node)
        return None if out is _NO_VALUE else out

    def _resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            items = [self._resolve(x) for x in node]
            return [x for x in items if x is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            fn = self._FUNCTIONS.get(key)
            if fn is not None and (key != "Condition" or isinstance(arg, str)):
                return fn(self, arg)
        result: dict[str, Any] = {}
        for key, value in node.items():
            resolved = self._resolve(value)
            if resolved is not _NO_VALUE:
                result[key] = resolved
        return result

    def _fn_ref(self, arg: Any) -> Any:
        return self.ref(str(arg))

    def _fn_getatt(self, arg: Any) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        logical, attribute = self._resolve(arg[0]), self._resolve(arg[1])
        return self.get_att(str(logical), str(attribute))

    def _fn_sub(self, arg: Any) -> Any:
        if isinstance(arg, list):
            text, variables = arg[0], {k: self._resolve(v) for k, v in (arg[1] or {}).items()}
        else:
            text, variables = arg, {}

        def one(match: re.Match[str]) -> str:
            expr = match.group(1)
            if expr.startswith("!"):
                return "${" + expr[1:] + "}"
            if expr in variables:
                return _to_str(variables[expr])
            if "." in expr and not expr.startswith("AWS::"):
                logical, attribute = expr.split(".", 1)
                return _to_str(self.get_att(logical, attribute))
            value = self.ref(expr)
            if isinstance(value, list):
                raise TemplateError(f"!Sub ${{{expr}}} is a list")
            return _to_str(value)

        return _SUB_VAR.sub(one, str(text))

    def _fn_if(self, arg: Any) -> Any:
        name, when_true, when_false = arg
        return self._resolve(when_true if self.condition(str(name)) else when_false)

    def _fn_equals(self, arg: Any) -> bool:
        a, b = (self._resolve(x) for x in arg)
        if isinstance(a, list) or isinstance(b, list):
            return a == b
        return _to_str(a) == _to_str(b)

    def _fn_not(self, arg: Any) -> bool:
        (value,) = arg
        return not self._boolean(value)

    def _fn_and(self, arg: Any) -> bool:
        return all(self._boolean(x) for x in arg)

    def _fn_or(self, arg: Any) -> bool:
        return any(self._boolean(x) for x in arg)

    def _fn_condition(self, arg: Any) -> bool:
        return self.condition(str(arg))

    def _boolean(self, node: Any) -> bool:
        value = self._resolve(node)
        if not isinstance(value, bool):
            raise TemplateError(f"not a condition: {node!r}")
        return value

    def _fn_join(self, arg: Any) -> str:
        sep, items = arg
        values = self._resolve(items)
        if not isinstance(values, list):
            raise TemplateError(f"!Join needs a list, got {values!r}")
        return _to_str(sep).join(_to_str(v) for v in values)

    def _fn_select(self, arg: Any) -> Any:
        index, items = self._resolve(arg[0]), self._resolve(arg[1])
        try:
            return items[int(index)]
        except (IndexError, ValueError, TypeError) as exc:
            raise TemplateError(f"!Select {index} out of {items!r}") from exc

    def _fn_split(self, arg: Any) -> list[str]:
        sep, text = arg
        return _to_str(self._resolve(text)).split(_to_str(sep))

    def _fn_find_in_map(self, arg: Any) -> Any:
        name, top, second = (self._resolve(x) for x in arg)
        try:
            return self.doc["Mappings"][name][top][second]
        except KeyError as exc:
            raise TemplateError(f"!FindInMap {name}/{top}/{second} not found") from exc

    def _fn_base64(self, arg: Any) -> str:
        return base64.b64encode(_to_str(self._resolve(arg)).encode()).decode()

    def _fn_get_azs(self, arg: Any) -> list[str]:
        region = _to_str(self._resolve(arg)) or self.context.region
        return [f"{region}{z}" for z in "abc"]

    def _fn_unsupported(self, arg: Any) -> Any:
        raise TemplateError(f"intrinsic not supported locally: {arg!r}")

    _FUNCTIONS: dict[str, Any] = {
        "Ref": _fn_ref,
        "Fn::GetAtt": _fn_getatt,
        "Fn::Sub": _fn_sub,
        "Fn::If": _fn_if,
        "Fn::Equals": _fn_equals,
        "Fn::Not": _fn_not,
        "Fn::And": _fn_and,
        "Fn::Or": _fn_or,
        "Condition": _fn_condition,
        "Fn::Join": _fn_join,
        "Fn::Select": _fn_select,
        "Fn::Split": _fn_split,
        "Fn::FindInMap": _fn_find_in_map,
        "Fn::Base64": _fn_base64,
        "Fn::GetAZs": _fn_get_azs,
        "Fn::ImportValue": _fn_unsupported,
        "Fn::Cidr": _fn_unsupported,
        "Fn::Transform": _fn_unsupported,
    }

    # ------------------------------------------------------------------ resources by type

    def logical_ids(self, *types: str) -> list[str]:
        return [lid for lid, res in self.resources.items() if res.get("Type") in types]

    def properties(self, logical_id: str) -> dict[str, Any]:
        """A resource's Properties, resolved (SAM Globals not merged: see :meth:`functions`)."""
        if logical_id not in self.resources:
            self.resource_type(logical_id)  # raises the right error
        return self.resolve(copy.deepcopy(self.resources[logical_id].get("Properties") or {})) or {}

    def _logical_of_arn(self, arn: str) -> str | None:
        for lid in self.resources:
            try:
                if arn in (self.get_att(lid, "Arn"), self.ref(lid)):
                    return lid
            except TemplateError:
                continue
        return None

    # ---- queues

    def queues(self) -> dict[str, QueueSpec]:
        specs: dict[str, QueueSpec] = {}
        for lid in self.logical_ids("AWS::SQS::Queue"):
            props = self.properties(lid)
            attributes: dict[str, str] = {}
            for key in _QUEUE_ATTRIBUTES:
                if key not in props:
                    continue
                value = props[key]
                attributes[key] = json.dumps(value) if isinstance(value, dict) else _to_str(value)
            redrive = None
            policy = props.get("RedrivePolicy")
            if isinstance(policy, str):
                policy = json.loads(policy)
            if policy:
                dlq_arn = str(policy["deadLetterTargetArn"])
                redrive = RedriveSpec(dlq_arn, self._logical_of_arn(dlq_arn), int(policy["maxReceiveCount"]))
                attributes["RedrivePolicy"] = json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": int(policy["maxReceiveCount"])}
                )
            fifo = _truthy(props.get("FifoQueue", False))
            specs[lid] = QueueSpec(
                logical_id=lid,
                name=self.physical_name(lid),
                url=str(self.ref(lid)),
                arn=str(self.get_att(lid, "Arn")),
                fifo=fifo,
                content_based_deduplication=_truthy(props.get("ContentBasedDeduplication", False)),
                visibility_timeout=int(props.get("VisibilityTimeout", 30)),
                message_retention_period=int(props.get("MessageRetentionPeriod", 345600)),
                sse=_truthy(props.get("SqsManagedSseEnabled", True)) or "KmsMasterKeyId" in props,
                redrive=redrive,
                attributes=attributes,
                properties=props,
            )
        # dead-letter queues first: a redrive policy must name an existing queue
        ordered = sorted(specs.values(), key=lambda q: q.redrive is not None)
        return {q.logical_id: q for q in ordered}

    # ---- functions

    def _globals(self, section: str) -> dict[str, Any]:
        return copy.deepcopy((self.doc.get("Globals") or {}).get(section) or {})

    def _merged_function_properties(self, logical_id: str) -> dict[str, Any]:
        """SAM's Globals merge: maps merge (the function wins), lists concatenate, scalars override."""
        merged = self._globals("Function")
        own = copy.deepcopy(self.resources[logical_id].get("Properties") or {})

        def merge(base: Any, top: Any) -> Any:
            if isinstance(base, dict) and isinstance(top, dict) and not _is_intrinsic(top):
                out = dict(base)
                for k, v in top.items():
                    out[k] = merge(base[k], v) if k in base else v
                return out
            if isinstance(base, list) and isinstance(top, list):
                return base + top
            return top

        return merge(merged, own)

    def functions(self) -> dict[str, FunctionSpec]:
        specs: dict[str, FunctionSpec] = {}
        for lid in self.logical_ids("AWS::Serverless::Function"):
            props = self.resolve(self._merged_function_properties(lid)) or {}
            name = self.physical_name(lid)
            env = {
                k: _to_str(v) for k, v in ((props.get("Environment") or {}).get("Variables") or {}).items()
            }
            reserved = props.get("ReservedConcurrentExecutions")
            log_group = (props.get("LoggingConfig") or {}).get("LogGroup") or f"/aws/lambda/{name}"
            specs[lid] = FunctionSpec(
                logical_id=lid,
                name=name,
                arn=str(self.get_att(lid, "Arn")),
                code_uri=(self.root / str(props.get("CodeUri", "."))).resolve(),
                handler=str(props.get("Handler", "app.lambda_handler")),
                runtime=str(props.get("Runtime", "")),
                architectures=tuple(props.get("Architectures") or ("x86_64",)),
                timeout=int(props.get("Timeout", 3)),
                memory_size=int(props.get("MemorySize", 128)),
                reserved_concurrency=None if reserved is None else int(reserved),
                environment=env,
                log_group=str(log_group),
                async_config=self._async_config(props.get("EventInvokeConfig") or {}),
                rules=tuple(self._rules(lid, props)),
                schedules=tuple(self._schedules(lid, props)),
                properties=props,
            )
        return specs

    @staticmethod
    def _async_config(config: Mapping[str, Any]) -> AsyncConfig:
        destinations = config.get("DestinationConfig") or {}

        def dest(key: str) -> Destination | None:
            d = destinations.get(key)
            if not d:
                return None
            return Destination(type=str(d.get("Type", "")), arn=str(d.get("Destination", "")))

        return AsyncConfig(
            maximum_retry_attempts=int(config.get("MaximumRetryAttempts", 2)),
            maximum_event_age_in_seconds=int(config.get("MaximumEventAgeInSeconds", 21600)),
            on_failure=dest("OnFailure"),
            on_success=dest("OnSuccess"),
        )

    def _rules(self, lid: str, props: Mapping[str, Any]) -> list[RuleSpec]:
        rules = []
        for ename, event in (props.get("Events") or {}).items():
            if event.get("Type") not in ("EventBridgeRule", "CloudWatchEvent"):
                continue
            eprops = event.get("Properties") or {}
            rule_lid = f"{lid}{ename}"
            state = eprops.get("State") or ("DISABLED" if eprops.get("Enabled") is False else "ENABLED")
            rules.append(
                RuleSpec(
                    logical_id=rule_lid,
                    name=self.physical_name(rule_lid),
                    arn=str(self.get_att(rule_lid, "Arn")),
                    function_logical_id=lid,
                    event_name=ename,
                    pattern=dict(eprops.get("Pattern") or {}),
                    event_bus_name=str(eprops.get("EventBusName") or "default"),
                    state=str(state),
                    target_id=str((eprops.get("Target") or {}).get("Id") or f"{rule_lid}LambdaTarget"),
                    input=eprops.get("Input"),
                    input_path=eprops.get("InputPath"),
                    retry_policy=dict(eprops.get("RetryPolicy") or {}),
                    dead_letter_arn=(eprops.get("DeadLetterConfig") or {}).get("Arn"),
                )
            )
        return rules

    def _schedules(self, lid: str, props: Mapping[str, Any]) -> list[ScheduleSpec]:
        found = []
        for ename, event in (props.get("Events") or {}).items():
            if event.get("Type") != "Schedule":
                continue
            eprops = event.get("Properties") or {}
            rule_lid = f"{lid}{ename}"
            enabled = eprops.get("Enabled", True) is not False and eprops.get("State", "ENABLED") == "ENABLED"
            found.append(
                ScheduleSpec(
                    logical_id=rule_lid,
                    name=self.physical_name(rule_lid),
                    arn=str(self.get_att(rule_lid, "Arn")),
                    function_logical_id=lid,
                    event_name=ename,
                    expression=str(eprops.get("Schedule", "")),
                    input=eprops.get("Input"),
                    description=str(eprops.get("Description", "")),
                    enabled=bool(enabled),
                )
            )
        return found

    def rules(self) -> list[RuleSpec]:
        return [r for f in self.functions().values() for r in f.rules]

    def schedules(self) -> list[ScheduleSpec]:
        return [s for f in self.functions().values() for s in f.schedules]

    # ---- state machine

    def state_machines(self) -> dict[str, StateMachineSpec]:
        specs: dict[str, StateMachineSpec] = {}
        for lid in self.logical_ids("AWS::Serverless::StateMachine"):
            props = self.properties(lid)
            subs = {k: _to_str(v) for k, v in (props.get("DefinitionSubstitutions") or {}).items()}
            uri = props.get("DefinitionUri")
            if uri is not None and "Definition" in props:
                raise TemplateError(f"{lid}: Definition and DefinitionUri are both set")
            if uri is not None:
                path = (self.root / str(uri)).resolve()
                definition_obj = json.loads(path.read_text(encoding="utf-8"))
            elif "Definition" in props:
                path = None
                definition_obj = props["Definition"]
            else:
                raise TemplateError(f"{lid}: no Definition or DefinitionUri")
            definition = json.dumps(_substitute(definition_obj, subs), indent=2)
            specs[lid] = StateMachineSpec(
                logical_id=lid,
                name=self.physical_name(lid),
                arn=str(self.ref(lid)),
                type=str(props.get("Type", "STANDARD")).upper(),
                definition_uri=path,
                substitutions=subs,
                definition=definition,
                role_arn=str(props.get("Role") or self.get_att(f"{lid}Role", "Arn")),
                properties=props,
            )
        return specs

    def state_machine(self) -> StateMachineSpec:
        machines = self.state_machines()
        if len(machines) != 1:
            raise TemplateError(f"expected one state machine, found {sorted(machines)}")
        return next(iter(machines.values()))

    # ---- pipe

    def pipes(self) -> dict[str, PipeSpec]:
        specs: dict[str, PipeSpec] = {}
        for lid in self.logical_ids("AWS::Pipes::Pipe"):
            props = self.properties(lid)
            source_params = props.get("SourceParameters") or {}
            sqs_params = source_params.get("SqsQueueParameters") or {}
            target_params = props.get("TargetParameters") or {}
            sfn_params = target_params.get("StepFunctionStateMachineParameters") or {}
            source, target = str(props["Source"]), str(props["Target"])
            specs[lid] = PipeSpec(
                logical_id=lid,
                name=self.physical_name(lid),
                arn=str(self.get_att(lid, "Arn")),
                source_arn=source,
                source_logical_id=self._logical_of_arn(source),
                target_arn=target,
                target_logical_id=self._logical_of_arn(target),
                batch_size=int(sqs_params.get("BatchSize", 10)),
                maximum_batching_window_in_seconds=int(sqs_params.get("MaximumBatchingWindowInSeconds", 0)),
                invocation_type=str(sfn_params.get("InvocationType", "REQUEST_RESPONSE")),
                input_template=target_params.get("InputTemplate"),
                role_arn=str(props.get("RoleArn", "")),
                properties=props,
            )
        return specs

    def pipe(self) -> PipeSpec:
        pipes = self.pipes()
        if len(pipes) != 1:
            raise TemplateError(f"expected one pipe, found {sorted(pipes)}")
        return next(iter(pipes.values()))


def _is_intrinsic(node: Mapping[str, Any]) -> bool:
    return len(node) == 1 and next(iter(node)) in Template._FUNCTIONS


def _substitute(node: Any, subs: Mapping[str, str]) -> Any:
    """SAM's DefinitionSubstitutions: ``${Key}`` inside the definition's strings."""
    if isinstance(node, dict):
        return {k: _substitute(v, subs) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, subs) for v in node]
    if isinstance(node, str) and "${" in node:
        return _SUB_VAR.sub(lambda m: subs.get(m.group(1), m.group(0)), node)
    return node
