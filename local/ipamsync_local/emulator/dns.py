"""DNS rules: servers and zones (created through the admin endpoint) and resource records."""

from __future__ import annotations

import sqlite3
import time

from . import addr
from .errors import ApiError, Errno, invalid, missing
from .request import AddFlag, Req, Result, apply_class, ret_oid, upsert
from .store import Store

RR_TYPES = frozenset(
    {
        "A",
        "NS",
        "MD",
        "MF",
        "CNAME",
        "SOA",
        "MB",
        "MG",
        "MR",
        "NULL",
        "WKS",
        "PTR",
        "HINFO",
        "MINFO",
        "MX",
        "TXT",
        "SPF",
        "RP",
        "AFSDB",
        "X25",
        "ISDN",
        "RT",
        "NSAP",
        "NSAP_PTR",
        "SIG",
        "KEY",
        "PX",
        "GPOS",
        "AAAA",
        "LOC",
        "NXT",
        "EID",
        "NIMLOC",
        "SRV",
        "ATMA",
        "NAPTR",
        "KX",
        "CERT",
        "A6",
        "DNAME",
        "OPT",
        "DS",
        "DNSSIG",
        "NSEC",
        "DNSKEY",
        "NSEC3",
        "NSEC3PARAM",
        "CDS",
        "CDNSKEY",
        "CAA",
        "TLSA",
        "SSHFP",
        "OPENPGPKEY",
        "URI",
        "AVC",
        "NINFO",
        "DLV",
        "DHCID",
        "EUI48",
        "EUI64",
        "NID",
        "L32",
        "L64",
    }
)
#: record types whose value1 is a host name (stored without its trailing dot)
NAME_VALUED = frozenset({"PTR", "CNAME", "NS", "DNAME"})
DEFAULT_TTL = 3600
MAX_NAME = 255
#: What a live appliance answers to a ``dns_rr_add`` of an existing record (the text quoted in
#: alexissavin/terraform-provider-solidserver issue #43; its errno is not public).
RR_EXISTS = (Errno.ALREADY_EXISTS.value, "DNS rr already exists")
#: A record pending deletion: still listed (``delayed_delete_time`` "1") until the DNS server
#: applies the change (``delayed_delete_seconds`` of the profile; ``POST /_emulator/dns/apply``).
LIVE = "deleted_at IS NULL"


def normalize_name(text: str) -> str:
    return text.strip().rstrip(".").lower()


# --------------------------------------------------------------------------- servers and zones


def add_server(store: Store, name: str, ip: str = "", dns_type: str = "ipm") -> tuple[int, bool]:
    """Create (or find) a DNS server by name: (dns_id, created)."""
    name = normalize_name(name)
    if not name:
        raise missing("dns_name")
    row = store.one("SELECT dns_id FROM dns_server WHERE dns_name = ?", (name,))
    if row is not None:
        return row["dns_id"], False
    ip_value = addr.parse_v4("ip", ip) if ip else 0
    return store.insert("dns_server", {"dns_name": name, "ip_addr": ip_value, "dns_type": dns_type}), True


def add_zone(store: Store, server: str, zone: str, reverse: bool | None = None) -> tuple[int, bool]:
    """Create (or find) a zone on a server: (dnszone_id, created). ``reverse`` must match the name."""
    zone = normalize_name(zone)
    if not zone:
        raise missing("dnszone_name")
    is_reverse = addr.is_reverse_zone(zone)
    if reverse is not None and reverse != is_reverse:
        kind = "a reverse" if reverse else "a forward"
        raise invalid("dnszone_name", zone, "string", f"{zone} cannot be {kind} zone")
    server_row = store.one("SELECT dns_id FROM dns_server WHERE dns_name = ?", (normalize_name(server),))
    if server_row is None:
        raise ApiError(
            Errno.NOT_FOUND,
            f"DNS server {server!r} does not exist",
            parameters="dns_name",
            param_value=server,
        )
    row = store.one(
        "SELECT dnszone_id FROM dns_zone WHERE dns_id = ? AND dnszone_name = ?", (server_row["dns_id"], zone)
    )
    if row is not None:
        return row["dnszone_id"], False
    oid = store.insert(
        "dns_zone",
        {"dns_id": server_row["dns_id"], "dnszone_name": zone, "dnszone_is_reverse": int(is_reverse)},
    )
    return oid, True


def _server(store: Store, req: Req) -> sqlite3.Row:
    dns_id = req.oid("dns_id")
    if dns_id is not None:
        row = store.one("SELECT * FROM dns_server WHERE dns_id = ?", (dns_id,))
        if row is None:
            raise ApiError(
                Errno.NOT_FOUND,
                f"DNS server {dns_id} does not exist",
                parameters="dns_id",
                param_value=str(dns_id),
            )
        return row
    name = req.get("dns_name")
    if name:
        row = store.one("SELECT * FROM dns_server WHERE dns_name = ?", (normalize_name(name),))
        if row is None:
            raise ApiError(
                Errno.NOT_FOUND,
                f"DNS server {name!r} does not exist",
                parameters="dns_name",
                param_value=name,
            )
        return row
    host = req.get("hostaddr")
    if host:
        row = store.one("SELECT * FROM dns_server WHERE ip_addr = ?", (addr.parse_v4("hostaddr", host),))
        if row is None:
            raise ApiError(
                Errno.NOT_FOUND, f"no DNS server has address {host}", parameters="hostaddr", param_value=host
            )
        return row
    raise missing("dns_id", "dns_name", "hostaddr")


def owns(zone: str, name: str) -> bool:
    return name == zone or name.endswith("." + zone)


def _zone_for(store: Store, req: Req, server: sqlite3.Row, name: str) -> sqlite3.Row:
    """The zone of the record: the one given (if it owns the name), else the longest suffix."""
    zone_id = req.oid("dnszone_id")
    zone_name = req.get("dnszone_name", "zone")
    if zone_id is not None:
        row = store.one(
            "SELECT * FROM dns_zone WHERE dnszone_id = ? AND dns_id = ?", (zone_id, server["dns_id"])
        )
        if row is None:
            raise ApiError(
                Errno.NOT_FOUND,
                f"zone {zone_id} does not exist on {server['dns_name']}",
                parameters="dnszone_id",
                param_value=str(zone_id),
            )
    elif zone_name:
        row = store.one(
            "SELECT * FROM dns_zone WHERE dnszone_name = ? AND dns_id = ?",
            (normalize_name(zone_name), server["dns_id"]),
        )
        if row is None:
            raise ApiError(
                Errno.NOT_FOUND,
                f"zone {zone_name!r} does not exist on {server['dns_name']}",
                parameters="dnszone_name",
                param_value=zone_name,
            )
    else:
        zones = [
            z
            for z in store.all("SELECT * FROM dns_zone WHERE dns_id = ?", (server["dns_id"],))
            if owns(z["dnszone_name"], name)
        ]
        if not zones:
            raise ApiError(
                Errno.WRONG_ZONE,
                f"no zone of {server['dns_name']} owns {name}",
                parameters="rr_name",
                param_value=name,
            )
        return max(zones, key=lambda z: len(z["dnszone_name"]))
    if not owns(row["dnszone_name"], name):
        raise ApiError(
            Errno.WRONG_ZONE,
            f"zone {row['dnszone_name']} does not own {name}",
            parameters="rr_name",
            param_value=name,
        )
    return row


# --------------------------------------------------------------------------- records


def _values(req: Req, rr_type: str, required: bool) -> dict[str, str]:
    values: dict[str, str] = {}
    for i in range(1, 8):
        text = req.get(f"value{i}", f"rr_value{i}")
        if text is not None:
            values[f"value{i}"] = text
    if required and not values.get("value1"):
        raise missing("value1", "rr_value1")
    if "value1" in values:
        values["value1"] = _normalize_value1(rr_type, req.name_of("value1", "rr_value1"), values["value1"])
    return values


def _normalize_value1(rr_type: str, param: str, value: str) -> str:
    if rr_type == "A":
        if not addr.is_v4(value):
            raise invalid(param, value, "ipv4_addr", "an A record needs an IPv4 address")
        return addr.dotted4(addr.parse_v4(param, value))
    if rr_type == "AAAA":
        if not addr.is_v6(value):
            raise invalid(param, value, "ipv6_addr", "an AAAA record needs an IPv6 address")
        return addr.expanded6(addr.parse_v6(param, value))
    if rr_type in NAME_VALUED:
        return value.strip().rstrip(".")
    return value


def check_zone_kind(rr_type: str, name: str, zone: sqlite3.Row) -> str:
    """Rules by type; returns the hex address named by a PTR (``rr_name_ip_addr``)."""
    reverse = bool(zone["dnszone_is_reverse"])
    if rr_type in ("A", "AAAA") and reverse:
        raise ApiError(
            Errno.WRONG_ZONE,
            f"{rr_type} record {name} cannot go in reverse zone {zone['dnszone_name']}",
            parameters="rr_type",
            param_value=rr_type,
        )
    if rr_type == "PTR":
        if not reverse:
            raise ApiError(
                Errno.WRONG_ZONE,
                f"PTR record {name} needs a reverse zone (*.in-addr.arpa or "
                f"*.ip6.arpa), not {zone['dnszone_name']}",
                parameters="rr_type",
                param_value="PTR",
            )
        parsed = addr.address_of_reverse_name(name)
        if parsed is None:
            raise invalid("rr_name", name, "rr_zone_name_length", "not a reverse name of an address")
        version, value = parsed
        return addr.hex4(value) if version == 4 else addr.hex6(value)
    return ""


def derived(rr_type: str, name: str, zone_name: str, values: dict[str, str]) -> dict[str, object]:
    value1 = values.get("value1", "")
    value_ip = ""
    if rr_type == "A" and value1:
        value_ip = addr.hex4(addr.parse_v4("value1", value1))
    elif rr_type == "AAAA" and value1:
        value_ip = addr.hex6(addr.parse_v6("value1", value1))
    glue = "" if name == zone_name else name[: -(len(zone_name) + 1)]
    return {
        "rr_glue": glue,
        "rr_value_ip_addr": value_ip,
        "rr_all_value": " ".join(values[f"value{i}"] for i in range(1, 8) if values.get(f"value{i}")),
    }


def rr_add(store: Store, req: Req) -> Result:
    rr_id = req.oid("rr_id")
    existing: int | None = None
    if rr_id is not None:
        row = store.one(f"SELECT * FROM dns_rr WHERE rr_id = ? AND {LIVE}", (rr_id,))
        if row is None:
            raise ApiError(
                Errno.DOES_NOT_EXIST,
                f"record {rr_id} does not exist",
                parameters="rr_id",
                param_value=str(rr_id),
            )
        return _rr_edit_by_id(store, req, row)
    server = _server(store, req)
    name = normalize_name(req.required("rr_name"))
    if len(name) > MAX_NAME:
        raise ApiError(
            Errno.TOO_LONG,
            f"rr_name is longer than {MAX_NAME} characters",
            parameters="rr_name",
            param_value=name[:50],
        )
    rr_type = _rr_type(req)
    values = _values(req, rr_type, required=True)
    zone = _zone_for(store, req, server, name)
    name_ip = check_zone_kind(rr_type, name, zone)
    found = store.one(
        "SELECT rr_id FROM dns_rr WHERE dns_id = ? AND rr_full_name = ? AND rr_type = ? AND value1 = ?"
        f" AND {LIVE}",
        (server["dns_id"], name, rr_type, values["value1"]),
    )
    existing = found["rr_id"] if found else None
    ttl = _ttl(req)

    def create() -> int:
        oid = store.insert(
            "dns_rr",
            {
                "dns_id": server["dns_id"],
                "dnszone_id": zone["dnszone_id"],
                "rr_full_name": name,
                "rr_type": rr_type,
                **values,
                **derived(rr_type, name, zone["dnszone_name"], values),
                "rr_name_ip_addr": name_ip,
                "ttl": DEFAULT_TTL if ttl is None else ttl,
                "last_update": store.now(),
            },
        )
        _rr_class(store, req, oid, "", created=True)
        return oid

    def edit(oid: int) -> int:
        row = store.one("SELECT * FROM dns_rr WHERE rr_id = ?", (oid,))
        assert row is not None
        return _rr_apply_edit(store, req, row, values, ttl)

    return upsert(
        req, existing, create, edit, f"{rr_type} record {name} -> {values['value1']}", real_exists=RR_EXISTS
    )


def _rr_type(req: Req) -> str:
    rr_type = req.required("rr_type").strip().upper()
    if rr_type not in RR_TYPES:
        raise invalid("rr_type", rr_type, "enum", "unknown record type")
    return rr_type


def _ttl(req: Req) -> int | None:
    return req.uint("rr_ttl", "ttl")


def _rr_edit_by_id(store: Store, req: Req, row: sqlite3.Row) -> Result:
    if req.add_flag() is AddFlag.NEW_ONLY:
        raise ApiError(
            Errno.ALREADY_EXISTS,
            f"record {row['rr_id']} already exists (add_flag=new_only)",
            parameters="rr_id",
            param_value=str(row["rr_id"]),
        )
    name = req.get("rr_name")
    if name and normalize_name(name) != row["rr_full_name"]:
        raise ApiError(
            Errno.IMMUTABLE,
            f"record {row['rr_id']} is {row['rr_full_name']}: its name cannot be edited",
            parameters="rr_name",
            param_value=name,
        )
    if req.get("rr_type") and req.text("rr_type").strip().upper() != row["rr_type"]:
        raise ApiError(
            Errno.IMMUTABLE,
            f"record {row['rr_id']} is of type {row['rr_type']}",
            parameters="rr_type",
            param_value=req.text("rr_type"),
        )
    values = _values(req, row["rr_type"], required=False)
    return ret_oid(_rr_apply_edit(store, req, row, values, _ttl(req)), created=False)


def _rr_apply_edit(store: Store, req: Req, row: sqlite3.Row, values: dict[str, str], ttl: int | None) -> int:
    """Edit a record; answers its id, a new one when the appliance gives edited records new ids."""
    merged = {f"value{i}": row[f"value{i}"] for i in range(1, 8)}
    merged.update(values)
    zone = store.one("SELECT dnszone_name FROM dns_zone WHERE dnszone_id = ?", (row["dnszone_id"],))
    assert zone is not None
    changes: dict[str, object] = {
        **merged,
        **derived(row["rr_type"], row["rr_full_name"], zone["dnszone_name"], merged),
    }
    if ttl is not None:
        changes["ttl"] = ttl
    changes["last_update"] = store.now()
    store.update("dns_rr", "rr_id", row["rr_id"], changes)
    _rr_class(store, req, int(row["rr_id"]), row["class_params"])
    if store.profile.rr_ids_change:
        return _renumber(store, row["rr_id"])
    return int(row["rr_id"])


def _rr_class(store: Store, req: Req, oid: int, current: str, *, created: bool = False) -> None:
    """A record's class parameters, kept only by profiles whose records carry metadata."""
    if not store.profile.record_metadata:
        return
    apply_class(
        store,
        req,
        prefix_names=("rr_class_parameters",),
        otype="dns_rr",
        table="dns_rr",
        id_column="rr_id",
        oid=oid,
        current=current,
        class_name_param="rr_class_name",
        created=created,
    )


def rr_delete(store: Store, req: Req) -> Result:
    rr_id = req.oid("rr_id")
    if rr_id is not None:
        row = store.one(f"SELECT rr_id FROM dns_rr WHERE rr_id = ? AND {LIVE}", (rr_id,))
        rows = [row] if row is not None else []
    else:
        server = _server(store, req)
        name = normalize_name(req.required("rr_name"))
        rr_type = _rr_type(req)
        sql = f"SELECT rr_id FROM dns_rr WHERE dns_id = ? AND rr_full_name = ? AND rr_type = ? AND {LIVE}"
        args: list[object] = [server["dns_id"], name, rr_type]
        values = _values(req, rr_type, required=False)
        for key, value in values.items():
            sql += f" AND {key} = ?"
            args.append(value)
        rows = store.all(sql, tuple(args))
        if len(rows) > 1:
            raise ApiError(
                Errno.INVALID_PARAMETER,
                f"{len(rows)} {rr_type} records are named {name}: give rr_id or value1",
                parameters="rr_name",
                param_value=name,
            )
    if not rows:
        return Result()
    oid = rows[0]["rr_id"]
    remove_record(store, oid)
    return ret_oid(oid, created=False)


def remove_record(store: Store, rr_id: int) -> None:
    """Delete a record: at once, or (``delayed_delete_seconds``) marked pending until applied."""
    if store.profile.delayed_delete_seconds > 0:
        store.execute(
            "UPDATE dns_rr SET deleted_at = ? WHERE rr_id = ? AND deleted_at IS NULL", (time.time(), rr_id)
        )
        store.pending_deletions = True
        return
    store.execute("DELETE FROM dns_rr WHERE rr_id = ?", (rr_id,))
    store.drop_meta("dns_rr", rr_id)


def apply_due_deletions(store: Store, *, force: bool = False) -> int:
    """Remove the records whose deletion the DNS server has applied by now (``force``: all)."""
    if not store.pending_deletions and not force:
        return 0
    cutoff = float("inf") if force else time.time() - store.profile.delayed_delete_seconds
    with store.transaction():
        due = [r["rr_id"] for r in store.all("SELECT rr_id FROM dns_rr WHERE deleted_at <= ?", (cutoff,))]
        for rr_id in due:
            store.execute("DELETE FROM dns_rr WHERE rr_id = ?", (rr_id,))
            store.drop_meta("dns_rr", rr_id)
        store.pending_deletions = store.one("SELECT 1 FROM dns_rr WHERE deleted_at IS NOT NULL") is not None
    return len(due)


def _renumber(store: Store, rr_id: int) -> int:
    """The record gets a new id (its class parameters follow it); answers the new id."""
    columns = [row[1] for row in store.conn.execute("PRAGMA table_info(dns_rr)") if row[1] != "rr_id"]
    listed = ", ".join(columns)
    cur = store.execute(
        f"INSERT INTO dns_rr ({listed}) SELECT {listed} FROM dns_rr WHERE rr_id = ?", (rr_id,)
    )
    new_id = int(cur.lastrowid or 0)
    store.execute("DELETE FROM dns_rr WHERE rr_id = ?", (rr_id,))
    store.execute("UPDATE meta SET oid = ? WHERE otype = 'dns_rr' AND oid = ?", (new_id, rr_id))
    return new_id


def renumber_records(store: Store) -> int:
    """Every live record gets a new id (what DNS behaviour may do between two invocations)."""
    with store.transaction():
        ids = [r["rr_id"] for r in store.all(f"SELECT rr_id FROM dns_rr WHERE {LIVE} ORDER BY rr_id")]
        for rr_id in ids:
            _renumber(store, rr_id)
    return len(ids)
