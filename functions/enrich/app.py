"""Enrich: an EventBridge event → snapshots of the instances it concerns, on the FIFO queue.

Input: an EC2 state-change event, an ``AWS API Call via CloudTrail`` event for a call in
``ipamsync.events.CALLS``, or an ``ipamsync Refresh Request``. Output: ``Enriched.to_dict()``
(``event_id``, ``kind``, ``queued``: one ``{instance_id, state, observed_at, message_id}`` per
message; for one message also its fields at the top level; ``lookup``, ``ignored``). Errors:
``InvalidMessage`` (malformed event), ``InstanceNotFound`` and ``QueueRefused`` (retried by
Lambda's asynchronous invocation, then sent with their error to the dead-letter queue).
"""

from ipamsync.enrich import Enriched, enrich_event
from ipamsync.events import Event, parse_event
from ipamsync.runtime.container import EnrichClients
from ipamsync.runtime.handler import enrich_handler


def run(event: Event, aws: EnrichClients) -> Enriched:
    return enrich_event(event, aws.ec2_reader(event.region), aws.settings, aws.sqs, aws.queue_url)


lambda_handler = enrich_handler(parse_event, run)
