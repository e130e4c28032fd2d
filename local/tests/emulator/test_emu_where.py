"""WHERE grammar, quoting, injection safety, ORDERBY, TAGS and paging."""

from __future__ import annotations

import json

import pytest

from ipamsync_local.emulator.errors import ApiError
from ipamsync_local.emulator.where import BoolOp, Compare, Not, like_to_glob, parse_where
from local.tests.helpers import Api, Net


def names(rows: list[dict[str, str]]) -> list[str]:
    return [row["hostdev_name"] for row in rows]


@pytest.fixture
def devices(api: Api) -> dict[str, str]:
    ids = {}
    for name in [
        "alpha",
        "beta",
        "gamma",
        "delta",
        "x' or '1'='1",
        "50%",
        "50x",
        "back\\slash",
        "backslash",
        " or 1=1",
        "unicodé-☃",
        "under_score",
        "underXscore",
        "d" * 2000,
    ]:
        ids[name] = api.add("hostdev_add", hostdev_name=name)
    return ids


# --------------------------------------------------------------------------- parser


def test_parser_precedence_and_parentheses() -> None:
    node = parse_where("a='1' or b='2' and c='3'")
    assert isinstance(node, BoolOp) and node.op == "or"
    assert isinstance(node.items[1], BoolOp) and node.items[1].op == "and"
    node = parse_where("(a='1' OR b='2') AND NOT c like 'x%'")
    assert isinstance(node, BoolOp) and node.op == "and"
    assert isinstance(node.items[0], BoolOp) and node.items[0].op == "or"
    assert isinstance(node.items[1], Not)
    assert parse_where("  ") is None


def test_parser_literals() -> None:
    assert parse_where("a='it''s'") == Compare("a", "=", "it's", True)
    assert parse_where("a=12") == Compare("a", "=", "12", False)
    assert parse_where("a = word") == Compare("a", "=", "word", False)
    assert parse_where("a<>'x'") == Compare("a", "!=", "x", True)
    assert parse_where("a NOT LIKE 'x'") == Compare("a", "notlike", "x", True)
    assert parse_where("a='back\\slash'") == Compare("a", "=", "back\\slash", True)


@pytest.mark.parametrize(
    "text",
    [
        "a='unterminated",
        "a=",
        "='x'",
        "a 'x'",
        "a='1' and",
        "(a='1'",
        "a='1')",
        "a='1' b='2'",
        "a=;'x'",
        "a == 'x'",
        "a='1' or or b='2'",
        "a like",
        "a not = 'x'",
        "(" * 100 + "a='1'" + ")" * 100,
    ],
)
def test_parser_rejects_malformed_clauses(text: str) -> None:
    with pytest.raises(ApiError) as info:
        parse_where(text)
    assert info.value.status == 400


def test_like_patterns_translate_to_case_sensitive_glob() -> None:
    assert like_to_glob("10.0.%") == "10.0.*"
    assert like_to_glob("a_b") == "a?b"
    assert like_to_glob("50\\%") == "50%"
    assert like_to_glob("a\\_b") == "a_b"
    assert like_to_glob("back\\\\slash") == "back\\slash"
    assert like_to_glob("[x]*?") == "[[]x][*][?]"
    with pytest.raises(ApiError):
        like_to_glob("ends\\")


# --------------------------------------------------------------------------- over HTTP


def test_equality_and_inequality(api: Api, devices: dict[str, str]) -> None:
    assert names(api.rows("hostdev_list", WHERE="hostdev_name='beta'")) == ["beta"]
    rows = api.rows("hostdev_list", WHERE="hostdev_name!='beta'")
    assert "beta" not in names(rows) and len(rows) == len(devices) - 1
    assert len(api.rows("hostdev_list", WHERE="hostdev_name<>'beta'")) == len(devices) - 1


def test_keywords_are_case_insensitive_and_precedence_holds(api: Api, devices: dict[str, str]) -> None:
    # AND binds tighter than OR: alpha OR (beta AND gamma) -> alpha
    assert names(
        api.rows("hostdev_list", WHERE="hostdev_name='alpha' Or hostdev_name='beta' AnD hostdev_name='gamma'")
    ) == ["alpha"]
    assert names(
        api.rows(
            "hostdev_list", WHERE="(hostdev_name='alpha' OR hostdev_name='beta') and hostdev_name='beta'"
        )
    ) == ["beta"]
    assert names(api.rows("hostdev_list", WHERE="hostdev_name LIKE 'gam%'")) == ["gamma"]
    assert names(api.rows("hostdev_list", WHERE="hostdev_name like 'a%' AND not hostdev_name like '%z'")) == [
        "alpha"
    ]
    assert names(
        api.rows(
            "hostdev_list",
            WHERE="hostdev_name not like '%a%' and hostdev_name like 'd%'",
            ORDERBY="hostdev_id",
        )
    ) == ["d" * 2000]


def test_integers_quoted_or_not(api: Api, devices: dict[str, str]) -> None:
    beta = devices["beta"]
    assert names(api.rows("hostdev_list", WHERE=f"hostdev_id={beta}")) == ["beta"]
    assert names(api.rows("hostdev_list", WHERE=f"hostdev_id='{beta}'")) == ["beta"]
    assert api.rows("hostdev_list", WHERE="hostdev_id='beta'") == []
    assert len(api.rows("hostdev_list", WHERE=f"hostdev_id > {beta}")) == len(devices) - int(beta)


@pytest.mark.parametrize("value", ["x' or '1'='1", "50%", "back\\slash", " or 1=1", "unicodé-☃", "d" * 2000])
def test_values_are_matched_literally(api: Api, devices: dict[str, str], value: str) -> None:
    quoted = value.replace("'", "''")
    rows = api.rows("hostdev_list", WHERE=f"hostdev_name='{quoted}'")
    assert names(rows) == [value]
    assert api.one("hostdev_info", hostdev_id=devices[value])["hostdev_name"] == value


def test_injection_attempts_never_widen_the_match(api: Api, devices: dict[str, str]) -> None:
    # the classic payload pasted without escaping is just a malformed clause -> 400, never "all rows"
    response = api.get("hostdev_list", WHERE="hostdev_name='x' or '1'='1'")
    assert response.status_code == 400
    assert api.get("hostdev_list", WHERE="hostdev_name='a'; DROP TABLE hostdev; --'").status_code == 400
    assert api.rows("hostdev_list", WHERE="hostdev_name='''; DROP TABLE hostdev; --'") == []
    assert len(api.rows("hostdev_list")) == len(devices)


def test_like_escapes(api: Api, devices: dict[str, str]) -> None:
    assert names(api.rows("hostdev_list", WHERE="hostdev_name like '50%'", ORDERBY="hostdev_name")) == [
        "50%",
        "50x",
    ]
    assert names(api.rows("hostdev_list", WHERE="hostdev_name like '50\\%'")) == ["50%"]
    assert names(api.rows("hostdev_list", WHERE="hostdev_name like 'under\\_score'")) == ["under_score"]
    assert names(
        api.rows("hostdev_list", WHERE="hostdev_name like 'under_score'", ORDERBY="hostdev_name")
    ) == ["underXscore", "under_score"]
    assert names(api.rows("hostdev_list", WHERE="hostdev_name like 'back\\\\slash'")) == ["back\\slash"]
    assert names(api.rows("hostdev_list", WHERE="hostdev_name like 'ALPHA'")) == []  # case-sensitive
    assert api.get("hostdev_list", WHERE="hostdev_name like 'x\\'").status_code == 400


def test_unknown_columns_and_malformed_clauses_are_400(api: Api, devices: dict[str, str]) -> None:
    for where in ["nope='1'", "hostdev_name=", "hostdev_name='x' and", "1=1", "hostdev_name=='x'"]:
        response = api.get("hostdev_list", WHERE=where)
        assert response.status_code == 400, where
        assert response.json()["errno"] == "1011"
    assert api.get("hostdev_count", WHERE="nope='1'").status_code == 400


def test_unmodelled_columns_are_filterable(api: Api, devices: dict[str, str]) -> None:
    assert len(api.rows("hostdev_list", WHERE="row_enabled='1'")) == len(devices)
    assert api.rows("hostdev_list", WHERE="port_total='1'") == []


def test_orderby(api: Api, devices: dict[str, str]) -> None:
    rows = api.rows("hostdev_list", WHERE="hostdev_name like '%a'", ORDERBY="hostdev_name DESC")
    assert names(rows) == ["gamma", "delta", "beta", "alpha"]
    rows = api.rows("hostdev_list", WHERE="hostdev_name like '%a'", ORDERBY="hostdev_name asc")
    assert names(rows) == ["alpha", "beta", "delta", "gamma"]
    rows = api.rows("hostdev_list", WHERE="hostdev_name like '%a'", ORDERBY="row_enabled, hostdev_id desc")
    assert names(rows) == ["delta", "gamma", "beta", "alpha"]
    for bad in ["nope", "hostdev_name sideways", "hostdev_name,", "hostdev_name; drop"]:
        assert api.get("hostdev_list", ORDERBY=bad).status_code == 400, bad


def test_paging_limit_offset_either_case(api: Api) -> None:
    ids = [api.add("hostdev_add", hostdev_name=f"dev-{i:02d}") for i in range(25)]
    pages = []
    offset = 0
    while True:
        rows = api.rows("hostdev_list", limit=10, offset=offset, ORDERBY="hostdev_name")
        pages.append(rows)
        if len(rows) < 10:
            break
        offset += 10
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [r["hostdev_id"] for p in pages for r in p] == ids
    assert [r["hostdev_id"] for r in api.rows("hostdev_list", LIMIT=3, OFFSET=22)] == ids[22:]
    assert api.rows("hostdev_list", limit=10, offset=30) == []
    assert api.get("hostdev_list", limit=10, offset=30).status_code == 204
    assert api.get("hostdev_list", limit="ten").status_code == 400
    assert api.get("hostdev_list", offset="-1").status_code == 400
    assert api.get("hostdev_list", limit=1001).status_code == 400
    assert len(api.rows("hostdev_list", limit=0)) == 25  # 0 means the default page


def test_default_page_size_is_1000(api: Api, net: Net) -> None:
    from ipamsync_local.emulator.store import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

    assert DEFAULT_PAGE_SIZE == MAX_PAGE_SIZE == 1000


def test_tags_expose_class_parameters_as_columns(api: Api, net: Net) -> None:
    for i, (instance, env) in enumerate([("i-0a", "prod"), ("i-0b", "dev"), ("i-0c", "prod")]):
        api.add(
            "hostdev_add",
            hostdev_name=f"host-{i}",
            hostdev_class_parameters=f"aws_instance_id={instance}&env={env}",
        )
    rows = api.rows(
        "hostdev_list", TAGS="hostdev.aws_instance_id", WHERE="tag_hostdev_aws_instance_id='i-0b'"
    )
    assert names(rows) == ["host-1"]
    assert rows[0]["tag_hostdev_aws_instance_id"] == "i-0b"
    rows = api.rows(
        "hostdev_list",
        TAGS="hostdev.aws_instance_id&hostdev.env&hostdev.missing",
        WHERE="tag_hostdev_env='prod'",
        ORDERBY="tag_hostdev_aws_instance_id DESC",
    )
    assert names(rows) == ["host-2", "host-0"]
    assert rows[0]["tag_hostdev_missing"] == ""
    assert api.get("hostdev_count", TAGS="hostdev.env", WHERE="tag_hostdev_env='prod'").json() == [
        {"total": "2"}
    ]
    # a tag column only exists when requested, and only known tag types are accepted
    assert api.get("hostdev_list", WHERE="tag_hostdev_env='prod'").status_code == 400
    assert api.get("hostdev_list", TAGS="ip.env").status_code == 400
    assert api.get("hostdev_list", TAGS="hostdev").status_code == 400
    assert api.get("hostdev_list", TAGS="hostdev.bad name").status_code == 400


def test_tags_on_addresses_networks_and_spaces(api: Api, net: Net) -> None:
    api.edit("ip_site_add", site_id=net.site_id, site_class_parameters="region=eu-west-1")
    api.edit("ip_subnet_add", subnet_id=net.subnet_id, subnet_class_parameters="aws_subnet_id=subnet-1")
    api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.5", ip_class_parameters="aws_instance_id=i-1")
    api.add("ip_add", site_id=net.site_id, hostaddr="10.0.1.6")
    rows = api.rows(
        "ip_address_list",
        TAGS="ip.aws_instance_id&network.aws_subnet_id&site.region",
        WHERE="tag_network_aws_subnet_id='subnet-1' and tag_site_region='eu-west-1'",
        ORDERBY="hostaddr",
    )
    assert [r["hostaddr"] for r in rows] == ["10.0.1.5", "10.0.1.6"]
    assert [r["tag_ip_aws_instance_id"] for r in rows] == ["i-1", ""]
    assert (
        api.rows("ip_address_list", TAGS="ip.aws_instance_id", WHERE="tag_ip_aws_instance_id=''")[0][
            "hostaddr"
        ]
        == "10.0.1.6"
    )
    row = api.one("ip_block_subnet_list", TAGS="network.aws_subnet_id", WHERE="tag_network_aws_subnet_id!=''")
    assert row["subnet_id"] == net.subnet_id


@pytest.mark.parametrize(
    "params",
    [
        {"WHERE": "site_id=99999999999999999999"},
        {"WHERE": "site_id>-99999999999999999999"},
        {"offset": "99999999999999999999"},
        {"limit": "10", "offset": str(2**63)},
    ],
)
def test_integers_out_of_64_bit_range_are_a_400_not_a_500(api: Api, net: Net, params: dict[str, str]) -> None:
    body = api.error("GET", "ip_block_subnet_list", **params)
    assert body["errno"] and body["errmsg"]


def test_an_out_of_range_object_id_is_a_400(api: Api, net: Net) -> None:
    body = api.error(
        "POST", "ip_add", site_id="99999999999999999999", hostaddr="10.0.1.5", add_flag="new_only"
    )
    assert "site_id" in json.dumps(body)
