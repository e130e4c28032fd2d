"""Fault injection and per-service request counters.

Fault configuration (JSON; every key optional)::

    {
      "seed": 42,                 # re-seeds the random generator (deterministic decisions)
      "outage": false,            # true: every /rest request answers 503
      "rules": {
        "*":      {"error_rates": {"500": 0.01, "503": 0.02, "429": 0.01},
                   "retry_after": 1,            # seconds, sent with 429 (and 503)
                   "latency_ms": 0, "jitter_ms": 0,
                   "drop_rate": 0.0,            # close the connection, request not applied
                   "drop_after_commit_rate": 0.0},  # apply the request, then close without answering
        "ip_add": {"error_rates": {"503": 0.5}, "latency_ms": 20},
        "hostdev_list": {"error_rates": {"503": 1.0}, "match": "i-0abc"}
      }
    }

A rule with ``match`` applies only to the requests whose decoded query string contains that text
(a service's rule that does not match leaves the ``"*"`` rule alone in force): a fault aimed at one
instance while other executions run concurrently.

The rule of a service is the ``"*"`` rule overridden field by field by the service's own rule.
Per request, decisions are drawn in this order from one seeded generator: latency jitter, drop,
error status (one draw; rates are cumulative and must add up to at most 1), drop after commit.
Everything except ``drop_after_commit`` is decided and applied *before* the request touches the
data. Admin endpoints are never faulted.
"""

from __future__ import annotations

import copy
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

RULE_FIELDS = {
    "error_rates",
    "retry_after",
    "latency_ms",
    "jitter_ms",
    "drop_rate",
    "drop_after_commit_rate",
    "match",
}
TOP_FIELDS = {"seed", "outage", "rules"}


@dataclass(frozen=True)
class Decision:
    latency_s: float = 0.0
    status: int | None = None  # an injected error status
    retry_after: int = 1
    drop: bool = False
    drop_after_commit: bool = False
    outage: bool = False


def _number(value: object, name: str, *, low: float = 0.0, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number")
    number = float(value)
    if number < low or (high is not None and number > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be {bound}")
    return number


def validate(config: Mapping[str, Any]) -> dict[str, Any]:
    """A normalized copy of a fault configuration; ValueError on anything malformed."""
    if not isinstance(config, Mapping):
        raise ValueError("fault configuration must be a JSON object")
    unknown = set(config) - TOP_FIELDS
    if unknown:
        raise ValueError(f"unknown fault settings: {sorted(unknown)} (allowed: {sorted(TOP_FIELDS)})")
    out: dict[str, Any] = {"outage": bool(config.get("outage", False)), "rules": {}}
    if "seed" in config and config["seed"] is not None:
        if isinstance(config["seed"], bool) or not isinstance(config["seed"], int):
            raise ValueError("seed must be an integer")
        out["seed"] = config["seed"]
    rules = config.get("rules", {}) or {}
    if not isinstance(rules, Mapping):
        raise ValueError("rules must be an object: service (or '*') -> rule")
    for service, rule in rules.items():
        out["rules"][str(service)] = _validate_rule(str(service), rule)
    return out


def _validate_rule(service: str, rule: object) -> dict[str, Any]:
    if not isinstance(rule, Mapping):
        raise ValueError(f"rule for {service} must be an object")
    unknown = set(rule) - RULE_FIELDS
    if unknown:
        raise ValueError(
            f"unknown fields in rule for {service}: {sorted(unknown)} (allowed: {sorted(RULE_FIELDS)})"
        )
    out: dict[str, Any] = {}
    if "error_rates" in rule:
        rates = rule["error_rates"]
        if not isinstance(rates, Mapping):
            raise ValueError(f"{service}.error_rates must be an object: status -> probability")
        clean: dict[str, float] = {}
        for status, rate in rates.items():
            code = int(status)
            if not 400 <= code <= 599:
                raise ValueError(f"{service}.error_rates: {status} is not an HTTP error status")
            clean[str(code)] = _number(rate, f"{service}.error_rates.{status}", high=1.0)
        if sum(clean.values()) > 1.0 + 1e-9:
            raise ValueError(f"{service}.error_rates add up to more than 1")
        out["error_rates"] = clean
    for name in ("drop_rate", "drop_after_commit_rate"):
        if name in rule:
            out[name] = _number(rule[name], f"{service}.{name}", high=1.0)
    for name in ("latency_ms", "jitter_ms"):
        if name in rule:
            out[name] = _number(rule[name], f"{service}.{name}")
    if "retry_after" in rule:
        out["retry_after"] = int(_number(rule["retry_after"], f"{service}.retry_after"))
    if "match" in rule:
        if not isinstance(rule["match"], str) or not rule["match"]:
            raise ValueError(f"{service}.match must be a non-empty string")
        out["match"] = rule["match"]
    return out


class Faults:
    """The current fault configuration and the seeded generator that applies it."""

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self._lock = threading.Lock()
        self._config: dict[str, Any] = validate({})
        self._rng = random.Random(0)
        if config:
            self.configure(config)

    def configure(self, config: Mapping[str, Any]) -> dict[str, Any]:
        clean = validate(config)
        with self._lock:
            self._config = clean
            self._rng = random.Random(clean.get("seed", 0))
        return self.snapshot()

    def merge(self, partial: Mapping[str, Any]) -> dict[str, Any]:
        """Update ``outage``/``seed`` and replace the rules of the services named in ``partial``."""
        with self._lock:
            current = copy.deepcopy(self._config)
        clean = validate({k: v for k, v in partial.items() if k != "outage"} | {"outage": False})
        if "outage" in partial:
            current["outage"] = bool(partial["outage"])
        if "seed" in clean:
            current["seed"] = clean["seed"]
        current["rules"].update(clean["rules"])
        return self.configure(current)

    def clear(self) -> dict[str, Any]:
        return self.configure({})

    def set_outage(self, on: bool) -> dict[str, Any]:
        with self._lock:
            self._config["outage"] = bool(on)
        return self.snapshot()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._config)

    def _rule(self, service: str, query: str) -> dict[str, Any]:
        rules = self._config["rules"]
        rule: dict[str, Any] = {}
        for name in ("*", service):
            own = rules.get(name, {})
            if "match" not in own or own["match"] in query:
                rule.update(own)
        return rule

    def decide(self, service: str, query: str = "") -> Decision:
        """What to do with a request to ``service`` (``query``: its decoded query string)."""
        with self._lock:
            rule = self._rule(service, query)
            retry_after = int(rule.get("retry_after", 1))
            latency = float(rule.get("latency_ms", 0.0))
            jitter = float(rule.get("jitter_ms", 0.0))
            if jitter > 0:
                latency += self._rng.random() * jitter
            latency_s = latency / 1000.0
            if self._config["outage"]:
                return Decision(latency_s, 503, retry_after, outage=True)
            drop_rate = float(rule.get("drop_rate", 0.0))
            if drop_rate > 0 and self._rng.random() < drop_rate:
                return Decision(latency_s, None, retry_after, drop=True)
            rates: dict[str, float] = rule.get("error_rates", {})
            if any(rate > 0 for rate in rates.values()):
                draw, cumulative = self._rng.random(), 0.0
                for status in sorted(rates, key=int):
                    cumulative += rates[status]
                    if draw < cumulative:
                        return Decision(latency_s, int(status), retry_after)
            after = float(rule.get("drop_after_commit_rate", 0.0))
            drop_after = after > 0 and self._rng.random() < after
            return Decision(latency_s, None, retry_after, drop_after_commit=drop_after)


WRITE_METHODS = frozenset({"POST", "PUT", "DELETE"})


class Stats:
    """Requests per service: by method, by answered status, reads (GET) and writes, and the sum of
    the latency injected (``latency_ms``).

    Faulted requests count, with the status they were answered (``429``, ``503``...); a dropped
    connection counts with the status ``"dropped"`` (before the request was applied) or
    ``"dropped_after_commit"``. Admin endpoints are not counted.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._services: dict[str, dict[str, Any]] = {}

    def _entry(self, service: str) -> dict[str, Any]:
        return self._services.setdefault(
            service, {"methods": {}, "statuses": {}, "reads": 0, "writes": 0, "total": 0, "latency_ms": 0.0}
        )

    def delayed(self, service: str, seconds: float) -> None:
        """An injected latency: its sum per service says what was scheduled, whatever the load."""
        with self._lock:
            entry = self._entry(service)
            entry["latency_ms"] = round(entry["latency_ms"] + seconds * 1000.0, 3)

    def record(self, service: str, method: str, status: int | str) -> None:
        with self._lock:
            entry = self._entry(service)
            entry["methods"][method] = entry["methods"].get(method, 0) + 1
            key = str(status)
            entry["statuses"][key] = entry["statuses"].get(key, 0) + 1
            entry["total"] += 1
            if method == "GET":
                entry["reads"] += 1
            elif method in WRITE_METHODS:
                entry["writes"] += 1

    def reset(self) -> None:
        with self._lock:
            self._services.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            services = copy.deepcopy(self._services)
        totals: dict[str, Any] = {"reads": 0, "writes": 0, "total": 0, "statuses": {}}
        for entry in services.values():
            for name in ("reads", "writes", "total"):
                totals[name] += entry[name]
            for status, count in entry["statuses"].items():
                totals["statuses"][status] = totals["statuses"].get(status, 0) + count
        return {"services": dict(sorted(services.items())), "totals": totals}
