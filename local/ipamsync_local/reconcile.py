"""``ipamsync reconcile`` and ``ipamsync local reconcile``: the reconcile plan, and the workflow.

Works on boto3 clients, so the same code serves a deployed stack (``--stack``: its outputs name
the reconcile state machine and function) and the local pipeline (``--endpoint-url`` of
``ipamsync demo --keep-running``, or :class:`~ipamsync_local.aws.LocalAws` in-process):

* ``--dry-run`` invokes ``ReconcileFunction`` with ``dry_run: true`` once per (account, region) and
  prints its plan: nothing is queued and nothing is written anywhere;
* otherwise the reconcile state machine is started with the targets (and waited for unless
  ``--no-wait``): the sync workflow applies what it queued, like live events.

The plan prints as a table (instance, name, class, what would change) or, with ``--json``, as
the function's JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from ipamsync.reconcile import CLASSES


@dataclass
class ReconcileApi:
    """The reconcile function and state machine of one stack, through boto3 clients."""

    lam: Any
    sfn: Any
    function: str
    state_machine_arn: str

    def plan(self, account: str, region: str, *, deep: bool) -> dict[str, Any]:
        payload = {
            "account": account,
            "region": region,
            "run": f"dry-run-{uuid.uuid4().hex[:12]}",
            "deep": deep,
            "dry_run": True,
        }
        resp = self.lam.invoke(FunctionName=self.function, Payload=json.dumps(payload).encode())
        body = json.loads(resp["Payload"].read() or b"{}")
        if resp.get("FunctionError"):
            raise ReconcileFailed(f"{body.get('errorType', 'Error')}: {body.get('errorMessage', '')}")
        return dict(body)

    def start(
        self, targets: Sequence[Mapping[str, str]], *, deep: bool, wait: bool, timeout: float = 3600.0
    ) -> dict[str, Any]:
        name = f"reconcile-cli-{uuid.uuid4().hex[:12]}"
        run = {"targets": [dict(t) for t in targets], "deep": deep, "dry_run": False}
        arn = self.sfn.start_execution(
            stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(run)
        )["executionArn"]
        out: dict[str, Any] = {"execution_arn": arn, "status": "RUNNING"}
        deadline = time.monotonic() + timeout
        while wait:
            desc = self.sfn.describe_execution(executionArn=arn)
            out["status"] = desc["status"]
            if desc["status"] != "RUNNING":
                if desc.get("output"):
                    out["output"] = json.loads(desc["output"])
                if desc.get("error"):
                    out["error"] = desc.get("error")
                    out["cause"] = desc.get("cause")
                break
            if time.monotonic() > deadline:
                break
            time.sleep(1.0)
        return out


class ReconcileFailed(Exception):
    """The reconcile function refused or failed (its error name and message)."""


# --------------------------------------------------------------------------- output


def format_plan(plan: Mapping[str, Any]) -> str:
    """The plan as a table: instance, name, class, what would change; then the counts."""
    counts = plan.get("counts") or {}
    head = (
        f"Reconcile plan for {plan.get('account')}/{plan.get('region')}"
        + (" (deep)" if plan.get("deep") else "")
        + f", listed at {plan.get('listed_at', '?')}: "
        + ", ".join(f"{counts.get(c, 0)} {c}" for c in CLASSES)
    )
    lines = [head]
    items = list(plan.get("items") or [])
    if items:
        rows = [("INSTANCE", "NAME", "CLASS", "QUEUE", "WHAT WOULD CHANGE")]
        for item in items:
            changes = list(item.get("changes") or []) or [""]
            rows.append(
                (
                    str(item.get("instance_id", "")),
                    str(item.get("name") or "-")[:24],
                    str(item.get("class", "")),
                    str(item.get("queue") or "-"),
                    changes[0][:90],
                )
            )
            rows += [("", "", "", "", c[:90]) for c in changes[1:4]]
            if len(changes) > 4:
                rows.append(("", "", "", "", f"… {len(changes) - 4} more"))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        for r in rows:
            lines.append("  " + "  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4])
    else:
        lines.append("  nothing to do: every instance is in sync")
    if plan.get("items_omitted"):
        lines.append(f"  … and {plan['items_omitted']} more (--json of the function lists them all)")
    queued = plan.get("queued") if not plan.get("dry_run") else plan.get("would_queue")
    verb = "would queue" if plan.get("dry_run") else "queued"
    lines.append(
        f"  {verb} {queued} message(s); SOLIDserver calls to plan: {plan.get('solidserver_calls', '?')}"
    )
    return "\n".join(lines)


def format_run(result: Mapping[str, Any]) -> str:
    lines = [
        f"Reconcile execution {str(result.get('execution_arn', '')).rsplit(':', 1)[-1]}: {result['status']}"
    ]
    for target in (result.get("output") or {}).get("targets") or []:
        if target.get("failed"):
            lines.append(
                f"  {target.get('account')}/{target.get('region')}: FAILED {target.get('error')}: "
                f"{str(target.get('cause', ''))[:200]}"
            )
            continue
        counts = target.get("counts") or {}
        lines.append(
            f"  {target.get('account')}/{target.get('region')}: "
            + ", ".join(f"{counts.get(c, 0)} {c}" for c in CLASSES)
            + f"; queued {target.get('queued')}"
        )
    if result.get("error"):
        lines.append(f"  {result['error']}: {str(result.get('cause', ''))[:300]}")
    return "\n".join(lines)


def run_command(
    api: ReconcileApi,
    targets: Sequence[Mapping[str, str]],
    *,
    dry_run: bool,
    deep: bool,
    as_json: bool,
    wait: bool = True,
    out: TextIO | None = None,
) -> int:
    """What both commands do once they have their clients. Exit status: 0, 1 when a plan or the
    run failed."""
    out = out if out is not None else sys.stdout
    if dry_run:
        plans = []
        for t in targets:
            try:
                plans.append(api.plan(t["account"], t["region"], deep=deep))
            except ReconcileFailed as exc:
                out.write(f"{t['account']}/{t['region']}: {exc}\n")
                return 1
        if as_json:
            json.dump(plans if len(plans) != 1 else plans[0], out, indent=2)
            out.write("\n")
        else:
            out.write("\n\n".join(format_plan(p) for p in plans) + "\n")
        return 0
    result = api.start(targets, deep=deep, wait=wait)
    if as_json:
        json.dump(result, out, indent=2)
        out.write("\n")
    else:
        out.write(format_run(result) + "\n")
    return 0 if result["status"] in ("SUCCEEDED", "RUNNING") else 1


# --------------------------------------------------------------------------- ipamsync reconcile


def _stack_outputs(cfn: Any, stack: str) -> dict[str, str]:
    stacks = cfn.describe_stacks(StackName=stack)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def _targets(args: argparse.Namespace, sts: Any, region: str) -> list[dict[str, str]]:
    account = args.account or str(sts.get_caller_identity()["Account"])
    return [{"account": account, "region": args.region or region}]


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true", help="print the plan; queue nothing, write nothing")
    p.add_argument(
        "--deep", action="store_true", help="re-apply every instance in full (repairs hand-made damage)"
    )
    p.add_argument("--json", action="store_true", help="JSON instead of a table")


def cmd_reconcile(args: argparse.Namespace) -> int:
    import boto3

    session = boto3.session.Session(region_name=args.stack_region)
    kw = {"endpoint_url": args.endpoint_url} if args.endpoint_url else {}
    function, machine = args.function, args.state_machine_arn
    if args.stack:
        outputs = _stack_outputs(session.client("cloudformation", **kw), args.stack)
        function = function or outputs.get("ReconcileFunctionName")
        machine = machine or outputs.get("ReconcileStateMachineArn")
    if not function or not machine:
        print("reconcile needs --stack, or --function and --state-machine-arn", file=sys.stderr)
        return 2
    api = ReconcileApi(
        session.client("lambda", **kw), session.client("stepfunctions", **kw), function, machine
    )
    targets = _targets(args, session.client("sts", **kw), session.region_name or "us-east-1")
    return run_command(
        api, targets, dry_run=args.dry_run, deep=args.deep, as_json=args.json, wait=not args.no_wait
    )


def register(subparsers: Any, name: str = "reconcile", help_text: str = "") -> None:
    p = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    p.add_argument("--stack", help="CloudFormation stack deployed from template.yaml (reads its Outputs)")
    p.add_argument("--account", help="the account to reconcile (default: the caller's)")
    p.add_argument("--region", help="the region to reconcile (default: the stack's)")
    p.add_argument(
        "--stack-region", default=None, help="the stack's region (default: the AWS configuration's)"
    )
    p.add_argument("--endpoint-url", help="an AWS-compatible endpoint (e.g. ipamsync demo --keep-running)")
    p.add_argument("--function", help="name or ARN of ReconcileFunction (instead of --stack)")
    p.add_argument("--state-machine-arn", help="the reconcile state machine (instead of --stack)")
    p.add_argument("--no-wait", action="store_true", help="start the workflow and return")
    options(p)
    p.set_defaults(func=cmd_reconcile)


# --------------------------------------------------------------------------- the local pipeline


def local_api(aws: Any) -> ReconcileApi:
    """:class:`ReconcileApi` on a running :class:`~ipamsync_local.aws.LocalAws`."""
    assert aws.lambdas is not None and aws.reconcile_machine is not None
    return ReconcileApi(
        aws.lambda_, aws.sfn, aws.lambdas.get("ReconcileFunction").name, aws.reconcile_machine.arn
    )


def endpoint_api(endpoint_url: str, region: str) -> ReconcileApi:
    """:class:`ReconcileApi` on a local AWS served on ``endpoint_url`` (``--keep-running``)."""
    import boto3

    session = boto3.session.Session(
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106
    )
    lam = session.client("lambda", endpoint_url=endpoint_url)
    sfn = session.client("stepfunctions", endpoint_url=endpoint_url)
    functions = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    function = next((f for f in functions if "reconcile" in f.lower()), None)
    machines = sfn.list_state_machines()["stateMachines"]
    machine = next((m["stateMachineArn"] for m in machines if "reconcile" in m["name"].lower()), None)
    if function is None or machine is None:
        raise SystemExit(f"{endpoint_url}: no reconcile function or state machine there")
    return ReconcileApi(lam, sfn, function, machine)


def cmd_local_reconcile(args: argparse.Namespace) -> int:
    """``ipamsync local reconcile``: on a served local pipeline (``--endpoint-url``), or on a fresh
    one with an embedded emulator and ``--existing N`` instances that existed before ipamsync."""
    if args.endpoint_url:
        api = endpoint_api(args.endpoint_url, args.region)
        sts = __import__("boto3").client(
            "sts",
            endpoint_url=args.endpoint_url,
            region_name=args.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106
        )
        targets = [{"account": str(sts.get_caller_identity()["Account"]), "region": args.region}]
        return run_command(api, targets, dry_run=args.dry_run, deep=args.deep, as_json=args.json)
    import tempfile
    from pathlib import Path

    from ipamsync_local.aws import LocalAws
    from ipamsync_local.emulator import EmulatorServer

    with (
        EmulatorServer(tls=True) as emu,
        LocalAws(
            solidserver_url=emu.url,
            ca_bundle_pem=Path(str(emu.cert_path)).read_text(encoding="utf-8"),
            credentials={"username": "ipmadmin", "password": "admin"},
            state_dir=args.state_dir,
            time_scale=0.01,
            lambda_log=Path(args.state_dir or tempfile.mkdtemp(prefix="ipamsync-reconcile-")) / "lambda.log",
            concurrency="serial" if args.serial else "parallel",
        ) as aws,
    ):
        assert aws.events_source is not None and aws.fleet is not None
        aws.events_source.enabled = False  # they existed before ipamsync: no events
        for n in range(args.existing):
            aws.fleet.launch(f"existing-{n + 1}")
        aws.events_source.enabled = True
        api = local_api(aws)
        targets = [{"account": aws.context.account_id, "region": aws.context.region}]
        status = run_command(api, targets, dry_run=args.dry_run, deep=args.deep, as_json=args.json)
        aws.wait_idle(300)
        return status


def register_local(sub: Any) -> None:
    """``ipamsync local reconcile`` (registered by :mod:`ipamsync_local.aws.cli`)."""
    p = sub.add_parser("reconcile", help="reconcile the local pipeline (plan with --dry-run)")
    p.add_argument(
        "--endpoint-url", help="the local AWS served by `ipamsync demo --keep-running` (default: a fresh one)"
    )
    p.add_argument("--region", default="us-east-1", help="the local region (default us-east-1)")
    p.add_argument(
        "--existing",
        type=int,
        default=3,
        help="without --endpoint-url: instances launched before ipamsync (no events) to backfill",
    )
    p.add_argument(
        "--state-dir",
        default=None,
        help="where the execution records and Lambda logs go (default: a temporary directory)",
    )
    p.add_argument("--serial", action="store_true", help="every handler in this process, one at a time")
    options(p)
    p.set_defaults(func=cmd_local_reconcile)
