"""Output columns of the DNS services (``dns_server_*``, ``dns_zone_*``, ``dns_rr_*``) as SQL."""

from __future__ import annotations

from . import columns as spec
from .viewbuild import I, T, build, hex4, if_v4

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
        "ip_addr": T(hex4("v.ip_addr")),
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
        "ip_addr": T(hex4("v.ip_addr")),
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
        "rr_name_ip4_addr": T(if_v4("r.rr_name_ip_addr")),
        "rr_value_ip_addr": T("r.rr_value_ip_addr"),
        "rr_value_ip4_addr": T(if_v4("r.rr_value_ip_addr")),
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
