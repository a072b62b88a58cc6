from pathlib import Path

import pytest

from launchready.config import ConfigError, load_config
from launchready.config.loader import parse_config
from launchready.config.overrides import AuditFlags, apply_flags, parse_stages
from launchready.core.findings import Stage


def error_of(text: str, env: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(text, path="lr.toml", env=env or {})
    return info.value


def test_unknown_key_is_named_with_file_and_line() -> None:
    err = error_of('[web]\nurls = ["https://a.test/"]\ndomian = "a.test"\n')
    assert str(err) == "lr.toml:3: unknown key 'web.domian'"


def test_unknown_table_is_named() -> None:
    err = error_of("[web]\nurls = []\n\n[webb]\nx = 1\n")
    assert err.line == 4 and "unknown key 'webb'" in str(err)


def test_wrong_value_in_array_of_tables_points_at_its_line() -> None:
    text = (
        '[[performance.endpoints]]\nname = "a"\npath = "/a"\n'
        '[[performance.endpoints]]\nname = "b"\npath = "/b"\nkind = "fast"\n'
    )
    err = error_of(text)
    assert err.line == 7
    assert "performance.endpoints[1].kind" in str(err)


def test_malformed_toml_names_line() -> None:
    err = error_of('[web]\nurls = ["https://a.test/"\n')
    assert str(err).startswith("lr.toml:")
    assert "not valid TOML" in str(err)
    assert err.line is not None


def test_bad_resolve_in_file_points_at_line() -> None:
    err = error_of('[network]\nresolve = ["app.test:443"]\n')
    assert err.line == 2 and "HOST:PORT:ADDR" in str(err)


def test_env_expansion_and_missing_variable() -> None:
    text = (
        '[performance.login]\npath = "/login"\nform = { email = "a@b.test", password = "${PW}" }\n'
    )
    cfg = parse_config(text, path="lr.toml", env={"PW": "s3cret-value"})
    assert cfg.performance.login is not None
    assert cfg.performance.login.form == {"email": "a@b.test", "password": "s3cret-value"}
    err = error_of(text)
    assert err.line == 3 and "PW is not set" in str(err)
    assert "s3cret" not in str(err)


def test_every_design_key_is_accepted() -> None:
    text = Path(__file__).with_name("data").joinpath("design-config.toml").read_text()
    cfg = parse_config(text, path="lr.toml", env={"ADMIN_PASSWORD": "pw"})
    assert cfg.web.subdomains == ["app", "api", "admin"]
    assert cfg.environments["production"].env_file == ".env.production"
    assert cfg.performance.endpoints[0].kind == "read"
    assert cfg.monitor.heartbeats[0].grace_s == 3600
    assert cfg.owners.secrets == "Sam"


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(str(tmp_path / "nope.toml"))


def test_flags_override_file(tmp_path: Path) -> None:
    cfg_file = tmp_path / "launchready.toml"
    cfg_file.write_text('[web]\nurls = ["https://file.test/"]\n[repo]\npath = "sub"\n')
    cfg = load_config(str(cfg_file))
    assert cfg.resolve_path(cfg.repo.path or "") == str(tmp_path / "sub")
    merged = apply_flags(
        cfg,
        AuditFlags(
            urls=["https://flag.test/"],
            resolve=["flag.test:443:127.0.0.1"],
            domains=["flag.test"],
            dkim_selectors=["s2"],
        ),
    )
    assert merged.web.urls == ["https://flag.test/"]
    assert merged.web.domain == "flag.test" and merged.email.domains == ["flag.test"]
    assert merged.email.dkim_selectors == ["s2"]
    assert merged.network.resolve == ["flag.test:443:127.0.0.1"]
    assert merged.repo.path == "sub"  # untouched when the flag is absent


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (AuditFlags(resolve=["a.test:443"]), "--resolve 'a.test:443': expected HOST:PORT:ADDR"),
        (AuditFlags(resolve=["a.test:x:1.2.3.4"]), "is not a port"),
        (AuditFlags(nameservers=["1.2.3.4:99999"]), "--nameserver"),
        (AuditFlags(connect_to=["a:1:b"]), "HOST:PORT:HOST2:PORT2"),
        (AuditFlags(urls=["ftp://a.test/"]), "--url"),
        (AuditFlags(only=["edge,nope"]), "unknown stage 'nope'"),
        (AuditFlags(ca_bundle="/no/such/ca.pem"), "--ca-bundle"),
    ],
)
def test_bad_flags_are_config_errors(flags: AuditFlags, message: str) -> None:
    from launchready.config.model import AuditConfig

    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        apply_flags(AuditConfig(), flags)


def test_parse_stages() -> None:
    assert parse_stages(["edge", "deploy,edge"]) == (Stage.EDGE, Stage.DEPLOY)
    assert parse_stages([]) == tuple(Stage)


SECRET = "sk_live_51Habcdefghijklmnop"


def leaks(text: str) -> bool:
    """Any six characters of the secret past the four an error may show (pydantic elides
    the middle of long values, so the ends are checked too)."""
    return any(SECRET[i : i + 6] in text for i in range(4, len(SECRET) - 5))


@pytest.mark.parametrize(
    ("flags", "shown"),
    [
        (AuditFlags(headers=[f"Authorization Bearer {SECRET}"]), "--header 'Auth…': expected"),
        (AuditFlags(headers=[f"{SECRET}"]), "--header 'sk_l…': expected 'Name: value'"),
        (AuditFlags(cookies=[f"session {SECRET}"]), "--cookie 'sess…': expected 'name=value'"),
    ],
)
def test_malformed_credential_flags_do_not_echo_the_secret(flags: AuditFlags, shown: str) -> None:
    from launchready.config.model import AuditConfig

    with pytest.raises(ConfigError) as info:
        apply_flags(AuditConfig(), flags)
    assert str(info.value).startswith(shown)
    assert not leaks(str(info.value))


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        (f'headers = ["Authorization Bearer {SECRET}"]', "web.headers: 'Auth…': expected"),
        (f'cookies = ["session {SECRET}"]', "web.cookies: 'sess…': expected"),
        ('headers = ["Authorization Bearer ${TOKEN}"]', "web.headers: 'Auth…': expected"),
    ],
)
def test_malformed_credentials_in_the_file_do_not_echo_the_secret(line: str, shown: str) -> None:
    err = error_of(f"[web]\n{line}\n", env={"TOKEN": SECRET})
    assert err.line == 2 and shown in str(err)
    assert not leaks(str(err))


def test_credential_validation_errors_hide_their_input() -> None:
    """Code that builds the config directly gets pydantic's error: it must not echo either."""
    from pydantic import ValidationError

    from launchready.config.model import WebConfig

    with pytest.raises(ValidationError) as info:
        WebConfig(headers=[f"Authorization Bearer {SECRET}"])
    assert not leaks(str(info.value))


BAD_URLS = [
    ("https://a.test:99999/", "port out of range"),
    ("http://[::1/", "invalid IPv6 URL"),
    ("https://a.test:http/", "port could not be cast"),
    ("https:///login", "no host name"),
    ("https://a.test:0/", "port 0"),
    ("https://a b.test/", "whitespace"),
    ("HTTPS://a.test/", "expected an http:// or https:// URL"),
]


@pytest.mark.parametrize(("url", "why"), BAD_URLS)
def test_unusable_urls_are_config_errors_naming_the_url(url: str, why: str) -> None:
    from launchready.config.model import AuditConfig

    with pytest.raises(ConfigError) as flag:
        apply_flags(AuditConfig(), AuditFlags(urls=[url]))
    assert str(flag.value).startswith(f"--url {url!r}: ") and why in str(flag.value)
    for key in ("urls", "authenticated_urls"):
        err = error_of(f'[web]\n{key} = ["https://ok.test/", "{url}"]\n')
        assert err.line == 2 and f"web.{key}: {url!r}: " in str(err) and why in str(err)
    assert len(str(err).splitlines()) == 1


def test_good_urls_pass() -> None:
    from launchready.config.model import AuditConfig

    urls = ["https://a.test/", "http://a.test:8080/x?y=1", "https://[::1]:8443/"]
    assert apply_flags(AuditConfig(), AuditFlags(urls=urls)).web.urls == urls
    assert parse_config('[web]\nurls = ["https://[::1]:8443/"]\n', path="lr.toml").web.urls


def test_http_methods_are_sent_in_upper_case() -> None:
    """Servers answer "post /login" with 405: the method is upper-cased where it is read,
    so every request built from the config (endpoints, login, the mail probe) is right."""
    from launchready.config.model import EmailProbeConfig, EndpointConfig, LoginConfig
    from launchready.gatherers.performance.emailprobe import email_spec
    from launchready.gatherers.performance.session import login_spec

    assert EndpointConfig(name="list", method="get", path="/clients").method == "GET"
    login = LoginConfig(method="post", path="/login", form={"email": "a@b.test"})
    assert login_spec(login).method == "POST"
    assert login_spec(login).content_type == "application/x-www-form-urlencoded"
    probe = EmailProbeConfig(method="put", path="/reset", json={"email": "a@b.test"})
    assert (email_spec(probe).method, email_spec(probe).body) == ("PUT", '{"email": "a@b.test"}')
