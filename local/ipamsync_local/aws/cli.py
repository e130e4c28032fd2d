"""``ipamsync local …``: inspect and drive the local pipeline.

* ``ipamsync local executions [--state-dir D] [--status FAILED] [--limit N] [--json]`` — the
  recorded executions, newest first (like the console's list).
* ``ipamsync local history NAME-OR-ARN [--state-dir D] [--json]`` — one execution's events (like
  the console's event view: id, time, type, state, error/cause).
* ``ipamsync local replay FILE [--solidserver-url URL --username U --password P [--ca-bundle PEM]]
  [--allow-http] [--state-dir D] [--time-scale F]`` — push one file through the same pipeline,
  against a running SOLIDserver (``--allow-http`` for a plain-HTTP emulator) or an embedded emulator
  (TLS, its CA in SSM). The file is one of:

  - an EventBridge event (``events/ec2-*.json``) → ``PutEvents`` (the rule's pattern decides; the
    enrich Lambda runs). A fresh local EC2 does not know the instance: for a non-terminal state
    enrich fails with InstanceNotFound (Lambda retries it, then its OnFailure record lands in the
    workflow dead-letter queue); for shutting-down/terminated it queues the deletion message;
  - ``{"message": {...}}`` (``events/message-*.json``) → straight onto the EventQueue (group = the
    instance id) → the pipe → an execution;
  - a state-machine input array (``events/statemachine-input-*.json``) → a direct execution.

  Then it prints the executions it caused and the dead-letter queues' entries. Exit status 1 when
  an execution failed or something was dead-lettered.
* ``ipamsync local reconcile [--dry-run] [--deep] [--json] [--endpoint-url URL]`` — the reconcile
  plan or run on the local pipeline (:mod:`ipamsync_local.reconcile`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from .executions import ExecutionStore, default_state_dir, format_executions, format_history

GONE_STATES = ("shutting-down", "terminated")


def register(subparsers: Any, name: str = "local", help_text: str = "") -> argparse.ArgumentParser:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="local_command", metavar="COMMAND")

    def state_dir(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--state-dir",
            type=Path,
            default=None,
            help="where execution records are kept "
            f"(default: $IPAMSYNC_LOCAL_STATE_DIR or {default_state_dir()})",
        )

    p = sub.add_parser("executions", help="list recorded executions (newest first)")
    state_dir(p)
    p.add_argument("--status", help="only this status (SUCCEEDED, FAILED, TIMED_OUT, ABORTED)")
    p.add_argument("--limit", type=int, default=None, help="at most N executions")
    p.add_argument("--json", action="store_true", help="JSON instead of a table")
    p.set_defaults(func=cmd_executions)

    p = sub.add_parser("history", help="one execution's events")
    p.add_argument("execution", help="execution name (or a unique prefix) or ARN")
    state_dir(p)
    p.add_argument("--json", action="store_true", help="the raw events as JSON")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("replay", help="push an event/message/state-machine input file through the pipeline")
    p.add_argument(
        "file", type=Path, help="EventBridge event, {'message': ...} or a state-machine input array"
    )
    p.add_argument("--solidserver-url", help="a running SOLIDserver (default: an embedded emulator)")
    p.add_argument("--username", default="ipmadmin", help="SOLIDserver user (default ipmadmin)")
    p.add_argument("--password", default="admin", help="its password (default: the emulator's, admin)")
    p.add_argument("--ca-bundle", type=Path, help="PEM file of the CA that signs SOLIDserver's certificate")
    p.add_argument(
        "--allow-http",
        action="store_true",
        help="accept an http:// SOLIDserver URL (the template only allows https://)",
    )
    p.add_argument(
        "--template", type=Path, default=Path("template.yaml"), help="SAM template (default template.yaml)"
    )
    p.add_argument(
        "--param", action="append", default=[], metavar="KEY=VALUE", help="template parameter override"
    )
    state_dir(p)
    p.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="scale of every designed wait (retries, backoff, visibility timeout); 1.0 = AWS timing",
    )
    p.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for the pipeline to settle")
    p.add_argument(
        "--lambda-logs",
        default=None,
        metavar="FILE",
        help="where the functions' logs go (default: STATE_DIR/lambda.log; '-' = stdout)",
    )
    p.add_argument(
        "--launch",
        action="store_true",
        help="a state change or refresh request for an instance the local EC2 does not know: launch a "
        "matching instance first and replay the event for it (the local EC2 starts empty)",
    )
    p.add_argument(
        "--keep-running",
        action="store_true",
        help="afterwards keep the embedded emulator (and the console over it) up until Ctrl-C, to inspect",
    )
    serial_argument(p)
    p.set_defaults(func=cmd_replay)

    from ipamsync_local.reconcile import register_local

    register_local(sub)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])
    return parser


def serial_argument(p: argparse.ArgumentParser) -> None:
    """``--serial``: every handler in this process, one at a time (for debugging), instead of one
    process per execution environment running in parallel as in AWS."""
    p.add_argument(
        "--serial",
        action="store_true",
        help="run every Lambda handler in this process, one at a time (debugging: breakpoints, "
        "profilers); default: one process per execution environment, in parallel as in AWS",
    )


# --------------------------------------------------------------------------- executions / history


def cmd_executions(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out if out is not None else sys.stdout
    store = ExecutionStore(args.state_dir)
    found = store.list(status=args.status, limit=args.limit)
    if args.json:
        json.dump([s.to_dict() for s in found], out, indent=2)
        out.write("\n")
        return 0
    if not found:
        out.write(f"no executions recorded in {store.dir}\n")
        return 0
    out.write(format_executions(found) + "\n")
    return 0


def cmd_history(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out if out is not None else sys.stdout
    store = ExecutionStore(args.state_dir)
    try:
        summary, events = store.get(args.execution)
    except KeyError as exc:
        out.write(f"{exc.args[0]}\n")
        return 1
    if args.json:
        json.dump({"summary": summary.to_dict(), "events": events}, out, indent=2)
        out.write("\n")
        return 0
    out.write(format_history(summary, events) + "\n")
    return 0


# --------------------------------------------------------------------------- replay


def classify(document: Any) -> str:
    """``event``, ``message`` or ``input`` (a state-machine input array), checked with the product's
    own parsers: a malformed file is a ValueError of one line naming what is wrong."""
    from ipamsync.errors import InvalidMessage
    from ipamsync.model import parse_message, parse_time

    try:
        if isinstance(document, dict) and "detail-type" in document and "source" in document:
            # any event may be put on the bus (the rule's pattern decides), but it must be one
            if not isinstance(document.get("detail", {}), dict):
                raise ValueError("detail must be a JSON object")
            try:
                parse_time(str(document.get("time") or "1970-01-01T00:00:00Z"))
            except ValueError:
                raise ValueError(f"time {str(document.get('time'))[:40]!r} is not an ISO 8601 time") from None
            return "event"
        if isinstance(document, dict) and isinstance(document.get("message"), dict):
            parse_message(document["message"])
            return "message"
        if (
            isinstance(document, list)
            and document
            and all(isinstance(r, dict) and "body" in r for r in document)
        ):
            for record in document:
                parse_message(record["body"])
            return "input"
    except InvalidMessage as exc:
        raise ValueError(str(exc)) from None
    raise ValueError(
        "not an EventBridge event, a {'message': ...} document or a state-machine input array of SQS records"
    )


def _params(pairs: list[str]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--param {pair!r}: expected KEY=VALUE")
        params[key] = value
    return params


def describe_dead_letter(entry: dict[str, Any]) -> str:
    """One line for a dead-letter queue entry (workflow record, Lambda destination record, event)."""
    body = entry.get("body")
    if isinstance(body, dict) and body.get("kind") == "workflow":
        record = body.get("record") or {}
        error = record.get("error") or {}
        name = str(body.get("execution_arn", "")).rsplit(":", 1)[-1]
        return f"workflow  execution {name}: {error.get('Error')}: {str(error.get('Cause', ''))[:160]}"
    if isinstance(body, dict) and "requestContext" in body:
        ctx = body["requestContext"]
        payload = body.get("responsePayload") or {}
        request = body.get("requestPayload") or {}
        detail = request.get("detail") if isinstance(request, dict) else None
        instance = (detail or {}).get("instance-id", "?")
        state = (detail or {}).get("state", "?")
        function = str(ctx.get("functionArn", "")).split(":")[6:7]
        return (
            f"lambda    {function[0] if function else '?'} {ctx.get('condition')} after "
            f"{ctx.get('approximateInvokeCount')} attempt(s) for {instance} ({state}): "
            f"{payload.get('errorType')}: {str(payload.get('errorMessage', ''))[:160]}"
        )
    if isinstance(body, dict) and "instance" in body:
        inst = body.get("instance") or {}
        return (
            f"event     {inst.get('id')} ({(body.get('event') or {}).get('state')}), "
            f"received {entry.get('attributes', {}).get('ApproximateReceiveCount', '?')} time(s)"
        )
    return f"other     {json.dumps(body)[:200]}"


def cmd_replay(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out if out is not None else sys.stdout
    try:
        document = json.loads(args.file.read_text(encoding="utf-8"))
        kind = classify(document)
    except (OSError, ValueError) as exc:
        out.write(f"{args.file}: {exc}\n")
        return 2
    from contextlib import ExitStack

    from .runtime import LocalAws

    launch = _unknown_instance_note(document, out, args) if kind == "event" else False

    with ExitStack() as stack:
        if args.solidserver_url:
            url = args.solidserver_url
            if url.startswith("http://") and not args.allow_http:
                out.write(f"{url}: the template only allows https:// URLs (use --allow-http locally)\n")
                return 2
            ca = args.ca_bundle.read_text(encoding="utf-8") if args.ca_bundle else None
            credentials = {"username": args.username, "password": args.password}
            out.write(f"SOLIDserver: {url}\n")
        else:
            from ipamsync_local.emulator import EmulatorServer

            emu = stack.enter_context(
                EmulatorServer(tls=True, username=args.username, password=args.password)
            )
            url = emu.url
            ca = Path(str(emu.cert_path)).read_text(encoding="utf-8")
            credentials = {"username": args.username, "password": args.password}
            out.write(f"SOLIDserver: embedded emulator at {url} (empty, in memory)\n")
        state = args.state_dir if args.state_dir is not None else default_state_dir()
        lambda_log: Any = None if args.lambda_logs == "-" else Path(args.lambda_logs or state / "lambda.log")
        aws = stack.enter_context(
            LocalAws(
                template=args.template,
                parameters=_params(args.param),
                state_dir=args.state_dir,
                time_scale=args.time_scale,
                solidserver_url=url,
                credentials=credentials,
                ca_bundle_pem=ca,
                lambda_log=lambda_log,
                strict_parameters=not args.allow_http,
                concurrency="serial" if args.serial else "parallel",
            )
        )
        if lambda_log is not None:
            out.write(f"Lambda logs: {lambda_log}\n")
        out.write(f"Replaying {args.file} as {'an EventBridge event' if kind == 'event' else 'a ' + kind}\n")
        if kind == "event":
            if launch:
                document = _launch_matching(aws, document, out)
            _replay_event(aws, document, out)
        elif kind == "message":
            message = document["message"]
            instance = (message.get("instance") or {}).get("id")
            aws.send_message(message)
            out.write(f"  sent to the EventQueue (message group {instance}); the pipe starts the execution\n")
        else:
            out.write(f"  direct execution of the state machine with {len(document)} record(s) (no pipe)\n")
            aws.execute(document)
        try:
            aws.wait_idle(timeout=args.timeout)
        except TimeoutError as exc:
            out.write(f"  {exc}\n")
        code = _report(aws, out, kind)
        if args.keep_running:
            _keep_running(aws, url, args, out, None if args.solidserver_url else emu)
        return code
    return 0  # pragma: no cover


def _unknown_instance_note(event: dict[str, Any], out: TextIO, args: argparse.Namespace) -> bool:
    """Said before anything runs: the local EC2 starts empty, so it knows no instance of a fixture.
    True when ``--launch`` can launch a matching instance (a state change or a refresh request
    about an instance that is not gone)."""
    from ipamsync.errors import InvalidMessage
    from ipamsync.events import ApiCall, Refresh, parse_event

    try:
        parsed = parse_event(event)
    except InvalidMessage:
        return False  # not one ipamsync consumes: the rule's pattern decides, the report says what ran
    if isinstance(parsed, ApiCall):
        named = parsed.instance_ids + parsed.eni_ids + parsed.attachment_ids + parsed.association_ids
        names = ", ".join(named or parsed.public_ips + parsed.vpc_ids + parsed.subnet_ids)
        if parsed.ignored or parsed.empty:
            why = parsed.ignored or "it names no instance, ENI, Elastic IP, VPC or subnet"
            out.write(f"Note: {parsed.name}: {why}; enrich counts it and queues nothing\n")
        else:
            out.write(
                f"Note: the local EC2 starts empty and knows nothing this {parsed.name} call names "
                f"({names}): enrich "
                "queues a snapshot only of the instances EC2 ties it to, and a lookup in SOLIDserver for "
                "a detached attachment or a disassociated address"
                + (" (--launch applies to state changes and refresh requests only)" if args.launch else "")
                + "\n"
            )
        return False
    instance = parsed.instance_id
    if isinstance(parsed, Refresh):
        gone = False
        consequence = (
            "enrich queues a snapshot of a gone instance (EC2 no longer describes it), whose objects "
            "in SOLIDserver, if any, are released"
        )
    else:
        gone = parsed.state in GONE_STATES
        consequence = (
            f"enrich queues the deletion message for a {parsed.state} instance"
            if gone
            else f"enrich raises InstanceNotFound for a {parsed.state} instance; Lambda retries it after "
            f"{60 * args.time_scale:g} s and {120 * args.time_scale:g} s, then sends its OnFailure record "
            "to the workflow dead-letter queue"
        )
    if args.launch and not gone:
        out.write(f"Note: the local EC2 does not know {instance}: a matching instance is launched first\n")
        return True
    hint = "" if gone else " (--launch launches a matching instance and replays the event for it)"
    out.write(f"Note: the local EC2 does not know {instance}: {consequence}{hint}\n")
    return False


def _launch_matching(aws: Any, event: dict[str, Any], out: TextIO) -> dict[str, Any]:
    """Launch an instance in the local EC2 and return the event naming it instead."""
    detail = dict(event.get("detail") or {})
    old = str(detail.get("instance-id", "?"))
    network = aws.fleet.ensure_network()
    new = aws.fleet.launch(f"replay-{old}", subnet_id=network.subnet_ids[0]).instance_id
    aws.wait_idle(timeout=120)  # its own launch events go through the pipeline first
    detail["instance-id"] = new
    resources = [str(r).replace(old, new) for r in event.get("resources") or []]
    out.write(f"  launched {new} (Name replay-{old}) in the local EC2; the event now names it\n")
    return {**event, "detail": detail, "resources": resources}


def _replay_event(aws: Any, event: dict[str, Any], out: TextIO) -> None:
    out.write(
        "  PutEvents on the default bus (EventBridge assigns a new event id; the rule's pattern decides)\n"
    )
    from ipamsync.events import API_CALL

    if event.get("detail-type") == API_CALL:
        out.write(f"  {_expected_for_call(aws, event)}\n")
    aws.put_event(event)


def _keep_running(aws: Any, url: str, args: argparse.Namespace, out: TextIO, emu: Any) -> None:
    """``--keep-running``: the emulator stays up (in this process) with the console over it and
    the records, until Ctrl-C or SIGTERM."""

    from ipamsync_local.cli import invocation
    from ipamsync_local.console.cli import make_console, start_server
    from ipamsync_local.console.runs import moto_dead_letters
    from ipamsync_local.console.sources import ApiSource

    ca = str(emu.cert_path) if emu is not None else (str(args.ca_bundle) if args.ca_bundle else None)
    source = ApiSource(url, args.username, args.password, ca or True)
    console = make_console(source, args.state_dir, dead_letters=moto_dead_letters(aws))
    server = start_server(console, "127.0.0.1", 8470)
    out.write(f"\nKept running until Ctrl-C: SOLIDserver {url} ({args.username} / {args.password})\n")
    out.write(f"  console   {server.url}\n")
    out.write(f"  {invocation()} emulator show --url {url}" + (f" --ca {ca}" if ca else "") + "\n")
    out.flush()
    from ipamsync_local.waiting import serve_until_stopped

    serve_until_stopped(server.stop)


def _expected_for_call(aws: Any, event: dict[str, Any]) -> str:
    """What enrich will do with a CloudTrail call or a refresh request, from the product's parser and
    what the local EC2 knows (a fresh local EC2 knows no instance of a file)."""
    from ipamsync.errors import InvalidMessage
    from ipamsync.events import ApiCall, parse_event

    try:
        parsed = parse_event(event)
    except InvalidMessage as exc:
        return f"enrich refuses it ({exc}): InvalidMessage, sent to the workflow dead-letter queue"
    if not isinstance(parsed, ApiCall):
        iid = getattr(parsed, "instance_id", "?")
        if _known_instances(aws, [iid]):
            return f"enrich queues a new snapshot of {iid}"
        return (
            f"the local EC2 does not know {iid}: enrich queues a snapshot of an instance EC2 no longer "
            "has (ipamsync deletes what it wrote for it)"
        )
    if parsed.ignored:
        return f"{parsed.name}: {parsed.ignored}; the rule's pattern filters it (enrich would count it)"
    if parsed.empty:
        return (
            f"{parsed.name} names no instance, ENI, Elastic IP, VPC or subnet: enrich queues nothing "
            "(CallsIgnored)"
        )
    others = [
        *parsed.eni_ids,
        *parsed.attachment_ids,
        *parsed.association_ids,
        *parsed.allocation_ids,
        *parsed.public_ips,
        *parsed.vpc_ids,
        *parsed.subnet_ids,
    ]
    named = [*parsed.instance_ids, *others]
    shown = ", ".join(named[:4]) + (f" and {len(named) - 4} more" if len(named) > 4 else "")
    known = _known_instances(aws, list(parsed.instance_ids))
    if parsed.instance_ids and len(known) == len(parsed.instance_ids) and not others:
        return f"{parsed.name} on {shown}: enrich queues one snapshot per instance"
    if not others or not (parsed.attachment_ids or parsed.association_ids or parsed.public_ips):
        return (
            f"{parsed.name} on {shown}: the local EC2 does not know "
            f"{'them' if len(named) > 1 else 'it'}; enrich ties the call to no instance and queues "
            "nothing (CallsIgnored)"
        )
    return (
        f"{parsed.name} on {shown}: the local EC2 ties none of it to an instance; enrich queues a "
        "lookup and the device step asks SOLIDserver which instance held the attachment or address"
    )


def _known_instances(aws: Any, instance_ids: list[str]) -> list[str]:
    from botocore.exceptions import ClientError

    known = []
    for iid in instance_ids:
        try:
            aws.ec2.describe_instances(InstanceIds=[iid])
        except ClientError:
            continue
        known.append(iid)
    return known


def _report(aws: Any, out: TextIO, kind: str) -> int:
    summaries = list(aws.recorder.summaries) if aws.recorder is not None else []
    out.write("\nExecutions\n")
    out.write((format_executions(summaries) if summaries else "  none") + "\n")
    failed = [s for s in summaries if s.status != "SUCCEEDED"]
    problems = len(failed)
    for queue, label in (
        ("WorkflowDeadLetterQueue", "Workflow dead-letter queue"),
        ("EventDeadLetterQueue", "Event dead-letter queue"),
    ):
        entries = aws.dead_letters(queue)
        problems += len(entries)
        out.write(f"\n{label}: {len(entries)} message(s)\n")
        for entry in entries:
            out.write(f"  {describe_dead_letter(entry)}\n")
    enrich = aws.counters()["lambda"].get("EnrichFunction", {})
    if enrich.get("async_accepted"):
        out.write(
            f"\nEnrich: {enrich['async_accepted']} event(s) delivered, {enrich['invocations']} attempt(s), "
            f"{enrich['errors']} error(s)\n"
        )
    elif kind == "event":
        out.write("\nEnrich: nothing delivered (the rule's pattern does not match this event)\n")
    out.write(f"\nRecords kept in {aws.executions.dir} (ipamsync local history NAME)\n")
    return 1 if problems else 0
