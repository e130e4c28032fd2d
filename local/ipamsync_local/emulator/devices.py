"""Device Manager rules: devices (``hostdev``) and their interfaces (``hostiface``)."""

from __future__ import annotations

import sqlite3

from . import addr
from .errors import ApiError, Errno, invalid, missing
from .ipam import V4, V6, Family, find_address
from .request import Req, Result, apply_class, explicit_id, ret_oid, upsert
from .store import Store

#: documented maximum length of ``hostdev_class_parameters``
HOSTDEV_CLASS_PARAMETERS_MAX = 4000
IFACE_TYPES = ("interface", "port")


# --------------------------------------------------------------------------- devices


def _device_by_name(store: Store, name: str) -> sqlite3.Row | None:
    return store.one("SELECT * FROM hostdev WHERE name_key = ?", (name.lower(),))


def resolve_device(store: Store, req: Req) -> sqlite3.Row:
    dev_id = req.oid("hostdev_id")
    if dev_id is not None:
        row = store.one("SELECT * FROM hostdev WHERE hostdev_id = ?", (dev_id,))
        if row is None:
            raise ApiError(
                Errno.NOT_FOUND,
                f"device {dev_id} does not exist",
                parameters="hostdev_id",
                param_value=str(dev_id),
            )
        return row
    name = req.get("hostdev_name")
    if name:
        row = _device_by_name(store, name)
        if row is None:
            raise ApiError(
                Errno.NOT_FOUND,
                f"device {name!r} does not exist",
                parameters="hostdev_name",
                param_value=name,
            )
        return row
    raise missing("hostdev_id", "hostdev_name")


def _device_site(store: Store, req: Req) -> int | None:
    site_id = req.uint("hostdev_site_id")
    if site_id and store.one("SELECT 1 FROM site WHERE site_id = ?", (site_id,)) is None:
        raise ApiError(
            Errno.NOT_FOUND,
            f"space {site_id} does not exist",
            parameters="hostdev_site_id",
            param_value=str(site_id),
        )
    return site_id


def device_add(store: Store, req: Req) -> Result:
    existing = explicit_id(store, req, "hostdev", "hostdev_id", "device")
    by_id = existing is not None  # found by name: the name given is not a rename (case may differ)
    if existing is None and req.get("hostdev_name"):
        row = _device_by_name(store, req.text("hostdev_name"))
        existing = row["hostdev_id"] if row else None

    def apply(oid: int, current: str, created: bool) -> None:
        apply_class(
            store,
            req,
            prefix_names=("hostdev_class_parameters",),
            otype="hostdev",
            table="hostdev",
            id_column="hostdev_id",
            oid=oid,
            current=current,
            class_name_param="hostdev_class_name",
            max_length=HOSTDEV_CLASS_PARAMETERS_MAX,
            created=created,
        )

    def create() -> int:
        name = req.required("hostdev_name")
        oid = store.insert(
            "hostdev",
            {
                "hostdev_name": name,
                "name_key": name.lower(),
                "hostdev_site_id": _device_site(store, req) or 0,
            },
        )
        apply(oid, "", True)
        return oid

    def edit(oid: int) -> None:
        row = store.one("SELECT * FROM hostdev WHERE hostdev_id = ?", (oid,))
        assert row is not None
        name = req.get("hostdev_name")
        if by_id and name and name != row["hostdev_name"]:
            other = _device_by_name(store, name)
            if other is not None and other["hostdev_id"] != oid:
                raise ApiError(
                    Errno.ALREADY_EXISTS,
                    f"device {name!r} already exists (names are unique, case-insensitive)",
                    parameters="hostdev_name",
                    param_value=name,
                )
            store.update("hostdev", "hostdev_id", oid, {"hostdev_name": name, "name_key": name.lower()})
        site_id = _device_site(store, req)
        if site_id is not None:
            store.update("hostdev", "hostdev_id", oid, {"hostdev_site_id": site_id})
        apply(oid, row["class_params"], False)

    return upsert(req, existing, create, edit, "device")


def device_delete(store: Store, req: Req) -> Result:
    if not req.has("hostdev_id", "hostdev_name"):
        raise missing("hostdev_id", "hostdev_name")
    dev_id = req.oid("hostdev_id")
    if dev_id is not None:
        row = store.one("SELECT * FROM hostdev WHERE hostdev_id = ?", (dev_id,))
    else:
        row = _device_by_name(store, req.text("hostdev_name"))
    if row is None:
        return Result()
    dev_id = row["hostdev_id"]
    for iface in store.all("SELECT hostiface_id FROM hostiface WHERE hostdev_id = ?", (dev_id,)):
        store.drop_meta("hostiface", iface["hostiface_id"])
    store.execute("DELETE FROM hostiface WHERE hostdev_id = ?", (dev_id,))
    for table in ("ip4", "ip6"):
        store.execute(f"UPDATE {table} SET hostdev_id = 0, hostiface_id = 0 WHERE hostdev_id = ?", (dev_id,))
    store.execute("DELETE FROM hostdev WHERE hostdev_id = ?", (dev_id,))
    store.drop_meta("hostdev", dev_id)
    return ret_oid(dev_id, created=False)


# --------------------------------------------------------------------------- interfaces


def iface_add(store: Store, req: Req) -> Result:
    existing = explicit_id(store, req, "hostiface", "hostiface_id", "interface")
    device: sqlite3.Row | None = None
    if existing is None:
        device = resolve_device(store, req)
        name = req.get("hostiface_name")
        if name:
            row = store.one(
                "SELECT hostiface_id FROM hostiface WHERE hostdev_id = ? AND hostiface_name = ?",
                (device["hostdev_id"], name),
            )
            existing = row["hostiface_id"] if row else None
    iface_type = req.get("hostiface_type")
    if iface_type is not None and iface_type not in IFACE_TYPES:
        raise invalid("hostiface_type", iface_type, "enum", "expected interface or port")

    def create() -> int:
        assert device is not None
        return _create_iface(store, req, device, iface_type)

    return upsert(req, existing, create, lambda oid: _edit_iface(store, req, oid, iface_type), "interface")


def _create_iface(store: Store, req: Req, device: sqlite3.Row, iface_type: str | None) -> int:
    name = req.required("hostiface_name")
    now = store.now()
    oid = store.insert(
        "hostiface",
        {
            "hostdev_id": device["hostdev_id"],
            "hostiface_name": name,
            "hostiface_type": iface_type or "interface",
            "hostiface_mac": addr.normalize_mac("hostiface_mac", req.text("hostiface_mac")),
            "add_time": now,
            "modify_time": now,
        },
    )
    _iface_class(store, req, oid, "", created=True)
    _link_address(store, req, oid, device["hostdev_id"])
    return oid


def _edit_iface(store: Store, req: Req, oid: int, iface_type: str | None) -> None:
    row = store.one("SELECT * FROM hostiface WHERE hostiface_id = ?", (oid,))
    assert row is not None
    changes: dict[str, object] = {"modify_time": store.now()}
    name = req.get("hostiface_name")
    if name and name != row["hostiface_name"]:
        if store.one(
            "SELECT 1 FROM hostiface WHERE hostdev_id = ? AND hostiface_name = ?",
            (row["hostdev_id"], name),
        ):
            raise ApiError(
                Errno.ALREADY_EXISTS,
                f"device {row['hostdev_id']} already has an interface {name!r}",
                parameters="hostiface_name",
                param_value=name,
            )
        changes["hostiface_name"] = name
    if iface_type is not None:
        changes["hostiface_type"] = iface_type
    if req.has("hostiface_mac"):
        changes["hostiface_mac"] = addr.normalize_mac("hostiface_mac", req.text("hostiface_mac"))
    store.update("hostiface", "hostiface_id", oid, changes)
    _iface_class(store, req, oid, row["class_params"])
    _link_address(store, req, oid, row["hostdev_id"])


def _iface_class(store: Store, req: Req, oid: int, current: str, *, created: bool = False) -> None:
    apply_class(
        store,
        req,
        prefix_names=("hostiface_class_parameters",),
        otype="hostiface",
        table="hostiface",
        id_column="hostiface_id",
        oid=oid,
        current=current,
        class_name_param="hostiface_class_name",
        created=created,
    )


def _link_address(store: Store, req: Req, iface_id: int, dev_id: int) -> None:
    """``hostiface_addr`` (+ ``site_id``): link an address that already exists in IPAM."""
    text = req.get("hostiface_addr")
    if text is None or text.strip() == "":
        return
    fam: Family
    if addr.is_v4(text):
        fam, value = V4, addr.parse_v4("hostiface_addr", text)
    elif addr.is_v6(text):
        fam, value = V6, addr.parse_v6("hostiface_addr", text)
    else:
        raise invalid("hostiface_addr", text, "string", "not an IP address")
    site_id = req.uint("site_id")
    if site_id:
        oid = find_address(store, fam, site_id, value)
    else:
        rows = store.all(
            f"SELECT {fam.ip_id_col} FROM {fam.ip_table} WHERE {fam.ip_addr_col} = ?",
            (fam.store_addr(value),),
        )
        if len(rows) > 1:
            raise missing("site_id")
        oid = rows[0][fam.ip_id_col] if rows else None
    if oid is None:
        where = f" in space {site_id}" if site_id else ""
        raise ApiError(
            Errno.NOT_FOUND,
            f"address {fam.host(value)} does not exist{where}",
            parameters="hostiface_addr",
            param_value=text,
        )
    store.update(fam.ip_table, fam.ip_id_col, oid, {"hostdev_id": dev_id, "hostiface_id": iface_id})


def iface_delete(store: Store, req: Req) -> Result:
    iface_id = req.oid("hostiface_id")
    row: sqlite3.Row | None
    if iface_id is not None:
        row = store.one("SELECT * FROM hostiface WHERE hostiface_id = ?", (iface_id,))
    else:
        name = req.get("hostiface_name")
        if not name:
            raise missing("hostiface_id", "hostiface_name")
        device = resolve_device(store, req)
        row = store.one(
            "SELECT * FROM hostiface WHERE hostdev_id = ? AND hostiface_name = ?",
            (device["hostdev_id"], name),
        )
    if row is None:
        return Result()
    iface_id = row["hostiface_id"]
    for table in ("ip4", "ip6"):
        store.execute(
            f"UPDATE {table} SET hostdev_id = 0, hostiface_id = 0 WHERE hostiface_id = ?", (iface_id,)
        )
    store.execute("DELETE FROM hostiface WHERE hostiface_id = ?", (iface_id,))
    store.drop_meta("hostiface", iface_id)
    return ret_oid(iface_id, created=False)
