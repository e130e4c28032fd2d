"""template.yaml, read the way CloudFormation and SAM read it, resolved to the local resources.

This package is the runtime's only description of the stack: parameters (defaults + overrides,
constraints checked), Conditions, the SAM Globals, intrinsic functions (``Ref``, ``Fn::Sub``,
``Fn::GetAtt``, ``Fn::If``, ``Fn::Equals``, ``Fn::Not``, ``Fn::And``, ``Fn::Or``, ``Fn::Join``,
``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap``, ``Fn::Base64``, ``Fn::GetAZs``,
``AWS::NoValue`` and the pseudo parameters) and the resources the runtime creates, as typed specs:
queues, functions (with their async configuration, EventBridge rules and schedules), the state
machine and the pipe.

Physical names are deterministic: ``<stack>-<LogicalId>`` (``.fifo`` appended for FIFO queues), so
every ``Ref``/``GetAtt`` can be resolved before anything exists (``LocalNames``). SAM's implicit
resources are known too: ``<Function><EventName>`` (the rule of an EventBridgeRule/Schedule event),
``<Function>Role``, ``<StateMachine>Role``.

Nothing is evaluated eagerly except parameters and Conditions: properties are resolved when a spec
is asked for, so the alarms or outputs never need local equivalents.

The package is split by resource kind: :mod:`.base` (parameters, Conditions, names, intrinsics),
:mod:`.queues`, :mod:`.functions` (with their rules and schedules), :mod:`.statemachines`,
:mod:`.pipes`; the specs are in :mod:`.specs`, the YAML loader in :mod:`.loader`.
"""

from __future__ import annotations

from .base import TemplateBase
from .functions import FunctionsMixin
from .loader import TemplateError, load_yaml
from .pipes import PipesMixin
from .queues import QueuesMixin
from .specs import (
    AsyncConfig,
    Destination,
    FunctionSpec,
    PipeSpec,
    QueueSpec,
    RedriveSpec,
    RuleSpec,
    ScheduleSpec,
    StackContext,
    StateMachineSpec,
)
from .statemachines import StateMachinesMixin

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
    "Template",
    "TemplateError",
    "load_yaml",
]


class Template(QueuesMixin, FunctionsMixin, StateMachinesMixin, PipesMixin, TemplateBase):
    """A SAM template, its parameters and Conditions evaluated, resolvable to local resources.

    ``parameters`` override the defaults (values may be str, int, float, bool or a list for a
    CommaDelimitedList). Constraint violations (AllowedValues, AllowedPattern, Min/Max...) are
    collected in :attr:`parameter_problems`; with ``strict=True`` (the default) they raise, as
    ``sam deploy`` would refuse them.
    """
