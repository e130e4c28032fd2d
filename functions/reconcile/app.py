"""Reconcile: one account and region listed in full, planned, and the plan queued.

Input ``{"account", "region", "run", "deep", "dry_run"}`` (the reconcile state machine's Map item;
``run`` is the execution's name), or ``{"list_targets": true}``: every (account, region) the
coverage names (the workflow's first step when its input names none). A member account is read
through its read-only role, like enrich does. Lists SOLIDserver (the devices ipamsync owns there) then EC2
(every instance, the same snapshot enrich builds), classifies each instance (missing, drifted, in
sync, orphaned) and, unless ``dry_run``, queues a snapshot per instance to repair on the event
queue. Never writes to SOLIDserver. Output: ``Outcome.to_dict()`` (counts; the items for a dry
run). Errors: ``ListingIncomplete`` (nothing queued; retried by the workflow, then the run fails),
``QueueRefused``, ``InvalidMessage``, ``ConfigurationError`` (a target outside the coverage),
``MemberAccessRefused``.
"""

import os

from ipamsync.reconcile.run import (
    Outcome,
    Target,
    TargetsRequest,
    check_covered,
    covered_targets,
    orphan_grace,
    parse_request,
    reconcile,
)
from ipamsync.runtime import container
from ipamsync.runtime.handler import reconcile_handler


def run(request: Target | TargetsRequest) -> Outcome | list[dict[str, str]]:
    aws = container.enrich_clients()
    if isinstance(request, TargetsRequest):
        organizations = aws.organizations() if aws.coverage.organizational_units else None
        return covered_targets(aws.coverage, organizations)
    check_covered(request, aws.coverage, aws.directory)
    ctx = container.sync_context()
    return reconcile(
        request,
        reader=aws.ec2_reader(request.region, request.account),
        ss=ctx.ss,
        settings=ctx.settings,
        sqs=aws.sqs,
        queue_url=aws.queue_url,
        orphan_grace=orphan_grace(os.environ),
    )


lambda_handler = reconcile_handler(parse_request, run)
