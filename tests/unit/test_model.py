"""The message: parser, JSON Schema, docs and fixtures agree; malformed input gets a named error."""

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest

from ipamsync.errors import ConfigurationError, InvalidMessage
from ipamsync.model import SCHEMA, parse_message
from ipamsync.steps import DeviceInput, MessageInput

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DOC = json.loads((ROOT / "docs/message.schema.json").read_text())
FIXTURES = sorted((ROOT / "events").glob("message-*.json"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA_DOC, format_checker=jsonschema.FormatChecker())


def good() -> dict:
    return json.loads((ROOT / "events/message-running-multi-eni.json").read_text())["message"]


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fixtures_parse_and_match_the_json_schema(path):
    data = json.loads(path.read_text())["message"]
    VALIDATOR.validate(data)
    msg = parse_message(data)
    # round trip: what the enrich Lambda serialises is what the schema describes and the parser reads
    again = json.loads(msg.to_json())
    VALIDATOR.validate(again)
    assert parse_message(again) == msg


def test_every_schema_field_is_documented():
    doc = (ROOT / "docs/message-schema.md").read_text()
    props = SCHEMA_DOC["properties"]
    names = set(props) | {f"event.{k}" for k in props["event"]["properties"]}
    names |= {f"instance.{k}" for k in props["instance"]["properties"]}
    for name in sorted(names):
        leaf = name.split(".")[-1]
        assert f"`{name}`" in doc or re.search(rf"`[^`]*\b{leaf}\b[^`]*`", doc), name


def test_the_device_step_refuses_a_batch_of_more_than_one_record():
    """Every step reads record 0 of the execution's input: a pipe whose BatchSize was raised would
    have the others deleted unapplied, so the first step refuses it (permanent: dead-lettered)."""
    records = json.loads((ROOT / "events/statemachine-input-running.json").read_text())
    event = {"message": records[0]["body"], "execution": "e-1"}
    assert DeviceInput.from_event({**event, "batch": 1}).execution == "e-1"
    assert DeviceInput.from_event(event).execution == "e-1"  # invoked on its own (sam local invoke)
    with pytest.raises(ConfigurationError, match="BatchSize must be 1"):
        DeviceInput.from_event({**event, "batch": 2})


def test_state_machine_input_fixture_carries_a_valid_message():
    records = json.loads((ROOT / "events/statemachine-input-running.json").read_text())
    assert isinstance(records, list) and records
    for rec in records:  # the shape the pipe's InputTemplate gives (template.yaml, EventPipe)
        assert set(rec) == {"messageId", "receiveCount", "body"}
        parse_message(rec["body"])


BAD = [
    (lambda m: m.update(schema="ipamsync.instance/9"), "$.schema"),
    (lambda m: m["instance"].update(id="i-XYZ"), "$.instance.id"),
    (lambda m: m["instance"].update(state="exploded"), "$.instance.state"),
    (lambda m: m["instance"].update(hostname="Not A Label"), "$.instance.hostname"),
    (lambda m: m["instance"].update(cpu_cores="two"), "$.instance.cpu_cores"),
    (lambda m: m["instance"]["network_interfaces"][0].update(mac="zz:zz"), "mac"),
    (
        lambda m: m["instance"]["network_interfaces"][0]["private_ipv4"][0].update(address="10.0.0.999"),
        "address",
    ),
    (lambda m: m["instance"]["network_interfaces"][0]["private_ipv4"][1].update(primary=True), "primary"),
    (
        lambda m: m["instance"]["network_interfaces"][0].update(subnet_id="subnet-0fffffffffffffff0"),
        "not in $.subnets",
    ),
    (lambda m: m["vpcs"][0].update(cidrs_v4=["10.20.0.1/16"]), "cidrs_v4"),
    (lambda m: m["event"].update(account="12345"), "$.event.account"),
    (lambda m: m.update(observed_at="yesterday"), "$.observed_at"),
    (lambda m: m["instance"].update(tags={str(i): "v" for i in range(65)}), "tags"),
    (lambda m: m["instance"].update(tags={"k": 5}), "tags"),
    (lambda m: m.pop("instance"), "$.instance"),
    # hostile input (scoped IPv6 would reach SOLIDserver as text; a far-future observation would
    # make every later message stale for ever)
    (lambda m: m["instance"]["network_interfaces"][0].update(ipv6=["2600::5%x' or '1'='1"]), "ipv6[0]"),
    (lambda m: m["vpcs"][0].update(cidrs_v6=["2600:1f18::%x/56"]), "cidrs_v6[0]"),
    (lambda m: m.update(observed_at="9999-12-31T00:00:00Z"), "in the future"),
]


@pytest.mark.parametrize(("mutate", "where"), BAD)
def test_malformed_messages_get_a_named_error_naming_the_field(mutate, where):
    data = good()
    mutate(data)
    with pytest.raises(InvalidMessage) as exc:
        parse_message(data)
    assert where in str(exc.value)
    # and the JSON Schema agrees that it is invalid (the schema is a contract, not decoration)
    if where not in (
        "primary",
        "not in $.subnets",
        "cidrs_v4",
        "ipv6[0]",
        "cidrs_v6[0]",
        "in the future",
    ):  # cross-field and semantic rules JSON Schema cannot express
        assert not VALIDATOR.is_valid(data)


@pytest.mark.parametrize("raw", ["", "{", "[]", "null", '"text"', b"\xff\xfe", "{}" * 3])
def test_non_json_or_non_object_bodies(raw):
    with pytest.raises(InvalidMessage):
        MessageInput.from_event({"message": raw})


def test_owner_and_tolerated_odd_tag_values():
    data = good()
    data["instance"]["tags"] = {
        "quote": "it's",
        "pct": "100%",
        "bs": "a\\b",
        "sql": "x' or 1=1 --",
        "uni": "café ✓",
        "long": "x" * 5000,
    }
    msg = parse_message(copy.deepcopy(data))
    assert msg.owner == f"aws:123456789012:us-east-1:{msg.instance.id}"
    assert msg.instance.tags["long"] == "x" * 5000  # clipped when written, not when parsed
    assert msg.schema == SCHEMA
