"""The final screen: what SOLIDserver holds (IPAM tree, devices, DNS records), every execution,
the totals, the consistency check of SOLIDserver against EC2, and where to look again."""

from __future__ import annotations

import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from ipamsync_local import report
from ipamsync_local import truth as truthlib
from ipamsync_local.inventory import read_inventory

from .consistency import Earlier, check_lines, expected_truth, scope
from .screen import executions_summary, seconds
from .target import Target

if TYPE_CHECKING:
    from .run import Demo


def final_screen(
    demo: Demo, aws: Any, target: Target, ss: Any, earlier: Earlier, calls: dict[str, Any], converged: bool
) -> bool:
    """Show the end state and judge it: every phase converged, every execution succeeded, no dead
    letter, SOLIDserver matches EC2."""
    screen, args = demo.screen, demo.args
    inv = read_inventory(ss, args.dns_server)
    truth, ignored = expected_truth(aws, ss, inv, earlier, args.dns_server)
    view = scope(inv, args.space)
    screen.section(f"SOLIDserver · IPAM (space {args.space})")
    screen.line(report.ipam_tree(view))
    screen.section("SOLIDserver · devices")
    screen.line(report.devices(view))
    screen.section(f"SOLIDserver · DNS records on {args.dns_server}")
    screen.line(report.dns_records(view))

    summaries = sorted(aws.recorder.summaries, key=lambda s: (s.start or "", s.name))
    screen.section("Executions (one per message: EC2 events, CloudTrail calls, refresh requests)")
    names = {i["instance_id"]: i["name"] for i in aws.fleet.instances()}
    screen.line(executions_summary(summaries, names))
    dead = aws.dead_letters("WorkflowDeadLetterQueue"), aws.dead_letters("EventDeadLetterQueue")
    screen.section("Summary")
    for label, value in summary_rows(demo, aws, summaries, dead, calls):
        screen.line(f"  {label:<18} {value}")

    problems = truthlib.compare(inv, truth, ignore_instances=ignored)
    screen.section("Consistency check (SOLIDserver against EC2)")
    for line in check_lines(problems, truth):
        screen.line(line)
    if dead[0] or dead[1]:
        from ipamsync_local.aws.cli import describe_dead_letter

        screen.line("  dead letters:")
        for entry in dead[0] + dead[1]:
            screen.line(f"    {describe_dead_letter(entry)}")
    failed = [s for s in summaries if s.status != "SUCCEEDED"]
    look_again(demo, target, summaries)
    return converged and not problems and not dead[0] and not dead[1] and not failed


def summary_rows(
    demo: Demo, aws: Any, summaries: list[Any], dead: tuple[list[Any], list[Any]], calls: dict[str, Any]
) -> list[tuple[str, str]]:
    """Events, executions, retries, dead letters, SOLIDserver calls, the brownout, earlier runs,
    the phases' times and the wall time."""
    emitted = aws.events_source.emitted
    calls_emitted = aws.calls_source.emitted if aws.calls_source is not None else []
    by_state = Counter(e.state for e in emitted)
    retried = [s for s in summaries if s.retries]
    failed = [s for s in summaries if s.status != "SUCCEEDED"]
    errors = sorted({f["error"] for s in retried for f in s.task_failures})
    workflow, events = dead
    rows = [
        (
            "EC2 events",
            f"{len(emitted)}  (" + ", ".join(f"{k} {v}" for k, v in sorted(by_state.items())) + ")",
        ),
        (
            "CloudTrail events",
            f"{len(calls_emitted)}  ("
            + ", ".join(f"{k} {v}" for k, v in sorted(Counter(c.name for c in calls_emitted).items()))
            + ")",
        ),
        ("executions", f"{len(summaries)}  succeeded {len(summaries) - len(failed)}, failed {len(failed)}"),
        (
            "retries",
            f"{sum(s.retries for s in summaries)} in {len(retried)} execution(s)"
            + (f"  ({', '.join(errors)})" if retried else ""),
        ),
        ("dead letters", f"{len(workflow) + len(events)}  (workflow {len(workflow)}, event {len(events)})"),
        (
            "SOLIDserver calls",
            f"{calls['reads'] + calls['writes']}  (reads {calls['reads']}, writes "
            f"{calls['writes']}; {calls['source']})",
        ),
    ]
    run_info = demo.run_info
    if run_info.brownout and not sum(run_info.brownout["by_status"].values()):
        rows.append(("brownout", f"no call happened to fail in its {seconds(run_info.brownout['window'])}"))
    elif run_info.brownout:
        b = run_info.brownout["by_status"]
        rows.append(
            (
                "brownout",
                f"{sum(b.values())} SOLIDserver calls failed on purpose ("
                + ", ".join(f"{v}x {k}" for k, v in sorted(b.items()))
                + "): 429s waited out by the client (Retry-After), 503s retried by the state machine",
            )
        )
    if run_info.reconcile:
        counts = run_info.reconcile.get("plan") or {}
        rows.append(
            (
                "reconcile",
                ", ".join(f"{n} {c}" for c, n in counts.items())
                + f"; deep run queued {run_info.reconcile.get('deep_queued')} "
                f"({run_info.reconcile.get('status', '?')})",
            )
        )
    if run_info.caught_up:
        rows.append(("earlier runs", f"{run_info.caught_up} instance(s) caught up (now tombstones)"))
    rows.append(
        ("phases", "  ".join(f"{p.title.split(']')[0][1:]} {seconds(p.seconds)}" for p in run_info.phases))
    )
    rows.append(("wall time", seconds(time.monotonic() - demo.started)))
    return rows


def look_again(demo: Demo, target: Target, summaries: list[Any]) -> None:
    """The commands that show the run again: executions, one execution's history, the logs."""
    from ipamsync_local.cli import invocation

    sd, ipamsync = demo.state_dir_option(), invocation()
    example = next((s for s in summaries if s.retries), summaries[0] if summaries else None)
    rows = [(f"{ipamsync} local executions{sd}", "every execution, newest first")]
    if example is not None:
        rows.append(
            (
                f"{ipamsync} local history {example.name}{sd}",
                "one execution's events" + (" (this one was retried)" if example.retries else ""),
            )
        )
    rows.append((f"less {demo.state_dir / 'lambda.log'}", "the functions' logs (JSON, one line per entry)"))
    if target.emulator is not None:
        rows.append((f"{ipamsync} emulator show --db {target.emulator.db}", "SOLIDserver's contents again"))
    if not demo.args.keep_running:
        rows.append((f"{ipamsync} console{sd}", "all of it in a browser (read-only, 127.0.0.1)"))
    if target.emulator is not None and not demo.args.keep_running:
        rows.append(
            ("make demo DEMO_ARGS=--keep-running", "keep the emulator, the local AWS and the console up")
        )
    width = max(len(r[0]) for r in rows)
    demo.screen.section("Look again")
    for command, what in rows:
        demo.screen.line(f"  {command:<{width}}   {what}")
