"""Output columns of every list/info/count service, as SQL over the emulator's tables: the IPAM
views and the appliance's here, Device Manager's in :mod:`.views_devices`, DNS's in
:mod:`.views_dns` (re-exported: the services table reads every view from this module). How a view
is built (computed columns, constant defaults): :mod:`.viewbuild`.

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

from . import columns as spec
from .profile import Appliance
from .store import View
from .viewbuild import I, T, build, hex4, opt_hex4, pct
from .views_devices import HOSTDEV, HOSTIFACE
from .views_dns import DNS_RR, DNS_SERVER, DNS_ZONE

__all__ = [
    "ADDRESS",
    "ADDRESS6",
    "ADDRESS6_WITH_FREE",
    "ADDRESS_WITH_FREE",
    "DNS_RR",
    "DNS_SERVER",
    "DNS_ZONE",
    "HOSTDEV",
    "HOSTIFACE",
    "MEMBER",
    "SITE",
    "SUBNET",
    "SUBNET6",
    "for_profile",
]

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
        "start_ip_addr": T(hex4("n.start_addr")),
        "start_hostaddr": T("n.start_host"),
        "end_ip_addr": T(hex4("n.end_addr")),
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
        "subnet_allocated_percent": T(pct(_N_ALLOCATED, _N_SIZE)),
        "subnet_used_size": I(_N_USED),
        "subnet_used_percent": T(pct(_N_USED, _N_SIZE)),
        "subnet_ip_used_size": I(_N_IP_USED),
        "subnet_ip_used_percent": T(pct(_N_IP_USED, _N_SIZE)),
        "subnet_ip_free_size": I(f"({_N_SIZE} - {_N_IP_USED} - {_N_LOCKED})"),
        "site_description": T("s.site_description"),
        "site_name": T("s.site_name"),
        "tree_level": I("n.subnet_level"),
        "tree_path": T("n.subnet_path"),
        "tree_id_path": T("n.subnet_path"),
        "site_class_name": T("s.class_name"),
        "parent_subnet_name": T("COALESCE(p.subnet_name, '#')"),
        "parent_start_ip_addr": T(opt_hex4("p", "p.start_addr")),
        "parent_end_ip_addr": T(opt_hex4("p", "p.end_addr")),
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
        "percent_allocated": T(pct(_N6_ALLOCATED, "CAST(n.size_text AS REAL)")),
        "percent_used": T(pct(_N6_IP_USED, "CAST(n.size_text AS REAL)")),
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
        "ip_addr": T(hex4("a.addr")),
        "hostaddr": T("a.hostaddr"),
        "name": T("a.name"),
        "mac_addr": T("CASE WHEN a.mac_addr = '' THEN 'EIP:' || printf('%08x', a.addr) ELSE a.mac_addr END"),
        "ip_class_name": T("a.class_name"),
        "parent_subnet_id": I("COALESCE(n.parent_subnet_id, 0)"),
        "parent_subnet_name": T("COALESCE(p.subnet_name, '#')"),
        "parent_subnet_size": I("COALESCE(p.end_addr - p.start_addr + 1, 0)"),
        "parent_subnet_class_name": T("COALESCE(p.class_name, '')"),
        "parent_subnet_start_ip_addr": T(opt_hex4("p", "p.start_addr")),
        "parent_subnet_start_hostaddr": T("COALESCE(p.start_host, '')"),
        "parent_subnet_end_ip_addr": T(opt_hex4("p", "p.end_addr")),
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
