"""What every family of SOLIDserver operations shares: the client, the tag-type probe, how an edit
sends its metadata, and owner lookups."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ipamsync.errors import SolidServerRequestError
from ipamsync.solidserver import metadata as md
from ipamsync.solidserver.rows import Metadata

if TYPE_CHECKING:
    from ipamsync.solidserver.client import SolidServerClient

log = logging.getLogger("ipamsync.solidserver")

#: How long a tag probe that could not decide (no object carries the key yet) is trusted before
#: probing again: meanwhile lookups take the path that does not need the tag.
TAG_PROBE_RETRY_SECONDS = 300.0


def metadata_edit(
    params: dict[str, object], column: str, metadata: Metadata | None, delete_keys: Iterable[str]
) -> None:
    """Add an edit's metadata to ``params``.

    ``metadata`` is the object's *whole* class-parameter set after the edit (see
    :func:`~ipamsync.solidserver.metadata.edit_set`), sent every time — EfficientIP's clients
    resend the full set on every edit (SOLIDserverRest ``adv/class_params.py``
    ``prepare_class_params``; the Terraform provider's ``Update`` functions) — so that the result is
    right whether the appliance merges the keys sent into its set or replaces its set with them;
    ``class_parameters_to_delete`` removes ``delete_keys``. An edit that sends no class parameters
    says ``keep_class_parameters=1``, as the Terraform provider does when it leaves them out
    (``resource_ip_mac.go``)."""
    if metadata:
        params[column] = md.encode_set(metadata)
    else:
        params["keep_class_parameters"] = "1"
    keys = list(delete_keys)
    if keys:
        params["class_parameters_to_delete"] = md.delete_list(keys)


_TOKEN = re.compile(r"[A-Za-z0-9._~-]+")


def owner_token(owner: str) -> str:
    """The longest part of an owner value that URL encoding never changes (``i-0abc…`` of
    ``aws:123:us-east-1:i-0abc…``): what a lookup on the class-parameter column searches for,
    whatever percent-encoding the appliance answers its class parameters with."""
    parts: list[str] = _TOKEN.findall(owner)
    if not parts:
        raise ValueError(f"no searchable text in owner {owner!r}")
    return max(parts, key=len)


def tag_column(tag_type: str, key: str) -> str:
    return f"tag_{tag_type}_{md.check_key(key)}"


class Operations:
    """The client, and the tag-type probes (cached per container), for every family of operations."""

    def __init__(self, client: SolidServerClient) -> None:
        self.client = client
        self._tags: dict[tuple[str, str, str], tuple[bool | None, float]] = {}
        self._tags_lock = threading.Lock()

    # ------------------------------------------------------------------ tag types
    def tag_supported(self, service: str, tag_type: str, key: str, params_column: str) -> bool | None:
        """Does ``service`` expose ``TAGS=<tag_type>.<key>`` as the object's own class parameter?

        Only the ``hostdev.`` and ``network.`` tag types have public evidence; ipamsync's address
        and record lookups need ``ip.``, ``ip6.`` and ``rr.``. So each is probed once per container
        with ``TAGS=<type>.<key>&WHERE=tag_<type>_<key>!=''&limit=1``: True when the answered row
        has the ``tag_<type>_<key>`` column and it equals the key in the row's own
        ``params_column``; False when the appliance refuses the query or answers a row without that
        column or with another value; None (retried after ``TAG_PROBE_RETRY_SECONDS``) when no
        object carries the key yet. Callers use the tag only on True."""
        cache_key = (service, tag_type, key)
        now = time.monotonic()
        with self._tags_lock:
            known = self._tags.get(cache_key)
            if known is not None and (known[0] is not None or now - known[1] < TAG_PROBE_RETRY_SECONDS):
                return known[0]
        column = tag_column(tag_type, key)
        verdict: bool | None
        try:
            rows = self.client.get(
                service, {"TAGS": f"{tag_type}.{key}", "WHERE": f"{column}!=''", "limit": 1, "offset": 0}
            )
        except SolidServerRequestError as exc:
            rows, verdict = [], False
            reason = f"refused ({exc.status}, errno {exc.errno})"
        else:
            verdict, reason = None, "no object carries the key yet"
            if rows:
                row = rows[0]
                own = md.decode(row.get(params_column)).get(key)
                verdict = column in row and row[column] != "" and row[column] == own
                reason = "column answered" if verdict else "column absent or not the object's own"
        with self._tags_lock:
            self._tags[cache_key] = (verdict, now)
        path = {True: "tag", False: "class-parameter column", None: "class-parameter column (undecided)"}
        log_at = log.info if verdict is not False else log.warning
        log_at(
            "SOLIDserver tag type probed",
            extra={
                "sds_service": service,
                "tag": f"{tag_type}.{key}",
                "lookup": path[verdict],
                "reason": reason,
            },
        )
        return verdict
