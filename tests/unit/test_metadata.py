"""Class parameters: encoding round trips, key safety, clipping and diffs."""

import pytest

from ipamsync.solidserver import metadata as md


def test_encode_decode_round_trip_with_awkward_values():
    params = {"aws_tag_x": "a&b=c", "aws_name": "it's 50% \\ ✓", "ipamsync_owner": "aws:1:r:i-1", "empty": ""}
    text = md.encode(params)
    assert md.decode(text) == params
    assert text == md.encode(dict(reversed(list(params.items()))))  # order independent


def test_reserved_and_malformed_keys_refused():
    for bad in ("dns_name", "use_ipam_name", "Bad", "a-b", "", "x" * 65):
        with pytest.raises(ValueError):
            md.check_key(bad)


def test_key_from_free_text():
    assert md.key_from("Cost Center", "aws_tag_") == "aws_tag_cost_center"
    assert md.key_from("aws:cloudformation:stack-name", "aws_tag_") == "aws_tag_aws_cloudformation_stack_name"
    assert md.key_from("!!!", "aws_tag_") == "aws_tag_x"
    assert len(md.key_from("k" * 300, "aws_tag_")) <= 64


def test_clip_removes_control_characters_and_marks_cuts():
    assert md.clip("a\nb\tc") == "a b c"
    long = md.clip("x" * 5000)
    assert len(long) == md.VALUE_MAX and long.endswith("…")
    assert md.clip(None) == ""


def test_diff_only_removes_ipamsync_keys():
    current = {"aws_state": "running", "aws_tag_old": "1", "note_by_person": "keep me", "ipamsync_owner": "o"}
    desired = {"aws_state": "stopped", "ipamsync_owner": "o"}
    changed, removed = md.diff(current, desired)
    assert changed == {"aws_state": "stopped"}
    assert removed == ["aws_tag_old"]
    assert md.delete_list(["b", "a", "b"]) == "a&b"
