"""WHERE building: quoting, like-escaping, precedence, and refusal of unsafe input."""

import pytest

from ipamsync.solidserver.where import Where, column, like_escape, quote


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "'plain'"),
        ("it's", "'it''s'"),
        ("x' or '1'='1", "'x'' or ''1''=''1'"),
        ("50%", "'50%'"),
        ("back\\slash", "'back\\slash'"),
        (" or 1=1", "' or 1=1'"),
        (42, "'42'"),
        ("ünïcødé ✓", "'ünïcødé ✓'"),
    ],
)
def test_quote_doubles_quotes_and_nothing_else(value, expected):
    assert quote(value) == expected


def test_quote_refuses_none_bool_and_nul():
    for bad in (None, True, "a\x00b"):
        with pytest.raises(ValueError):
            quote(bad)


def test_like_escape_escapes_wildcards_and_backslash():
    assert like_escape("50%_a\\b") == "50\\%\\_a\\\\b"
    assert str(Where.startswith("name", "a%b")) == "name like 'a\\%b%'"
    assert str(Where.startswith("name", "it's_")) == "name like 'it''s\\_%'"


def test_column_names_are_never_free_text():
    assert column("tag_ip_ipamsync_owner") == "tag_ip_ipamsync_owner"
    for bad in ("name; drop", "Name", "a b", "x'--", "", "1col"):
        with pytest.raises(ValueError):
            column(bad)


def test_precedence_is_explicit():
    w = Where.eq("site_id", 2) & (Where.eq("hostaddr", "10.0.0.5") | Where.eq("hostaddr", "10.0.0.6"))
    assert str(w) == "site_id='2' and (hostaddr='10.0.0.5' or hostaddr='10.0.0.6')"
    w2 = (Where.eq("a", 1) | Where.eq("b", 2)) & Where.any_of("c", ["x", "y", "x"])
    assert str(w2) == "(a='1' or b='2') and (c='x' or c='y')"


def test_any_of_needs_values():
    with pytest.raises(ValueError):
        Where.any_of("a", [])
