"""The product names the benchmarks depend on, in one place.

The functions come from ``template.yaml`` itself (logical id → ``functions/<dir>`` short name, in
the template's order), so renaming a function or its directory needs no change here. What cannot
be read from the template is named below: when a product step or state is renamed, this is the
one file to edit.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "template.yaml"

#: The function EventBridge invokes (it reads EC2; it never calls SOLIDserver).
ENRICH_FUNCTION = "EnrichFunction"
#: The state machine's state for an event older than what SOLIDserver holds (``statemachine/``).
NOTHING_TO_DO_STATE = "NothingToDo"


@cache
def functions() -> dict[str, str]:
    """``{logical id: short name}`` of the template's Lambda functions, in the template's order."""
    from ipamsync_local.aws.template import load_yaml

    resources = load_yaml(TEMPLATE).get("Resources") or {}
    return {
        logical: Path(str(body["Properties"]["CodeUri"]).rstrip("/")).name
        for logical, body in resources.items()
        if body.get("Type") == "AWS::Serverless::Function"
    }


def short(logical_id: str) -> str:
    """``DeviceFunction`` → ``device`` (the template's short name; the id itself if unknown)."""
    return functions().get(logical_id, logical_id)
