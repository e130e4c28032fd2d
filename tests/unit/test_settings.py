"""Configuration from the environment: defaults, every accepted value, and named errors."""

import pytest

from ipamsync.errors import ConfigurationError
from ipamsync.settings import Settings
from ipamsync.solidserver.config import ClientConfig, Credentials, Secret, credentials_from_secret_string


def test_defaults_match_the_template():
    s = Settings.from_env({})
    assert (
        s.space_strategy,
        s.space_name,
        s.stopped_policy,
        s.terminated_policy,
        s.ttl,
        s.tombstone_hours,
    ) == ("single", "AWS", "keep", "delete", 300, 336)
    assert s.reverse_dns and not s.dns_enabled and s.hostname_source == "name-tag"
    assert s.space_for("123456789012") == "AWS" and s.public_space_for("123456789012") == "AWS"


def test_per_account_and_public_spaces():
    s = Settings.from_env(
        {
            "IPAM_SPACE_STRATEGY": "per-account",
            "IPAM_SPACE_NAME": "Cloud",
            "IPAM_PUBLIC_SPACE_NAME": "Internet",
            "DNS_FORWARD_ZONE": "Ec2.Example.COM.",
        }
    )
    assert s.space_for("123456789012") == "Cloud-123456789012" and s.public_space_for("1") == "Internet"
    assert s.forward_zone == "ec2.example.com"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("IPAM_SPACE_STRATEGY", "many"),
        ("STOPPED_POLICY", "nuke"),
        ("TERMINATED_POLICY", "x"),
        ("DNS_REVERSE", "maybe"),
        ("DNS_TTL", "-1"),
        ("DNS_TTL", "1.5"),
        ("DNS_TTL", "ten"),
        ("TOMBSTONE_RETENTION_HOURS", "0"),
        ("HOSTNAME_SOURCE", "dns"),
        ("IPAM_SPACE_NAME", "x" * 101),
    ],
)
def test_invalid_settings_name_the_variable(name, value):
    with pytest.raises(ConfigurationError) as exc:
        Settings.from_env({name: value})
    assert name in str(exc.value)


def test_client_config_from_env():
    env = {
        "SOLIDSERVER_URL": "https://sds.example.com/",
        "SOLIDSERVER_USERNAME": "u",
        "SOLIDSERVER_PASSWORD": "p",
        "SOLIDSERVER_VERIFY_TLS": "false",
        "SOLIDSERVER_READ_TIMEOUT": "2.5",
        "SOLIDSERVER_PAGE_SIZE": "100",
    }
    cfg = ClientConfig.from_env(env)
    assert cfg.base_url == "https://sds.example.com" and cfg.verify is False
    assert (cfg.read_timeout, cfg.page_size, cfg.auth_mode) == (2.5, 100, "native")
    assert ClientConfig.from_env({**env, "SOLIDSERVER_VERIFY_TLS": ""}).verify is True  # on by default
    assert (
        ClientConfig.from_env(
            {**env, "SOLIDSERVER_VERIFY_TLS": "", "SOLIDSERVER_CA_BUNDLE": "/ca.pem"}
        ).verify
        == "/ca.pem"
    )


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"SOLIDSERVER_URL": "ftp://x"},
        {"SOLIDSERVER_URL": "https://user:pw@x"},
        {"SOLIDSERVER_URL": "https://x", "SOLIDSERVER_AUTH_MODE": "kerberos"},
        {"SOLIDSERVER_URL": "https://x", "SOLIDSERVER_PAGE_SIZE": "5000"},
        {"SOLIDSERVER_URL": "https://x", "SOLIDSERVER_READ_TIMEOUT": "soon"},
    ],
)
def test_invalid_client_config(env):
    with pytest.raises(ConfigurationError):
        ClientConfig.from_env({"SOLIDSERVER_USERNAME": "u", "SOLIDSERVER_PASSWORD": "p", **env})


def test_credentials_need_a_pair_and_never_show():
    with pytest.raises(ConfigurationError):
        credentials_from_secret_string('{"username": "u"}')
    with pytest.raises(ConfigurationError) as exc:
        credentials_from_secret_string("not json: hunter2")
    assert "hunter2" not in str(exc.value)
    token = credentials_from_secret_string('{"token_id": "id", "token_secret": "s3cr3t"}')
    assert "s3cr3t" not in repr(token) and token.token_secret.reveal() == "s3cr3t"
    with pytest.raises(ConfigurationError):
        ClientConfig(url="https://x", credentials=token, auth_mode="native")
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(Secret("x"))
    assert Credentials("u", Secret("p")) == Credentials("u", Secret("p"))


def test_space_strategies_name_one_space_per_scope():
    def space(strategy: str) -> str:
        return Settings(space_strategy=strategy, space_name="Cloud").space_for(
            "111111111111", "eu-west-1", "vpc-1"
        )

    assert space("single") == "Cloud"
    assert space("per-account") == "Cloud-111111111111"
    assert space("per-account-region") == "Cloud-111111111111-eu-west-1"
    assert space("per-vpc") == "Cloud-111111111111-eu-west-1-vpc-1"
    s = Settings.from_env({"IPAM_SPACE_STRATEGY": "per-vpc", "IPAM_PUBLIC_SPACE_NAME": "Internet"})
    assert s.public_space_for("111111111111", "eu-west-1", "vpc-1") == "Internet"
