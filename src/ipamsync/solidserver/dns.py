"""SOLIDserver's DNS operations: servers, zones and records.

Every method is one REST call (lists: one call per page)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ipamsync.solidserver import metadata as md
from ipamsync.solidserver.base import Operations, metadata_edit, owner_token, tag_column
from ipamsync.solidserver.rows import Metadata, Record, Zone, plain_name
from ipamsync.solidserver.where import Where


class DnsOperations(Operations):
    # ------------------------------------------------------------------ DNS
    def find_dns_server(self, name: str) -> str | None:
        rows = list(self.client.list("dns_server_list", where=Where.eq("dns_name", name), max_rows=1))
        return rows[0]["dns_id"] if rows else None

    def list_zones(self, server: str) -> list[Zone]:
        rows = self.client.list("dns_zone_list", where=Where.eq("dns_name", server))
        return [
            Zone(
                id=r["dnszone_id"],
                name=r.get("dnszone_name", "").rstrip(".").lower(),
                server_id=r.get("dns_id", ""),
                server_name=r.get("dns_name", ""),
                view=plain_name(r.get("dnsview_name")),
                reverse=r.get("dnszone_is_reverse") == "1",
            )
            for r in rows
        ]

    def find_records(
        self, server: str, *, owner_key: str, owner: str, names: Mapping[str, Iterable[str]]
    ) -> list[Record]:
        """Records on ``server`` owned by ``owner`` plus records named ``names`` (``{fqdn: [types]}``),
        found by server, name, type (and the caller checks the value) — never by a kept ``rr_id``:
        the ids of records change (the Terraform provider's ``resource_dns_rr.go``: "We do not rely
        on the ID that may change due to DNS behavior"). Like :meth:`find_addresses`, by tag when
        ``rr.`` tags work, else by ``rr_class_parameters``. Records pending deletion are gone."""
        tagged = self.tag_supported("dns_rr_list", "rr", owner_key, "rr_class_parameters")
        if tagged:
            clause = Where.eq(tag_column("rr", owner_key), owner)
        else:
            clause = Where.contains("rr_class_parameters", owner_token(owner))
        for fqdn, types in names.items():
            clause = clause | (Where.eq("rr_full_name", fqdn) & Where.any_of("rr_type", types))
        where = Where.eq("dns_name", server) & clause
        tags = [f"rr.{owner_key}"] if tagged else None
        rows = self.client.list("dns_rr_list", where=where, tags=tags)
        return [rec for rec in map(Record.from_row, rows) if not rec.pending_delete]

    def create_record(
        self, server: str, zone: Zone, fqdn: str, rtype: str, value: str, *, ttl: int, metadata: Metadata
    ) -> str:
        params: dict[str, object] = {
            "dns_name": server,
            "dnszone_name": zone.name,
            "rr_name": fqdn,
            "rr_type": rtype,
            "value1": value,
            "rr_ttl": ttl,
            "rr_class_parameters": md.encode(metadata),
        }
        if zone.view:
            params["dnsview_name"] = zone.view
        return self.client.add("dns_rr_add", params)

    def update_record(
        self,
        record: Record,
        *,
        ttl: int,
        metadata: Metadata,
        delete_keys: Iterable[str] = (),
        value: str | None = None,
    ) -> str:
        """Edit a record (``value``: a new ``value1``); answers its id after the edit (an appliance
        may give it a new one)."""
        params: dict[str, object] = {
            "rr_id": record.id,
            "rr_name": record.fqdn,
            "rr_type": record.type,
            "value1": record.value if value is None else value,
            "dns_name": record.server,
            "rr_ttl": ttl,
        }
        metadata_edit(params, "rr_class_parameters", metadata, delete_keys)
        return self.client.edit("dns_rr_add", params)

    def delete_record(self, record_id: str) -> None:
        self.client.delete("dns_rr_delete", {"rr_id": record_id})
