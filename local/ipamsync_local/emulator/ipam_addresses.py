"""IPAM rules for IPv4/IPv6 addresses (``ip_add``/``ip_delete``, ``ip6_address6_*``) and the bulk load.

Every function runs inside the request's transaction (see :meth:`Store.transaction`) and raises
:class:`ApiError` on a rule violation, which rolls the whole request back.
"""

from __future__ import annotations

import bisect
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from . import addr, replication
from .errors import ApiError, Errno, invalid, missing
from .ipam_networks import V4, V6, Family, containing
from .ipam_spaces import resolve_site
from .request import Req, Result, apply_class, explicit_id, ret_oid, upsert
from .store import Store, encode_class_params

# --------------------------------------------------------------------------- addresses


@dataclass(frozen=True)
class AddrFields:
    """Per-family names of an address' parameters and columns."""

    fam: Family
    addr_param: str  # ip_addr / ip6_addr (hex or text form, alternative to hostaddr)
    name_params: tuple[str, ...]
    name_col: str
    mac_param: str
    mac_col: str
    class_param: str
    class_name_param: str


A4 = AddrFields(
    V4, "ip_addr", ("name", "ip_name"), "name", "mac_addr", "mac_addr", "ip_class_parameters", "ip_class_name"
)
A6 = AddrFields(
    V6,
    "ip6_addr",
    ("ip6_name",),
    "ip6_name",
    "ip6_mac_addr",
    "ip6_mac_addr",
    "ip6_class_parameters",
    "ip6_class_name",
)


def _addr_value(req: Req, f: AddrFields) -> int | None:
    name = req.name_of("hostaddr", f.addr_param)
    text = req.get("hostaddr", f.addr_param)
    if text is None or text.strip() == "":
        return None
    return f.fam.parse(name, text)


def find_address(store: Store, fam: Family, site_id: int, value: int) -> int | None:
    row = store.one(
        f"SELECT {fam.ip_id_col} FROM {fam.ip_table} WHERE site_id = ? AND {fam.ip_addr_col} = ?",
        (site_id, fam.store_addr(value)),
    )
    return None if row is None else int(row[fam.ip_id_col])


def terminal_subnet_for(store: Store, fam: Family, site_id: int, value: int) -> sqlite3.Row | None:
    """The terminal subnet of the space holding ``value``, or None: the address is then an orphan
    (``subnet_id`` 0), which a live appliance accepts (vrtdev/solidserverrest
    ``tests/tdd_eip_ipadd.py``: ``test_ipadd_new_orphan_address``). The network and broadcast
    addresses of a locked subnet are refused."""
    rows = containing(store, fam, site_id, value, value, terminal=1)
    if not rows:
        return None
    subnet = rows[0]
    if fam.version == 4:
        start, end = fam.load_addr(subnet[fam.start_col]), fam.load_addr(subnet[fam.end_col])
        if subnet["lock_network_broadcast"] and end - start + 1 >= 4 and value in (start, end):
            kind = "network" if value == start else "broadcast"
            raise ApiError(
                Errno.NO_TERMINAL_SUBNET,
                f"{fam.host(value)} is the {kind} address of subnet {subnet[fam.id_col]}"
                " (lock_network_broadcast)",
                parameters="hostaddr",
                param_value=fam.host(value),
            )
    return subnet


def ip4_values(site_id: int, subnet_id: int, value: int, name: str = "", mac: str = "") -> dict[str, object]:
    """The stored columns of a new IPv4 address (shared by ``ip_add`` and the bulk loader)."""
    return {
        "site_id": site_id,
        "subnet_id": subnet_id,
        "addr": value,
        "hostaddr": addr.dotted4(value),
        "name": name,
        "mac_addr": mac,
    }


def address_add(store: Store, req: Req, f: AddrFields) -> Result:
    existing, site, value = _target_address(store, req, f)

    def create() -> int:
        if value is None:
            raise missing("hostaddr")
        assert site is not None
        return _create_address(store, req, f, site, value)

    return upsert(req, existing, create, lambda oid: _edit_address(store, req, f, oid), "address")


def _target_address(
    store: Store, req: Req, f: AddrFields
) -> tuple[int | None, sqlite3.Row | None, int | None]:
    """The address the request names (by id, else by value in its space), its space and value: an
    address and its space cannot be edited."""
    fam = f.fam
    existing = explicit_id(store, req, fam.ip_table, fam.ip_id_col, "address")
    value = _addr_value(req, f)
    site: sqlite3.Row | None = None
    if existing is not None:
        row = store.one(f"SELECT * FROM {fam.ip_table} WHERE {fam.ip_id_col} = ?", (existing,))
        assert row is not None
        if value is not None and value != fam.load_addr(row[fam.ip_addr_col]):
            raise ApiError(
                Errno.IMMUTABLE,
                f"address {existing} is {row['hostaddr']}: its address cannot be edited",
                parameters="hostaddr",
                param_value=fam.host(value),
            )
        site = resolve_site(store, req, required=False)
        if site is not None and site["site_id"] != row["site_id"]:
            raise ApiError(
                Errno.IMMUTABLE,
                f"address {existing} cannot move to another space",
                parameters="site_id",
                param_value=str(site["site_id"]),
            )
    elif value is not None:
        site = resolve_site(store, req)
        assert site is not None
        existing = find_address(store, fam, site["site_id"], value)
    return existing, site, value


def _create_address(store: Store, req: Req, f: AddrFields, site: sqlite3.Row, value: int) -> int:
    fam = f.fam
    subnet = terminal_subnet_for(store, fam, site["site_id"], value)
    subnet_id = subnet[fam.id_col] if subnet is not None else 0
    name = req.text(*f.name_params)
    _check_unique_name(store, site["site_id"], name, None)
    mac = addr.normalize_mac(f.mac_param, req.text(f.mac_param))
    if fam.version == 4:
        values = ip4_values(site["site_id"], subnet_id, value, name, mac)
    else:
        values = {
            "site_id": site["site_id"],
            "subnet6_id": subnet_id,
            "addr_hex": addr.hex6(value),
            "hostaddr": addr.expanded6(value),
            "ip6_name": name,
            "ip6_mac_addr": mac,
        }
    oid = store.insert(fam.ip_table, values)
    _link_from_address(store, req, fam, oid, current=(0, 0))
    _address_class(store, req, f, oid, "", created=True)
    if name:
        replication.replicate(store, fam.ip_table, oid)
    return oid


def _edit_address(store: Store, req: Req, f: AddrFields, oid: int) -> None:
    fam = f.fam
    row = store.one(f"SELECT * FROM {fam.ip_table} WHERE {fam.ip_id_col} = ?", (oid,))
    assert row is not None
    changes: dict[str, object] = {}
    if req.has(*f.name_params):
        changes[f.name_col] = req.text(*f.name_params)
        if changes[f.name_col] != row[f.name_col]:
            _check_unique_name(store, row["site_id"], str(changes[f.name_col]), (fam.ip_table, oid))
    if req.has(f.mac_param):
        changes[f.mac_col] = addr.normalize_mac(f.mac_param, req.text(f.mac_param))
    store.update(fam.ip_table, fam.ip_id_col, oid, changes)
    _link_from_address(store, req, fam, oid, current=(row["hostdev_id"], row["hostiface_id"]))
    _address_class(store, req, f, oid, row["class_params"])
    if f.name_col in changes and changes[f.name_col] != row[f.name_col]:
        replication.replicate(store, fam.ip_table, oid)


def _address_class(
    store: Store, req: Req, f: AddrFields, oid: int, current: str, *, created: bool = False
) -> None:
    apply_class(
        store,
        req,
        prefix_names=(f.class_param,),
        otype=f.fam.ip_table,
        table=f.fam.ip_table,
        id_column=f.fam.ip_id_col,
        oid=oid,
        current=current,
        class_name_param=f.class_name_param,
        created=created,
    )


def _check_unique_name(store: Store, site_id: int, name: str, this: tuple[str, int] | None) -> None:
    """``unique_address_names``: a name may be used by one address of a space only. The refusal
    names the other address in ``ip_addr`` (hex), as a public PowerShell client of SOLIDserver
    reads it ("Name … already used by <ip_addr>": iAmSaugata/EfficientIP-Management-for-PowerShell)."""
    if not name or not store.profile.unique_address_names:
        return
    for table, id_col, name_col, hex_expr in (
        ("ip4", "ip_id", "name", "printf('%08x', addr)"),
        ("ip6", "ip6_id", "ip6_name", "addr_hex"),
    ):
        skip = this[1] if this is not None and this[0] == table else 0
        row = store.one(
            f"SELECT {hex_expr} AS hex, hostaddr FROM {table}"
            f" WHERE site_id = ? AND lower({name_col}) = lower(?) AND {id_col} != ? LIMIT 1",
            (site_id, name, skip),
        )
        if row is not None:
            raise ApiError(
                Errno.NAME_IN_USE,
                f"Name {name} already used by {row['hostaddr']}",
                parameters="name",
                param_value=name,
                extra={"ip_addr": row["hex"]},
            )


def _link_from_address(store: Store, req: Req, fam: Family, oid: int, current: tuple[int, int]) -> None:
    """``hostdev_id`` / ``hostiface_id`` on ``ip_add``: link the address to a device/interface
    (``0`` or empty: no device / no interface)."""
    dev_given, iface_given = req.link("hostdev_id"), req.link("hostiface_id")
    if dev_given is None and iface_given is None:
        return
    hostdev_id, hostiface_id = current
    if iface_given:
        iface = store.one("SELECT * FROM hostiface WHERE hostiface_id = ?", (iface_given,))
        if iface is None:
            raise ApiError(
                Errno.NOT_FOUND,
                f"interface {iface_given} does not exist",
                parameters="hostiface_id",
                param_value=str(iface_given),
            )
        if dev_given and dev_given != iface["hostdev_id"]:
            raise invalid(
                "hostdev_id",
                dev_given,
                ">=0",
                f"interface {iface_given} belongs to device {iface['hostdev_id']}",
            )
        hostdev_id, hostiface_id = iface["hostdev_id"], iface_given
    elif dev_given:
        if store.one("SELECT 1 FROM hostdev WHERE hostdev_id = ?", (dev_given,)) is None:
            raise ApiError(
                Errno.NOT_FOUND,
                f"device {dev_given} does not exist",
                parameters="hostdev_id",
                param_value=str(dev_given),
            )
        if dev_given != hostdev_id or iface_given == 0:
            hostiface_id = 0
        hostdev_id = dev_given
    else:  # explicit 0: unlink
        hostiface_id = 0
        if iface_given == 0 and dev_given is None:
            hostdev_id = 0
        if dev_given == 0:
            hostdev_id = 0
    store.update(fam.ip_table, fam.ip_id_col, oid, {"hostdev_id": hostdev_id, "hostiface_id": hostiface_id})


def address_delete(store: Store, req: Req, f: AddrFields) -> Result:
    fam = f.fam
    oid = req.oid(fam.ip_id_col)
    if oid is None:
        value = _addr_value(req, f)
        if value is None:
            raise missing(fam.ip_id_col, "hostaddr")
        site = resolve_site(store, req)
        assert site is not None
        oid = find_address(store, fam, site["site_id"], value)
    elif store.one(f"SELECT 1 FROM {fam.ip_table} WHERE {fam.ip_id_col} = ?", (oid,)) is None:
        oid = None
    if oid is None:
        return Result()
    store.execute(f"DELETE FROM {fam.ip_table} WHERE {fam.ip_id_col} = ?", (oid,))
    store.drop_meta(fam.ip_table, oid)
    replication.unreplicate(store, fam.ip_table, oid)
    return ret_oid(oid, created=False)


# --------------------------------------------------------------------------- bulk load


def bulk_add_ipv4(
    store: Store,
    site_id: int,
    entries: Iterable[tuple[int, str, dict[str, str]]],
) -> int:
    """Insert many IPv4 addresses at once (benchmarks): the same stored rows as ``ip_add``.

    ``entries`` are (integer address, name, class parameters). Each address must be inside a
    terminal subnet of the space and not yet used; the rules are the ones ``ip_add`` applies.
    """
    subnets = store.all(
        "SELECT subnet_id, start_addr, end_addr FROM subnet4 WHERE site_id = ? AND is_terminal = 1"
        " ORDER BY start_addr",
        (site_id,),
    )
    starts = [row["start_addr"] for row in subnets]
    count = 0
    with store.transaction() as conn:
        for value, name, params in entries:
            subnet = _bisect_subnet(subnets, starts, value)
            if subnet is None:
                raise ValueError(f"{addr.dotted4(value)} is not inside a terminal subnet of space {site_id}")
            size = subnet["end_addr"] - subnet["start_addr"] + 1
            if size >= 4 and value in (subnet["start_addr"], subnet["end_addr"]):
                terminal_subnet_for(store, V4, site_id, value)
            values = ip4_values(site_id, subnet["subnet_id"], value, name)
            values["class_params"] = encode_class_params(params)
            oid = store.insert("ip4", values)
            conn.executemany(
                "INSERT INTO meta (otype, oid, key, value) VALUES ('ip4', ?, ?, ?)",
                [(oid, k, v) for k, v in params.items()],
            )
            count += 1
    return count


def _bisect_subnet(subnets: list[sqlite3.Row], starts: list[int], value: int) -> sqlite3.Row | None:
    i = bisect.bisect_right(starts, value) - 1
    if i >= 0 and subnets[i]["start_addr"] <= value <= subnets[i]["end_addr"]:
        return subnets[i]
    return None
