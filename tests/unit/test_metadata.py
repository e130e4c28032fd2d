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


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\x85b", "a b"),  # C1: NEXT LINE
        ("a\x9bb", "a b"),  # C1: CONTROL SEQUENCE INTRODUCER
        ("evil\u202etxt.exe", "evil txt.exe"),  # bidi override
        ("a\u2066b\u2069", "a b "),  # bidi isolates
        ("a\ud800b", "a\ufffdb"),  # a lone surrogate cannot be encoded at all
        ("café ✓ 中文", "café ✓ 中文"),  # printable text is kept
    ],
)
def test_clip_cleans_c1_bidi_and_surrogates(raw, clean):
    assert md.clip(raw) == clean
    md.encode({"aws_name": md.clip(raw)})  # encodable: no UnicodeEncodeError


def test_fit_cuts_one_value_until_the_whole_fits():
    params = {"aws_name": "中" * 300, "ipamsync_owner": "aws:1:r:i-1"}
    fitted = md.fit(params, "aws_name", 1000)
    assert md.encoded_length(fitted) <= 1000
    assert fitted["aws_name"].endswith("…") and fitted["ipamsync_owner"] == "aws:1:r:i-1"
    # the longest value that fits: one more character would not
    longer = {**fitted, "aws_name": params["aws_name"][: len(fitted["aws_name"])] + "…"}
    assert md.encoded_length(longer) > 1000
    assert md.fit(params, "aws_name", 5000) == params
    assert "aws_name" not in md.fit(params, "aws_name", 30)
