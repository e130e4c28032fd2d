"""Enrich: EventBridge EC2 state-change event → enriched message on the FIFO queue.

Input: the EventBridge event. Output: ``{"instance_id", "state", "observed_at", "message_id"}``.
Errors: ``InvalidMessage`` (malformed event), ``InstanceNotFound`` (retried by Lambda's
asynchronous invocation, then sent with its error to the dead-letter queue).
"""

from ipamsync.enrich import enrich, send_message
from ipamsync.lambda_support import enrich_step


@enrich_step
def lambda_handler(event, aws):
    message = enrich(event, aws.ec2_reader(event["region"]), aws.settings)
    message_id = send_message(aws.sqs, aws.queue_url, message)
    return {
        "instance_id": message.instance.id,
        "state": message.instance.state,
        "observed_at": message.observed_at,
        "message_id": message_id,
    }
