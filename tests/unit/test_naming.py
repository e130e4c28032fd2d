"""Hostname sanitisation (documented), FQDNs, reverse names, device names."""

import pytest

from ipamsync.naming import device_name, fqdn, hostname_for, is_fqdn, reverse_name, sanitize_label


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        ("web-1", "web-1"),
        ("Web Server #1", "web-server-1"),
        ("café_ünïcode", "cafe-unicode"),
        ("--edge--", "edge"),
        ("x" * 100, "x" * 63),
        ("a" * 62 + "-b", "a" * 62),
        ("✓✓✓", None),
        ("", None),
        (None, None),
        ("it's 50% \\ or 1=1", "it-s-50-or-1-1"),
    ],
)
def test_sanitize_label(raw, label):
    assert sanitize_label(raw) == label


def test_hostname_sources():
    tags = {"Name": "Web 1", "Hostname": "api"}
    assert hostname_for(source="name-tag", tags=tags, tag_key="Hostname", private_dns_name=None) == "web-1"
    assert hostname_for(source="tag", tags=tags, tag_key="Hostname", private_dns_name=None) == "api"
    assert (
        hostname_for(
            source="private-dns", tags=tags, tag_key="x", private_dns_name="ip-10-0-1-5.ec2.internal"
        )
        == "ip-10-0-1-5"
    )
    assert hostname_for(source="tag", tags={}, tag_key="Hostname", private_dns_name=None) is None


def test_dns_names():
    assert fqdn("Web-1", "Example.COM") == "web-1.example.com"
    assert reverse_name("10.0.1.5") == "5.1.0.10.in-addr.arpa"
    assert reverse_name("2600:1f18::1").endswith(".ip6.arpa") and reverse_name("2600:1f18::1").startswith(
        "1.0.0.0."
    )
    assert is_fqdn("ec2.example.internal") and not is_fqdn("bad zone.com") and not is_fqdn("single")
    assert device_name("web-1", "i-0abc12345678") == "web-1-i-0abc12345678"
    assert device_name(None, "i-0abc12345678") == "i-0abc12345678"
