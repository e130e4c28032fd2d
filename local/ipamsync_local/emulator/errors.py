"""The error object SOLIDserver answers with, and the emulator's error numbers.

A failed v1 call answers a JSON **object** (not an array) with ``errno``, ``errmsg``,
``severity``, ``parameters``, ``param_format`` and ``param_value`` — every value a string.
SOLIDserver's own ``errno`` values are mostly not public, so the emulator uses its own stable
numbers (listed in ``docs/solidserver.md``); clients should branch on the HTTP status and treat
``errno`` as diagnostic.

With the ``appliance`` error shapes (:mod:`.profile`) the bodies are the ones a live appliance was
seen answering (gregocgt/SOLIDserverRest ``report.txt``): ``*_add``/``*_delete`` answer an object
``{errno, errmsg, severity: "error", parameters, service_name, category}``, ``*_info``/``*_list``/
``*_count`` a one-element array ``[{errno, errmsg, parameters}]``; a missing parameter is errno
``4``; the known texts and numbers replace the emulator's where they exist (:attr:`ApiError.real`).
"""

from __future__ import annotations

from enum import StrEnum


class Errno(StrEnum):
    """Error numbers of the emulator (strings on the wire, like every SOLIDserver value)."""

    MISSING_PARAMETER = "1001"
    INVALID_PARAMETER = "1002"
    NOT_FOUND = "1003"  # a referenced object (space, network, device, server, zone...) does not exist
    ALREADY_EXISTS = "1004"  # new_only on an existing object, or a uniqueness rule
    DOES_NOT_EXIST = "1005"  # edit_only on a missing object
    OUTSIDE_PARENT = "1006"  # network outside its parent block, or no block contains it
    OVERLAP = "1007"
    NO_TERMINAL_SUBNET = "1008"  # address not inside a terminal subnet of the space
    IN_USE = "1009"  # delete of an object that still holds children
    IMMUTABLE = "1010"  # edit of a field that cannot change (network/address)
    BAD_QUERY = "1011"  # malformed WHERE / ORDERBY / TAGS, unknown column, bad limit/offset
    WRONG_ZONE = "1012"  # DNS record in a zone that does not own it / wrong zone kind
    TOO_LONG = "1013"
    UNKNOWN_SERVICE = "1014"
    METHOD_NOT_ALLOWED = "1015"
    AUTH = "1016"
    CLOCK_SKEW = "1017"
    SERVICE_UNAVAILABLE = "1018"  # fault injection / outage
    INTERNAL = "1019"
    RATE_LIMITED = "1020"  # fault injection
    NAME_IN_USE = "1021"  # unique_address_names: another address of the space has this name
    REQUEST_TIMEOUT = "1022"  # fault injection (408)


class ApiError(Exception):
    """An error answered to the client as SOLIDserver's error object."""

    def __init__(
        self,
        errno: Errno,
        errmsg: str,
        *,
        status: int = 400,
        parameters: str = "",
        param_format: str = "",
        param_value: str = "",
        headers: dict[str, str] | None = None,
        extra: dict[str, str] | None = None,
        real: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(errmsg)
        self.errno = errno
        self.errmsg = errmsg
        self.status = status
        self.parameters = parameters
        self.param_format = param_format
        self.param_value = param_value
        self.headers = dict(headers or {})
        #: fields of the error object beyond the standard ones (a live appliance adds e.g.
        #: ``site_name`` or ``ip_addr``: the object in the way)
        self.extra = dict(extra or {})
        #: (errno, errmsg) a live appliance answers for this error, when public evidence shows it
        self.real = real

    def body(self) -> dict[str, str]:
        return {
            "errno": self.errno.value,
            "errmsg": self.errmsg,
            "severity": "ERROR",
            "parameters": self.parameters,
            "param_format": self.param_format,
            "param_value": self.param_value,
            **self.extra,
        }

    def appliance_body(self, service: str) -> dict[str, str] | list[dict[str, str]]:
        """The body a live appliance answers: an array from reads, an object from writes."""
        errno, errmsg = self.real or (self.errno.value, self.errmsg)
        if self.errno is Errno.MISSING_PARAMETER and self.real is None:
            errno, errmsg = "4", "Missing parameter"
        read = service.endswith(("_info", "_list", "_count"))
        if read:
            if errno == "4" and self.parameters:
                errmsg = f"Missing parameter {self.parameters}"
            return [{"errno": errno, "errmsg": errmsg, "parameters": self.parameters, **self.extra}]
        body = {"errno": errno, "errmsg": errmsg, "severity": "error"}
        if self.parameters:
            body["parameters"] = self.parameters
        if self.param_format:
            body["param_format"] = self.param_format
        if self.param_value:
            body["param_value"] = self.param_value
        body.update(self.extra)
        body.update({"service_name": service, "category": service})
        return body


def missing(*names: str) -> ApiError:
    """Mandatory parameter(s) absent: ``names`` are alternatives (any one would do)."""
    listed = " || ".join(names)
    return ApiError(Errno.MISSING_PARAMETER, f"Missing mandatory parameter: {listed}", parameters=listed)


def invalid(name: str, value: object, fmt: str, why: str = "") -> ApiError:
    text = f"Invalid value for parameter {name}"
    if why:
        text += f": {why}"
    return ApiError(
        Errno.INVALID_PARAMETER, text, parameters=name, param_format=fmt, param_value=_short(value)
    )


def _short(value: object, limit: int = 200) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."


#: SOLIDserver's integers are 64-bit (SQLite's too): anything outside is a 400, never a 500.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def int64(text: str, name: str) -> int:
    """``text`` (already checked to be an integer) as an int, or a 400 naming ``name``."""
    value = int(text)
    if not INT64_MIN <= value <= INT64_MAX:
        raise invalid(name, text[:50], "64-bit integer", "out of range")
    return value
