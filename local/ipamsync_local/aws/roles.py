"""IAM roles (``<LogicalId>Role``, the ones SAM creates implicitly or the template names): created in
moto for inspection; nothing local checks them (moto does not enforce IAM)."""

from __future__ import annotations

import json
from typing import Any

from .template import Template


def ensure_role(iam: Any, template: Template, logical_id: str, principal: str) -> str:
    """The ARN of the role ``logical_id`` (created on first use), trusted by ``principal``."""
    name = template.physical_name(logical_id)
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}],
    }
    try:
        return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
    except iam.exceptions.EntityAlreadyExistsException:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])
