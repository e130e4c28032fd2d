"""The pure rules behind "ready for a real appliance": whole-set edits, free-range rows, error
bodies, versions, the tag probe's verdicts, the class-parameter lookup, distinct names."""

from __future__ import annotations

from typing import Any

import pytest

from ipamsync.errors import ConfigurationError, SolidServerRequestError
from ipamsync.settings import Settings
from ipamsync.solidserver import metadata as md
from ipamsync.solidserver.api import Record, SolidServer, is_address_row, owner_token
from ipamsync.solidserver.client import _error_object, _is_error, parse_version
from ipamsync.solidserver.where import Where
from ipamsync.sync.addresses import WantedAddress, distinct_name, name_in_use


def test_an_edit_sends_the_whole_set_and_deletes_only_ipamsyncs_keys():
    current = {
        "aws_a": "1",
        "aws_gone": "x",
        "ipamsync_owner": "o",
        "site_contact": "ops",
        "use_ipam_name": "1",
    }
    full, removed = md.edit_set(current, {"aws_a": "2", "ipamsync_owner": "o", "aws_new": "n"})
    assert full == {
        "aws_a": "2",
        "ipamsync_owner": "o",
        "aws_new": "n",
        "site_contact": "ops",
        "use_ipam_name": "1",
    }
    assert removed == ["aws_gone"]
    # everybody else's keys go through as they were read; ipamsync's are checked
    assert md.decode(md.encode_set({"__eip_description": "a b", "aws_x": "&"})) == {
        "__eip_description": "a b",
        "aws_x": "&",
    }
    with pytest.raises(ValueError):
        md.encode_set({"aws_Bad": "1"})


@pytest.mark.parametrize(
    ("row", "address"),
    [
        ({"type": "ip", "ip_id": "12"}, True),
        ({"ip_id": "12"}, True),
        ({"type": "free", "ip_id": "0"}, False),
        ({"type": "ip_free", "ip_id": "12"}, False),  # "type containing free"
        ({"type": "ip", "ip_id": "0"}, False),
        ({"type": "ip", "ip_id": ""}, False),
    ],
)
def test_free_range_rows_are_not_addresses(row, address):
    assert is_address_row(row, 4) is address
    six = {"type": row.get("type", ""), "ip6_id": row["ip_id"]}
    assert is_address_row(six, 6) is address


def test_a_record_pending_deletion_is_marked():
    row = {
        "rr_id": "1",
        "rr_full_name": "a.z",
        "rr_type": "A",
        "value1": "10.0.0.1",
        "delayed_delete_time": "1",
    }
    assert Record.from_row(row).pending_delete
    assert not Record.from_row({**row, "delayed_delete_time": "0"}).pending_delete
    assert not Record.from_row({k: v for k, v in row.items() if k != "delayed_delete_time"}).pending_delete


def test_error_bodies_as_a_live_appliance_answers_them():
    array = [{"errno": "4", "errmsg": "Missing parameter ip_id", "parameters": "ip_id"}]
    assert _error_object(array) == array[0] and _error_object({"errno": "1"}) == {"errno": "1"}
    assert _error_object("nonsense") == {} and _error_object([]) == {}
    assert _is_error(array[0]) and not _is_error({"errno": "0", "description": "Add a space"})
    assert not _is_error({"ret_oid": "12"})


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("8.4.0", (8, 4, 0)),
        ("7.3.2-p1", (7, 3, 2)),
        ("8", (8,)),
        ("", None),
        ("beta", None),
        ("8.0.1.5", (8, 0, 1)),
    ],
)
def test_versions_are_read_as_numbers(text, number):
    assert parse_version(text) == number


def test_the_owner_token_is_what_url_encoding_never_changes():
    assert owner_token("aws:123456789012:us-east-1:i-0a1b2c3d4e5f67890") == "i-0a1b2c3d4e5f67890"
    assert Where.contains("ip_class_parameters", "i-0a_b%").sql == "ip_class_parameters like '%i-0a\\_b\\%%'"
    with pytest.raises(ValueError):
        owner_token("::")


class _Stub:
    """A client answering one scripted list (or raising)."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.asked: list[dict[str, Any]] = []

    def get(self, service: str, params: dict[str, Any]) -> list[dict[str, str]]:
        self.asked.append(params)
        if isinstance(self.answer, Exception):
            raise self.answer
        return list(self.answer)


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        ([{"tag_ip_ipamsync_owner": "o", "ip_class_parameters": "ipamsync_owner=o"}], True),
        ([{"ip_class_parameters": "ipamsync_owner=o"}], False),  # the column is not there
        ([{"tag_ip_ipamsync_owner": "p", "ip_class_parameters": "ipamsync_owner=o"}], False),  # not its own
        ([{"tag_ip_ipamsync_owner": "", "ip_class_parameters": ""}], False),
        (SolidServerRequestError("refused", status=400, errno="1011"), False),
        ([], None),  # nothing carries the key yet: undecided
    ],
)
def test_the_tag_probe_checks_the_column_is_the_objects_own(answer, verdict):
    stub = _Stub(answer)
    ss = SolidServer(stub)  # type: ignore[arg-type]
    assert ss.tag_supported("ip_address_list", "ip", "ipamsync_owner", "ip_class_parameters") is verdict
    assert stub.asked == [
        {"TAGS": "ip.ipamsync_owner", "WHERE": "tag_ip_ipamsync_owner!=''", "limit": 1, "offset": 0}
    ]
    ss.tag_supported("ip_address_list", "ip", "ipamsync_owner", "ip_class_parameters")
    assert len(stub.asked) == 1  # decided (or undecided for a while): not asked again


def _wanted(address: str) -> WantedAddress:
    return WantedAddress(4 if "." in address else 6, address, False, "web.zone", "", "eni-1", {})


def test_a_refusal_naming_another_address_is_a_name_in_use():
    w = _wanted("10.0.0.5")
    assert name_in_use(SolidServerRequestError("x", details={"ip_addr": "0a000006"}), w)
    assert name_in_use(SolidServerRequestError("x", details={"ip_addr": "10.0.0.6"}), w)
    assert not name_in_use(SolidServerRequestError("x", details={"ip_addr": "0a000005"}), w)  # itself
    assert name_in_use(SolidServerRequestError("x", errmsg="Name web.zone already used"), w)
    assert not name_in_use(SolidServerRequestError("x", errmsg="Address already exists"), w)


def test_distinct_names():
    assert distinct_name("web-1.ec2.internal", "10.20.1.16") == "web-1-10-20-1-16.ec2.internal"
    assert distinct_name("web-1.ec2.internal", "2600:1f18::5") == "web-1-2600-1f18--5.ec2.internal"
    assert distinct_name("i-0abc", "10.0.0.1") == "i-0abc-10-0-0-1"


def test_dns_records_writer_and_server_name_settings():
    assert Settings.from_env({}).dns_records == "ipamsync"
    assert Settings.from_env({"DNS_RECORDS": "Appliance"}).dns_records == "appliance"
    with pytest.raises(ConfigurationError) as exc:
        Settings.from_env({"DNS_RECORDS": "both"})
    assert "DNS_RECORDS" in str(exc.value)
    assert Settings.from_env({"DNS_SERVER_NAME": " NS1.Example.COM. "}).dns_server == "ns1.example.com"


def test_the_version_can_be_configured_for_users_without_admin_rights():
    from ipamsync.solidserver.config import ClientConfig

    env = {
        "SOLIDSERVER_URL": "https://sds.example.com",
        "SOLIDSERVER_USERNAME": "u",
        "SOLIDSERVER_PASSWORD": "p",
    }
    assert ClientConfig.from_env(env).version is None
    assert ClientConfig.from_env({**env, "SOLIDSERVER_VERSION": " 7.3.0 "}).version == "7.3.0"
