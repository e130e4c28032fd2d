"""Python client of the emulator's admin endpoints (``/_emulator/...``)."""

from __future__ import annotations

from typing import Any

import requests

ADMIN_PREFIX = "/_emulator/"


class EmulatorAdminError(RuntimeError):
    """An admin endpoint answered an error."""


class EmulatorAdmin:
    """Drive a running emulator: faults, counters, data reset, DNS servers/zones, seeding.

    ``verify`` is passed to ``requests`` (the emulator's ``cert_path`` in TLS mode).
    """

    def __init__(self, url: str, verify: bool | str = True, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.verify = verify
        self.timeout = timeout
        self._session = requests.Session()

    def close(self) -> None:
        self._session.close()

    def _call(self, method: str, route: str, body: dict[str, Any] | None = None) -> Any:
        response = self._session.request(
            method, f"{self.url}{ADMIN_PREFIX}{route}", json=body, verify=self.verify, timeout=self.timeout
        )
        try:
            answer = response.json()
        except ValueError:
            answer = {"error": response.text}
        if response.status_code >= 400:
            message = answer.get("error") or answer.get("errmsg") if isinstance(answer, dict) else answer
            raise EmulatorAdminError(
                f"{method} {ADMIN_PREFIX}{route}: HTTP {response.status_code}: {message}"
            )
        return answer

    # ------------------------------------------------------------------ faults

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "health")
        return result

    def faults(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "faults")
        return result

    def set_faults(self, config: dict[str, Any]) -> dict[str, Any]:
        """Replace the whole fault configuration (see ``faults.py`` for the schema)."""
        result: dict[str, Any] = self._call("PUT", "faults", config)
        return result

    def merge_faults(self, config: dict[str, Any]) -> dict[str, Any]:
        """Change ``outage``/``seed`` and the rules of the services named; keep the others."""
        result: dict[str, Any] = self._call("PATCH", "faults", config)
        return result

    def clear_faults(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("DELETE", "faults")
        return result

    def outage(self, on: bool) -> dict[str, Any]:
        result: dict[str, Any] = self._call("PUT", "faults/outage", {"outage": bool(on)})
        return result

    # ------------------------------------------------------------------ counters

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "stats")
        return result

    def reset_stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("DELETE", "stats")
        return result

    # ------------------------------------------------------------------ data

    def reset(self) -> dict[str, Any]:
        """Delete every object of the emulator (ids keep counting up)."""
        result: dict[str, Any] = self._call("POST", "reset")
        return result

    def seed(self, **options: Any) -> dict[str, Any]:
        """Options: ``space``, ``dns_server``, ``forward_zones``, ``reverse_zones`` (lists)."""
        result: dict[str, Any] = self._call("POST", "seed", options)
        return result

    def add_dns_server(self, name: str, ip: str = "") -> str:
        """Create (or find) a DNS server; returns its ``dns_id``."""
        return str(self._call("POST", "dns", {"server": name, "ip": ip})["dns_id"])

    def add_dns_zone(self, server: str, zone: str, reverse: bool = False) -> str:
        """Create (or find) a zone of a server (created too if missing); returns ``dnszone_id``."""
        answer = self._call("POST", "dns", {"server": server, "zone": zone, "reverse": reverse})
        return str(answer["dnszone_id"])

    # ------------------------------------------------------------------ appliance profile

    def profile(self) -> dict[str, Any]:
        """``{"profiles": [names], "settings": {...}}`` (see ``profile.py``)."""
        result: dict[str, Any] = self._call("GET", "profile")
        return result

    def set_profile(self, name: str = "default", **settings: Any) -> dict[str, Any]:
        """Switch to the named profile, with ``settings`` changed over it."""
        result: dict[str, Any] = self._call("PUT", "profile", {"profile": name, "settings": settings})
        return result

    def change_profile(self, **settings: Any) -> dict[str, Any]:
        """Change some settings of the current profile."""
        result: dict[str, Any] = self._call("PATCH", "profile", {"settings": settings})
        return result

    def apply_dns_deletions(self) -> int:
        """The DNS server applies every pending record deletion now; returns how many."""
        return int(self._call("POST", "dns/apply")["applied"])

    def renumber_records(self) -> int:
        """Every DNS record gets a new ``rr_id``; returns how many."""
        return int(self._call("POST", "dns/renumber")["renumbered"])
