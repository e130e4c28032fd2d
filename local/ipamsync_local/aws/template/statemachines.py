"""State machines (``AWS::Serverless::StateMachine``): the ASL as deployed (DefinitionSubstitutions)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .base import _SUB_VAR, TemplateBase, _to_str
from .loader import TemplateError
from .specs import StateMachineSpec


class StateMachinesMixin(TemplateBase):
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

    def state_machine(self, logical_id: str | None = None) -> StateMachineSpec:
        """The sync workflow (the one state machine the pipe targets), or the one named."""
        machines = self.state_machines()
        if logical_id is not None:
            if logical_id not in machines:
                raise TemplateError(f"no state machine {logical_id!r} (found {sorted(machines)})")
            return machines[logical_id]
        sync = [m for m in machines.values() if m.type == "EXPRESS"]
        if len(sync) != 1:
            raise TemplateError(f"expected one Express state machine, found {sorted(machines)}")
        return sync[0]


def _substitute(node: Any, subs: Mapping[str, str]) -> Any:
    """SAM's DefinitionSubstitutions: ``${Key}`` inside the definition's strings."""
    if isinstance(node, dict):
        return {k: _substitute(v, subs) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, subs) for v in node]
    if isinstance(node, str) and "${" in node:
        return _SUB_VAR.sub(lambda m: subs.get(m.group(1), m.group(0)), node)
    return node
