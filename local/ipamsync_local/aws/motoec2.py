"""The EC2 seams of :mod:`.motohook` (items 8 and 14 there): what the local runtime learns from moto's
EC2, for the EC2 events and the CloudTrail events it emits.

* ``EC2Backend`` — describe calls iterate dicts that run/terminate calls change (``RuntimeError:
  dictionary changed size during iteration`` when the enrich Lambda describes while the fleet
  launches): every public method runs under one re-entrant lock (``hooks.ec2_lock``).
  ``run_instances``, ``start_instances``, ``stop_instances`` and ``terminate_instances`` also report
  the state transitions they made (after the lock is released, to ``hooks.on_ec2_transitions``) so
  EC2 events can be produced.
* ``EC2Response.<action>`` for the calls named in ``hooks.ec2_calls`` — moto's CloudTrail records
  nothing. Each call, whoever makes it (in-process or through :class:`.motoserver.MotoServer`), is
  reported after moto answered it (``hooks.on_ec2_calls``, an :class:`~.cloudtrail.Ec2Call`): its
  parameters as boto3 names them (moto's parsed request), its result or its error (an
  ``EC2ClientError``'s code and message; anything else moto raises is a server error). The error is
  raised again unchanged.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .cloudtrail import Ec2Call
from .eventshape import Transition
from .motoversion import MotoVersionError
from .patching import Patch, locked, public_methods

if TYPE_CHECKING:
    from .motohook import MotoHooks

__all__ = ["call_patches", "plain", "transition_patches"]

# AWS's EC2 transitions per API call: (previous states that change, states emitted in order).
_EC2_TRANSITIONS: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "start_instances": (frozenset({"stopped"}), ("pending", "running")),
    "stop_instances": (frozenset({"pending", "running"}), ("stopping", "stopped")),
    "terminate_instances": (
        frozenset({"pending", "running", "stopping", "stopped"}),
        ("shutting-down", "terminated"),
    ),
}


def transition_patches(hooks: MotoHooks) -> list[Patch]:
    """Every public ``EC2Backend`` method under ``hooks.ec2_lock``; the four that change instance
    states report their transitions."""
    from moto.ec2.models import EC2Backend

    patches = []
    for name in public_methods(EC2Backend):
        method = locked(getattr(EC2Backend, name), hooks.ec2_lock)
        if name == "run_instances":
            method = _run_instances_reporter(hooks, method)
        elif name in _EC2_TRANSITIONS:
            method = _transition_reporter(hooks, method, name)
        patches.append(Patch(EC2Backend, name, method))
    return patches


def _report(hooks: MotoHooks, transitions: list[Transition]) -> None:
    if transitions and hooks.on_ec2_transitions is not None:
        hooks.on_ec2_transitions(transitions)


def _run_instances_reporter(hooks: MotoHooks, locked: Callable[..., Any]) -> Callable[..., Any]:
    def run_instances(backend: Any, *args: Any, **kwargs: Any) -> Any:
        reservation = locked(backend, *args, **kwargs)
        now = dt.datetime.now(dt.UTC)
        transitions = [
            Transition(inst.id, state, prev, backend.account_id, backend.region_name, now)
            for inst in reservation.instances
            for prev, state in (("", "pending"), ("pending", "running"))
        ]
        _report(hooks, transitions)
        return reservation

    return run_instances


def _transition_reporter(hooks: MotoHooks, locked: Callable[..., Any], name: str) -> Callable[..., Any]:
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
        _report(hooks, transitions)
        return result

    changed.__name__ = name
    return changed


def call_patches(hooks: MotoHooks) -> list[Patch]:
    """One reporter per EC2 call named in ``hooks.ec2_calls``, around moto's ``EC2Response`` action."""
    from moto.core.utils import camelcase_to_underscores
    from moto.ec2.responses import EC2Response

    patches = []
    for api in hooks.ec2_calls:
        name = camelcase_to_underscores(api)
        original = getattr(EC2Response, name, None)
        if original is None:
            raise MotoVersionError(f"EC2Response has no {name} (the {api} call)")
        patches.append(Patch(EC2Response, name, _call_reporter(hooks, api, name, original)))
    return patches


def _call_reporter(hooks: MotoHooks, api: str, name: str, original: Any) -> Callable[[Any], Any]:
    from moto.core.exceptions import ServiceException

    def reporter(response: Any) -> Any:
        base = {
            "name": api,
            "params": plain(response._get_params()),
            "account_id": str(response.current_account),
            "region": str(response.region),
            "user_agent": _header(response, "User-Agent"),
        }
        try:
            result = original(response)
        except ServiceException as exc:
            error = {"error_code": str(exc.code), "error_message": str(exc.message)}
            _report_call(hooks, Ec2Call(**base, result=None, time=_now(), **error))
            raise
        except Exception as exc:
            error = {
                "error_code": "InternalError",
                "error_message": f"{type(exc).__name__}: {str(exc)[:300]}",
            }
            _report_call(hooks, Ec2Call(**base, result=None, time=_now(), server_error=True, **error))
            raise
        value = getattr(result, "result", None)
        _report_call(
            hooks, Ec2Call(**base, result=plain(value) if isinstance(value, Mapping) else None, time=_now())
        )
        return result

    reporter.__name__ = name
    return reporter


def _report_call(hooks: MotoHooks, call: Ec2Call) -> None:
    if hooks.on_ec2_calls is None:
        return
    try:
        hooks.on_ec2_calls([call])
    except Exception:  # the EC2 call itself succeeded (or failed) regardless
        logging.getLogger(__name__).exception("reporting the EC2 call %s failed", call.name)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _header(response: Any, name: str) -> str:
    headers = getattr(response, "headers", None) or {}
    try:
        return str(headers.get(name) or headers.get(name.lower()) or "")
    except Exception:
        return ""


def plain(node: Any) -> Any:
    """moto's typed dicts → plain data (str enums → str; datetimes kept, as boto3 returns them)."""
    if isinstance(node, Mapping):
        return {str(k): plain(v) for k, v in node.items() if v is not None}
    if isinstance(node, list | tuple):
        return [plain(v) for v in node]
    if isinstance(node, enum.Enum):
        return node.value
    return node
