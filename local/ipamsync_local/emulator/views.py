"""Output columns of every list/info/count service, as SQL over the emulator's tables.

Every returned column listed in :mod:`.columns` is either computed from the data (a SQL
expression) or, for what the emulator does not model (pools, VLANs, DHCP, SNMP...), a constant
default: ``"0"`` for ids, counters, sizes and times, ``"#"`` for names of absent objects, ``""``
otherwise. Both kinds can be used in WHERE and ORDERBY; only computed ones are selected.

Tag types (``TAGS=<type>.<param>`` -> column ``tag_<type>_<param>``) per list service:

=======================  ================================================
ip_site_list             ``site``
ip_block_subnet_list     ``network``, ``site``
ip6_block6_subnet6_list  ``network6`` (and ``network``), ``site``
ip_address_list          ``ip``, ``network``, ``site``
ip6_address6_list        ``ip6``, ``network6`` (and ``network``), ``site``
hostdev_list             ``hostdev``
hostiface_list           ``hostiface``, ``hostdev``
dns_server_list          ``dns``
dns_zone_list            ``dnszone``, ``dns``
dns_rr_list              ``rr``, ``dnszone``, ``dns``
=======================  ================================================
"""

from __future__ import annotations

from collections.abc import Mapping

from . import columns as spec
from .profile import Appliance
from .store import View
from .where import Column


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def T(expr: str) -> Column:
    return Column(expr, "text")


def I(expr: str) -> Column:  # noqa: E743
    return Column(expr, "int")


_ZERO_SUFFIXES = (
    "_id",
    "_size",
    "_count",
    "_percent",
    "_total",
    "_used",
    "_free",
    "_level",
    "_time",
    "_port",
    "_delay",
    "_days",
    "_offset",
    "_lag_count",
)


def default_for(name: str) -> str:
    """The constant an unmodelled column answers."""
    if name.endswith("_class_name"):
        return ""
    if name.endswith("_name"):
        return "#"
    if name.endswith(_ZERO_SUFFIXES):
        return "0"
    return ""


def build(
    name: str,
    order: tuple[str, ...],
    *,
    from_sql: str,
    id_column: str,
    mapped: Mapping[str, Column],
    tag_types: Mapping[str, tuple[str, str]],
    overrides: Mapping[str, str] | None = None,
    order_tail: tuple[str, ...] = (),
) -> View:
    overrides = overrides or {}
    columns: dict[str, Column] = {}
    constants: dict[str, str] = {}
    for col in order:
        if col in mapped:
            columns[col] = mapped[col]
        else:
            value = overrides.get(col, default_for(col))
            constants[col] = value
            columns[col] = T(_lit(value))
    unknown = set(mapped) - set(order)
    if unknown:  # a typo here would silently hide a column: fail at import instead
        raise ValueError(f"{name}: mapped columns not in the service description: {sorted(unknown)}")
    return View(name, from_sql, id_column, columns, dict(tag_types), constants, order, order_tail)


def _hex4(expr: str) -> str:
    return f"printf('%08x', {expr})"


def _opt_hex4(alias: str, expr: str) -> str:
    return f"CASE WHEN {alias}.rowid IS NULL THEN '' ELSE printf('%08x', {expr}) END"


def _if_v4(expr: str) -> str:
    return f"CASE WHEN length({expr}) = 8 THEN {expr} ELSE '' END"


def _pct(part: str, whole: str) -> str:
    return f"printf('%.2f', CASE WHEN ({whole}) > 0 THEN 100.0 * ({part}) / ({whole}) ELSE 0 END)"


# --------------------------------------------------------------------------- spaces

SITE = build(
    "site",
    spec.SITE,
    from_sql="site s LEFT JOIN site ps ON ps.site_id = s.parent_site_id",
    id_column="s.site_id",
    mapped={
        "site_id": I("s.site_id"),
        "tree_level": I("s.tree_level"),
        "tree_path": T("s.tree_path"),
        "tree_id_path": T("s.tree_id_path"),
        "site_name": T("s.site_name"),
        "site_description": T("s.site_description"),
        "parent_site_id": I("s.parent_site_id"),
        "parent_site_name": T("COALESCE(ps.site_name, '#')"),
        "site_class_name": T("s.class_name"),
        "parent_site_class_name": T("COALESCE(ps.class_name, '')"),
        "site_class_parameters": T("s.class_params"),
        "parent_site_class_parameters": T("COALESCE(ps.class_params, '')"),
    },
    tag_types={"site": ("site", "s.site_id")},
    overrides={"site_is_template": "0", "row_enabled": "1"},
)

# --------------------------------------------------------------------------- IPv4 networks

_N_SIZE = "(n.end_addr - n.start_addr + 1)"
_N_IP_USED = (
    "(SELECT COUNT(*) FROM ip4 x WHERE x.site_id = n.site_id AND x.addr BETWEEN n.start_addr AND n.end_addr)"
)
_N_ALLOCATED = (
    "(CASE WHEN n.is_terminal = 1 THEN 0 ELSE (SELECT COALESCE(SUM(c.end_addr - c.start_addr + 1), 0)"
    " FROM subnet4 c WHERE c.parent_subnet_id = n.subnet_id) END)"
)
_N_USED = (
    f"(CASE WHEN n.is_terminal = 1 THEN {_N_IP_USED}"
    " ELSE (SELECT COALESCE(SUM(c.end_addr - c.start_addr + 1), 0)"
    " FROM subnet4 c WHERE c.site_id = n.site_id AND c.is_terminal = 1 AND c.subnet_id != n.subnet_id"
    " AND c.start_addr >= n.start_addr AND c.end_addr <= n.end_addr) END)"
)
_N_LOCKED = (
    f"(CASE WHEN n.is_terminal = 1 AND n.lock_network_broadcast = 1 AND {_N_SIZE} >= 4 THEN 2 ELSE 0 END)"
)

SUBNET = build(
    "subnet",
    spec.SUBNET,
    from_sql="subnet4 n JOIN site s ON s.site_id = n.site_id"
    " LEFT JOIN subnet4 p ON p.subnet_id = n.parent_subnet_id",
    id_column="n.subnet_id",
    mapped={
        "type": T("CASE WHEN n.subnet_level = 0 THEN 'block' ELSE 'subnet' END"),
        "subnet_id": I("n.subnet_id"),
        "start_ip_addr": T(_hex4("n.start_addr")),
        "start_hostaddr": T("n.start_host"),
        "end_ip_addr": T(_hex4("n.end_addr")),
        "end_hostaddr": T("n.end_host"),
        "subnet_name": T("n.subnet_name"),
        "subnet_size": I(_N_SIZE),
        "subnet_level": I("n.subnet_level"),
        "subnet_path": T("n.subnet_path"),
        "subnet_class_name": T("n.class_name"),
        "parent_subnet_id": I("n.parent_subnet_id"),
        "site_id": I("n.site_id"),
        "is_terminal": I("n.is_terminal"),
        "lock_network_broadcast": I("n.lock_network_broadcast"),
        "subnet_allocated_size": I(_N_ALLOCATED),
        "subnet_allocated_percent": T(_pct(_N_ALLOCATED, _N_SIZE)),
        "subnet_used_size": I(_N_USED),
        "subnet_used_percent": T(_pct(_N_USED, _N_SIZE)),
        "subnet_ip_used_size": I(_N_IP_USED),
        "subnet_ip_used_percent": T(_pct(_N_IP_USED, _N_SIZE)),
        "subnet_ip_free_size": I(f"({_N_SIZE} - {_N_IP_USED} - {_N_LOCKED})"),
        "site_description": T("s.site_description"),
        "site_name": T("s.site_name"),
        "tree_level": I("n.subnet_level"),
        "tree_path": T("n.subnet_path"),
        "tree_id_path": T("n.subnet_path"),
        "site_class_name": T("s.class_name"),
        "parent_subnet_name": T("COALESCE(p.subnet_name, '#')"),
        "parent_start_ip_addr": T(_opt_hex4("p", "p.start_addr")),
        "parent_end_ip_addr": T(_opt_hex4("p", "p.end_addr")),
        "parent_subnet_size": I("COALESCE(p.end_addr - p.start_addr + 1, 0)"),
        "parent_subnet_level": I("COALESCE(p.subnet_level, 0)"),
        "parent_subnet_path": T("COALESCE(p.subnet_path, '')"),
        "parent_subnet_class_name": T("COALESCE(p.class_name, '')"),
        "parent_is_terminal": I("COALESCE(p.is_terminal, 0)"),
        "parent_site_id": I("n.site_id"),
        "parent_site_name": T("s.site_name"),
        "site_parent_site_id": I("s.parent_site_id"),
        "subnet_class_parameters": T("n.class_params"),
        "site_class_parameters": T("s.class_params"),
        "parent_subnet_class_parameters": T("COALESCE(p.class_params, '')"),
    },
    tag_types={"network": ("subnet4", "n.subnet_id"), "site": ("site", "s.site_id")},
    overrides={"row_enabled": "1", "subnet_is_valid": "1", "site_is_template": "0"},
)

# --------------------------------------------------------------------------- IPv6 networks

_N6_IP_USED = (
    "(SELECT COUNT(*) FROM ip6 x WHERE x.site_id = n.site_id"
    " AND x.addr_hex BETWEEN n.start_hex AND n.end_hex)"
)
_N6_ALLOCATED = (
    "(CASE WHEN n.is_terminal = 1 THEN 0 ELSE (SELECT COALESCE(SUM(CAST(c.size_text AS REAL)), 0)"
    " FROM subnet6 c WHERE c.parent_subnet6_id = n.subnet6_id) END)"
)

SUBNET6 = build(
    "subnet6",
    spec.SUBNET6,
    from_sql="subnet6 n JOIN site s ON s.site_id = n.site_id"
    " LEFT JOIN subnet6 p ON p.subnet6_id = n.parent_subnet6_id",
    id_column="n.subnet6_id",
    mapped={
        "type": T("CASE WHEN n.subnet_level = 0 THEN 'block' ELSE 'subnet' END"),
        "subnet6_id": I("n.subnet6_id"),
        "start_ip6_addr": T("n.start_hex"),
        "start_hostaddr": T("n.start_host"),
        "end_ip6_addr": T("n.end_hex"),
        "end_hostaddr": T("n.end_host"),
        "subnet6_name": T("n.subnet6_name"),
        "subnet_size": T("n.size_text"),
        "subnet_level": I("n.subnet_level"),
        "subnet_path": T("n.subnet_path"),
        "subnet6_class_name": T("n.class_name"),
        "parent_subnet6_id": I("n.parent_subnet6_id"),
        "site_id": I("n.site_id"),
        "is_terminal": I("n.is_terminal"),
        "subnet6_prefix": I("n.prefix"),
        "percent_allocated": T(_pct(_N6_ALLOCATED, "CAST(n.size_text AS REAL)")),
        "percent_used": T(_pct(_N6_IP_USED, "CAST(n.size_text AS REAL)")),
        "site_description": T("s.site_description"),
        "site_name": T("s.site_name"),
        "tree_level": I("n.subnet_level"),
        "tree_path": T("n.subnet_path"),
        "tree_id_path": T("n.subnet_path"),
        "site_class_name": T("s.class_name"),
        "parent_subnet6_name": T("COALESCE(p.subnet6_name, '#')"),
        "parent_start_ip6_addr": T("COALESCE(p.start_hex, '')"),
        "parent_end_ip6_addr": T("COALESCE(p.end_hex, '')"),
        "parent_subnet_size": T("COALESCE(p.size_text, '0')"),
        "parent_subnet_level": I("COALESCE(p.subnet_level, 0)"),
        "parent_subnet_path": T("COALESCE(p.subnet_path, '')"),
        "parent_subnet6_class_name": T("COALESCE(p.class_name, '')"),
        "parent_is_terminal": I("COALESCE(p.is_terminal, 0)"),
        "parent_subnet6_prefix": I("COALESCE(p.prefix, 0)"),
        "parent_site_id": I("n.site_id"),
        "parent_site_name": T("s.site_name"),
        "site_parent_site_id": I("s.parent_site_id"),
        "subnet6_class_parameters": T("n.class_params"),
        "site_class_parameters": T("s.class_params"),
        "parent_subnet6_class_parameters": T("COALESCE(p.class_params, '')"),
    },
    tag_types={
        "network6": ("subnet6", "n.subnet6_id"),
        "network": ("subnet6", "n.subnet6_id"),
        "site": ("site", "s.site_id"),
    },
    overrides={
        "row_enabled": "1",
        "subnet6_is_valid": "1",
        "lock_network_broadcast": "1",
        "site_is_template": "0",
    },
)

# --------------------------------------------------------------------------- IPv4 addresses

#: An address outside every terminal subnet of its space is an *orphan* (``subnet_id`` ``0``, as a
#: live appliance answers): the subnet and parent columns are joined with LEFT JOIN and answer the
#: absent-object constants.
_NULL_HEX4 = "CASE WHEN n.subnet_id IS NULL THEN '' ELSE printf('%08x', {}) END"

#: The free ranges of every terminal IPv4 subnet (``free_rows`` profile setting): a range starts at
#: the subnet's first usable address or right after a used one, and ends before the next used one.
_LOCK4 = "(CASE WHEN n.lock_network_broadcast = 1 AND n.end_addr - n.start_addr + 1 >= 4 THEN 1 ELSE 0 END)"
_FREE4 = (
    "SELECT c.site_id AS site_id, c.subnet_id AS subnet_id, c.s AS s,"
    " COALESCE((SELECT MIN(x.addr) - 1 FROM ip4 x WHERE x.site_id = c.site_id AND x.addr > c.s"
    " AND x.addr <= c.hi), c.hi) AS e FROM ("
    f" SELECT n.site_id, n.subnet_id, n.start_addr + {_LOCK4} AS s, n.end_addr - {_LOCK4} AS hi"
    " FROM subnet4 n WHERE n.is_terminal = 1"
    f" UNION SELECT n.site_id, n.subnet_id, x.addr + 1, n.end_addr - {_LOCK4}"
    " FROM ip4 x JOIN subnet4 n ON n.subnet_id = x.subnet_id AND n.is_terminal = 1) c"
    " WHERE c.s <= c.hi AND NOT EXISTS (SELECT 1 FROM ip4 y WHERE y.site_id = c.site_id AND y.addr = c.s)"
)
_DOTTED = (
    "((({0}) >> 24) || '.' || ((({0}) >> 16) & 255) || '.' || ((({0}) >> 8) & 255) || '.' || (({0}) & 255))"
)
_ADDRESSES4_WITH_FREE = (
    "(SELECT ip_id, site_id, subnet_id, addr, hostaddr, name, mac_addr, class_name, class_params,"
    " hostdev_id, hostiface_id, 'ip' AS row_type, NULL AS free_end FROM ip4"
    " UNION ALL SELECT 0, f.site_id, f.subnet_id, f.s, " + _DOTTED.format("f.s") + ", '', '', '', '', 0, 0,"
    f" 'free', f.e FROM ({_FREE4}) f)"
)


def _address_view(free: bool) -> View:
    source = _ADDRESSES4_WITH_FREE if free else "ip4"
    mapped = {
        "ip_id": I("a.ip_id"),
        "site_name": T("s.site_name"),
        "tree_level": I("COALESCE(n.subnet_level + 1, 1)"),
        "tree_path": T("COALESCE(n.subnet_path || n.subnet_id || '#', '#')"),
        "tree_id_path": T("COALESCE(n.subnet_path || n.subnet_id || '#', '#')"),
        "ip_addr": T(_hex4("a.addr")),
        "hostaddr": T("a.hostaddr"),
        "name": T("a.name"),
        "mac_addr": T("CASE WHEN a.mac_addr = '' THEN 'EIP:' || printf('%08x', a.addr) ELSE a.mac_addr END"),
        "ip_class_name": T("a.class_name"),
        "parent_subnet_id": I("COALESCE(n.parent_subnet_id, 0)"),
        "parent_subnet_name": T("COALESCE(p.subnet_name, '#')"),
        "parent_subnet_size": I("COALESCE(p.end_addr - p.start_addr + 1, 0)"),
        "parent_subnet_class_name": T("COALESCE(p.class_name, '')"),
        "parent_subnet_start_ip_addr": T(_opt_hex4("p", "p.start_addr")),
        "parent_subnet_start_hostaddr": T("COALESCE(p.start_host, '')"),
        "parent_subnet_end_ip_addr": T(_opt_hex4("p", "p.end_addr")),
        "parent_subnet_end_hostaddr": T("COALESCE(p.end_host, '')"),
        "subnet_name": T("COALESCE(n.subnet_name, '#')"),
        "site_id": I("a.site_id"),
        "subnet_id": I("a.subnet_id"),
        "subnet_start_ip_addr": T(_NULL_HEX4.format("n.start_addr")),
        "subnet_start_hostaddr": T("COALESCE(n.start_host, '')"),
        "subnet_end_ip_addr": T(_NULL_HEX4.format("n.end_addr")),
        "subnet_end_hostaddr": T("COALESCE(n.end_host, '')"),
        "subnet_size": I(f"COALESCE({_N_SIZE}, 0)"),
        "subnet_is_terminal": I("COALESCE(n.is_terminal, 0)"),
        "lock_network_broadcast": I("COALESCE(n.lock_network_broadcast, 0)"),
        "hostiface_name": T("COALESCE(i.hostiface_name, '#')"),
        "hostiface_id": I("a.hostiface_id"),
        "hostdev_name": T("COALESCE(d.hostdev_name, '#')"),
        "hostdev_id": I("a.hostdev_id"),
        "site_description": T("s.site_description"),
        "site_class_name": T("s.class_name"),
        "subnet_class_name": T("COALESCE(n.class_name, '')"),
        "ip_class_parameters": T("a.class_params"),
        "site_class_parameters": T("s.class_params"),
        "subnet_class_parameters": T("COALESCE(n.class_params, '')"),
    }
    overrides = {"type": "ip", "site_is_template": "0"}
    if free:
        mapped.update(
            {
                "type": T("a.row_type"),
                "free_start_ip_addr": T(
                    "CASE WHEN a.row_type = 'free' THEN printf('%08x', a.addr) ELSE '' END"
                ),
                "free_end_ip_addr": T(
                    "CASE WHEN a.row_type = 'free' THEN printf('%08x', a.free_end) ELSE '' END"
                ),
                "free_scope_size": I("CASE WHEN a.row_type = 'free' THEN a.free_end - a.addr + 1 ELSE 0 END"),
                "mac_addr": T(
                    "CASE WHEN a.row_type = 'free' THEN '' WHEN a.mac_addr = ''"
                    " THEN 'EIP:' || printf('%08x', a.addr) ELSE a.mac_addr END"
                ),
            }
        )
        del overrides["type"]
    return build(
        "address",
        spec.ADDRESS,
        from_sql=f"{source} a JOIN site s ON s.site_id = a.site_id"
        " LEFT JOIN subnet4 n ON n.subnet_id = a.subnet_id"
        " LEFT JOIN subnet4 p ON p.subnet_id = n.parent_subnet_id"
        " LEFT JOIN hostdev d ON d.hostdev_id = a.hostdev_id"
        " LEFT JOIN hostiface i ON i.hostiface_id = a.hostiface_id",
        id_column="a.ip_id",
        mapped=mapped,
        tag_types={
            "ip": ("ip4", "a.ip_id"),
            "network": ("subnet4", "n.subnet_id"),
            "site": ("site", "s.site_id"),
        },
        overrides=overrides,
        order_tail=("a.addr ASC",) if free else (),
    )


ADDRESS = _address_view(free=False)
ADDRESS_WITH_FREE = _address_view(free=True)

# --------------------------------------------------------------------------- IPv6 addresses

_FREE6 = (
    "SELECT c.site_id AS site_id, c.subnet6_id AS subnet6_id, c.s AS s,"
    " COALESCE((SELECT emu_hex6_add(MIN(x.addr_hex), -1) FROM ip6 x WHERE x.site_id = c.site_id"
    " AND x.addr_hex > c.s AND x.addr_hex <= c.hi), c.hi) AS e FROM ("
    " SELECT n.site_id, n.subnet6_id, n.start_hex AS s, n.end_hex AS hi"
    " FROM subnet6 n WHERE n.is_terminal = 1"
    " UNION SELECT n.site_id, n.subnet6_id, emu_hex6_add(x.addr_hex, 1), n.end_hex"
    " FROM ip6 x JOIN subnet6 n ON n.subnet6_id = x.subnet6_id AND n.is_terminal = 1) c"
    " WHERE c.s <= c.hi AND NOT EXISTS (SELECT 1 FROM ip6 y WHERE y.site_id = c.site_id AND y.addr_hex = c.s)"
)
_ADDRESSES6_WITH_FREE = (
    "(SELECT ip6_id, site_id, subnet6_id, addr_hex, hostaddr, ip6_name, ip6_mac_addr, class_name,"
    " class_params, hostdev_id, hostiface_id, 'ip' AS row_type, NULL AS free_end FROM ip6"
    " UNION ALL SELECT 0, f.site_id, f.subnet6_id, f.s, emu_hex6_text(f.s), '', '', '', '', 0, 0,"
    f" 'free', f.e FROM ({_FREE6}) f)"
)


def _address6_view(free: bool) -> View:
    source = _ADDRESSES6_WITH_FREE if free else "ip6"
    mapped = {
        "ip6_id": I("a.ip6_id"),
        "site_name": T("s.site_name"),
        "tree_level": I("COALESCE(n.subnet_level + 1, 1)"),
        "tree_path": T("COALESCE(n.subnet_path || n.subnet6_id || '#', '#')"),
        "parent_subnet6_name": T("COALESCE(p.subnet6_name, '#')"),
        "ip6_addr": T("a.addr_hex"),
        "hostaddr": T("a.hostaddr"),
        "ip6_name": T("a.ip6_name"),
        "ip6_mac_addr": T("CASE WHEN a.ip6_mac_addr = '' THEN 'EIP:' || a.addr_hex ELSE a.ip6_mac_addr END"),
        "ip6_class_name": T("a.class_name"),
        "subnet6_name": T("COALESCE(n.subnet6_name, '#')"),
        "subnet6_is_terminal": I("COALESCE(n.is_terminal, 0)"),
        "site_id": I("a.site_id"),
        "subnet6_id": I("a.subnet6_id"),
        "subnet6_start_ip6_addr": T("COALESCE(n.start_hex, '')"),
        "subnet6_start_hostaddr": T("COALESCE(n.start_host, '')"),
        "subnet6_end_ip6_addr": T("COALESCE(n.end_hex, '')"),
        "subnet6_end_hostaddr": T("COALESCE(n.end_host, '')"),
        "subnet6_size": T("COALESCE(n.size_text, '0')"),
        "subnet_size": T("COALESCE(n.size_text, '0')"),
        "subnet6_prefix": I("COALESCE(n.prefix, 0)"),
        "parent_subnet6_size": T("COALESCE(p.size_text, '0')"),
        "parent_subnet6_id": I("COALESCE(n.parent_subnet6_id, 0)"),
        "hostiface_name": T("COALESCE(i.hostiface_name, '#')"),
        "hostiface_id": I("a.hostiface_id"),
        "hostdev_name": T("COALESCE(d.hostdev_name, '#')"),
        "hostdev_id": I("a.hostdev_id"),
        "site_description": T("s.site_description"),
        "site_class_name": T("s.class_name"),
        "parent_subnet6_class_name": T("COALESCE(p.class_name, '')"),
        "parent_subnet6_prefix": I("COALESCE(p.prefix, 0)"),
        "parent_subnet6_start_ip6_addr": T("COALESCE(p.start_hex, '')"),
        "parent_subnet6_start_hostaddr": T("COALESCE(p.start_host, '')"),
        "parent_subnet6_end_ip6_addr": T("COALESCE(p.end_hex, '')"),
        "parent_subnet6_end_hostaddr": T("COALESCE(p.end_host, '')"),
        "subnet6_class_name": T("COALESCE(n.class_name, '')"),
        "ip6_class_parameters": T("a.class_params"),
        "site_class_parameters": T("s.class_params"),
        "subnet6_class_parameters": T("COALESCE(n.class_params, '')"),
    }
    overrides = {"type": "ip", "lock_network_broadcast": "1", "row_enabled": "1"}
    if free:
        mapped.update(
            {
                "type": T("a.row_type"),
                "free_start_ip6_addr": T("CASE WHEN a.row_type = 'free' THEN a.addr_hex ELSE '' END"),
                "free_end_ip6_addr": T("CASE WHEN a.row_type = 'free' THEN a.free_end ELSE '' END"),
                "free_scope_size": T(
                    "CASE WHEN a.row_type = 'free' THEN emu_hex6_count(a.addr_hex, a.free_end) ELSE '0' END"
                ),
                "ip6_mac_addr": T(
                    "CASE WHEN a.row_type = 'free' THEN '' WHEN a.ip6_mac_addr = '' THEN 'EIP:' || a.addr_hex"
                    " ELSE a.ip6_mac_addr END"
                ),
            }
        )
        del overrides["type"]
    return build(
        "address6",
        spec.ADDRESS6,
        from_sql=f"{source} a JOIN site s ON s.site_id = a.site_id"
        " LEFT JOIN subnet6 n ON n.subnet6_id = a.subnet6_id"
        " LEFT JOIN subnet6 p ON p.subnet6_id = n.parent_subnet6_id"
        " LEFT JOIN hostdev d ON d.hostdev_id = a.hostdev_id"
        " LEFT JOIN hostiface i ON i.hostiface_id = a.hostiface_id",
        id_column="a.ip6_id",
        mapped=mapped,
        tag_types={
            "ip6": ("ip6", "a.ip6_id"),
            "network6": ("subnet6", "n.subnet6_id"),
            "network": ("subnet6", "n.subnet6_id"),
            "site": ("site", "s.site_id"),
        },
        overrides=overrides,
        order_tail=("a.addr_hex ASC",) if free else (),
    )


ADDRESS6 = _address6_view(free=False)
ADDRESS6_WITH_FREE = _address6_view(free=True)


def for_profile(view: View, profile: Appliance) -> View:
    """The variant of a list view the appliance answers (free-range rows in address lists)."""
    if profile.free_rows:
        if view is ADDRESS:
            return ADDRESS_WITH_FREE
        if view is ADDRESS6:
            return ADDRESS6_WITH_FREE
    return view


# --------------------------------------------------------------------------- devices


def _ip_list(link_column: str, owner: str, formatted: bool) -> str:
    """Addresses linked to a device/interface: ``hex&space;...`` or ``10.0.0.5 (space), ...``."""
    if formatted:
        item4 = "x.hostaddr || ' (' || st.site_name || ')'"
        item6 = item4
        sep = "', '"
    else:
        item4 = "printf('%08x', x.addr) || '&' || st.site_name || ';'"
        item6 = "x.addr_hex || '&' || st.site_name || ';'"
        sep = "''"
    return (
        f"COALESCE((SELECT group_concat(item, {sep}) FROM ("
        f"SELECT {item4} AS item, 4 AS v, printf('%032x', x.addr) AS k FROM ip4 x"
        f" JOIN site st ON st.site_id = x.site_id WHERE x.{link_column} = {owner}"
        f" UNION ALL SELECT {item6}, 6, x.addr_hex FROM ip6 x"
        f" JOIN site st ON st.site_id = x.site_id WHERE x.{link_column} = {owner}"
        " ORDER BY 2, 3)), '')"
    )


def _nb_ip(owner: str) -> str:
    return (
        f"((SELECT COUNT(*) FROM ip4 x WHERE x.hostiface_id = {owner})"
        f" + (SELECT COUNT(*) FROM ip6 x WHERE x.hostiface_id = {owner}))"
    )


_IFACE_TOTAL = "(SELECT COUNT(*) FROM hostiface f WHERE f.hostdev_id = d.hostdev_id)"
_IFACE_USED = (
    "(SELECT COUNT(*) FROM hostiface f WHERE f.hostdev_id = d.hostdev_id"
    " AND (EXISTS (SELECT 1 FROM ip4 x WHERE x.hostiface_id = f.hostiface_id)"
    " OR EXISTS (SELECT 1 FROM ip6 x WHERE x.hostiface_id = f.hostiface_id)))"
)

HOSTDEV = build(
    "hostdev",
    spec.HOSTDEV,
    from_sql="hostdev d LEFT JOIN site hs ON hs.site_id = d.hostdev_site_id",
    id_column="d.hostdev_id",
    mapped={
        "hostdev_id": I("d.hostdev_id"),
        "hostdev_name": T("d.hostdev_name"),
        "hostdev_class_name": T("d.class_name"),
        "hostdev_ip_addr": T(_ip_list("hostdev_id", "d.hostdev_id", formatted=False)),
        "hostdev_ip_formated": T(_ip_list("hostdev_id", "d.hostdev_id", formatted=True)),
        "hostdev_site_id": I("d.hostdev_site_id"),
        "hostdev_site_name": T("COALESCE(hs.site_name, '#')"),
        "iface_total": I(_IFACE_TOTAL),
        "iface_used": I(_IFACE_USED),
        "iface_used_percent": T(_pct(_IFACE_USED, _IFACE_TOTAL)),
        "iface_free": I(f"({_IFACE_TOTAL} - {_IFACE_USED})"),
        "hostdev_class_parameters": T("d.class_params"),
    },
    tag_types={"hostdev": ("hostdev", "d.hostdev_id")},
    overrides={"row_enabled": "1"},
)

_IFACE_SITE = (
    "COALESCE((SELECT x.site_id FROM ip4 x WHERE x.hostiface_id = i.hostiface_id ORDER BY x.addr LIMIT 1),"
    " (SELECT x.site_id FROM ip6 x WHERE x.hostiface_id = i.hostiface_id ORDER BY x.addr_hex LIMIT 1), 0)"
)

HOSTIFACE = build(
    "hostiface",
    spec.HOSTIFACE,
    from_sql="hostiface i JOIN hostdev d ON d.hostdev_id = i.hostdev_id",
    id_column="i.hostiface_id",
    mapped={
        "hostdev_id": I("i.hostdev_id"),
        "hostdev_name": T("d.hostdev_name"),
        "hostdev_class_name": T("d.class_name"),
        "hostiface_id": I("i.hostiface_id"),
        "hostiface_name": T("i.hostiface_name"),
        "hostiface_type": T("i.hostiface_type"),
        "hostiface_class_name": T("i.class_name"),
        "hostiface_mac": T("i.hostiface_mac"),
        "add_time": I("i.add_time"),
        "modify_time": I("i.modify_time"),
        "hostiface_ip_addr": T(_ip_list("hostiface_id", "i.hostiface_id", formatted=False)),
        "hostiface_ip_formated": T(_ip_list("hostiface_id", "i.hostiface_id", formatted=True)),
        "hostiface_site_id": I(_IFACE_SITE),
        "hostiface_site_name": T(
            f"COALESCE((SELECT st.site_name FROM site st WHERE st.site_id = {_IFACE_SITE}), '#')"
        ),
        "hostiface_manual_link": T(f"CASE WHEN {_nb_ip('i.hostiface_id')} > 0 THEN '1' ELSE '0' END"),
        "nb_ip": I(_nb_ip("i.hostiface_id")),
        "hostiface_class_parameters": T("i.class_params"),
        "hostdev_class_parameters": T("d.class_params"),
    },
    tag_types={"hostiface": ("hostiface", "i.hostiface_id"), "hostdev": ("hostdev", "d.hostdev_id")},
    overrides={
        "row_enabled": "1",
        "hostiface_auto_link": "0",
        "iplnetdev_enabled": "0",
        "iplport_enabled": "0",
    },
)

# --------------------------------------------------------------------------- DNS

_DNS_DEFAULTS = {
    "dns_state": "OK",
    "dns_synching": "0",
    "row_enabled": "1",
    "dns_recursion": "yes",
    "isolated": "0",
    "ipmdns_protocol": "https",
    "dns_hybrid": "0",
    "dns_force_hybrid": "0",
    "dns_cloud": "0",
    "dns_cloud_private": "0",
    "gss_enabled": "0",
    "stat_enabled": "0",
    "dnsblast_enabled": "0",
    "dnssec_validation": "no",
    "dnsgslb_supported": "0",
    "dnsguardian_supported": "0",
    "dnsguardian_gui_management_supported": "0",
    "ipmdns_is_package": "0",
    "querylog_state": "0",
    "dns_notify": "yes",
    "vdns_arch": "",
    "vdns_parent_arch": "",
    "vdns_members_name": "",
}

DNS_SERVER = build(
    "dns_server",
    spec.DNS_SERVER,
    from_sql="dns_server v",
    id_column="v.dns_id",
    mapped={
        "dns_id": I("v.dns_id"),
        "dns_name": T("v.dns_name"),
        "dns_type": T("v.dns_type"),
        "ip_addr": T(_hex4("v.ip_addr")),
        "dns_class_name": T("v.class_name"),
        "dns_class_parameters": T("v.class_params"),
    },
    tag_types={"dns": ("dns_server", "v.dns_id")},
    overrides=_DNS_DEFAULTS,
)

DNS_ZONE = build(
    "dns_zone",
    spec.DNS_ZONE,
    from_sql="dns_zone z JOIN dns_server v ON v.dns_id = z.dns_id",
    id_column="z.dnszone_id",
    mapped={
        "dnszone_id": I("z.dnszone_id"),
        "dnszone_name": T("z.dnszone_name"),
        "dnszone_name_utf": T("z.dnszone_name"),
        "dnszone_sort_zone": T("z.dnszone_name"),
        "dnszone_rev_sort_zone": T("z.dnszone_name"),
        "dnszone_is_reverse": I("z.dnszone_is_reverse"),
        "dnszone_type": T("z.dnszone_type"),
        "dnszone_class_name": T("z.class_name"),
        "dnszone_class_parameters": T("z.class_params"),
        "dns_id": I("z.dns_id"),
        "dns_name": T("v.dns_name"),
        "dns_type": T("v.dns_type"),
        "dns_class_name": T("v.class_name"),
        "dns_class_parameters": T("v.class_params"),
        "ip_addr": T(_hex4("v.ip_addr")),
    },
    tag_types={"dnszone": ("dns_zone", "z.dnszone_id"), "dns": ("dns_server", "v.dns_id")},
    overrides={
        **_DNS_DEFAULTS,
        "dnszone_synching": "0",
        "dnszone_is_rpz": "0",
        "dnszone_ad_integrated": "0",
        "dnszone_xfer_done": "1",
        "use_update_policy": "0",
        "ddns_scavenging": "0",
    },
)

DNS_RR = build(
    "dns_rr",
    spec.DNS_RR,
    from_sql="dns_rr r JOIN dns_zone z ON z.dnszone_id = r.dnszone_id"
    " JOIN dns_server v ON v.dns_id = r.dns_id",
    id_column="r.rr_id",
    mapped={
        "rr_all_value": T("r.rr_all_value"),
        "dnszone_sort_zone": T("z.dnszone_name"),
        "dnszone_type": T("z.dnszone_type"),
        "rr_full_name": T("r.rr_full_name"),
        "rr_full_name_utf": T("r.rr_full_name"),
        "rr_name_ip_addr": T("r.rr_name_ip_addr"),
        "rr_name_ip4_addr": T(_if_v4("r.rr_name_ip_addr")),
        "rr_value_ip_addr": T("r.rr_value_ip_addr"),
        "rr_value_ip4_addr": T(_if_v4("r.rr_value_ip_addr")),
        "rr_glue": T("r.rr_glue"),
        "rr_type": T("r.rr_type"),
        "ttl": I("r.ttl"),
        "rr_class_name": T("r.class_name"),
        **{f"value{i}": T(f"r.value{i}") for i in range(1, 8)},
        "dnszone_id": I("r.dnszone_id"),
        "rr_id": I("r.rr_id"),
        "dns_id": I("r.dns_id"),
        "dnszone_name_utf": T("z.dnszone_name"),
        "dnszone_name": T("z.dnszone_name"),
        "dns_name": T("v.dns_name"),
        "dns_type": T("v.dns_type"),
        "dnszone_is_reverse": I("z.dnszone_is_reverse"),
        "dns_class_name": T("v.class_name"),
        "dnszone_class_name": T("z.class_name"),
        "rr_last_update_time": I("r.last_update"),
        "delayed_delete_time": T("CASE WHEN r.deleted_at IS NULL THEN '0' ELSE '1' END"),
        "rr_class_parameters": T("r.class_params"),
    },
    tag_types={
        "rr": ("dns_rr", "r.rr_id"),
        "dnszone": ("dns_zone", "z.dnszone_id"),
        "dns": ("dns_server", "v.dns_id"),
    },
    overrides={"dnszone_is_rpz": "0", "dns_cloud": "0", "rr_auth_gsstsig": "0"},
)

# --------------------------------------------------------------------------- appliance

MEMBER = build(
    "member",
    spec.MEMBER,
    from_sql="member mb",
    id_column="mb.member_id",
    mapped={
        "member_id": I("mb.member_id"),
        "member_name": T("mb.member_name"),
        "member_version": T("mb.member_version"),
    },
    tag_types={},
    overrides={
        "member_is_me": "1",
        "member_type": "sds",
        "member_state": "1",
        "member_ha_status": "standalone",
        "member_ip_addr": "7f000001",
        "member_snmp_status": "1",
        "member_snmp_cpuload": "0",
        "member_snmp_cpuload_percent": "0",
        "member_snmp_ioload": "0",
        "member_snmp_memory": "0",
        "member_snmp_raid": "0",
        "member_snmp_fan": "0",
        "member_snmp_psu": "0",
        "member_snmp_hdd": "0",
        "member_snmp_lagg": "0",
        "snmp_port": "161",
        "subscription_support": "0",
        "member_sec_evt_fwd_configured": "0",
    },
)
