"""Queues (``AWS::SQS::Queue``): attributes for ``CreateQueue``, redrive policy, FIFO."""

from __future__ import annotations

import json

from .base import TemplateBase, _to_str, _truthy
from .specs import QueueSpec, RedriveSpec

_QUEUE_ATTRIBUTES = (
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoQueue",
    "FifoThroughputLimit",
    "KmsDataKeyReusePeriodSeconds",
    "KmsMasterKeyId",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "RedriveAllowPolicy",
    "RedrivePolicy",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
)


class QueuesMixin(TemplateBase):
    def queues(self) -> dict[str, QueueSpec]:
        specs: dict[str, QueueSpec] = {}
        for lid in self.logical_ids("AWS::SQS::Queue"):
            props = self.properties(lid)
            attributes: dict[str, str] = {}
            for key in _QUEUE_ATTRIBUTES:
                if key not in props:
                    continue
                value = props[key]
                attributes[key] = json.dumps(value) if isinstance(value, dict) else _to_str(value)
            redrive = None
            policy = props.get("RedrivePolicy")
            if isinstance(policy, str):
                policy = json.loads(policy)
            if policy:
                dlq_arn = str(policy["deadLetterTargetArn"])
                redrive = RedriveSpec(dlq_arn, self._logical_of_arn(dlq_arn), int(policy["maxReceiveCount"]))
                attributes["RedrivePolicy"] = json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": int(policy["maxReceiveCount"])}
                )
            fifo = _truthy(props.get("FifoQueue", False))
            specs[lid] = QueueSpec(
                logical_id=lid,
                name=self.physical_name(lid),
                url=str(self.ref(lid)),
                arn=str(self.get_att(lid, "Arn")),
                fifo=fifo,
                content_based_deduplication=_truthy(props.get("ContentBasedDeduplication", False)),
                visibility_timeout=int(props.get("VisibilityTimeout", 30)),
                message_retention_period=int(props.get("MessageRetentionPeriod", 345600)),
                sse=_truthy(props.get("SqsManagedSseEnabled", True)) or "KmsMasterKeyId" in props,
                redrive=redrive,
                attributes=attributes,
                properties=props,
            )
        # dead-letter queues first: a redrive policy must name an existing queue
        ordered = sorted(specs.values(), key=lambda q: q.redrive is not None)
        return {q.logical_id: q for q in ordered}
