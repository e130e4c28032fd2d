"""Functions (``AWS::Serverless::Function``, SAM Globals merged) with their asynchronous-invocation
configuration and the EventBridge rules and schedules of their ``Events``."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .base import TemplateBase, _is_intrinsic, _to_str
from .specs import AsyncConfig, Destination, FunctionSpec, RuleSpec, ScheduleSpec


class FunctionsMixin(TemplateBase):
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
