"""Bad input, through the whole pipeline: malformed EventBridge events into enrich, malformed
messages on the queue and state machine inputs, unknown instances, and EC2 instances whose tags are
hostile (quotes, ``%``, backslashes, SQL-looking text, unicode, thousands of characters, more metadata
than SOLIDserver accepts).

What must hold: a clear, named error (``InvalidMessage``, ``InstanceNotFound``) or the documented
sanitisation; a bounded number of attempts (enrich: 1 + 2 asynchronous retries; a queued message:
maxReceiveCount executions, never retried inside one); the event kept in a dead-letter queue; every
query SOLIDserver receives well-formed (every WHERE parses, no 400 at all); everything that can be
applied converges on EC2.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

from ipamsync_local.truth import clip, hostname_label, tag_key

from .harness import ENRICH_ATTEMPTS, MAX_RECEIVE, Run, where_problems

pytestmark = pytest.mark.slow

HUGE = "i-0f0f0f0f0f0f0f0f0"
HOSTILE_TAGS = {
    "Quote'Key": 'it\'s "quoted"',
    "pct%": "100%_done",
    "back\\slash": "C:\\Windows\\",
    "sql": "x' OR '1'='1'; DROP TABLE hostdev; --",
    "uni": "Ünïcødé ☃ 😀",
    "ctl": "tab\tnew\nline",
}


def _event(iid: str, state: str = "running", **extra: Any) -> dict[str, Any]:
    event = {
        "version": "0",
        "id": f"bad-{iid}-{state}",
        "detail-type": "EC2 Instance State-change Notification",
        "source": "aws.ec2",
        "account": "123456789012",
        "time": "2026-11-27T07:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"instance-id": iid, "state": state},
    }
    event.update(extra)
    return event


# Over 80 lines: every kind of bad input (hostile tags, invalid events, invalid messages, oversized
# ones) goes through one pipeline at once, so that one run shows each is named, bounded and kept
# without disturbing the others; a pipeline per kind would multiply the suite's slowest set-up.
def test_bad_input_is_named_bounded_and_kept(
    make_pipeline: Callable[..., AbstractContextManager[Run]],
) -> None:
    with make_pipeline(time_scale=0.005) as run:
        aws = run.aws
        fleet, lambdas = aws.fleet, aws.lambdas
        assert fleet is not None and lambdas is not None

        # ---- EC2 instances with hostile tags: sanitised, applied
        nasty = fleet.launch("'; DROP TABLE hostdev; --", tags=HOSTILE_TAGS, ipv6=1).instance_id
        long_name = fleet.launch("x" * 256, tags={"note": "y" * 256}).instance_id  # EC2's longest values
        no_host = fleet.launch("%_%", tags={"Hostname": "\\'"}).instance_id
        accents = fleet.launch("Ünïcode Sérvér ☃").instance_id
        big = fleet.launch(
            "big-1", tags={f"team-{i:02d}": chr(0x3B1 + i % 20) * 255 for i in range(49)}
        ).instance_id
        zoned = fleet.launch("zoned-1", tags={"ipamsync:zone": "bad zone'; --"}).instance_id

        # ---- EventBridge events that are not valid: into enrich directly and through the bus
        not_an_event = {"hello": "world"}
        lambdas.invoke_async("EnrichFunction", not_an_event)
        lambdas.invoke_async("EnrichFunction", _event("i-0123456789abcdef0", id="x" * 5000))
        lambdas.invoke_async("EnrichFunction", _event("i-0123456789abcdef1", "exploded"))
        aws.put_event(_event("i-NOT-AN-ID"))  # matches the rule's pattern, not an instance id
        aws.put_event(_event("i-0123456789abcdef2", "running"))  # EC2 does not know it
        aws.put_event(_event("i-0123456789abcdef3", "terminated"))  # documented: a tombstone

        # ---- messages on the queue that are not valid ipamsync messages
        run.wait(120)
        real = next(b for b in run.applied_messages() if b["instance"]["id"] == accents)
        bad_host = json.loads(json.dumps(real))
        bad_host["instance"]["hostname"] = "Web_1"
        bad_host["event"]["id"] = "bad-hostname"
        newer_schema = dict(real, schema="ipamsync.instance/2", event=dict(real["event"], id="bad-schema"))
        missing = {"schema": "ipamsync.instance/1", "event": {"id": "bad-missing"}}
        too_long = json.loads(json.dumps(bad_host))
        too_long["instance"].update(hostname="fine", name="n" * 4097)
        too_long["event"]["id"] = "bad-too-long"
        url = aws.queue_url("EventQueue")
        for n, body in enumerate(
            [
                "{not json",
                json.dumps(missing),
                json.dumps(bad_host),
                json.dumps(newer_schema),
                json.dumps(too_long),
            ]
        ):
            aws.sqs.send_message(
                QueueUrl=url, MessageBody=body, MessageGroupId=f"bad-{n}", MessageDeduplicationId=f"bad-{n}"
            )
        # A valid message carrying more than SOLIDserver accepts (a 4096-character name, 60 tags of
        # 1,200 characters: ~110 KB, within SQS's and Step Functions' 256 KB): applied, cut and
        # trimmed as documented.
        huge = json.loads(json.dumps(real))
        huge["event"]["id"] = "huge-1"
        huge["instance"].update(
            id=HUGE,
            name="N" * 4096,
            tags={f"k{i:02d} '%\\": f"{i}" + "v'%\\" * 300 for i in range(60)},
            network_interfaces=[],
        )
        huge["vpcs"], huge["subnets"] = [], []
        aws.send_message(huge)
        # ... and a state machine input the pipe would never build
        direct = aws.execute([{"body": "garbage", "messageId": "m-0"}])
        run.wait(120)

        # Enrich: named errors, 1 + 2 attempts each, then its on-failure destination (workflow DLQ).
        enrich = lambdas.get("EnrichFunction").stats
        assert enrich.errors_by_type == {
            "InvalidMessage": 4 * ENRICH_ATTEMPTS,
            "InstanceNotFound": ENRICH_ATTEMPTS,
        }
        failures = [
            d["body"] for d in run.dead_letters("WorkflowDeadLetterQueue") if "requestPayload" in d["body"]
        ]
        assert len(failures) == 5
        assert {f["requestContext"]["approximateInvokeCount"] for f in failures} == {ENRICH_ATTEMPTS}
        assert Counter(f["responsePayload"]["errorType"] for f in failures) == {
            "InvalidMessage": 4,
            "InstanceNotFound": 1,
        }
        assert not_an_event in [f["requestPayload"] for f in failures], "the original event is kept"

        # Queued messages: maxReceiveCount executions each, never retried within one, then the
        # event dead-letter queue holds them as they were sent.
        summaries = run.executions()
        by_group = Counter(s.instance_id for s in summaries if s.status == "FAILED")
        for group in ("bad-0", "bad-1"):
            assert by_group[group] == MAX_RECEIVE, by_group
        assert by_group[accents] == 3 * MAX_RECEIVE  # the three rewritten copies of its message
        # The zoned instance's launch events (pending, running) reach the queue in either order (Lambda
        # runs enrich concurrently): the first is refused MAX_RECEIVE times; the second too if it is
        # the newer observation, else it is stale (the device records the newer one) and skipped.
        zoned_parked = [
            d["body"]
            for d in run.dead_letters("EventDeadLetterQueue")
            if isinstance(d["body"], dict) and d["body"].get("instance", {}).get("id") == zoned
        ]
        assert len(zoned_parked) in (1, 2)
        assert by_group[zoned] == len(zoned_parked) * MAX_RECEIVE
        for s in summaries:
            if s.status == "FAILED":
                # a permanent error is never retried within an execution (a throttled invocation
                # is, by the state machine's Lambda retrier, on a loaded machine as in AWS)
                seen = Counter(
                    (f["state"], f["error"])
                    for f in s.task_failures
                    if f["error"] != "Lambda.TooManyRequestsException"
                )
                assert all(n == 1 for n in seen.values()) and s.dead_lettered, s
        parked = [d["body"] for d in run.dead_letters("EventDeadLetterQueue")]
        for body in ("{not json", missing, bad_host, newer_schema, too_long):
            assert body in parked
        workflow = [d["body"] for d in run.dead_letters("WorkflowDeadLetterQueue") if d["body"].get("kind")]
        errors = Counter(w["record"]["error"]["Error"] for w in workflow)
        assert errors == {"InvalidMessage": (5 + len(zoned_parked)) * MAX_RECEIVE + 1}, errors
        zone_errors = [w for w in workflow if zoned in w["record"].get("body", "")]
        assert all("is not a DNS zone name" in w["record"]["error"]["Cause"] for w in zone_errors)
        assert direct.status == "FAILED" and direct.dead_lettered

        # SOLIDserver never saw a malformed query: every WHERE parses, nothing answered 400.
        requests = run.log.snapshot()
        assert where_problems(requests) == []
        # The one 400 allowed: two executions of a new VPC's instances creating the same network at
        # once (``add_flag=new_only``); the loser re-reads what the winner created (networks step).
        created = {(r.service, json.dumps(r.params, sort_keys=True)) for r in requests if r.status == "201"}
        refused = [
            r
            for r in requests
            if r.status == "400"
            and not (
                r.params.get("add_flag") == "new_only"
                and (r.service, json.dumps(r.params, sort_keys=True)) in created
            )
        ]
        assert refused == []
        assert len(requests) > 50

        # Everything applicable converged, sanitised as documented.
        unknown = ("i-0123456789abcdef3",)
        diffs = run.differences(unknown_terminated=unknown, ignore=(zoned, HUGE))
        assert not diffs, "\n".join(map(str, diffs))
        inv = run.inventory()
        dev = {d.metadata.get("aws_instance_id"): d for d in inv.devices}
        assert dev[nasty].name == f"drop-table-hostdev-{nasty}"
        assert dev[nasty].metadata["aws_name"] == "'; DROP TABLE hostdev; --"
        for key, value in HOSTILE_TAGS.items():
            assert dev[nasty].metadata[tag_key(key)] == clip(value)
        assert dev[long_name].name == f"{'x' * 63}-{long_name}"
        assert dev[long_name].metadata["aws_name"] == "x" * 254 + "…"
        assert dev[long_name].metadata["aws_tag_note"] == "y" * 254 + "…"
        assert dev[HUGE].metadata["aws_name"] == "N" * 254 + "…"
        assert int(dev[HUGE].metadata["aws_tags_omitted"]) > 0
        assert all(len(v) <= 255 for v in dev[HUGE].metadata.values())
        assert dev[no_host].name == no_host and hostname_label("%_%") is None
        assert dev[accents].name == f"unicode-server-{accents}"
        assert int(dev[big].metadata["aws_tags_omitted"]) > 0
        assert dev["i-0123456789abcdef3"].metadata.get("ipamsync_tombstone")
        # The instance whose zone tag is not a zone name: its device is there, its addresses and
        # records are not (InvalidMessage, kept in the dead-letter queues).
        zoned_diffs = run.differences(scope={zoned})
        assert zoned_diffs and {(d.kind, d.object_type) for d in zoned_diffs} <= {
            ("missing", "address"),
            ("missing", "record"),
        }
