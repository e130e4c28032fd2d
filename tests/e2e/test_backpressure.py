"""Back-pressure: a burst of events is absorbed by the queue and applied, nothing lost; the load on
SOLIDserver stays within what the configuration allows; SOLIDserver's 429s are honoured.

* The burst: ``BURST`` EventBridge events (80 here, to stay inside CI's budget; the soak benchmark,
  ``ipamsync_local.bench.soak``, runs 2,000) arrive while the pipe is paused; the queue holds them
  all, then the pipe drains it with more workers than the functions' reserved concurrency.
* The bound: ``SolidServerMaxConcurrency`` (template: each sync function's reserved concurrency)
  is 2. The local Lambda service enforces it like Lambda (429 ``TooManyRequestsException`` beyond
  it), the state machine retries the throttled tasks (``Lambda.TooManyRequestsException``: 6 retries,
  1-4 s), and the emulator side counts the requests it serves at once: at most 2 per function, so 8
  for the four (the functions' environments run in parallel, as in AWS).
* 429: SOLIDserver answers 429 with ``Retry-After: 1`` to 5 % of the device lookups; the client
  must wait that long before asking again (measured on the emulator side).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from .harness import Run, retry_violations, task_runs, wait_violations

pytestmark = pytest.mark.slow

BURST = 80
MAX_CONCURRENCY = 2
RETRY_SCALE = 0.1  # throttling retries 1..8 s → 0.1..0.8 s: a sync step takes ~50 ms here
RETRY_AFTER = 1


# Over 80 lines: one burst through one pipeline; every bound (queue, retries, dead letters,
# concurrency on SOLIDserver, 429 waits) is read from the same run, which takes too long to repeat
# per bound.
def test_a_burst_is_absorbed_and_the_load_on_solidserver_bounded(
    make_pipeline: Callable[..., AbstractContextManager[Run]],
) -> None:
    with make_pipeline(
        parameters={"SolidServerMaxConcurrency": str(MAX_CONCURRENCY)},
        pipe_workers=6,
        retry_scale=RETRY_SCALE,
    ) as run:
        aws, emu = run.aws, run.emu
        fleet, lambdas, pipe = aws.fleet, aws.lambdas, aws.pipe
        assert (
            fleet is not None and lambdas is not None and pipe is not None and aws.events_source is not None
        )
        for name in ("DeviceFunction", "NetworksFunction", "AddressesFunction", "DnsFunction"):
            assert lambdas.get(name).spec.reserved_concurrency == MAX_CONCURRENCY
        ids = [fleet.launch(f"burst-{i}", ipv6=1).instance_id for i in range(10)]
        run.wait()
        run.assert_converged()
        before = len(run.executions())
        emu.admin.set_faults(
            {"seed": 7, "rules": {"hostdev_list": {"error_rates": {"429": 0.05}, "retry_after": RETRY_AFTER}}}
        )
        run.log.clear()

        # The burst: the queue absorbs it while nothing consumes it.
        pipe.pause()
        account = run.truth().account
        mark = aws.events_source.mark()
        for n in range(BURST):
            aws.events_source.emit(ids[n % len(ids)], "running", account_id=account, region="us-east-1")
        lambdas.wait_idle(120)
        assert aws.queue_depth("EventQueue")["visible"] == BURST
        pipe.resume()
        run.wait(300)
        emu.admin.clear_faults()

        burst = aws.events_source.since(mark)
        summaries = run.executions()[before:]
        succeeded = {s.event_id for s in summaries if s.status == "SUCCEEDED"}
        assert {e.id for e in burst} == succeeded, "every event of the burst applied"
        # An execution whose throttling retries ran out is dead-lettered and redelivered by SQS.
        exhausted = [s for s in summaries if s.status != "SUCCEEDED"]
        for s in exhausted:
            assert s.dead_lettered and {f["error"] for f in s.task_failures} == {
                "Lambda.TooManyRequestsException"
            }, s
        assert run.dead_letters("EventDeadLetterQueue") == []
        run.assert_converged()

        # Throttling happened, was retried by the state machine, and never exceeded the bound.
        stats = aws.counters()["lambda"]
        sync = {k: v for k, v in stats.items() if k != "EnrichFunction"}
        assert sum(v["throttles"] for v in sync.values()) > 0
        assert all(v["in_flight_max"] <= MAX_CONCURRENCY for v in sync.values()), sync
        errors = Counter(f["error"] for s in summaries for f in s.task_failures)
        assert errors["Lambda.TooManyRequestsException"] > 0
        runs = task_runs(run)
        assert retry_violations(runs) == [] and wait_violations(runs) == []
        # SOLIDserver's load: each of the four sync functions runs at most MAX_CONCURRENCY execution
        # environments at once, each making one request at a time (the emulator cannot tell which
        # function sent a request, so the bound it sees is their sum).
        assert run.log.max_in_flight <= MAX_CONCURRENCY * len(sync)

        # 429: every in-client retry came Retry-After seconds later (after its third 429 in a row the
        # client gives up with SolidServerThrottled and the state machine's backoff takes over).
        requests = sorted(run.log.snapshot(), key=lambda r: r.started)
        throttled = [i for i, r in enumerate(requests) if r.status == "429"]
        assert len(throttled) >= 2, "the emulator throttled some lookups"
        streak: Counter[tuple[str, str]] = Counter()
        honoured = 0
        for i, r in enumerate(requests):
            key = (r.service, str(sorted(r.params.items())))
            if r.status != "429":
                streak[key] = 0
                continue
            streak[key] += 1
            # The retry is the next request asking the same (the environments of the other
            # executions send theirs in between: they run in parallel, as in AWS).
            same = [n for n in requests[i + 1 :] if (n.service, str(sorted(n.params.items()))) == key]
            if streak[key] < 3 and same:
                nxt = same[0]
                assert nxt.started - r.ended >= RETRY_AFTER - 0.02, (
                    f"retried after {nxt.started - r.ended:.3f} s"
                )
                honoured += 1
        assert honoured >= 2
        print(
            f"\nburst of {len(burst)} events: {len(summaries)} executions ({len(exhausted)} ran out of "
            "throttling retries, redelivered), "
            f"{sum(v['throttles'] for v in sync.values())} Lambda throttles, "
            f"{errors['Lambda.TooManyRequestsException']} throttled tasks retried, {len(throttled)} SOLIDserver 429s "
            f"({honoured} waited Retry-After), max {run.log.max_in_flight} concurrent SOLIDserver requests"
        )
