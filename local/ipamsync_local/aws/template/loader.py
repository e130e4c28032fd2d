"""template.yaml as plain data: YAML with CloudFormation's short-form tags (``!Ref`` …) expanded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["TemplateError", "load_yaml"]


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
