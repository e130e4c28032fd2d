"""Enrich: an EventBridge EC2 state-change event → the instance's snapshot on the FIFO queue.

Input: the EventBridge event. Output: ``Queued.to_dict()`` (``instance_id``, ``state``,
``observed_at``, ``message_id``). Errors: ``InvalidMessage`` (malformed event), ``InstanceNotFound``
(retried by Lambda's asynchronous invocation, then sent with its error to the dead-letter queue).
"""

from ipamsync.enrich import Queued, enrich, send_message
from ipamsync.events import StateChange, parse_event
from ipamsync.runtime.container import EnrichClients
from ipamsync.runtime.handler import enrich_handler


def run(change: StateChange, aws: EnrichClients) -> Queued:
    message = enrich(change, aws.ec2_reader(change.region), aws.settings)
    return send_message(aws.sqs, aws.queue_url, message)


lambda_handler = enrich_handler(parse_event, run)
