"""Secrets and parameters: the SOLIDserver credentials in a Secrets Manager secret (its ARN is the
``SolidServerSecretArn`` template parameter) and the optional CA bundle in an SSM parameter (named by
``SolidServerCaBundleParameter``). The handlers read both through Powertools Parameters, as in AWS."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

DEFAULT_CREDENTIALS = {"username": "ipmadmin", "password": "admin"}  # the emulator's defaults


def create_credentials_secret(secretsmanager: Any, name: str, credentials: Mapping[str, str]) -> str:
    """The secret holding SOLIDserver's credentials (JSON); returns its ARN."""
    return str(secretsmanager.create_secret(Name=name, SecretString=json.dumps(dict(credentials)))["ARN"])


def put_ca_bundle(ssm: Any, name: str, pem: str) -> None:
    """The CA bundle (PEM) as an SSM parameter (Advanced tier: a bundle may exceed 4 KB)."""
    ssm.put_parameter(Name=name, Value=pem, Type="String", Tier="Advanced")
