"""IPAM rules: spaces, IPv4/IPv6 networks (blocks and subnets) and addresses.

Every function runs inside the request's transaction (see :meth:`Store.transaction`) and raises
:class:`ApiError` on a rule violation, which rolls the whole request back.
"""

from __future__ import annotations

import bisect
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from . import addr, dns
from .errors import ApiError, Errno, invalid, missing
from .request import Req, Result, apply_class, explicit_id, ret_oid, upsert
from .store import Store, encode_class_params

# --------------------------------------------------------------------------- spaces

#: What a live appliance answers to an ``ip_site_add`` of an existing name (gregocgt/SOLIDserverRest
#: ``report.txt``: ``{"errno":"5061","errmsg":"Space name already exist",...,"site_name":...}``).
SPACE_EXISTS = ("5061", "Space name already exist")


def _site_by_name(store: Store, name: str) -> sqlite3.Row | None:
    """The space of that name (without letter case when the appliance compares names so)."""
    collate = " COLLATE NOCASE" if store.profile.case_insensitive_names else ""
    return store.one(f"SELECT * FROM site WHERE site_name = ?{collate} ORDER BY site_id LIMIT 1", (name,))


def resolve_site(store: Store, req: Req, *, required: bool = True) -> sqlite3.Row | None:
    """The space named by ``site_id`` or ``site_name`` (400 when named but missing)."""
    site_id = req.oid("site_id")
    if site_id is not None:
        row = store.one("SELECT * FROM site WHERE site_id = ?", (site_id,))
        if row is None:
            raise ApiError(
                Errno.NOT_FOUND,
                f"space {site_id} does not exist",
                parameters="site_id",
                param_value=str(site_id),
            )
        return row
    name = req.get("site_name")
    if name:
        row = _site_by_name(store, name)
        if row is None:
            raise ApiError(
                Errno.NOT_FOUND, f"space {name!r} does not exist", parameters="site_name", param_value=name
            )
        return row
    if required:
        raise missing("site_id", "site_name")
    return None


def site_add(store: Store, req: Req) -> Result:
    existing = explicit_id(store, req, "site", "site_id", "space")
    if existing is None and req.get("site_name"):
        row = _site_by_name(store, req.text("site_name"))
        existing = row["site_id"] if row else None

    def create() -> int:
        name = req.required("site_name")
        parent = _parent_site(store, req)
        oid = store.insert(
            "site",
            {
                "site_name": name,
                "site_description": req.text("site_description"),
                "parent_site_id": parent["site_id"] if parent else 0,
                "tree_level": parent["tree_level"] + 1 if parent else 0,
            },
        )
        _refresh_site_paths(store, oid)
        apply_class(
            store,
            req,
            prefix_names=("site_class_parameters",),
            otype="site",
            table="site",
            id_column="site_id",
            oid=oid,
            current="",
            class_name_param="site_class_name",
            created=True,
        )
        return oid

    def edit(oid: int) -> None:
        row = store.one("SELECT * FROM site WHERE site_id = ?", (oid,))
        assert row is not None
        name = req.get("site_name")
        if name and name != row["site_name"]:
            other = _site_by_name(store, name)
            if other is not None and other["site_id"] != oid:
                raise ApiError(
                    Errno.ALREADY_EXISTS,
                    f"space {name!r} already exists",
                    parameters="site_name",
                    param_value=name,
                    real=SPACE_EXISTS,
                    extra={"site_name": name},
                )
            store.update("site", "site_id", oid, {"site_name": name})
            _refresh_site_paths(store, oid)
        if req.has("site_description"):
            store.update("site", "site_id", oid, {"site_description": req.text("site_description")})
        apply_class(
            store,
            req,
            prefix_names=("site_class_parameters",),
            otype="site",
            table="site",
            id_column="site_id",
            oid=oid,
            current=row["class_params"],
            class_name_param="site_class_name",
        )

    return upsert(
        req,
        existing,
        create,
        edit,
        "space",
        real_exists=SPACE_EXISTS,
        exists_extra={"site_name": req.text("site_name")} if req.get("site_name") else None,
    )


def _parent_site(store: Store, req: Req) -> sqlite3.Row | None:
    parent_id = req.oid("parent_site_id")
    if parent_id is not None:
        row = store.one("SELECT * FROM site WHERE site_id = ?", (parent_id,))
        if row is None:
            raise ApiError(
                Errno.NOT_FOUND,
                f"parent space {parent_id} does not exist",
                parameters="parent_site_id",
                param_value=str(parent_id),
            )
        return row
    parent_name = req.get("parent_site_name")
    if parent_name and parent_name != "#":
        row = store.one("SELECT * FROM site WHERE site_name = ?", (parent_name,))
        if row is None:
            raise ApiError(
                Errno.NOT_FOUND,
                f"parent space {parent_name!r} does not exist",
                parameters="parent_site_name",
                param_value=parent_name,
            )
        return row
    return None


def _refresh_site_paths(store: Store, site_id: int) -> None:
    """``tree_path``/``tree_id_path`` of a space and its descendants (``#Parent#Child#``)."""
    row = store.one("SELECT * FROM site WHERE site_id = ?", (site_id,))
    assert row is not None
    parent = store.one("SELECT * FROM site WHERE site_id = ?", (row["parent_site_id"],))
    base_path = parent["tree_path"] if parent else "#"
    base_ids = parent["tree_id_path"] if parent else "#"
    store.update(
        "site",
        "site_id",
        site_id,
        {
            "tree_path": f"{base_path}{row['site_name']}#",
            "tree_id_path": f"{base_ids}{site_id}#",
        },
    )
    for child in store.all("SELECT site_id FROM site WHERE parent_site_id = ?", (site_id,)):
        _refresh_site_paths(store, child["site_id"])


def site_delete(store: Store, req: Req) -> Result:
    site_id = req.oid("site_id")
    if site_id is not None:
        row = store.one("SELECT * FROM site WHERE site_id = ?", (site_id,))
    elif req.get("site_name"):
        row = _site_by_name(store, req.text("site_name"))
    else:
        raise missing("site_id", "site_name")
    if row is None:
        return Result()
    site_id = row["site_id"]
    for table, what in (("site", "spaces"), ("subnet4", "IPv4 networks"), ("subnet6", "IPv6 networks")):
        column = "parent_site_id" if table == "site" else "site_id"
        if store.one(f"SELECT 1 FROM {table} WHERE {column} = ? LIMIT 1", (site_id,)):
            raise ApiError(
                Errno.IN_USE,
                f"space {row['site_name']!r} still holds {what}",
                parameters="site_id",
                param_value=str(site_id),
            )
    store.execute("DELETE FROM site WHERE site_id = ?", (site_id,))
    store.drop_meta("site", site_id)
    return ret_oid(site_id, created=False)


# --------------------------------------------------------------------------- networks


@dataclass(frozen=True)
class Family:
    """The column names and address forms of IPv4 or IPv6 IPAM objects."""

    version: int
    bits: int
    table: str
    id_col: str
    parent_col: str
    name_col: str
    start_col: str
    end_col: str
    p: str  # parameter prefix: subnet / subnet6
    class_inputs: tuple[str, ...]
    ip_table: str
    ip_id_col: str
    ip_subnet_col: str
    ip_addr_col: str

    def store_addr(self, value: int) -> int | str:
        return value if self.version == 4 else addr.hex6(value)

    def load_addr(self, stored: int | str) -> int:
        return int(stored) if self.version == 4 else int(str(stored), 16)

    def host(self, value: int) -> str:
        return addr.dotted4(value) if self.version == 4 else addr.expanded6(value)

    def parse(self, name: str, text: str) -> int:
        return addr.parse_v4(name, text) if self.version == 4 else addr.parse_v6(name, text)

    @property
    def what(self) -> str:
        return f"IPv{self.version} network"


V4 = Family(
    4,
    32,
    "subnet4",
    "subnet_id",
    "parent_subnet_id",
    "subnet_name",
    "start_addr",
    "end_addr",
    "subnet",
    ("network_class_parameters", "subnet_class_parameters"),
    "ip4",
    "ip_id",
    "subnet_id",
    "addr",
)
V6 = Family(
    6,
    128,
    "subnet6",
    "subnet6_id",
    "parent_subnet6_id",
    "subnet6_name",
    "start_hex",
    "end_hex",
    "subnet6",
    ("network6_class_parameters", "subnet6_class_parameters"),
    "ip6",
    "ip6_id",
    "subnet6_id",
    "addr_hex",
)


def _range(fam: Family, req: Req) -> tuple[int, int] | None:
    """(start, end) from the address and one of prefix / size / mask / end address, or None."""
    addr_name = f"{fam.p}_addr"
    if not req.get(addr_name):
        return None
    start = fam.parse(addr_name, req.text(addr_name))
    sizes: list[tuple[str, int]] = []
    prefix = req.uint(f"{fam.p}_prefix")
    if prefix is not None:
        if prefix > fam.bits:
            raise invalid(f"{fam.p}_prefix", prefix, f"ipv{fam.version}_prefix")
        sizes.append((f"{fam.p}_prefix", 1 << (fam.bits - prefix)))
    if fam.version == 4:
        size = req.uint("subnet_size")
        if size is not None:
            if size == 0 or size & (size - 1) or size > (1 << 32):
                raise invalid("subnet_size", size, ">0", "the size of a network is a power of two")
            sizes.append(("subnet_size", size))
        mask_text = req.get("subnet_mask")
        if mask_text:
            mask = addr.parse_v4("subnet_mask", mask_text)
            inverted = (~mask) & 0xFFFFFFFF
            if inverted & (inverted + 1):
                raise invalid("subnet_mask", mask_text, "ipv4_addr", "not a contiguous netmask")
            sizes.append(("subnet_mask", inverted + 1))
    end_text = req.get(f"{fam.p}_end_addr")
    if end_text:
        end = fam.parse(f"{fam.p}_end_addr", end_text)
        size = end - start + 1
        if end < start or size & (size - 1):
            raise invalid(
                f"{fam.p}_end_addr", end_text, f"ipv{fam.version}_addr", "the range is not a CIDR network"
            )
        sizes.append((f"{fam.p}_end_addr", size))
    if not sizes:
        return None
    if len({size for _, size in sizes}) > 1:
        names = ", ".join(name for name, _ in sizes)
        raise invalid(sizes[1][0], req.text(sizes[1][0]), "", f"{names} disagree on the network size")
    size = sizes[0][1]
    if start % size:
        raise invalid(
            addr_name,
            req.text(addr_name),
            f"ipv{fam.version}_addr",
            f"not aligned on a /{fam.bits - size.bit_length() + 1} boundary",
        )
    return start, start + size - 1


def _prefix_of(fam: Family, start: int, end: int) -> int:
    return fam.bits - (end - start + 1).bit_length() + 1


def _net(store: Store, fam: Family, oid: int) -> sqlite3.Row | None:
    return store.one(f"SELECT * FROM {fam.table} WHERE {fam.id_col} = ?", (oid,))


def _containing(
    store: Store, fam: Family, site_id: int, start: int, end: int, *, terminal: int
) -> list[sqlite3.Row]:
    """Networks of a space with the given terminal flag that contain [start, end], deepest first."""
    return store.all(
        f"SELECT * FROM {fam.table} WHERE site_id = ? AND is_terminal = ? AND {fam.start_col} <= ?"
        f" AND {fam.end_col} >= ? ORDER BY subnet_level DESC",
        (site_id, terminal, fam.store_addr(start), fam.store_addr(end)),
    )


def network_add(store: Store, req: Req, fam: Family) -> Result:
    existing = explicit_id(store, req, fam.table, fam.id_col, fam.what)
    plan: _Placement | None = None
    if existing is None:
        plan = _place(store, req, fam)
        if plan is not None:
            row = store.one(
                f"SELECT {fam.id_col} FROM {fam.table} WHERE site_id = ? AND {fam.start_col} = ?"
                f" AND {fam.end_col} = ? AND is_terminal = ? AND {fam.parent_col} = ?",
                (
                    plan.site_id,
                    fam.store_addr(plan.start),
                    fam.store_addr(plan.end),
                    plan.terminal,
                    plan.parent_id,
                ),
            )
            existing = row[fam.id_col] if row else None

    def create() -> int:
        if plan is None:
            raise missing(f"{fam.p}_addr", f"{fam.p}_prefix")
        return _create_network(store, req, fam, plan)

    def edit(oid: int) -> None:
        _edit_network(store, req, fam, oid)

    return upsert(req, existing, create, edit, fam.what)


@dataclass(frozen=True)
class _Placement:
    site_id: int
    start: int
    end: int
    terminal: int
    parent_id: int
    level: int
    path: str


def _place(store: Store, req: Req, fam: Family) -> _Placement | None:
    """Where a new network goes: its space, parent, level and terminal flag (rules checked)."""
    bounds = _range(fam, req)
    if bounds is None:
        if req.get(f"{fam.p}_addr"):
            raise missing(
                f"{fam.p}_prefix",
                f"{fam.p}_end_addr",
                *(("subnet_size", "subnet_mask") if fam.version == 4 else ()),
            )
        return None
    start, end = bounds
    terminal_flag = req.flag("is_terminal")
    level = req.uint("subnet_level")
    parent_id = req.oid(fam.parent_col)
    site = resolve_site(store, req, required=parent_id is None)
    parent: sqlite3.Row | None = None
    if parent_id is not None:
        parent = _net(store, fam, parent_id)
        if parent is None:
            raise ApiError(
                Errno.NOT_FOUND,
                f"parent {fam.what} {parent_id} does not exist",
                parameters=fam.parent_col,
                param_value=str(parent_id),
            )
        if site is not None and site["site_id"] != parent["site_id"]:
            raise invalid("site_id", site["site_id"], ">0", "the parent network is in another space")
    elif level == 0:
        parent = None
    elif terminal_flag or (level is not None and level > 0):
        assert site is not None
        candidates = _containing(store, fam, site["site_id"], start, end, terminal=0)
        if level is not None:
            candidates = [row for row in candidates if row["subnet_level"] == level - 1]
        if not candidates:
            raise ApiError(
                Errno.OUTSIDE_PARENT,
                f"no {fam.what} block of the space contains {fam.host(start)}/{_prefix_of(fam, start, end)}",
                parameters=f"{fam.p}_addr",
                param_value=fam.host(start),
            )
        parent = candidates[0]
    terminal = int(terminal_flag) if terminal_flag is not None else (1 if parent is not None else 0)
    if parent is None and terminal:
        raise ApiError(
            Errno.OUTSIDE_PARENT,
            "a terminal network needs a parent block",
            parameters="is_terminal",
            param_value="1",
        )
    site_id = parent["site_id"] if parent is not None else (site["site_id"] if site is not None else 0)
    if parent is not None:
        if parent["is_terminal"]:
            raise ApiError(
                Errno.OUTSIDE_PARENT,
                f"parent network {parent[fam.id_col]} is terminal",
                parameters=fam.parent_col,
                param_value=str(parent[fam.id_col]),
            )
        p_start, p_end = fam.load_addr(parent[fam.start_col]), fam.load_addr(parent[fam.end_col])
        if not (p_start <= start and end <= p_end):
            raise ApiError(
                Errno.OUTSIDE_PARENT,
                f"{fam.host(start)}/{_prefix_of(fam, start, end)} is not inside its parent "
                f"{fam.host(p_start)}/{_prefix_of(fam, p_start, p_end)}",
                parameters=f"{fam.p}_addr",
                param_value=fam.host(start),
            )
    parent_key = parent[fam.id_col] if parent is not None else 0
    return _Placement(
        site_id=site_id,
        start=start,
        end=end,
        terminal=terminal,
        parent_id=parent_key,
        level=parent["subnet_level"] + 1 if parent is not None else 0,
        path=f"{parent['subnet_path']}{parent_key}#" if parent is not None else "#",
    )


def _create_network(store: Store, req: Req, fam: Family, plan: _Placement) -> int:
    clash = store.one(
        f"SELECT {fam.id_col}, {fam.start_col}, {fam.end_col} FROM {fam.table}"
        f" WHERE site_id = ? AND {fam.parent_col} = ? AND {fam.start_col} <= ? AND {fam.end_col} >= ?"
        " LIMIT 1",
        (plan.site_id, plan.parent_id, fam.store_addr(plan.end), fam.store_addr(plan.start)),
    )
    if clash is not None:
        c_start, c_end = fam.load_addr(clash[fam.start_col]), fam.load_addr(clash[fam.end_col])
        raise ApiError(
            Errno.OVERLAP,
            f"{fam.host(plan.start)}/{_prefix_of(fam, plan.start, plan.end)} overlaps network "
            f"{clash[fam.id_col]} ({fam.host(c_start)}/{_prefix_of(fam, c_start, c_end)})",
            parameters=f"{fam.p}_addr",
            param_value=fam.host(plan.start),
        )
    values: dict[str, object] = {
        "site_id": plan.site_id,
        fam.start_col: fam.store_addr(plan.start),
        fam.end_col: fam.store_addr(plan.end),
        "start_host": fam.host(plan.start),
        "end_host": fam.host(plan.end),
        "prefix": _prefix_of(fam, plan.start, plan.end),
        fam.name_col: req.text(fam.name_col),
        "subnet_level": plan.level,
        "is_terminal": plan.terminal,
        fam.parent_col: plan.parent_id,
        "subnet_path": plan.path,
    }
    if fam.version == 6:
        values["size_text"] = str(plan.end - plan.start + 1)
    else:
        lock = req.flag("lock_network_broadcast")
        values["lock_network_broadcast"] = 1 if lock is None else int(lock)
    oid = store.insert(fam.table, values)
    if plan.terminal and store.profile.attach_orphans:
        # orphan addresses of the space in its range now belong to it [guess: no public source]
        store.execute(
            f"UPDATE {fam.ip_table} SET {fam.ip_subnet_col} = ? WHERE site_id = ? AND {fam.ip_subnet_col} = 0"
            f" AND {fam.ip_addr_col} BETWEEN ? AND ?",
            (oid, plan.site_id, fam.store_addr(plan.start), fam.store_addr(plan.end)),
        )
    apply_class(
        store,
        req,
        prefix_names=fam.class_inputs,
        otype=fam.table,
        table=fam.table,
        id_column=fam.id_col,
        oid=oid,
        current="",
        class_name_param=f"{fam.p}_class_name",
        created=True,
    )
    return oid


def _edit_network(store: Store, req: Req, fam: Family, oid: int) -> None:
    row = _net(store, fam, oid)
    assert row is not None
    start, end = fam.load_addr(row[fam.start_col]), fam.load_addr(row[fam.end_col])
    if req.get(f"{fam.p}_addr"):
        new_start = fam.parse(f"{fam.p}_addr", req.text(f"{fam.p}_addr"))
        bounds = _range(fam, req)
        if new_start != start or (bounds is not None and bounds != (start, end)):
            raise ApiError(
                Errno.IMMUTABLE,
                f"the address and size of a network cannot be edited "
                f"(network {oid} is {fam.host(start)}/{_prefix_of(fam, start, end)})",
                parameters=f"{fam.p}_addr",
                param_value=req.text(f"{fam.p}_addr"),
            )
    terminal = req.flag("is_terminal")
    if terminal is not None and int(terminal) != row["is_terminal"]:
        raise ApiError(
            Errno.IMMUTABLE,
            f"network {oid} cannot change between block/network and terminal subnet",
            parameters="is_terminal",
            param_value=req.text("is_terminal"),
        )
    parent_id = req.oid(fam.parent_col)
    if parent_id is not None and parent_id != row[fam.parent_col]:
        raise ApiError(
            Errno.IMMUTABLE,
            f"network {oid} cannot be moved to another parent",
            parameters=fam.parent_col,
            param_value=str(parent_id),
        )
    if req.has(fam.name_col):
        store.update(fam.table, fam.id_col, oid, {fam.name_col: req.text(fam.name_col)})
    lock = req.flag("lock_network_broadcast") if fam.version == 4 else None
    if lock is not None:
        store.update(fam.table, fam.id_col, oid, {"lock_network_broadcast": int(lock)})
    apply_class(
        store,
        req,
        prefix_names=fam.class_inputs,
        otype=fam.table,
        table=fam.table,
        id_column=fam.id_col,
        oid=oid,
        current=row["class_params"],
        class_name_param=f"{fam.p}_class_name",
    )


def network_delete(store: Store, req: Req, fam: Family) -> Result:
    oid = req.oid(fam.id_col)
    row: sqlite3.Row | None
    if oid is not None:
        row = _net(store, fam, oid)
    else:
        if not req.get(f"{fam.p}_addr"):
            raise missing(fam.id_col, f"{fam.p}_addr")
        site = resolve_site(store, req)
        assert site is not None
        start = fam.parse(f"{fam.p}_addr", req.text(f"{fam.p}_addr"))
        bounds = _range(fam, req)
        sql = f"SELECT * FROM {fam.table} WHERE site_id = ? AND {fam.start_col} = ?"
        args: list[object] = [site["site_id"], fam.store_addr(start)]
        if bounds is not None:
            sql += f" AND {fam.end_col} = ?"
            args.append(fam.store_addr(bounds[1]))
        rows = store.all(sql, tuple(args))
        if len(rows) > 1:
            raise ApiError(
                Errno.INVALID_PARAMETER,
                f"{len(rows)} networks start at {fam.host(start)}: give {fam.id_col} or the prefix",
                parameters=f"{fam.p}_addr",
                param_value=fam.host(start),
            )
        row = rows[0] if rows else None
    if row is None:
        return Result()
    oid = row[fam.id_col]
    if store.one(f"SELECT 1 FROM {fam.table} WHERE {fam.parent_col} = ? LIMIT 1", (oid,)):
        raise ApiError(
            Errno.IN_USE, f"network {oid} still holds networks", parameters=fam.id_col, param_value=str(oid)
        )
    if store.one(f"SELECT 1 FROM {fam.ip_table} WHERE {fam.ip_subnet_col} = ? LIMIT 1", (oid,)):
        raise ApiError(
            Errno.IN_USE, f"network {oid} still holds addresses", parameters=fam.id_col, param_value=str(oid)
        )
    store.execute(f"DELETE FROM {fam.table} WHERE {fam.id_col} = ?", (oid,))
    store.drop_meta(fam.table, oid)
    return ret_oid(oid, created=False)


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
    rows = _containing(store, fam, site_id, value, value, terminal=1)
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

    def create() -> int:
        if value is None:
            raise missing("hostaddr")
        assert site is not None
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
        apply_class(
            store,
            req,
            prefix_names=(f.class_param,),
            otype=fam.ip_table,
            table=fam.ip_table,
            id_column=fam.ip_id_col,
            oid=oid,
            current="",
            class_name_param=f.class_name_param,
            created=True,
        )
        if name:
            dns.replicate(store, fam.ip_table, oid)
        return oid

    def edit(oid: int) -> None:
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
        apply_class(
            store,
            req,
            prefix_names=(f.class_param,),
            otype=fam.ip_table,
            table=fam.ip_table,
            id_column=fam.ip_id_col,
            oid=oid,
            current=row["class_params"],
            class_name_param=f.class_name_param,
        )
        if f.name_col in changes and changes[f.name_col] != row[f.name_col]:
            dns.replicate(store, fam.ip_table, oid)

    return upsert(req, existing, create, edit, "address")


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
    dns.unreplicate(store, fam.ip_table, oid)
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
