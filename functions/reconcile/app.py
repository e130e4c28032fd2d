"""Reconcile: one account and region listed in full, planned, and the plan queued.

Input ``{"account", "region", "run", "deep", "dry_run"}`` (the reconcile state machine's Map item;
``run`` is the execution's name). Lists SOLIDserver (the devices ipamsync owns there) then EC2
(every instance, the same snapshot enrich builds), classifies each instance (missing, drifted, in
sync, orphaned) and, unless ``dry_run``, queues a snapshot per instance to repair on the event
queue. Never writes to SOLIDserver. Output: ``Outcome.to_dict()`` (counts; the items for a dry
run). Errors: ``ListingIncomplete`` (nothing queued; retried by the workflow, then the run fails),
``QueueRefused``, ``InvalidMessage``.
"""

import os

from ipamsync.reconcile.run import Outcome, Target, orphan_grace, reconcile
from ipamsync.runtime import container
from ipamsync.runtime.handler import reconcile_handler


def run(target: Target) -> Outcome:
    aws = container.enrich_clients()
    ctx = container.sync_context()
    return reconcile(
        target,
        reader=aws.ec2_reader(target.region),
        ss=ctx.ss,
        settings=ctx.settings,
        sqs=aws.sqs,
        queue_url=aws.queue_url,
        orphan_grace=orphan_grace(os.environ),
    )


lambda_handler = reconcile_handler(Target.from_event, run)
