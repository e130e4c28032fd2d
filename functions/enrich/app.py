"""Enrich: an EventBridge event → snapshots of the instances it concerns, on the FIFO queue.

EC2 is read in the event's account and region (a member account through its read-only role); an
event from an account or region outside the coverage is dropped (``out_of_scope``, metric
``EventsOutOfScope``). Input: an EC2 state-change event, an ``AWS API Call via CloudTrail``
event for a call in ``ipamsync.events.CALLS``, or an ``ipamsync Refresh Request``. Output:
``Enriched.to_dict()`` (``event_id``, ``kind``, ``queued``: one ``{instance_id, state,
observed_at, message_id}`` per message; for one message also its fields at the top level;
``lookup``, ``ignored``, ``out_of_scope``). Errors: ``InvalidMessage`` (malformed event),
``MemberAccessRefused`` (the member account's role refuses the hub: dead-lettered with the account
named), ``InstanceNotFound`` and ``QueueRefused`` (retried by Lambda's asynchronous invocation,
then sent with their error to the dead-letter queue).
"""

from ipamsync.enrich import Enriched, enrich_covered
from ipamsync.events import Event, parse_event
from ipamsync.runtime.container import EnrichClients
from ipamsync.runtime.handler import enrich_handler


def run(event: Event, aws: EnrichClients) -> Enriched:
    return enrich_covered(
        event,
        aws.coverage,
        lambda account, region: aws.ec2_reader(region, account),
        aws.settings,
        aws.sqs,
        aws.queue_url,
        aws.directory,
    )


lambda_handler = enrich_handler(parse_event, run)
