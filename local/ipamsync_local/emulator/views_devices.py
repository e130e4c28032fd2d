"""Output columns of the Device Manager services (``hostdev_*``, ``hostiface_*``) as SQL."""

from __future__ import annotations

from . import columns as spec
from .viewbuild import I, T, build, pct

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
        "iface_used_percent": T(pct(_IFACE_USED, _IFACE_TOTAL)),
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
