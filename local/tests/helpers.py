"""Helpers shared by the tooling's tests (``local/tests``): a minimal SOLIDserver REST client and a
standard network for the emulator tests, scripted handlers and helpers for the local AWS runtime.
"""

from __future__ import annotations

import copy
import json
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
EVENTS = REPO / "events"
SYNC_STEPS = ("device", "networks", "addresses", "dns")

DEVICE_OK = {
    "instance_id": "i-0",
    "stale": False,
    "unchanged": False,
    "complete": False,
    "lifecycle": "present",
    "device_id": "1",
    "interfaces": {},
    "lease_id": "2",
    "changes": {},
    "refresh": {"entries": []},
}


def device_ok(instance_id: str) -> dict[str, Any]:
    """The device step's answer when it applied an instance's snapshot."""
    return {**copy.deepcopy(DEVICE_OK), "instance_id": instance_id}


NETWORKS_OK = {"space_id": "1", "public_space_id": "1", "changes": {}}
ADDRESSES_OK = {"addresses": [], "changes": {}, "taken": []}
#: the last step's answer: the records, then the lease given back and the refresh requests named
DNS_OK = {
    "enabled": False,
    "records": [],
    "skipped": [],
    "changes": {},
    "released": 1,
    "refresh": {"entries": []},
}
DEFAULTS = {"device": DEVICE_OK, "networks": NETWORKS_OK, "addresses": ADDRESSES_OK, "dns": DNS_OK}


def named_error(name: str, message: str = "scripted failure") -> Exception:
    """An exception whose class is called ``name`` (Lambda's errorType is the class name)."""
    return type(name, (Exception,), {})(message)


def body_of(event: dict[str, Any]) -> dict[str, Any]:
    message = event.get("message", {})
    return json.loads(message) if isinstance(message, str) else message


class Script:
    """Handler overrides for the four sync functions: record every call, answer OK by default.

    ``script.on["device"] = fn`` makes ``fn(event, context)`` answer instead (raise to fail).
    """

    def __init__(self) -> None:
        self.on: dict[str, Callable[[dict[str, Any], Any], Any]] = {}
        self.calls: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.contexts: dict[str, list[Any]] = defaultdict(list)
        self.lock = threading.Lock()

    def reset(self) -> None:
        with self.lock:
            self.on.clear()
            self.calls.clear()
            self.contexts.clear()

    def handler(self, step: str) -> Callable[[dict[str, Any], Any], Any]:
        def handle(event: dict[str, Any], context: Any) -> Any:
            if isinstance(event, dict) and "release" in event:
                # the device function giving up the lease (ReleaseAfterFailure)
                with self.lock:
                    self.calls[f"{step}:release"].append(event)
                return {"released": 1, "refresh": {"entries": []}}
            with self.lock:
                self.calls[step].append(event)
                self.contexts[step].append(context)
                fn = self.on.get(step)
            if fn is not None:
                return fn(event, context)
            result = copy.deepcopy(DEFAULTS[step])
            if step == "device":
                result["instance_id"] = body_of(event).get("instance", {}).get("id", "i-0")
            return result

        handle.__name__ = f"scripted_{step}"
        return handle

    def overrides(
        self, steps: tuple[str, ...] = SYNC_STEPS
    ) -> dict[str, Callable[[dict[str, Any], Any], Any]]:
        return {step: self.handler(step) for step in steps}


def message(
    instance_id: str, state: str = "running", *, seq: int = 0, event_id: str | None = None
) -> dict[str, Any]:
    """An ipamsync message (``events/message-running.json``) for another instance / state."""
    doc = json.loads((EVENTS / "message-running.json").read_text())["message"]
    doc["event"]["id"] = event_id or f"evt-{instance_id}-{state}-{seq}"
    doc["event"]["state"] = state
    doc["instance"]["id"] = instance_id
    doc["instance"]["state"] = state
    doc["seq"] = seq  # extra field: the model ignores it, the scripted handlers read it
    return doc


def template_copy(tmp_path: Path, edit: Callable[[str], str]) -> Path:
    """template.yaml edited into ``tmp_path`` (functions/, statemachine/ and src/ linked beside it)."""
    text = TEMPLATE.read_text()
    edited = edit(text)
    assert edited != text, "the edit changed nothing"
    for name in ("functions", "statemachine", "src"):
        (tmp_path / name).symlink_to(REPO / name, target_is_directory=True)
    path = tmp_path / "template.yaml"
    path.write_text(edited)
    return path


def history(aws: Any, name_or_arn: str) -> list[dict[str, Any]]:
    return aws.executions.get(name_or_arn)[1]


def task_errors(events: list[dict[str, Any]]) -> list[str]:
    return [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"]


# --------------------------------------------------------------------------- emulator REST client
from dataclasses import dataclass  # noqa: E402

import requests  # noqa: E402


class Api:
    """A minimal SOLIDserver v1 client: parameters in the query string, JSON rows back."""

    def __init__(
        self, url: str, auth: tuple[str, str] | None = ("ipmadmin", "admin"), verify: bool | str = True
    ):
        self.url = url
        self.session = requests.Session()
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE & co. must not override verify
        self.session.auth = auth
        self.verify = verify

    def call(self, method: str, service: str, **params: Any) -> requests.Response:
        return self.session.request(
            method,
            f"{self.url}/rest/{service}",
            params={k: str(v) for k, v in params.items()},
            verify=self.verify,
            timeout=10,
        )

    def get(self, service: str, **params: Any) -> requests.Response:
        return self.call("GET", service, **params)

    def rows(self, service: str, **params: Any) -> list[dict[str, str]]:
        response = self.get(service, **params)
        if response.status_code == 204:
            assert response.content == b""
            return []
        assert response.status_code == 200, response.text
        rows = response.json()
        assert isinstance(rows, list)
        return rows

    def one(self, service: str, **params: Any) -> dict[str, str]:
        rows = self.rows(service, **params)
        assert len(rows) == 1, rows
        return rows[0]

    def add(self, service: str, status: int = 201, method: str = "POST", **params: Any) -> str:
        response = self.call(method, service, **params)
        assert response.status_code == status, response.text
        body = response.json()
        assert isinstance(body, list) and len(body) == 1
        return str(body[0]["ret_oid"])

    def edit(self, service: str, **params: Any) -> str:
        return self.add(service, status=200, method="PUT", **params)

    def delete(self, service: str, status: int = 200, **params: Any) -> requests.Response:
        response = self.call("DELETE", service, **params)
        assert response.status_code == status, response.text
        return response

    def error(self, method: str, service: str, status: int = 400, **params: Any) -> dict[str, str]:
        response = self.call(method, service, **params)
        assert response.status_code == status, response.text
        body = response.json()
        assert isinstance(body, dict), body
        return body


@dataclass
class Net:
    site_id: str
    block_id: str
    subnet_id: str
    block6_id: str
    subnet6_id: str


def make_net(api: Api) -> Net:
    """Space ``AWS``; IPv4 block 10.0.0.0/16 with subnet 10.0.1.0/24; IPv6 block 2001:db8::/56 with
    subnet 2001:db8::/64."""
    site_id = api.add("ip_site_add", site_name="AWS")
    block_id = api.add(
        "ip_subnet_add",
        site_id=site_id,
        subnet_addr="10.0.0.0",
        subnet_prefix=16,
        subnet_level=0,
        is_terminal=0,
        subnet_name="vpc-1",
    )
    subnet_id = api.add(
        "ip_subnet_add",
        site_id=site_id,
        subnet_addr="10.0.1.0",
        subnet_prefix=24,
        parent_subnet_id=block_id,
        is_terminal=1,
        subnet_name="subnet-a",
    )
    block6_id = api.add(
        "ip6_subnet6_add",
        site_id=site_id,
        subnet6_addr="2001:db8::",
        subnet6_prefix=56,
        subnet_level=0,
        is_terminal=0,
        subnet6_name="vpc-1-v6",
    )
    subnet6_id = api.add(
        "ip6_subnet6_add",
        site_id=site_id,
        subnet6_addr="2001:db8::",
        subnet6_prefix=64,
        parent_subnet6_id=block6_id,
        is_terminal=1,
        subnet6_name="subnet-a-v6",
    )
    return Net(site_id, block_id, subnet_id, block6_id, subnet6_id)


class Recorder:
    """Stands in for the enrich function: records what EventBridge delivers."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self.lock:
            self.events.append(event)
        return {"recorded": True}

    def of_type(self, detail_type: str) -> list[dict[str, Any]]:
        with self.lock:
            return [e for e in self.events if e.get("detail-type") == detail_type]

    def for_instance(self, instance_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [e for e in self.events if e["detail"].get("instance-id") == instance_id]
