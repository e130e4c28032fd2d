"""Returned columns of each list/info service, as a live SOLIDserver describes them.

Copied from the per-service descriptions (``OPTIONS`` answers of an appliance) kept in the
project's shared SOLIDserver notes (``services/<logical name>_list.md``), so that the emulator
returns exactly these names, in this order. ``*_info`` services return the same columns as the
matching ``*_list`` service (the descriptions are identical). Do not edit by hand: regenerate
from the descriptions.
"""

from __future__ import annotations

# ip_site_list
SITE: tuple[str, ...] = (
    "site_is_template", "site_id", "tree_level", "tree_path", "tree_id_path", "site_name",
    "site_description", "parent_site_id", "parent_site_name", "site_class_name",
    "parent_site_class_name", "row_enabled", "multistatus", "site_class_parameters",
    "site_class_parameters_properties", "site_class_parameters_inheritance_source",
    "parent_site_class_parameters", "parent_site_class_parameters_properties",
)

# ip_subnet_list
SUBNET: tuple[str, ...] = (
    "type", "subnet_id", "start_ip_addr", "start_hostaddr", "end_ip_addr", "end_hostaddr", "subnet_name",
    "subnet_size", "vlsm_block_id", "vlmvlan_id", "subnet_level", "subnet_path", "subnet_class_name",
    "parent_subnet_id", "vlsm_subnet_id", "row_enabled", "subnet_is_valid", "site_id", "waiting_state",
    "waiting_status", "is_terminal", "subnet_allocated_size", "subnet_allocated_percent",
    "subnet_used_size", "subnet_used_percent", "subnet_ip_used_size", "subnet_ip_used_percent",
    "subnet_ip_free_size", "is_in_orphan", "lock_network_broadcast", "site_description", "site_name",
    "site_is_template", "tree_level", "tree_path", "tree_id_path", "site_class_name",
    "parent_subnet_name", "parent_start_ip_addr", "parent_end_ip_addr", "parent_subnet_size",
    "parent_subnet_level", "parent_subnet_path", "parent_subnet_class_name", "parent_is_terminal",
    "parent_vlsm_subnet_id", "parent_site_id", "parent_site_name", "site_parent_site_id", "vlsm_site_id",
    "vlsm_site_name", "vlmvlan_vlan_id", "vlmvlan_name", "vlmdomain_id", "vlmdomain_name", "vlmrange_id",
    "vlmrange_name", "multistatus", "subnet_class_parameters", "subnet_class_parameters_properties",
    "subnet_class_parameters_inheritance_source", "site_class_parameters",
    "site_class_parameters_properties", "parent_subnet_class_parameters",
    "parent_subnet_class_parameters_properties",
)

# ip_subnet6_list
SUBNET6: tuple[str, ...] = (
    "type", "subnet6_id", "start_ip6_addr", "start_hostaddr", "end_ip6_addr", "end_hostaddr",
    "subnet6_name", "subnet_size", "vlsm_block6_id", "vlmvlan_id", "subnet_level", "subnet_path",
    "subnet6_class_name", "parent_subnet6_id", "vlsm_subnet6_id", "row_enabled", "subnet6_is_valid",
    "lock_network_broadcast", "site_id", "waiting_state", "waiting_status", "is_terminal",
    "subnet6_prefix", "percent_allocated", "percent_used", "is_in_orphan", "site_description",
    "site_name", "site_is_template", "tree_level", "tree_path", "tree_id_path", "site_class_name",
    "parent_subnet6_name", "parent_start_ip6_addr", "parent_end_ip6_addr", "parent_subnet_size",
    "parent_subnet_level", "parent_subnet_path", "parent_subnet6_class_name", "parent_is_terminal",
    "parent_vlsm_subnet6_id", "parent_subnet6_prefix", "parent_percent_allocated", "parent_percent_used",
    "parent_site_id", "parent_site_name", "site_parent_site_id", "vlsm_site_id", "vlsm_site_name",
    "vlmvlan_vlan_id", "vlmvlan_name", "vlmdomain_id", "vlmdomain_name", "vlmrange_id", "vlmrange_name",
    "multistatus", "subnet6_class_parameters", "subnet6_class_parameters_properties",
    "subnet6_class_parameters_inheritance_source", "site_class_parameters",
    "site_class_parameters_properties", "parent_subnet6_class_parameters",
    "parent_subnet6_class_parameters_properties",
)

# ip_address_list
ADDRESS: tuple[str, ...] = (
    "type", "free_start_ip_addr", "free_end_ip_addr", "free_scope_size", "ip_id", "site_is_template",
    "site_name", "tree_level", "tree_path", "tree_id_path", "ip_addr", "hostaddr", "name", "mac_addr",
    "ip_class_name", "parent_subnet_id", "parent_subnet_name", "parent_subnet_size",
    "parent_vlsm_subnet_id", "parent_subnet_class_name", "parent_subnet_start_ip_addr",
    "parent_subnet_start_hostaddr", "parent_subnet_end_ip_addr", "parent_subnet_end_hostaddr",
    "subnet_name", "pool_name", "site_id", "subnet_id", "subnet_start_ip_addr", "subnet_start_hostaddr",
    "subnet_end_ip_addr", "subnet_end_hostaddr", "subnet_size", "subnet_is_terminal",
    "lock_network_broadcast", "pool_class_name", "pool_id", "pool_read_only", "pool_row_enabled",
    "iplnetdev_name", "iplnetdev_id", "iplport_name", "iplport_slotnumber", "iplport_portnumber",
    "iplport_ifvlan", "hostiface_name", "hostiface_id", "hostdev_name", "hostdev_id", "dhcphost_id",
    "dhcplease_id", "last_seen", "dhcplease_end_time", "site_description", "site_class_name",
    "subnet_class_name", "pool_size", "pool_start_ip_addr", "pool_end_ip_addr", "ip_alias",
    "multistatus", "tag_pool_dhcprange", "tag_container_dhcpstatic", "ip_class_parameters",
    "ip_class_parameters_properties", "ip_class_parameters_inheritance_source", "pool_class_parameters",
    "pool_class_parameters_properties", "site_class_parameters", "site_class_parameters_properties",
    "subnet_class_parameters", "subnet_class_parameters_properties",
)

# ip_address6_list
ADDRESS6: tuple[str, ...] = (
    "type", "free_start_ip6_addr", "free_end_ip6_addr", "free_scope_size", "ip6_id", "site_name",
    "tree_level", "tree_path", "parent_subnet6_name", "ip6_addr", "hostaddr", "ip6_name", "ip6_mac_addr",
    "ip6_class_name", "subnet6_name", "subnet6_is_terminal", "lock_network_broadcast", "pool6_name",
    "site_id", "subnet6_id", "subnet6_start_ip6_addr", "subnet6_start_hostaddr", "subnet6_end_ip6_addr",
    "subnet6_end_hostaddr", "subnet6_size", "subnet_size", "subnet6_prefix", "parent_subnet6_size",
    "parent_subnet6_id", "parent_vlsm_subnet6_id", "pool6_class_name", "pool6_id", "pool6_read_only",
    "pool6_row_enabled", "hostiface_name", "hostiface_id", "hostdev_name", "hostdev_id",
    "site_description", "site_class_name", "row_enabled", "parent_site_name",
    "parent_subnet6_class_name", "parent_subnet6_prefix", "parent_subnet6_start_ip6_addr",
    "parent_subnet6_start_hostaddr", "parent_subnet6_end_ip6_addr", "parent_subnet6_end_hostaddr",
    "vlsm_subnet6_id", "subnet6_class_name", "pool6_size", "pool6_start_ip6_addr", "pool6_end_ip6_addr",
    "ip6_alias", "multistatus", "ip6_class_parameters", "ip6_class_parameters_properties",
    "ip6_class_parameters_inheritance_source", "pool6_class_parameters",
    "pool6_class_parameters_properties", "site_class_parameters", "site_class_parameters_properties",
    "subnet6_class_parameters", "subnet6_class_parameters_properties",
)

# host_device_list
HOSTDEV: tuple[str, ...] = (
    "hostdev_id", "hostdev_name", "hostdev_class_name", "iplnetdev_id", "row_enabled", "iplnetdev_name",
    "hostdev_ip_addr", "hostdev_ip_formated", "hostdev_site_id", "hostdev_site_name", "port_total",
    "port_used", "port_used_percent", "port_free", "iface_total", "iface_used", "iface_used_percent",
    "iface_free", "hostdev_class_parameters", "hostdev_class_parameters_properties",
    "hostdev_class_parameters_inheritance_source",
)

# host_iface_list
HOSTIFACE: tuple[str, ...] = (
    "hostdev_id", "hostdev_name", "hostdev_class_name", "iplnetdev_id", "hostiface_id", "hostiface_name",
    "hostiface_type", "hostiface_class_name", "pear_iface_id", "pear_ipl_iface_id", "iplport_id",
    "custom_db_data_id", "hostiface_mac", "row_enabled", "add_time", "modify_time", "vendor_key",
    "vendor_mac", "iplnetdev_name", "iplnetdev_enabled", "iplport_name", "iplport_enabled",
    "hostiface_ip_addr", "hostiface_ip_formated", "hostiface_site_id", "hostiface_site_name",
    "hostiface_manual_link", "hostiface_auto_link", "nb_ip", "hostiface_class_parameters",
    "hostiface_class_parameters_properties", "hostiface_class_parameters_inheritance_source",
    "hostdev_class_parameters", "hostdev_class_parameters_properties",
)

# dns_server_list
DNS_SERVER: tuple[str, ...] = (
    "dns_role", "modif_count", "dns_cloud_private", "aws_keyid", "aws_delegation_set", "az_tenantid",
    "az_keyid", "az_subscriptionid", "az_group", "ipmdns_is_package", "ipmdns_https_login",
    "ipmdns_protocol", "ipmdns_type", "tree_path", "isolated", "windns_port", "windns_use_ssl",
    "windns_protocol", "dns_notify", "dns_also_notify", "dns_allow_query_cache", "dns_allow_query",
    "dns_allow_transfer", "dns_allow_recursion", "dns_recursion", "dns_forwarders", "dns_forward",
    "snmp_id", "ad_user", "ldap_user", "ad_domain", "ldap_domain", "vdns_public_ns_list", "tree_level",
    "total_vdns_members", "vdns_members_name", "vdns_arch", "vdns_parent_name", "vdns_parent_arch",
    "vdns_parent_id", "dns_id", "dns_state", "querylog_state", "dns_synching", "dns_name", "dns_comment",
    "dns_type", "row_enabled", "ip_addr", "dns_class_name", "dns_version", "dns_key_name",
    "dns_key_value", "dns_key_proto", "dns_hybrid", "dns_force_hybrid", "dns_cloud", "gss_keytab_id",
    "gss_enabled", "reverse_proxy_conf", "stat_enabled", "stat_period", "stat_niceness", "stat_time",
    "dnsblast_enabled", "dnsblast_status", "dnssec_validation", "dnsgslb_supported",
    "dnsguardian_supported", "dnsguardian_gui_management_supported", "dns_vpc_list", "multistatus",
    "dns_class_parameters", "dns_class_parameters_properties", "dns_class_parameters_inheritance_source",
)

# dns_zone_list
DNS_ZONE: tuple[str, ...] = (
    "num_keys", "ipmdns_protocol", "ipmdns_type", "dns_force_hybrid", "gss_enabled", "gss_keytab_id",
    "use_update_policy", "dnszone_synching", "dns_state", "vdns_parent_id", "dnszone_allow_update",
    "dnszone_allow_query", "dnszone_allow_transfer", "dnszone_forwarders", "dnszone_forward",
    "dnszone_notify", "dnszone_also_notify", "dnszone_name_utf", "dnszone_id", "row_enabled", "dns_type",
    "dns_cloud", "dnszone_ad_integrated", "dnszone_sort_zone", "dns_id", "dns_name", "dnszone_name",
    "dnszone_rev_sort_zone", "dnszone_is_rpz", "dnszone_rpz_log", "dnszone_type", "dnszone_masters",
    "dnszone_xfer_done", "dnszone_is_reverse", "delayed_delete_time", "delayed_create_time",
    "dnszone_order", "dnszone_site_name", "dnszone_site_id", "dnszone_class_name", "ddns_scavenging",
    "dnsview_name", "dnsview_id", "dnsview_class_name", "dns_class_name", "dns_comment", "dns_version",
    "vdns_parent_name", "ds", "ip_addr", "dns_vpc_list", "aws_delegation_set", "multistatus",
    "dnszone_class_parameters", "dnszone_class_parameters_properties",
    "dnszone_class_parameters_inheritance_source", "dnsview_class_parameters",
    "dnsview_class_parameters_properties", "dns_class_parameters", "dns_class_parameters_properties",
)

# dns_rr_list
DNS_RR: tuple[str, ...] = (
    "rr_all_value", "dnszone_sort_zone", "dnszone_is_rpz", "dnszone_type", "rr_full_name",
    "rr_full_name_utf", "rr_name_ip_addr", "rr_name_ip4_addr", "rr_value_ip_addr", "rr_value_ip4_addr",
    "rr_glue", "rr_type", "ttl", "delayed_time", "rr_class_name", "value1", "value2", "value3", "value4",
    "value5", "value6", "value7", "dnszone_id", "rr_id", "dns_id", "dnszone_name_utf", "dnszone_name",
    "dns_name", "dns_type", "dns_cloud", "vdns_parent_id", "dnsview_name", "dnsview_class_name",
    "dnsview_id", "dnszone_site_name", "dnszone_is_reverse", "dnszone_masters", "vdns_parent_name",
    "dnszone_forwarders", "dns_class_name", "dnszone_class_name", "dns_version", "dns_comment",
    "delayed_create_time", "delayed_delete_time", "multistatus", "rr_auth_gsstsig",
    "rr_last_update_time", "rr_last_update_days", "dnsview_class_parameters",
    "dnsview_class_parameters_properties", "dnsview_class_parameters_inheritance_source",
    "rr_class_parameters", "rr_class_parameters_properties", "rr_class_parameters_inheritance_source",
)

# member_list
MEMBER: tuple[str, ...] = (
    "snmp_port", "snmp_retry", "snmp_timeout", "snmp_profile_id", "snmp_profile_name",
    "member_license_to_push", "member_license_expiration_date", "member_maintenance_expiration_date",
    "member_license_expiration_delay", "member_maintenance_expiration_delay", "subscription_support",
    "member_sec_evt_fwd_configured", "member_snmp_status", "member_snmp_cpuload",
    "member_snmp_cpuload_percent", "member_snmp_ioload", "member_snmp_memory", "member_snmp_raid",
    "member_snmp_fan", "member_snmp_psu", "member_snmp_hdd", "member_snmp_lagg", "member_image_date",
    "member_image_os", "member_ha_uid", "member_class_name", "member_id", "member_hb_ip_addr",
    "member_name", "member_serial", "member_version", "member_type", "member_state", "member_ha_status",
    "member_remote_time", "member_time", "member_ip_addr", "member_master_ip_addr",
    "member_replication_offset", "member_replication_lag_count", "member_remote_time_drift",
    "member_is_me", "member_write_last_time", "member_write_last_period", "multistatus",
    "member_class_parameters", "member_class_parameters_properties",
    "member_class_parameters_inheritance_source",
)

