"""The typed specs the template resolves to: what the runtime creates, one dataclass per resource kind."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
]


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
