"""Reconcile: one account and region listed in full, planned, and the plan queued.

Input ``{"account", "region", "run", "deep", "dry_run"}`` (the reconcile state machine's Map item;
``run`` is the execution's name). Lists SOLIDserver (the devices ipamsync owns there) then EC2
(every instance, the same snapshot enrich builds), classifies each instance (missing, drifted, in
sync, orphaned) and, unless ``dry_run``, queues a snapshot per instance to repair on the event
queue. Never writes to SOLIDserver. Output: ``Outcome.to_dict()`` (counts; the items for a dry
run). Errors: ``ListingIncomplete`` (nothing queued; retried by the workflow, then the run fails),
``QueueRefused``, ``InvalidMessage``, ``ConfigurationError`` (a target of another account).
"""

import os

from ipamsync.reconcile.run import Outcome, Target, check_account, orphan_grace, reconcile
from ipamsync.runtime import container
from ipamsync.runtime.handler import reconcile_handler

_own_account: list[str] = []


def own_account() -> str:
    """The account this function runs in (STS, once per container)."""
    if not _own_account:
        import boto3

        _own_account.append(str(boto3.client("sts").get_caller_identity()["Account"]))
    return _own_account[0]


def run(target: Target) -> Outcome:
    check_account(target, own_account())
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
