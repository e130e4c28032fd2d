"""The only module that touches moto's internals. Pinned to one moto version; see the canary tests
(``local/tests/aws/test_moto_canary.py``), which fail loudly when any seam below moves.

What is patched (all restored by :meth:`MotoHooks.uninstall`) and why:

1. ``LambdaSimpleBackend.invoke`` — with ``use_docker=False`` moto's Lambda echoes the payload; the
   hook hands the call to the local Lambda service (real handler, Lambda error shape, throttling as
   a 429 ``TooManyRequestsException`` so the interpreter names it ``Lambda.TooManyRequestsException``).
   Function names the service does not know keep moto's default behaviour.
2. ``events.models.Rule.send_to_targets`` — moto has no Lambda targets (``NotImplementedError``).
   Matching events (moto's own pattern matcher, rule ``State`` honoured, schedule-only rules — which
   moto's matcher would match with everything — excluded) go to the local Lambda service as
   *asynchronous* invocations, in AWS's event shape (``time`` as ``…Z`` with second
   precision, no ``ingestion-time``). Other targets keep moto's behaviour.
3. ``retrier_decl.time`` — the interpreter's ``Retry`` waits are ``time.sleep(interval)``: they are
   scaled by :attr:`MotoHooks.time_scale` (really waited, never skipped), and each is recorded
   with its execution and state (:attr:`MotoHooks.scheduled_waits`; ``RetrierDecl._eval_body`` is
   wrapped to know them), so tests check what was scheduled, not how long a loaded machine took.
4. The interpreter's loggers (``moto.stepfunctions.parser``) log every failed state at ERROR with
   a traceback: silenced unless ``debug``.
5. ``AmazonStateLanguageParser.parse`` — moto re-parses the ASL with ANTLR for every execution
   (~0.1 s for sync.asl.json). The parse *tree* is cached per definition; each execution still gets
   fresh evaluation components (``Preprocessor().visit(tree)``), so no state is shared.
6. ``boto_client_for`` (imported by name into the interpreter's task modules) — one boto3 client per
   task invocation costs ~30 ms and is created on boto3's default session, which is not safe to use
   from several threads at once. Clients are cached per (region, service); botocore clients are
   thread-safe.
7. ``SQSBackend`` — not thread-safe: ``Queue.delete_message`` rebuilds the message list
   (``self._messages = new_messages``), so a ``send_message`` on another thread at that moment is
   lost; ``receive_message`` deep-copies the pending-groups set while other threads change it, and
   two concurrent receives can both hand out messages of one FIFO group. Every public backend
   method runs under one re-entrant lock; long polling (``WaitTimeSeconds``) is re-implemented
   around short polls so the lock is never held while waiting.
8. ``EC2Backend`` — describe calls iterate dicts that run/terminate calls change (``RuntimeError:
   dictionary changed size during iteration`` when the enrich Lambda describes while the fleet
   launches): every public method runs under one re-entrant lock. ``run_instances``,
   ``start_instances``, ``stop_instances`` and ``terminate_instances`` also report the state
   transitions they made (after the lock is released) so EC2 events can be produced.
9. ``boto3.client``/``boto3.resource`` (not moto, but the same reason as 6): creation on the default
   session is serialised by a lock; calls on the clients are not.
10. ``BaseExecutionWorkerCommunication.terminated`` — called by the interpreter when an execution
    ends: :attr:`MotoHooks.on_execution_end` is told the execution ARN, so the pipe waits for its
    execution instead of polling ``DescribeExecution`` (each poll serialises the execution's input
    and output; eight workers polling cost more CPU than the executions themselves).
11. :func:`execution_history` reads ``GetExecutionHistory``'s events from moto's backend instead of
    through the API: moto's response serializer costs ~50 ms of CPU per execution history (a third
    of an execution's whole cost). A canary test checks it equals the API's answer.

12. :func:`fix_moto_quirks` (applied by :meth:`MotoHooks.install`, and by tests that use ``mock_aws``
    directly) makes moto answer as AWS does where moto 5.2.5 does not, so the product needs no
    workaround. They are fixes, not hooks: they stay installed for the process. Each is checked
    against moto's own behaviour by a canary (``test_moto_canary.py``, ``quirk`` tests).

    a. ``Subnet.ipv6_cidr_block_association_set`` — moto reports a subnet's IPv6 CIDR state as
       ``{"State": {"State": "associated"}}`` (the text of a dict once serialised); AWS says
       ``{"State": "associated"}``.
    b. ``ElasticAddressBackend.associate_address`` — moving an Elastic IP from instance (or ENI) A
       to B with ``AllowReassociation`` leaves A's ENI holding it too (A's ``PublicIpAddress`` and
       its ENI's association stay); ``AllowReassociation=False`` is not enforced when the address
       was associated through an ENI; an Elastic IP associated with an ENI that already had another
       one leaves the other one claiming the ENI. As in AWS: A loses it (and gets a new ephemeral
       public IP if its ENI auto-assigns one and it runs, as after ``DisassociateAddress``), a
       second association without ``AllowReassociation`` is ``Resource.AlreadyAssociated``, the
       replaced Elastic IP is disassociated.
    c. ``ElasticAddress.instance_id`` (``DescribeAddresses``' ``InstanceId``, filter
       ``instance-id``) — moto keeps the instance named in ``AssociateAddress``: empty for an
       address associated through an ENI, stale once that ENI is detached or attached elsewhere.
       AWS names the instance the address's ENI is attached to.
    d. ``AssociateAddress`` with ``PrivateIpAddress`` — moto ignores it (one public IP per ENI, on
       its primary private IP). Not modelled: naming a secondary address raises
       ``NotImplementedError`` instead of silently associating the primary one.
    e. ``AssignPrivateIpAddresses`` — with a count, moto draws random addresses of the subnet, the
       network and broadcast addresses and other ENIs' addresses included (SOLIDserver refuses the
       former); named addresses may lie outside the subnet or belong to another ENI (two ENIs then
       hold one address, and ``AllowReassignment`` is ignored); the response lists every address of
       the ENI. As in AWS: free addresses only, never the subnet's first four nor its last; an
       address outside the subnet or held by another ENI is ``InvalidParameterValue`` unless
       ``AllowReassignment`` (then it moves; a primary address never does); the response lists the
       addresses the call assigned.
    f. ``UnassignPrivateIpAddresses`` — moto unassigns the primary address and ignores addresses the
       ENI does not have; AWS refuses both (``InvalidParameterValue``).
    g. ``AssignIpv6Addresses`` — the response lists every IPv6 address of the ENI (AWS: the ones
       assigned); an ENI in a subnet without IPv6 fails with an ``IndexError`` (AWS: an error);
       named addresses are not checked against the subnet nor other ENIs.
    h. ``AttachNetworkInterface`` — moto replaces whatever is at the device index (the replaced ENI
       still claims the attachment) and attaches an ENI that is attached elsewhere; AWS refuses
       both (``InvalidParameterValue``, ``InvalidNetworkInterface.InUse``) and an ENI of another
       availability zone (``InvalidParameterCombination``).
    i. ``DetachNetworkInterface`` — moto detaches the primary ENI (device index 0) unless it is the
       instance's only one; AWS never does (``OperationNotPermitted``).
    j. ``ModifyInstanceAttribute`` (instance type) — moto changes the type of a running instance;
       AWS only of a stopped one (``IncorrectInstanceState``).

    Left as moto has them (they change nothing ipamsync writes): ``CreateTags``/``DeleteTags`` on
    ids EC2 does not know are accepted; ``CreateNetworkInterface`` draws random addresses (the fleet
    helper names them, see ``ec2events.Fleet.launch``).

13. :class:`MotoServer` — moto's ``ThreadedMotoServer`` on loopback, serving the same in-process
    backends as ``mock_aws`` (the execution environments of the parallel Lambda service call it over
    HTTP, so every seam above applies to their calls too). Its ``stop`` shuts the server down but
    leaves the listening socket open: it is closed here. moto's server imports ``flask_cors`` (the
    ``moto[server]`` extra, not pinned): a stand-in is registered when it is missing (loopback only,
    no browser ever asks it); werkzeug's line per request is silenced.

14. ``EC2Response.<action>`` for the EC2 calls named in :attr:`MotoHooks.ec2_calls` (the runtime
    names :data:`ipamsync.events.CALLS`) — moto's CloudTrail records nothing. Each call, whoever
    makes it (in-process or through :class:`MotoServer`), is reported after moto answered it
    (:attr:`MotoHooks.on_ec2_calls`, an :class:`~.cloudtrail.Ec2Call`): its parameters as boto3
    names them (moto's parsed request), its result or its error (an ``EC2ClientError``'s code and
    message; anything else moto raises is a server error). The error is raised again unchanged.

The SQS wrapper (7) also reports sends and visibility changes (:attr:`MotoHooks.on_sqs_activity`)
so the pipe wakes up when a message may have become receivable instead of polling an empty queue.

Everything else (``mock_aws``, the boto3 APIs) is public.
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
import ipaddress
import json
import logging
import sys
import threading
import time as _time
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import moto

from .cloudtrail import Ec2Call
from .eventshape import RuleInfo, Transition, aws_event_shape, json_path
from .invocation import InvalidRequestContent, Throttled
from .patching import Patch, locked, locked_receive, public_methods

__all__ = [
    "REQUIRED_MOTO_VERSION",
    "Ec2Call",
    "InvalidRequestContent",
    "MotoHooks",
    "MotoServer",
    "MotoVersionError",
    "RuleInfo",
    "Throttled",
    "Transition",
    "aws_event_shape",
    "check_moto_version",
    "execution_history",
]

REQUIRED_MOTO_VERSION = "5.2.5"

#: Loggers of moto's Step Functions interpreter (quiet unless debugging).
INTERPRETER_LOGGERS = ("moto.stepfunctions.parser", "moto.stepfunctions")

#: Modules of moto's interpreter that import ``boto_client_for`` by name (checked by a canary).
BOTO_CLIENT_FOR_MODULES = (
    "moto.stepfunctions.parser.asl.utils.boto_client",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_batch",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_ecs",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_events",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_glue",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sns",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sqs",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_unsupported",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval.resource_eval_s3",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3",
)

# AWS's EC2 transitions per API call: (previous states that change, states emitted in order).
_EC2_TRANSITIONS: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "start_instances": (frozenset({"stopped"}), ("pending", "running")),
    "stop_instances": (frozenset({"pending", "running"}), ("stopping", "stopped")),
    "terminate_instances": (
        frozenset({"pending", "running", "stopping", "stopped"}),
        ("shutting-down", "terminated"),
    ),
}


class MotoVersionError(RuntimeError):
    """The installed moto is not the version whose internals this module was written against."""


def check_moto_version() -> None:
    if moto.__version__ != REQUIRED_MOTO_VERSION:
        raise MotoVersionError(
            f"ipamsync's local AWS runtime patches moto {REQUIRED_MOTO_VERSION} internals, but moto "
            f"{moto.__version__} is installed. Install the pinned version (make install) or re-check "
            "every seam in local/ipamsync_local/aws/motohook.py against the new moto and update "
            "REQUIRED_MOTO_VERSION (local/tests/aws/test_moto_canary.py shows what moved)."
        )


InvokeRouter = Callable[[str, "str | None", Any, Mapping[str, str], dict[str, str]], "bytes | None"]
EventRouter = Callable[[str, dict[str, Any], RuleInfo], bool]
TransitionListener = Callable[[list[Transition]], None]
CallListener = Callable[[list[Ec2Call]], None]


@dataclass(frozen=True)
class ScheduledWait:
    """A ``Retry`` wait the interpreter scheduled: the ASL's seconds (before scaling)."""

    execution_arn: str
    state: str
    seconds: float


_RETRYING = threading.local()  # the retrier's environment while it evaluates (one per thread)


class _ScaledTime:
    """Stands in for the ``time`` module inside ``retrier_decl``: ``sleep`` is scaled and recorded."""

    def __init__(self, hooks: MotoHooks) -> None:
        self._hooks = hooks

    def sleep(self, seconds: float) -> None:
        seconds = max(0.0, float(seconds))
        execution, state = "", ""
        env = getattr(_RETRYING, "env", None)
        if env is not None:
            data = env.states.context_object.context_object_data
            execution = str(data.get("Execution", {}).get("Id", ""))
            state = str(data.get("State", {}).get("Name", ""))
        with self._hooks.counter_lock:
            self._hooks.retry_waits += 1
            self._hooks.scheduled_waits.append(ScheduledWait(execution, state, seconds))
        _time.sleep(seconds * self._hooks.time_scale)

    def __getattr__(self, name: str) -> Any:
        return getattr(_time, name)


_ACTIVE: MotoHooks | None = None
_ACTIVE_LOCK = threading.Lock()
#: ASL parse trees by definition text (immutable once built; shared by every runtime).
_TREES: dict[str, Any] = {}


_FIXED = False


def fix_moto_quirks() -> None:
    """Make moto answer as AWS does where it does not (item 12 above). Idempotent."""
    global _FIXED
    if _FIXED:
        return
    _fix_subnet_ipv6_state()
    _fix_elastic_ips()
    _fix_private_ips()
    _fix_ipv6_addresses()
    _fix_attachments()
    _fix_instance_type()
    _FIXED = True


#: What :func:`fix_moto_quirks` replaced, by ``"Class.attribute"`` (the canary tests read moto's own
#: versions here: they still have the quirks).
ORIGINALS: dict[str, Any] = {}


def _replace(owner: type, name: str, new: Any) -> None:
    if name not in vars(owner):
        raise MotoVersionError(f"{owner.__name__}.{name} is gone: re-check fix_moto_quirks")
    ORIGINALS[f"{owner.__name__}.{name}"] = vars(owner)[name]
    setattr(owner, name, new)


def _ec2_error(code: str, message: str) -> Exception:
    from moto.ec2.exceptions import EC2ClientError

    return EC2ClientError(code, message)


def _fix_subnet_ipv6_state() -> None:
    """12a."""
    from moto.ec2.models.subnets import Subnet

    def ipv6_cidr_block_association_set(self: Any) -> list[dict[str, Any]]:
        return [
            {
                "ipv6CidrBlock": a["ipv6CidrBlock"],
                "associationId": a["associationId"],
                "ipv6CidrBlockState": {"state": a["ipv6CidrBlockState"]["State"]},
            }
            for a in self.ipv6_cidr_block_associations.values()
            if a["ipv6CidrBlockState"]["State"] == "associated"
        ]

    _replace(Subnet, "ipv6_cidr_block_association_set", property(ipv6_cidr_block_association_set))


def _release_public_ip(eni: Any) -> None:
    """What AWS does to an ENI whose Elastic IP goes elsewhere: no public IP, or a new ephemeral one
    when the ENI auto-assigns one and its instance runs (moto's own ``disassociate_address``)."""
    eni.public_ip = None
    if eni.instance is not None and eni.instance._state.name == "running":
        eni.check_auto_public_ip()


def _fix_elastic_ips() -> None:
    """12b-12d."""
    from moto.ec2.models.elastic_ip_addresses import ElasticAddress, ElasticAddressBackend
    from moto.ec2.responses.elastic_ip_addresses import ElasticIPAddresses
    from moto.ec2.utils import random_eip_association_id

    def associate_address(
        backend: Any,
        instance: Any = None,
        eni: Any = None,
        address: str | None = None,
        allocation_id: str | None = None,
        reassociate: bool = False,
    ) -> Any:
        if address:
            eip = backend.address_by_ip([address])[0]
        else:
            eip = backend.address_by_allocation([allocation_id])[0]
        target = eni if eni is not None else (instance.nics[0] if instance is not None else None)
        holder = eip.eni if eip.eni is not None else (eip.instance.nics[0] if eip.instance else None)
        if holder is not None and holder is not target and not reassociate:
            raise _ec2_error(
                "Resource.AlreadyAssociated",
                f"Resource {eip.allocation_id or eip.public_ip} is already associated.",
            )
        if holder is not None and holder is not target and holder.public_ip == eip.public_ip:
            _release_public_ip(holder)  # 12b: the previous holder no longer has it
        if target is not None and target.public_ip and target.public_ip != eip.public_ip:
            for other in backend.address_by_ip([target.public_ip], fail_if_not_found=False):
                other.eni = other.instance = other.association_id = None  # 12b: replaced
        eip.instance = target.instance if target is not None else instance
        eip.eni = target
        if target is not None:
            target.public_ip = eip.public_ip
        if eip.domain == "vpc":
            eip.association_id = random_eip_association_id()
        return eip

    _replace(ElasticAddressBackend, "associate_address", associate_address)

    def instance_id(self: Any) -> str:
        """12c: the instance the ENI holding the address is attached to."""
        if self.eni is not None:
            return str(self.eni.instance.id) if self.eni.instance is not None else ""
        return str(self.instance.id) if self.instance is not None else ""

    _replace(ElasticAddress, "instance_id", property(instance_id))
    original_filter = ElasticAddress.get_filter_value

    def get_filter_value(self: Any, filter_name: str, method_name: str | None = None) -> Any:
        if filter_name == "instance-id":
            return self.instance_id or None
        return original_filter(self, filter_name, method_name)

    _replace(ElasticAddress, "get_filter_value", get_filter_value)
    original_response = ElasticIPAddresses.associate_address

    def associate_address_response(response: Any) -> Any:
        """12d: moto has one public IP per ENI, on its primary private IP."""
        wanted = response._get_param("PrivateIpAddress")
        if wanted:
            backend = response.ec2_backend
            if response._get_param("NetworkInterfaceId"):
                eni = backend.get_network_interface(response._get_param("NetworkInterfaceId"))
            else:
                eni = backend.get_instance(response._get_param("InstanceId")).nics[0]
            if wanted != eni.private_ip_address:
                raise NotImplementedError(
                    "AssociateAddress with the PrivateIpAddress of a secondary address: moto models one "
                    f"public IP per ENI, on its primary private IP ({eni.private_ip_address}), not {wanted}"
                )
        return original_response(response)

    _replace(ElasticIPAddresses, "associate_address", associate_address_response)


def _reserved(cidr: str) -> tuple[int, int]:
    """The first and last addresses of a subnet AWS hands out (not the first four, nor the last)."""
    net = ipaddress.ip_network(cidr)
    return int(net.network_address) + 4, int(net.broadcast_address) - 1


def _private_ips_in_use(backend: Any, subnet_id: str) -> dict[str, Any]:
    """Every private IPv4 address an ENI of the subnet holds, with its ENI."""
    return {
        str(item.get("PrivateIpAddress")): eni
        for eni in backend.enis.values()
        if eni.subnet is not None and eni.subnet.id == subnet_id
        for item in eni.private_ip_addresses
    }


def _fix_private_ips() -> None:
    """12e-12f."""
    from moto.ec2.models.elastic_network_interfaces import NetworkInterfaceBackend
    from moto.ec2.responses.elastic_network_interfaces import ElasticNetworkInterfaces
    from moto.moto_api._internal import mock_random

    def free_address(backend: Any, subnet: Any) -> str:
        first, last = _reserved(subnet.cidr_block)
        used = set(_private_ips_in_use(backend, subnet.id))
        for _ in range(64):  # moto's generator, so that a seeded run repeats its choices
            candidate = str(ipaddress.ip_address(mock_random.randint(first, last)))
            if candidate not in used:
                return candidate
        for value in range(last, first - 1, -1):
            if str(ipaddress.ip_address(value)) not in used:
                return str(ipaddress.ip_address(value))
        raise _ec2_error(
            "InsufficientFreeAddressesInSubnet", f"The specified subnet {subnet.id} has no free addresses."
        )

    def assign_private_ip_addresses(
        backend: Any,
        eni_id: str,
        private_ip_addresses: list[str] | None = None,
        secondary_ips_count: int | None = None,
        allow_reassignment: bool = False,
    ) -> Any:
        eni = backend.get_network_interface(eni_id)
        mine = {str(item.get("PrivateIpAddress")) for item in eni.private_ip_addresses}
        if private_ip_addresses:
            net = ipaddress.ip_network(eni.subnet.cidr_block)
            in_use = _private_ips_in_use(backend, eni.subnet.id)
            for ip in private_ip_addresses:
                if ipaddress.ip_address(ip) not in net:
                    raise _ec2_error(
                        "InvalidParameterValue",
                        f"Address {ip} does not fall within the subnet's address range",
                    )
                holder = in_use.get(ip)
                if holder is not None and holder is not eni:
                    primary = holder.private_ip_address == ip
                    if primary or not allow_reassignment:
                        raise _ec2_error("InvalidParameterValue", f"Address {ip} is in use.")
            for ip in private_ip_addresses:
                holder = in_use.get(ip)
                if holder is not None and holder is not eni:  # 12e: moved, as AWS does
                    holder.private_ip_addresses[:] = [
                        item for item in holder.private_ip_addresses if item.get("PrivateIpAddress") != ip
                    ]
                if ip not in mine:
                    eni.private_ip_addresses.append({"Primary": False, "PrivateIpAddress": ip})
                    mine.add(ip)
            return eni
        for _ in range(int(secondary_ips_count or 0)):
            ip = free_address(backend, eni.subnet)
            eni.private_ip_addresses.append({"Primary": False, "PrivateIpAddress": ip})
        return eni

    def unassign_private_ip_addresses(
        backend: Any, eni_id: str, private_ip_address: list[str] | None = None
    ) -> Any:
        eni = backend.get_network_interface(eni_id)
        wanted = set(private_ip_address or [])
        mine = {str(item.get("PrivateIpAddress")) for item in eni.private_ip_addresses}
        if eni.private_ip_address in wanted:
            raise _ec2_error(
                "InvalidParameterValue",
                f"The primary private IP address {eni.private_ip_address} of {eni_id} cannot be unassigned.",
            )
        if wanted - mine:
            raise _ec2_error(
                "InvalidParameterValue",
                f"Some of the specified addresses are not assigned to interface {eni_id}",
            )
        eni.private_ip_addresses[:] = [
            item for item in eni.private_ip_addresses if item.get("PrivateIpAddress") not in wanted
        ]
        return eni

    _replace(NetworkInterfaceBackend, "assign_private_ip_addresses", assign_private_ip_addresses)
    _replace(NetworkInterfaceBackend, "unassign_private_ip_addresses", unassign_private_ip_addresses)

    def assign_response(response: Any) -> Any:
        """12e: the response lists the addresses this call assigned, as AWS's does."""
        from moto.core.responses import ActionResult

        eni_id = response._get_param("NetworkInterfaceId")
        before = {
            str(item.get("PrivateIpAddress"))
            for item in response.ec2_backend.get_network_interface(eni_id).private_ip_addresses
        }
        eni = response.ec2_backend.assign_private_ip_addresses(
            eni_id,
            response._get_param("PrivateIpAddresses", []),
            response._get_int_param("SecondaryPrivateIpAddressCount", 0),
            allow_reassignment=bool(response._get_bool_param("AllowReassignment", False)),
        )
        assigned = [
            {"PrivateIpAddress": item["PrivateIpAddress"]}
            for item in eni.private_ip_addresses
            if str(item.get("PrivateIpAddress")) not in before
        ]
        return ActionResult({"NetworkInterfaceId": eni.id, "AssignedPrivateIpAddresses": assigned})

    _replace(ElasticNetworkInterfaces, "assign_private_ip_addresses", assign_response)


def _fix_ipv6_addresses() -> None:
    """12g."""
    from moto.ec2.models.elastic_network_interfaces import NetworkInterfaceBackend
    from moto.ec2.responses.elastic_network_interfaces import ElasticNetworkInterfaces

    original = NetworkInterfaceBackend.assign_ipv6_addresses

    def assign_ipv6_addresses(
        backend: Any, eni_id: str, ipv6_addresses: list[str] | None = None, ipv6_count: int | None = None
    ) -> Any:
        eni = backend.get_network_interface(eni_id)
        blocks = [a.get("ipv6CidrBlock") for a in eni.subnet.ipv6_cidr_block_associations.values()]
        if not blocks:
            raise _ec2_error(
                "InvalidParameterValue", f"The subnet {eni.subnet.id} of {eni_id} has no IPv6 CIDR block."
            )
        nets = [ipaddress.ip_network(b) for b in blocks if b]
        held = {
            str(ipaddress.ip_address(a)): other
            for other in backend.enis.values()
            for a in other.ipv6_addresses
        }
        for ip in ipv6_addresses or []:
            if not any(ipaddress.ip_address(ip) in n for n in nets):
                raise _ec2_error("InvalidParameterValue", f"Address {ip} is not in the subnet's IPv6 range.")
            if held.get(str(ipaddress.ip_address(ip)), eni) is not eni:
                raise _ec2_error("InvalidParameterValue", f"Address {ip} is in use.")
        return original(backend, eni_id, ipv6_addresses, ipv6_count)

    _replace(NetworkInterfaceBackend, "assign_ipv6_addresses", assign_ipv6_addresses)

    def assign_response(response: Any) -> Any:
        """12g: the response lists the addresses this call assigned, as AWS's does."""
        from moto.core.responses import ActionResult

        eni_id = response._get_param("NetworkInterfaceId")
        before = set(response.ec2_backend.get_network_interface(eni_id).ipv6_addresses)
        eni = response.ec2_backend.assign_ipv6_addresses(
            eni_id, response._get_param("Ipv6Addresses", []), response._get_int_param("Ipv6AddressCount", 0)
        )
        assigned = [a for a in eni.ipv6_addresses if a not in before]
        return ActionResult({"AssignedIpv6Addresses": assigned, "NetworkInterfaceId": eni.id})

    _replace(ElasticNetworkInterfaces, "assign_ipv6_addresses", assign_response)


def _fix_attachments() -> None:
    """12h-12i."""
    from moto.ec2.models.elastic_network_interfaces import NetworkInterfaceBackend

    original_attach = NetworkInterfaceBackend.attach_network_interface
    original_detach = NetworkInterfaceBackend.detach_network_interface

    def attach_network_interface(backend: Any, eni_id: str, instance_id: str, device_index: int) -> Any:
        eni = backend.get_network_interface(eni_id)
        instance = backend.get_instance(instance_id)
        if eni.instance is not None:
            raise _ec2_error("InvalidNetworkInterface.InUse", f"Interface: [{eni_id}] in use.")
        if int(device_index) in instance.nics:
            raise _ec2_error(
                "InvalidParameterValue",
                f"Instance '{instance_id}' already has an interface attached at device index "
                f"'{device_index}'.",
            )
        if eni.subnet.availability_zone != instance.placement.zone:
            raise _ec2_error(
                "InvalidParameterCombination",
                "You may not attach a network interface to an instance if they are not in the same "
                "availability zone",
            )
        return original_attach(backend, eni_id, instance_id, device_index)

    def detach_network_interface(backend: Any, attachment_id: str) -> None:
        for eni in backend.enis.values():
            if eni.attachment_id == attachment_id and eni.device_index == 0:
                raise _ec2_error(
                    "OperationNotPermitted", "The network interface at device index 0 cannot be detached."
                )
        original_detach(backend, attachment_id)

    _replace(NetworkInterfaceBackend, "attach_network_interface", attach_network_interface)
    _replace(NetworkInterfaceBackend, "detach_network_interface", detach_network_interface)


def _fix_instance_type() -> None:
    """12j."""
    from moto.ec2.models.instances import InstanceBackend

    original = InstanceBackend.modify_instance_attribute

    def modify_instance_attribute(backend: Any, instance_id: str, key: str, value: Any) -> Any:
        if key == "instance_type":
            state = backend.get_instance(instance_id)._state.name
            if state != "stopped":
                raise _ec2_error(
                    "IncorrectInstanceState", f"The instance '{instance_id}' is not in the 'stopped' state."
                )
        return original(backend, instance_id, key, value)

    _replace(InstanceBackend, "modify_instance_attribute", modify_instance_attribute)


class MotoHooks:
    """Install the seams above for the duration of a local runtime (one at a time per process)."""

    def __init__(
        self,
        *,
        invoke: InvokeRouter,
        deliver: EventRouter,
        on_ec2_transitions: TransitionListener | None = None,
        on_ec2_calls: CallListener | None = None,
        ec2_calls: Iterable[str] = (),
        on_execution_end: Callable[[str], None] | None = None,
        on_sqs_activity: Callable[[str], None] | None = None,
        time_scale: float = 1.0,
        debug: bool = False,
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0 (waits are scaled, never skipped)")
        self.invoke = invoke
        self.deliver = deliver
        self.on_ec2_transitions = on_ec2_transitions
        self.on_ec2_calls = on_ec2_calls
        #: the EC2 API calls reported to ``on_ec2_calls`` (e.g. ``"AssociateAddress"``)
        self.ec2_calls = tuple(ec2_calls)
        self.on_execution_end = on_execution_end
        self.on_sqs_activity = on_sqs_activity
        self.time_scale = float(time_scale)
        self.debug = debug
        #: Retry waits the interpreter made (a counter for tests and the demo).
        self.retry_waits = 0
        #: Every retry wait the interpreter scheduled (unscaled), with its execution and state.
        self.scheduled_waits: list[ScheduledWait] = []
        self.counter_lock = threading.Lock()
        self.sqs_lock = threading.RLock()
        self.ec2_lock = threading.RLock()
        self.boto3_lock = threading.RLock()
        self._patches: list[Patch] = []
        self._log_levels: dict[str, int] = {}
        self._clients: dict[tuple[str, str, bool], Any] = {}
        self._clients_lock = threading.Lock()
        self.installed = False

    # ------------------------------------------------------------------ lifecycle

    def install(self) -> MotoHooks:
        global _ACTIVE
        check_moto_version()
        fix_moto_quirks()
        with _ACTIVE_LOCK:
            if _ACTIVE is not None:
                raise RuntimeError("another local AWS runtime is running in this process")
            _ACTIVE = self
        try:
            self._install_lambda()
            self._install_events()
            self._install_retry_clock()
            self._install_parser_cache()
            self._install_client_cache()
            self._install_sqs_lock()
            self._install_ec2()
            self._install_ec2_calls()
            self._install_boto3_lock()
            self._install_execution_end()
            for patch in self._patches:
                patch.apply()
            for name in INTERPRETER_LOGGERS:
                logger = logging.getLogger(name)
                self._log_levels[name] = logger.level
                if not self.debug:
                    logger.setLevel(logging.CRITICAL + 1)
        except BaseException:
            self.uninstall()
            raise
        self.installed = True
        return self

    def uninstall(self) -> None:
        global _ACTIVE
        for patch in reversed(self._patches):
            if getattr(patch.owner, patch.name, None) is patch.new:
                patch.restore()
        self._patches.clear()
        for name, level in self._log_levels.items():
            logging.getLogger(name).setLevel(level)
        self._log_levels.clear()
        self._clients.clear()
        self.installed = False
        with _ACTIVE_LOCK:
            if _ACTIVE is self:
                _ACTIVE = None

    def __enter__(self) -> MotoHooks:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.uninstall()

    # ------------------------------------------------------------------ 1. Lambda invoke

    def _install_lambda(self) -> None:
        from moto.awslambda.exceptions import LambdaClientError
        from moto.awslambda_simple.models import LambdaSimpleBackend

        class LambdaRefused(LambdaClientError):
            def __init__(self, code: int, error: str, message: str) -> None:
                self.code = code
                super().__init__(error, message)

        original = LambdaSimpleBackend.invoke
        hooks = self

        def invoke(
            backend: Any,
            function_name: str,
            qualifier: str | None,
            body: Any,
            headers: Any,
            response_headers: Any,
        ) -> str | bytes | None:
            try:
                result = hooks.invoke(function_name, qualifier, body, headers, response_headers)
            except Throttled as exc:  # and InvalidRequestContent
                raise LambdaRefused(exc.code, exc.error, exc.message) from None
            if result is None:
                return original(backend, function_name, qualifier, body, headers, response_headers)
            return result

        self._patches.append(Patch(LambdaSimpleBackend, "invoke", invoke))

    # ------------------------------------------------------------------ 2. EventBridge → Lambda

    def _install_events(self) -> None:
        from moto.events.models import Rule
        from moto.events.utils import EventTemplateParser

        original = Rule.send_to_targets
        hooks = self

        def is_lambda(target: Mapping[str, Any]) -> bool:
            return str(target.get("Arn", "")).split(":")[2:3] == ["lambda"]

        def send_to_targets(rule: Any, original_event: Any, transform_input: bool = True) -> None:
            lambda_targets = [t for t in rule.targets if is_lambda(t)]
            if not lambda_targets:
                return original(rule, original_event, transform_input)
            others = [t for t in rule.targets if not is_lambda(t)]
            if others:
                proxy = copy.copy(rule)
                proxy.targets = others
                original(proxy, original_event, transform_input)
            if getattr(rule, "state", "ENABLED") != "ENABLED":
                return None
            if getattr(rule, "scheduled_expression", None) and not rule.event_pattern.get_pattern():
                return None  # a schedule-only rule matches no event (moto's matcher says "all")
            event = aws_event_shape(original_event)
            if not rule.event_pattern.matches_event(event):
                return None
            unknown = []
            for target in lambda_targets:
                if "Input" in target:
                    payload = json.loads(target["Input"])
                elif "InputPath" in target:
                    payload = json_path(event, str(target["InputPath"]))
                elif "InputTransformer" in target and transform_input:
                    transformer = target["InputTransformer"]
                    payload = EventTemplateParser.parse(
                        input_template=transformer.get("InputTemplate"),
                        input_paths_map=transformer.get("InputPathsMap", {}),
                        event={**event, "ingestion-time": original_event.get("ingestion-time")},
                    )
                else:
                    payload = copy.deepcopy(event)
                info = RuleInfo(rule.name, rule.arn, rule.event_bus_name, str(target.get("Id", "")))
                if not hooks.deliver(str(target["Arn"]), payload, info):
                    unknown.append(target)
            if unknown:  # not a local function: moto's own behaviour (NotImplementedError)
                proxy = copy.copy(rule)
                proxy.targets = unknown
                return original(proxy, original_event, transform_input)
            return None

        self._patches.append(Patch(Rule, "send_to_targets", send_to_targets))

    # ------------------------------------------------------------------ 3. retry waits

    def _install_retry_clock(self) -> None:
        from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

        if retrier_decl.time is not _time:
            raise MotoVersionError("retrier_decl.time is not the time module (already patched?)")
        self._patches.append(Patch(retrier_decl, "time", _ScaledTime(self)))
        original = retrier_decl.RetrierDecl._eval_body

        def _eval_body(decl: Any, env: Any) -> None:
            _RETRYING.env = env
            try:
                original(decl, env)
            finally:
                _RETRYING.env = None

        self._patches.append(Patch(retrier_decl.RetrierDecl, "_eval_body", _eval_body))

    # ------------------------------------------------------------------ 5. ASL parse cache

    def _install_parser_cache(self) -> None:
        from moto.stepfunctions.parser.asl.parse import asl_parser
        from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

        parser_cls = asl_parser.AmazonStateLanguageParser
        original = parser_cls.parse
        trees = _TREES

        def parse(definition: str) -> tuple[Any, Any]:
            tree = trees.get(definition)
            if tree is None:
                program, tree = original(definition)  # raises on syntax errors: nothing cached
                trees[definition] = tree
                return program, tree
            return Preprocessor().visit(tree), tree

        self._patches.append(Patch(parser_cls, "parse", staticmethod(parse)))

    # ------------------------------------------------------------------ 6. interpreter clients

    def _install_client_cache(self) -> None:
        import importlib

        from moto.core.models import botocore_stubber
        from moto.stepfunctions.parser.asl.utils import boto_client

        original = boto_client.boto_client_for
        cache, lock = self._clients, self._clients_lock

        def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
            # The credentials argument does not change the client moto builds (fixed fake keys).
            key = (region, service, bool(botocore_stubber.enabled))
            client = cache.get(key)
            if client is None:
                with lock:
                    client = cache.get(key)
                    if client is None:
                        client = original(region=region, service=service, state_credentials=state_credentials)
                        cache[key] = client
            return client

        for name in BOTO_CLIENT_FOR_MODULES:
            module = importlib.import_module(name)
            if getattr(module, "boto_client_for", None) is not original:
                raise MotoVersionError(f"{name} no longer imports boto_client_for")
            self._patches.append(Patch(module, "boto_client_for", boto_client_for))

    # ------------------------------------------------------------------ 7. SQS lock

    def _install_sqs_lock(self) -> None:
        from moto.sqs.models import SQSBackend

        lock = self.sqs_lock
        for name in public_methods(SQSBackend):
            method = getattr(SQSBackend, name)
            if name == "receive_message":
                wrapped = locked_receive(method, lock)
            else:
                wrapped = locked(method, lock)
                if name in _SQS_ACTIVITY:
                    wrapped = self._sqs_reporter(wrapped)
            self._patches.append(Patch(SQSBackend, name, wrapped))

    def _sqs_reporter(self, locked: Callable[..., Any]) -> Callable[..., Any]:
        hooks = self

        def report(backend: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
            result = locked(backend, queue_name, *args, **kwargs)
            if hooks.on_sqs_activity is not None:
                hooks.on_sqs_activity(queue_name)
            return result

        report.__name__ = getattr(locked, "__name__", "report")
        return report

    # ------------------------------------------------------------------ 8. EC2 lock + transitions

    def _install_ec2(self) -> None:
        from moto.ec2.models import EC2Backend

        lock = self.ec2_lock
        for name in public_methods(EC2Backend):
            method = locked(getattr(EC2Backend, name), lock)
            if name == "run_instances":
                method = self._run_instances_reporter(method)
            elif name in _EC2_TRANSITIONS:
                method = self._transition_reporter(method, name)
            self._patches.append(Patch(EC2Backend, name, method))

    def _report(self, transitions: list[Transition]) -> None:
        if transitions and self.on_ec2_transitions is not None:
            self.on_ec2_transitions(transitions)

    def _run_instances_reporter(self, locked: Callable[..., Any]) -> Callable[..., Any]:
        hooks = self

        def run_instances(backend: Any, *args: Any, **kwargs: Any) -> Any:
            reservation = locked(backend, *args, **kwargs)
            now = dt.datetime.now(dt.UTC)
            transitions = [
                Transition(inst.id, state, prev, backend.account_id, backend.region_name, now)
                for inst in reservation.instances
                for prev, state in (("", "pending"), ("pending", "running"))
            ]
            hooks._report(transitions)
            return reservation

        return run_instances

    def _transition_reporter(self, locked: Callable[..., Any], name: str) -> Callable[..., Any]:
        hooks = self
        changing, states = _EC2_TRANSITIONS[name]

        def changed(backend: Any, *args: Any, **kwargs: Any) -> Any:
            result = locked(backend, *args, **kwargs)
            now = dt.datetime.now(dt.UTC)
            transitions = []
            for instance, previous in result:
                prev = getattr(previous, "name", str(previous))
                if prev not in changing:
                    continue
                for state in states:
                    transitions.append(
                        Transition(instance.id, state, prev, backend.account_id, backend.region_name, now)
                    )
                    prev = state
            hooks._report(transitions)
            return result

        changed.__name__ = name
        return changed

    # ------------------------------------------------------------------ 14. EC2 API calls (CloudTrail)

    def _install_ec2_calls(self) -> None:
        from moto.core.exceptions import ServiceException
        from moto.core.utils import camelcase_to_underscores
        from moto.ec2.responses import EC2Response

        hooks = self
        for api in self.ec2_calls:
            name = camelcase_to_underscores(api)
            original = getattr(EC2Response, name, None)
            if original is None:
                raise MotoVersionError(f"EC2Response has no {name} (the {api} call)")

            def reporter(response: Any, _original: Any = original, _api: str = api) -> Any:
                params = _plain(response._get_params())
                base = {
                    "name": _api,
                    "params": params,
                    "account_id": str(response.current_account),
                    "region": str(response.region),
                    "user_agent": _header(response, "User-Agent"),
                }
                try:
                    result = _original(response)
                except ServiceException as exc:
                    hooks._report_call(
                        Ec2Call(
                            **base,
                            result=None,
                            time=_now(),
                            error_code=str(exc.code),
                            error_message=str(exc.message),
                        )
                    )
                    raise
                except Exception as exc:
                    hooks._report_call(
                        Ec2Call(
                            **base,
                            result=None,
                            time=_now(),
                            error_code="InternalError",
                            error_message=f"{type(exc).__name__}: {str(exc)[:300]}",
                            server_error=True,
                        )
                    )
                    raise
                value = getattr(result, "result", None)
                hooks._report_call(
                    Ec2Call(**base, result=_plain(value) if isinstance(value, Mapping) else None, time=_now())
                )
                return result

            reporter.__name__ = name
            self._patches.append(Patch(EC2Response, name, reporter))

    def _report_call(self, call: Ec2Call) -> None:
        if self.on_ec2_calls is None:
            return
        try:
            self.on_ec2_calls([call])
        except Exception:  # the EC2 call itself succeeded (or failed) regardless
            logging.getLogger(__name__).exception("reporting the EC2 call %s failed", call.name)

    # ------------------------------------------------------------------ 9. boto3 client creation

    def _install_boto3_lock(self) -> None:
        import boto3

        lock = self.boto3_lock
        for name in ("client", "resource"):
            original = getattr(boto3, name)

            def create(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
                with lock:
                    return _original(*args, **kwargs)

            create.__name__ = name
            create.__doc__ = original.__doc__
            self._patches.append(Patch(boto3, name, create))

    # ------------------------------------------------------------------ 10. execution end

    def _install_execution_end(self) -> None:
        from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

        original = BaseExecutionWorkerCommunication.terminated
        hooks = self

        def terminated(comm: Any) -> None:
            try:
                original(comm)
            finally:
                if hooks.on_execution_end is not None:
                    hooks.on_execution_end(str(comm.execution.exec_arn))

        self._patches.append(Patch(BaseExecutionWorkerCommunication, "terminated", terminated))


_SQS_ACTIVITY = frozenset(
    {"send_message", "send_message_batch", "change_message_visibility", "change_message_visibility_batch"}
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _header(response: Any, name: str) -> str:
    headers = getattr(response, "headers", None) or {}
    try:
        return str(headers.get(name) or headers.get(name.lower()) or "")
    except Exception:
        return ""


def _plain(node: Any) -> Any:
    """moto's typed dicts → plain data (str enums → str; datetimes kept, as boto3 returns them)."""
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items() if v is not None}
    if isinstance(node, list | tuple):
        return [_plain(v) for v in node]
    if isinstance(node, enum.Enum):
        return node.value
    return node


def execution_history(execution_arn: str) -> list[dict[str, Any]]:
    """The events ``GetExecutionHistory`` returns for an execution, read from moto's backend."""
    from moto.stepfunctions.responses import get_backend

    parts = execution_arn.split(":")
    region, account = parts[3], parts[4]
    output = get_backend(account, region).get_execution_history(execution_arn)
    return [_plain(e) for e in output["events"]]


def active() -> MotoHooks | None:
    """The installed hooks, if a local runtime is running in this process."""
    return _ACTIVE


class MotoServer:
    """moto's HTTP server on ``127.0.0.1`` (an ephemeral port unless ``port``), on the in-process
    backends. ``start()`` returns the endpoint URL; ``stop()`` also closes the listening socket."""

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.url: str | None = None
        self._server: Any = None
        self._werkzeug_level: int | None = None

    def start(self) -> str:
        try:
            import flask_cors  # noqa: F401
        except ImportError:
            stand_in = types.ModuleType("flask_cors")
            stand_in.CORS = lambda app, *a, **kw: app  # type: ignore[attr-defined]
            sys.modules["flask_cors"] = stand_in
        from moto.server import ThreadedMotoServer

        werkzeug = logging.getLogger("werkzeug")
        self._werkzeug_level = werkzeug.level
        werkzeug.setLevel(logging.WARNING)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        server.start()
        self._server = server
        host, port = server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self.url

    def get_host_and_port(self) -> tuple[str, int]:
        assert self._server is not None, "not started"
        host, port = self._server.get_host_and_port()
        return str(host), int(port)

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        try:
            server.stop()
        finally:
            inner = getattr(server, "_server", None)  # werkzeug's server: its socket stays open
            if inner is not None:
                inner.server_close()
            if self._werkzeug_level is not None:
                logging.getLogger("werkzeug").setLevel(self._werkzeug_level)
