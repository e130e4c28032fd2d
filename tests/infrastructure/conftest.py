"""Fixtures for the deployment-artefact tests: template.yaml, statemachine/sync.asl.json, samconfig.toml.

Helpers live in ``template_support`` (a unique module name: several test folders have a conftest).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.infrastructure.helpers import ASL, REPO, TEMPLATE, iter_states

# --------------------------------------------------------------------------- parsed artefacts


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    """template.yaml with short-form intrinsics expanded (``!Ref X`` -> ``{"Ref": "X"}``)."""
    from samtranslator.yaml_helper import yaml_parse

    return yaml_parse(TEMPLATE.read_text())


@pytest.fixture(scope="session")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]


@pytest.fixture(scope="session")
def asl_text() -> str:
    return ASL.read_text()


@pytest.fixture(scope="session")
def asl(asl_text: str) -> dict[str, Any]:
    return json.loads(asl_text)


@pytest.fixture(scope="session")
def transformed(template: dict[str, Any]) -> dict[str, Any]:
    """The CloudFormation template the SAM transform produces (local URIs replaced by S3 ones)."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    sam = copy.deepcopy(template)
    for res in sam["Resources"].values():
        props = res.get("Properties", {})
        if res["Type"] == "AWS::Serverless::Function":
            props["CodeUri"] = "s3://bucket/function.zip"
        elif res["Type"] == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = "s3://bucket/layer.zip"
        elif res["Type"] == "AWS::Serverless::StateMachine":
            props["Definition"] = json.loads((REPO / props.pop("DefinitionUri")).read_text())
    translator = Translator(None, Parser(), boto_session=boto3.Session(region_name="us-east-1"))
    return translator.translate(sam, parameter_values={}, get_managed_policy_map=lambda: {})


@pytest.fixture(scope="session")
def all_states(asl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for name, state, _ in iter_states(asl["States"]):
        assert name not in found, f"state name {name} used twice"
        found[name] = state
    return found


@pytest.fixture(scope="session")
def item_states(asl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The states of the Map's item processor (the per-record workflow)."""
    return asl["States"]
