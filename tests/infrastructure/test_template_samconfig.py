"""samconfig.toml: valid for the SAM CLI, and every override is a real, acceptable template parameter."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest

from tests.infrastructure.helpers import SAMCONFIG

ENVIRONMENTS = {"default": "ipamsync", "prod": "ipamsync-prod"}


@pytest.fixture(scope="module")
def samconfig() -> dict[str, Any]:
    return tomllib.loads(SAMCONFIG.read_text())


def overrides(samconfig: dict[str, Any], env: str) -> dict[str, str]:
    """parameter_overrides parsed exactly as the SAM CLI parses them."""
    from samcli.cli.types import CfnParameterOverridesType

    raw = samconfig[env]["deploy"]["parameters"]["parameter_overrides"]
    return CfnParameterOverridesType().convert(raw, None, None)


def test_version(samconfig: dict[str, Any]) -> None:
    assert samconfig["version"] == 0.1


@pytest.mark.parametrize("env", sorted(ENVIRONMENTS))
def test_environment(samconfig: dict[str, Any], env: str) -> None:
    section = samconfig[env]
    assert section["global"]["parameters"]["stack_name"] == ENVIRONMENTS[env]
    deploy = section["deploy"]["parameters"]
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["confirm_changeset"] is True
    assert deploy["resolve_s3"] is True
    assert deploy["region"] == "us-east-1"
    build = section["build"]["parameters"]
    assert build["cached"] is True and build["parallel"] is True


@pytest.mark.parametrize("env", sorted(ENVIRONMENTS))
def test_validate_section_keeps_the_transform_check(samconfig: dict[str, Any], env: str) -> None:
    """`lint = true` here would turn `sam validate --region ...` (make validate) into a second lint."""
    assert "lint" not in samconfig[env].get("validate", {}).get("parameters", {})


@pytest.mark.parametrize("env", sorted(ENVIRONMENTS))
def test_overrides_are_valid_parameter_values(
    samconfig: dict[str, Any], template: dict[str, Any], env: str
) -> None:
    params = template["Parameters"]
    values = overrides(samconfig, env)
    unknown = set(values) - set(params)
    assert not unknown, f"{env}: not template parameters: {unknown}"
    missing = {n for n, p in params.items() if "Default" not in p} - set(values)
    assert not missing, f"{env}: required parameters without a value: {missing}"
    for name, value in values.items():
        p = params[name]
        if "AllowedValues" in p:
            assert value in [str(v) for v in p["AllowedValues"]], (env, name, value)
        if p["Type"] == "Number":
            number = float(value)
            assert p.get("MinValue", number) <= number <= p.get("MaxValue", number), (env, name, value)
        if "AllowedPattern" in p and p["Type"] == "String":
            assert re.fullmatch(p["AllowedPattern"], value), (env, name, value)
        if p["Type"] == "CommaDelimitedList":
            assert all(item.strip() for item in value.split(",")), (env, name, value)


def test_prod_is_production_like(samconfig: dict[str, Any]) -> None:
    values = overrides(samconfig, "prod")
    assert values["LambdaSubnetIds"] and values["LambdaSecurityGroupIds"]
    assert values["AlarmEmail"]
    assert values["LogRetentionDays"] == "90"
    assert values["TerminatedPolicy"] in {"delete", "retain"}
    assert values["SolidServerVerifyTls"] == "true"


@pytest.mark.parametrize("env", sorted(ENVIRONMENTS))
def test_placeholders_are_obvious(samconfig: dict[str, Any], env: str) -> None:
    """Example values must not look like someone's real account or host."""
    for name, value in overrides(samconfig, env).items():
        if re.search(r"\d{12}", value):
            assert "111122223333" in value, (name, value)
        if "://" in value or "@" in value:
            assert "example.com" in value, (name, value)
