"""The template's core: parameters (defaults, overrides, constraints), Conditions, physical names,
``Ref``/``GetAtt`` and every intrinsic function. The resource kinds (:mod:`.queues`,
:mod:`.functions`, :mod:`.statemachines`, :mod:`.pipes`) build their specs on top of it."""

from __future__ import annotations

import base64
import copy
import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .loader import TemplateError, load_yaml
from .specs import StackContext

_NO_VALUE = object()

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


class TemplateBase:
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
        elif rtype in ("AWS::Pipes::Pipe", "AWS::Events::EventBus"):
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
            "AWS::Events::EventBus": {"Arn": self._arn("events", f"event-bus/{name}"), "Name": name},
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


def _is_intrinsic(node: Mapping[str, Any]) -> bool:
    return len(node) == 1 and next(iter(node)) in TemplateBase._FUNCTIONS
