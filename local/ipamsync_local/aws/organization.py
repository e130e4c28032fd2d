"""Several accounts and regions on moto: the hub's :class:`~ipamsync_local.aws.runtime.LocalAws`
plus ``member/template.yaml`` deployed into member (account, region) pairs, with events routed
between buses as AWS routes them.

::

    with LocalAws(parameters={"CoveredAccounts": MEMBER, "CoveredRegions": "us-east-1,us-west-2",
                              "MemberExternalId": "local-ext"}, ...) as aws, \\
            LocalOrganization(aws, external_id="local-ext") as org:
        org.deploy_member(MEMBER, "us-east-1")
        org.deploy_member(MEMBER, "us-west-2")
        org.deploy_member(aws.context.account_id, "us-west-2")  # the hub's other region
        org.fleet(MEMBER, "us-west-2").launch("web-1")

What it adds to moto, each the way AWS behaves:

* **Per-account emission.** An EC2 transition in a member (account, region) is put on *that*
  account's default bus in *that* region (moto's ``PutEvents`` then stamps the member's account and
  region), not on the hub's: the event source's client is wrapped by :class:`AccountEvents`, which
  routes each entry by the account and region of its resource ARN.
* **Bus-to-bus forwarding** keeps the event: AWS delivers the same ``id``, ``time``, ``account``,
  ``region`` and ``resources`` to the target bus (moto rebuilds the event as the target's). The
  target bus's resource policy is enforced for another account's events (moto stores it only):
  ``Principal`` account lists, ``"*"``, and ``aws:PrincipalOrgID`` for the accounts of this
  organisation. A refused forward is recorded in :attr:`LocalOrganization.refused`.
* **AssumeRole into a member** (moto accepts any role) is refused with ``AccessDenied`` when the
  account is enrolled here and its read-only role does not exist, or its trust policy's
  ``sts:ExternalId`` differs from the caller's. Accounts that are not enrolled keep moto's behaviour.

Removing a member stack (:meth:`LocalOrganization.remove_member`) deletes its rules, queue and roles:
that region stops forwarding, and without the read role the hub's AssumeRole is refused.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .template import StackContext, Template

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[3]
MEMBER_TEMPLATE = REPO_ROOT / "member" / "template.yaml"
#: The role the local organisation uses to act in a member account (as AWS Organizations creates it).
ADMIN_ROLE = "OrganizationAccountAccessRole"


def _arn_parts(arn: str) -> tuple[str, str, str, str]:
    """(service, region, account, resource) of an ARN."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return "", "", "", ""
    return parts[2], parts[3], parts[4], parts[5]


class AccountClients:
    """boto3 clients acting in any (account, region): the hub's own credentials for the hub,
    ``AssumeRole`` into :data:`ADMIN_ROLE` for the others (moto: the credentials act in that account)."""

    def __init__(self, hub_account: str, endpoint_url: str | None = None) -> None:
        self.hub_account = hub_account
        self.endpoint_url = endpoint_url
        self._creds: dict[str, dict[str, str]] = {}
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._lock = threading.Lock()

    def credentials(self, account: str) -> dict[str, str]:
        import boto3

        if account == self.hub_account:
            return {}
        if account not in self._creds:
            sts = boto3.client("sts", region_name="us-east-1")
            c = sts.assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/{ADMIN_ROLE}", RoleSessionName="ipamsync-local"
            )["Credentials"]
            self._creds[account] = {
                "aws_access_key_id": c["AccessKeyId"],
                "aws_secret_access_key": c["SecretAccessKey"],
                "aws_session_token": c["SessionToken"],
            }
        return self._creds[account]

    def client(self, service: str, account: str, region: str) -> Any:
        import boto3

        key = (service, account, region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = boto3.client(service, region_name=region, **self.credentials(account))
            return self._clients[key]


class AccountEvents:
    """An EventBridge client that puts each entry in the account and region its first resource ARN
    names (an EC2 instance's), on that account's bus; other calls go to the hub's client."""

    def __init__(self, hub: Any, clients: AccountClients, hub_region: str) -> None:
        self._hub = hub
        self._clients = clients
        self._hub_region = hub_region

    def __getattr__(self, name: str) -> Any:
        return getattr(self._hub, name)

    def _client_for(self, entry: Mapping[str, Any]) -> Any:
        resources = list(entry.get("Resources") or [])
        if not resources:
            return self._hub
        _, region, account, _ = _arn_parts(str(resources[0]))
        if not account or (account == self._clients.hub_account and region == self._hub_region):
            return self._hub
        return self._clients.client("events", account, region or self._hub_region)

    def put_events(self, Entries: list[Mapping[str, Any]], **kw: Any) -> dict[str, Any]:
        results: list[dict[str, Any]] = []
        failed = 0
        for entry in Entries:  # one call per entry: AWS's order is kept
            resp = self._client_for(entry).put_events(Entries=[entry], **kw)
            results += resp["Entries"]
            failed += int(resp.get("FailedEntryCount", 0))
        return {"FailedEntryCount": failed, "Entries": results}


@dataclass
class MemberStack:
    """One deployed member stack: what it created, to remove it again."""

    account: str
    region: str
    stack_name: str
    rules: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)
    read_role_arn: str | None = None


@dataclass(frozen=True)
class RefusedForward:
    source_account: str
    bus_arn: str
    event_id: str


class LocalOrganization:
    """Member accounts around a running :class:`LocalAws` hub (see the module docstring)."""

    def __init__(
        self,
        aws: Any,
        *,
        external_id: str = "ipamsync-local",
        member_template: str | Path = MEMBER_TEMPLATE,
        read_role_region: str | None = None,
        hub_stack_name: str | None = None,
    ) -> None:
        self.aws = aws
        self.external_id = external_id
        self.member_template = Path(member_template)
        self.hub_account: str = aws.context.account_id
        self.hub_region: str = aws.context.region
        self.hub_stack_name = hub_stack_name or aws.context.stack_name
        self.read_role_region = read_role_region or self.hub_region
        self.clients = AccountClients(self.hub_account)
        self.stacks: dict[tuple[str, str], MemberStack] = {}
        self.enrolled: set[str] = set()
        self.refused: list[RefusedForward] = []
        self._undo: list[Callable[[], None]] = []
        self._fleets: dict[tuple[str, str], Any] = {}
        assert aws.template is not None, "start the LocalAws hub first"
        bus = aws.template.resources.get("IpamsyncEventBus")
        if bus is None:
            raise ValueError("the hub template has no IpamsyncEventBus")
        self.hub_bus_name = str(aws.template.physical_name("IpamsyncEventBus"))

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> LocalOrganization:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> LocalOrganization:
        import warnings

        # moto's serializer warns that STS has no modelled AccessDenied shape; boto3 still gets one
        warnings.filterwarnings("ignore", message=r"Exception\(STSClientError\) with code AccessDenied")
        self._install_forwarding()
        self._install_role_guard()
        source = self.aws.events_source
        hub_events = source.events
        source.events = AccountEvents(hub_events, self.clients, self.hub_region)
        self._undo.append(lambda: setattr(source, "events", hub_events))
        self._put_hub_bus_policy()
        return self

    def stop(self) -> None:
        while self._undo:
            self._undo.pop()()

    # ------------------------------------------------------------------ the hub's bus policy

    def _put_hub_bus_policy(self) -> None:
        """The hub template's bus policies (organisation or account list), as CloudFormation puts them."""
        template = self.aws.template
        for lid in ("IpamsyncEventBusOrganizationPolicy", "IpamsyncEventBusAccountsPolicy"):
            res = template.resources.get(lid)
            if res is None:
                continue
            props = template.resolve(res["Properties"])
            statement = dict(props["Statement"])
            principal = statement.get("Principal")
            if isinstance(principal, dict) and isinstance(principal.get("AWS"), list):
                statement["Principal"] = {
                    "AWS": [p if p.startswith("arn:") else f"arn:aws:iam::{p}:root" for p in principal["AWS"]]
                }
            policy = {"Version": "2012-10-17", "Statement": [statement]}
            self.aws.events.put_permission(EventBusName=props["EventBusName"], Policy=json.dumps(policy))

    def _admits(self, bus: Any, account: str) -> bool:
        """Whether the bus's resource policy lets ``account`` put events (AWS's check; moto's is none)."""
        if bus.account_id == account:
            return True
        policy = json.loads(bus.policy or "{}")
        for st in policy.get("Statement", []):
            if st.get("Effect") != "Allow":
                continue
            principal = st.get("Principal")
            names = principal.get("AWS") if isinstance(principal, dict) else principal  # "*" or {"AWS": …}
            names = names if isinstance(names, list) else [names]
            org = ((st.get("Condition") or {}).get("StringEquals") or {}).get("aws:PrincipalOrgID")
            for name in names:
                if name == "*" and (org is None or account in self.organization_accounts):
                    return True
                if name in (account, f"arn:aws:iam::{account}:root"):
                    return True
        return False

    @property
    def organization_accounts(self) -> set[str]:
        return {self.hub_account, *self.enrolled}

    # ------------------------------------------------------------------ routing between buses

    def _install_forwarding(self) -> None:
        from moto.events.models import Rule, events_backends

        from .eventshape import aws_event_shape

        inner = Rule.send_to_targets
        org = self

        def is_bus(target: Mapping[str, Any]) -> bool:
            service, _, _, resource = _arn_parts(str(target.get("Arn", "")))
            return service == "events" and resource.startswith("event-bus/")

        def send_to_targets(rule: Any, original_event: Any, transform_input: bool = True) -> None:
            buses = [t for t in rule.targets if is_bus(t)]
            if not buses:
                return inner(rule, original_event, transform_input)
            others = [t for t in rule.targets if not is_bus(t)]
            if others:
                proxy = copy.copy(rule)
                proxy.targets = others
                inner(proxy, original_event, transform_input)
            if getattr(rule, "state", "ENABLED") != "ENABLED":
                return None
            event = aws_event_shape(original_event)
            if not rule.event_pattern.matches_event(event):
                return None
            for target in buses:
                _, region, account, resource = _arn_parts(str(target["Arn"]))
                backend = events_backends[account][region]
                bus = backend.event_buses.get(resource.removeprefix("event-bus/"))
                source = str(original_event.get("account", ""))
                if bus is None or not org._admits(bus, source):
                    org.refused.append(RefusedForward(source, str(target["Arn"]), str(event.get("id"))))
                    log.warning("forward refused: %s -> %s", source, target["Arn"])
                    continue
                for hub_rule in list(bus.rules.values()):
                    forwarded = copy.deepcopy(original_event)  # same id, time, account, region, resources
                    forwarded["ingestion-time"] = time.time()
                    hub_rule.send_to_targets(forwarded)
            return None

        Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]
        self._undo.append(lambda: setattr(Rule, "send_to_targets", inner))

    # ------------------------------------------------------------------ AssumeRole as IAM decides

    def _install_role_guard(self) -> None:
        from moto.iam.models import iam_backends
        from moto.sts.exceptions import STSClientError
        from moto.sts.models import STSBackend

        inner = STSBackend.assume_role
        org = self

        def assume_role(self: Any, *args: Any, **kwargs: Any) -> Any:
            role_arn = str(kwargs.get("role_arn", args[2] if len(args) > 2 else ""))
            external_id = kwargs.get("external_id", args[5] if len(args) > 5 else None)
            _, _, account, resource = _arn_parts(role_arn)
            name = resource.removeprefix("role/")
            if account in org.enrolled and name != ADMIN_ROLE:
                try:
                    role = iam_backends[account]["global"].get_role(name)
                except Exception:
                    raise STSClientError(
                        "AccessDenied", f"not authorized to perform sts:AssumeRole on {role_arn}"
                    ) from None
                trust = json.loads(role.assume_role_policy_document or "{}")
                wanted = [
                    ((st.get("Condition") or {}).get("StringEquals") or {}).get("sts:ExternalId")
                    for st in trust.get("Statement", [])
                ]
                if any(w is not None for w in wanted) and external_id not in wanted:
                    raise STSClientError(
                        "AccessDenied", f"not authorized to perform sts:AssumeRole on {role_arn}"
                    )
            return inner(self, *args, **kwargs)

        STSBackend.assume_role = assume_role  # type: ignore[method-assign]
        self._undo.append(lambda: setattr(STSBackend, "assume_role", inner))

    # ------------------------------------------------------------------ member stacks

    def deploy_member(
        self,
        account: str,
        region: str,
        *,
        external_id: str | None = None,
        stack_name: str = "ipamsync-member",
    ) -> MemberStack:
        """Deploy ``member/template.yaml`` into (account, region), as ``sam deploy`` or a StackSet
        instance would: its forwarding rules, their role and DLQ, and (in ReadRoleRegion) the read role."""
        if account != self.hub_account:
            self.enrolled.add(account)
        params = {
            "HubAccountId": self.hub_account,
            "HubRegion": self.hub_region,
            "HubEventBusName": self.hub_bus_name,
            "HubStackName": self.hub_stack_name,
            "ExternalId": external_id or self.external_id,
            "ReadRoleRegion": self.read_role_region,
        }
        template = Template(
            self.member_template,
            params,
            context=StackContext(account_id=account, region=region, stack_name=stack_name),
        )
        stack = MemberStack(account, region, stack_name)
        iam = self.clients.client("iam", account, region)
        sqs = self.clients.client("sqs", account, region)
        events = self.clients.client("events", account, region)
        res = template.resources
        for lid, r in res.items():
            if r["Type"] != "AWS::IAM::Role":
                continue
            props = template.resolve(r["Properties"])
            # a generated name is unique per stack: IAM is global, the stack is one per region
            name = str(props.get("RoleName") or f"{template.physical_name(lid)}-{region}")
            arn = iam.create_role(
                RoleName=name, AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"])
            )["Role"]["Arn"]
            for pol in props.get("Policies", []):
                iam.put_role_policy(
                    RoleName=name,
                    PolicyName=pol["PolicyName"],
                    PolicyDocument=json.dumps(pol["PolicyDocument"]),
                )
            stack.roles.append(name)
            if lid == "ReadRole":
                stack.read_role_arn = arn
        for lid, r in res.items():
            if r["Type"] == "AWS::SQS::Queue":
                url = sqs.create_queue(QueueName=template.physical_name(lid))["QueueUrl"]
                stack.queues.append(url)
        for lid, r in res.items():
            if r["Type"] != "AWS::Events::Rule":
                continue
            props = template.resolve(r["Properties"])
            name = template.physical_name(lid)
            events.put_rule(Name=name, EventPattern=json.dumps(props["EventPattern"]), State=props["State"])
            targets = []
            for t in props["Targets"]:
                target = {"Id": t["Id"], "Arn": t["Arn"], "RoleArn": t["RoleArn"]}
                if t.get("RetryPolicy"):
                    target["RetryPolicy"] = t["RetryPolicy"]
                if t.get("DeadLetterConfig"):
                    target["DeadLetterConfig"] = t["DeadLetterConfig"]
                targets.append(target)
            events.put_targets(Rule=name, Targets=targets)
            stack.rules.append(name)
        self.stacks[(account, region)] = stack
        return stack

    def remove_member(self, account: str, region: str) -> None:
        """Delete one member stack (as ``aws cloudformation delete-stack`` or removing a StackSet
        instance would)."""
        stack = self.stacks.pop((account, region))
        events = self.clients.client("events", account, region)
        for name in stack.rules:
            ids = [t["Id"] for t in events.list_targets_by_rule(Rule=name)["Targets"]]
            if ids:
                events.remove_targets(Rule=name, Ids=ids)
            events.delete_rule(Name=name)
        sqs = self.clients.client("sqs", account, region)
        for url in stack.queues:
            sqs.delete_queue(QueueUrl=url)
        iam = self.clients.client("iam", account, region)
        for name in stack.roles:
            for pol in iam.list_role_policies(RoleName=name)["PolicyNames"]:
                iam.delete_role_policy(RoleName=name, PolicyName=pol)
            iam.delete_role(RoleName=name)

    # ------------------------------------------------------------------ fleets

    def ec2(self, account: str, region: str) -> Any:
        if account == self.hub_account and region == self.hub_region:
            return self.aws.ec2
        return self.clients.client("ec2", account, region)

    def fleet(self, account: str, region: str) -> Any:
        """A :class:`~ipamsync_local.aws.ec2events.Fleet` launching in (account, region); its
        instances' events go through that account's buses."""
        from .ec2events import Fleet

        if account == self.hub_account and region == self.hub_region:
            return self.aws.fleet
        key = (account, region)
        if key not in self._fleets:
            self._fleets[key] = Fleet(self.ec2(account, region), self.aws.events_source)
        return self._fleets[key]

    def pairs(self) -> Iterator[tuple[str, str]]:
        yield (self.hub_account, self.hub_region)
        yield from sorted(self.stacks)
