"""Queues: the template's SQS queues in moto (attributes and redrive policy as declared), and what
the runtime does with them: look one up by logical id or alias, its depth, peek or drain a
(dead-letter) queue, put an ipamsync message on the EventQueue, deliver a Lambda destination record.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from .template import Destination, QueueSpec, Template

QUEUE_ALIASES = {
    "event": "EventQueue",
    "events": "EventQueue",
    "workflow": "WorkflowDeadLetterQueue",
    "workflow-dlq": "WorkflowDeadLetterQueue",
    "event-dlq": "EventDeadLetterQueue",
    "dlq": "EventDeadLetterQueue",
}


class Queues:
    """The stack's queues (created by :meth:`create`, dead-letter queues first)."""

    def __init__(self, sqs: Any) -> None:
        self.sqs = sqs
        self.specs: dict[str, QueueSpec] = {}
        self.urls: dict[str, str] = {}

    def create(self, template: Template) -> Queues:
        self.specs = template.queues()
        for lid, spec in self.specs.items():
            url = self.sqs.create_queue(QueueName=spec.name, Attributes=spec.attributes)["QueueUrl"]
            if url != spec.url:
                raise RuntimeError(f"{lid}: moto gave {url}, the template resolves {spec.url}")
            self.urls[lid] = url
        return self

    def url(self, queue: str) -> str:
        lid = QUEUE_ALIASES.get(queue, queue)
        if lid not in self.urls:
            raise KeyError(f"no queue {queue!r} (known: {sorted(self.urls)})")
        return self.urls[lid]

    def depth(self, queue: str = "EventQueue") -> dict[str, int]:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=self.url(queue),
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        return {
            "visible": int(attrs.get("ApproximateNumberOfMessages", 0)),
            "in_flight": int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
            "delayed": int(attrs.get("ApproximateNumberOfMessagesDelayed", 0)),
        }

    def dead_letters(self, queue: str, *, delete: bool = False) -> list[dict[str, Any]]:
        """See :meth:`ipamsync_local.aws.runtime.LocalAws.dead_letters`."""
        url = self.url(queue)
        found: list[dict[str, Any]] = []
        handles: list[str] = []
        while True:
            msgs = self.sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=60,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not msgs:
                break
            for m in msgs:
                try:
                    body: Any = json.loads(m["Body"])
                except ValueError:
                    body = m["Body"]
                found.append(
                    {"message_id": m["MessageId"], "body": body, "attributes": m.get("Attributes", {})}
                )
                if delete:
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                else:
                    handles.append(m["ReceiptHandle"])
        for handle in handles:
            self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
        return found

    def send_message(
        self, message: Mapping[str, Any], *, group_id: str | None = None, dedup_id: str | None = None
    ) -> str:
        """An ipamsync message on the EventQueue, as the enrich function sends it."""
        instance_id = str((message.get("instance") or {}).get("id") or group_id or "unknown")
        event_id = str((message.get("event") or {}).get("id") or uuid.uuid4())
        resp = self.sqs.send_message(
            QueueUrl=self.url("EventQueue"),
            MessageBody=json.dumps(message, separators=(",", ":")),
            MessageGroupId=group_id or instance_id,
            MessageDeduplicationId=dedup_id or event_id,
            MessageAttributes={
                "schema": {"DataType": "String", "StringValue": str(message.get("schema", ""))},
                "state": {
                    "DataType": "String",
                    "StringValue": str((message.get("instance") or {}).get("state", "")),
                },
            },
        )
        return str(resp["MessageId"])

    def send_to_destination(self, destination: Destination, record: dict[str, Any]) -> None:
        """A Lambda destination record (OnFailure/OnSuccess) to its SQS queue."""
        if destination.type.upper() != "SQS" and ":sqs:" not in destination.arn:
            raise NotImplementedError(f"destination type {destination.type} is not supported locally")
        _, _, _, _region, account, name = destination.arn.split(":", 5)
        url = self.sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        self.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record))
