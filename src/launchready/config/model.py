"""The configuration schema. Keys fixed by DESIGN.md are kept; others are additions.

``extra="forbid"`` everywhere so a misspelt key is an error that names it, not a
silently ignored setting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from launchready.config import netspec

# HTTP methods are case-sensitive on the wire and servers expect upper case ("post" gets a
# 405): every request built from the config can take the method as it is.
HttpMethod = Annotated[str, AfterValidator(str.upper)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebConfig(_Strict):
    # headers/cookies hold session secrets: a validation error must never echo its input.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)
    urls: list[str] = Field(default_factory=list)
    domain: str | None = None
    subdomains: list[str] = Field(default_factory=list)
    # Additions (edge stage): credentials for pages behind login, sent with every edge
    # request ("Name: value" / "name=value"; use ${VAR} to keep them out of the file), and
    # the pages whose signed-in answer must not be kept by a shared cache (default: urls).
    headers: list[str] = Field(default_factory=list)
    cookies: list[str] = Field(default_factory=list)
    authenticated_urls: list[str] = Field(default_factory=list)

    @field_validator("urls", "authenticated_urls")
    @classmethod
    def _urls_are_http(cls, urls: list[str]) -> list[str]:
        for url in urls:
            try:
                netspec.check_url(url)
            except ValueError as exc:
                raise ValueError(f"{url!r}: {exc}") from None
        return urls

    @field_validator("headers")
    @classmethod
    def _headers(cls, values: list[str]) -> list[str]:
        for v in values:
            netspec.parse_header(v)
        return values

    @field_validator("cookies")
    @classmethod
    def _cookies(cls, values: list[str]) -> list[str]:
        for v in values:
            netspec.parse_cookie(v)
        return values


class EmailConfig(_Strict):
    domains: list[str] = Field(default_factory=list)
    dkim_selectors: list[str] = Field(default_factory=list)
    sending_ips: list[str] = Field(default_factory=list)


_NETWORK_PARSERS: dict[str, Callable[[str], object]] = {
    "nameservers": netspec.parse_nameserver,
    "resolve": netspec.parse_resolve,
    "connect_to": netspec.parse_connect_to,
}


class NetworkConfig(_Strict):
    nameservers: list[str] = Field(default_factory=list)
    ca_bundle: str | None = None
    resolve: list[str] = Field(default_factory=list)
    # Addition, like curl's --connect-to HOST:PORT:HOST2:PORT2: lets the sandbox serve
    # https://app.demo.test/ from an unprivileged loopback port.
    connect_to: list[str] = Field(default_factory=list)
    # The per-target time limit of every probe (--timeout): one knob, so the reason a
    # probe gives up always names the limit that fired.
    timeout_s: float = Field(default=30.0, gt=0, le=3600)

    @field_validator("nameservers", "resolve", "connect_to")
    @classmethod
    def _curl_forms(cls, values: list[str], info: ValidationInfo) -> list[str]:
        parse = _NETWORK_PARSERS[str(info.field_name)]
        for v in values:
            parse(v)
        return values


class EnvironmentConfig(_Strict):
    env_file: str | None = None
    url: str | None = None
    command: str | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        # Checked here so a bad port is an error naming the key and line, not a crash while
        # the report is built. The value is never quoted: it may carry a user:password.
        from urllib.parse import urlsplit

        if url is None:
            return url
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - parsing the port is the check
        except ValueError:
            raise ValueError("not a valid URL (a port over 65535, or a malformed host)") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host name")
        return url


class DatabaseConfig(_Strict):
    url: str | None = None
    hot_queries: list[str] = Field(default_factory=list)
    # Additions (performance stage). Query plans create a trial index inside a transaction
    # that is rolled back; still, a database that looks like production is refused unless
    # this says otherwise.
    allow_production: bool = False
    # Sequential scans of tables at least this large are flagged (PgHero ignores < 500 rows).
    large_table_rows: int = Field(default=10_000, ge=1)

    @field_validator("hot_queries")
    @classmethod
    def _hot_queries_only_read(cls, queries: list[str], info: ValidationInfo) -> list[str]:
        # The query-plan step runs these on the database: only plain reads are accepted.
        from launchready.config.sqlcheck import dialect_of, not_a_read

        for i, sql in enumerate(queries):
            problem = not_a_read(sql, dialect_of(info.data.get("url")))
            if problem:
                raise ValueError(f"[{i}] {sql[:60]!r} {problem}")
        return queries


class MigrationsConfig(_Strict):
    path: str | None = None
    dialect: Literal["postgresql", "sqlite", "mysql"] | None = None


def _is_path(path: str) -> str:
    # Load only ever goes to the configured base URL: a full URL here could point elsewhere.
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError(f"{path!r} must be a path on the base URL, starting with '/'")
    return path


class EndpointConfig(_Strict):
    name: str
    method: HttpMethod = "GET"
    path: str
    kind: Literal["read", "write", "page", "export"] = "read"
    # Request body; {{n}} (request number), {{vu}} (virtual user) and {{uuid}} make each
    # request's body unique. JSON unless content_type says otherwise.
    body: str | None = None
    content_type: str | None = None
    p95_ms: float | None = Field(default=None, gt=0)  # overrides the target of its kind

    _path = field_validator("path")(classmethod(lambda cls, v: _is_path(v)))


class BackgroundConfig(_Strict):
    name: str
    method: HttpMethod = "GET"
    path: str

    _path = field_validator("path")(classmethod(lambda cls, v: _is_path(v)))


class LoginConfig(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    method: HttpMethod = "POST"
    path: str
    form: dict[str, str] | None = None
    json_body: dict[str, str] | None = Field(default=None, alias="json")
    # Addition: for token logins, where the token sits in the JSON answer ("data.token");
    # it is then sent as "Authorization: Bearer <token>". Cookies are always kept.
    token_field: str | None = None

    _path = field_validator("path")(classmethod(lambda cls, v: _is_path(v)))


class EmailProbeConfig(_Strict):
    """Addition: the request that sends mail (a password reset), to see if it waits for SMTP."""

    name: str = "password reset"
    method: HttpMethod = "POST"
    path: str
    form: dict[str, str] | None = None
    json_body: dict[str, str] | None = Field(default=None, alias="json")
    # A test SMTP server's delay knob (POST seconds to it), e.g. the sandbox's receiver.
    # Without it the mail server's latency cannot be varied and the check is skipped.
    smtp_delay_url: str | None = None
    smtp_delay_s: float = Field(default=0.25, gt=0, le=5)
    requests: int = Field(default=5, ge=2, le=100)

    _path = field_validator("path")(classmethod(lambda cls, v: _is_path(v)))


def _http_url(url: str, what: str = "") -> None:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"{what}{url!r} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{what}{url!r} is not an http:// or https:// URL with a host")


class PerformanceConfig(_Strict):
    base_url: str | None = None
    users: list[int] = Field(default_factory=lambda: [1, 2, 8])
    # The audit's measuring budget: each endpoint gets duration_s split across the user
    # levels, and each background job a window of duration_s.
    duration_s: float = Field(default=20, gt=0, le=3600)
    endpoints: list[EndpointConfig] = Field(default_factory=list)
    background: list[BackgroundConfig] = Field(default_factory=list)
    login: LoginConfig | None = None
    # Additions: targets by endpoint kind (p95, milliseconds), as in the roadmap.
    read_p95_ms: float = Field(default=300, gt=0)
    write_p95_ms: float = Field(default=500, gt=0)
    page_p95_ms: float = Field(default=2000, gt=0)
    export_p95_ms: float = Field(default=30_000, gt=0)
    max_error_rate: float = Field(default=0.01, ge=0, le=1)
    # Two users at once: flag when p95 at 2 users exceeds this multiple of p95 at 1 user.
    two_users_ratio: float = Field(default=1.5, gt=1)
    think_time_s: float = Field(default=0.0, ge=0)
    # How fast a background job's download is read: a person's connection, not loopback.
    background_bytes_per_s: float = Field(default=5_000_000, gt=0)
    rate: float | None = Field(default=None, gt=0)  # loadtest: arrival rate (open model)
    # Safety bounds of every run: open connections, requests in total, one request's time.
    max_connections: int = Field(default=256, ge=1, le=10_000, validate_default=True)
    max_requests: int = Field(default=2_000_000, ge=1)
    request_timeout_s: float = Field(default=30, gt=0, le=600)
    email: EmailProbeConfig | None = None

    @field_validator("users")
    @classmethod
    def _users(cls, users: list[int]) -> list[int]:
        if not users or any(u < 1 or u > 1000 for u in users):
            raise ValueError("users must be a non-empty list of counts from 1 to 1000")
        return sorted(set(users))

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, url: str | None) -> str | None:
        if url is not None:
            _http_url(url)
        return url

    @field_validator("email")
    @classmethod
    def _smtp_delay_url(cls, email: EmailProbeConfig | None) -> EmailProbeConfig | None:
        if email is not None and email.smtp_delay_url is not None:
            _http_url(email.smtp_delay_url, "smtp_delay_url ")
        return email

    @field_validator("max_connections")
    @classmethod
    def _enough_connections(cls, cap: int, info: ValidationInfo) -> int:
        # The audit holds a connection per user at the top level (at least 2: two-users is
        # always measured), one per background job, and two for the mail probe.
        users = max([2, *info.data.get("users", [])])
        jobs = len(info.data.get("background", []))
        if users + jobs + 2 > cap:
            raise ValueError(
                f"max(users) {users} + {jobs} [[performance.background]] job(s) + 2 needs "
                f"{users + jobs + 2} connections, more than max_connections {cap}"
            )
        return cap

    def target_ms(self, endpoint: EndpointConfig) -> float:
        if endpoint.p95_ms is not None:
            return endpoint.p95_ms
        return {
            "read": self.read_p95_ms,
            "write": self.write_p95_ms,
            "page": self.page_p95_ms,
            "export": self.export_p95_ms,
        }[endpoint.kind]


class MonitorCheckConfig(_Strict):
    name: str
    url: str
    expect_status: int = 200
    contains: str | None = None
    interval_s: float | None = None


class HeartbeatConfig(_Strict):
    name: str
    period_s: float
    grace_s: float = 0


class MonitorConfig(_Strict):
    database: str = "sqlite:///launchready-monitor.db"
    listen: str = "127.0.0.1:8088"
    interval_s: float = 60
    failures_before_alert: int = 2
    alerts: list[str] = Field(default_factory=list)
    checks: list[MonitorCheckConfig] = Field(default_factory=list)
    heartbeats: list[HeartbeatConfig] = Field(default_factory=list)


class OwnersConfig(BaseModel):
    # Owners of further areas are welcome; every value must be a name.
    model_config = ConfigDict(extra="allow", frozen=True)
    dns: str | None = None
    hosting: str | None = None
    email: str | None = None
    monitoring: str | None = None
    secrets: str | None = None


class RepoConfig(_Strict):
    path: str | None = None


class DeployConfig(_Strict):
    """Addition: settings of the deploy stage."""

    # Variables every environment must set, beside those listed in .env.example.
    required_env: list[str] = Field(default_factory=list)
    # Where production secrets live, when the repository does not show it ("1Password vault
    # prod-app"): the finding is that nobody can say, not that a particular tool is missing.
    secret_store: str | None = None
    # Database to rehearse migrations on (forward, back, forward); default [database].url.
    # It is copied first and the copy dropped: the given database is never changed.
    scratch_database_url: str | None = None
    # A migration that holds a lock blocking reads or writes of a hot table longer than this
    # is a blocker: every request touching the table waits behind it.
    lock_timeout_s: float = Field(default=2.0, gt=0)
    # Tables customers touch on every request; default: the tables of [database].hot_queries,
    # else every table that existed before the migration ran.
    hot_tables: list[str] = Field(default_factory=list)


class AuditSettings(_Strict):
    """Addition: the audit's own flags, settable in the file (DESIGN.md: "all also settable")."""

    only: list[str] = Field(default_factory=list)
    format: Literal["terminal", "json", "md", "html", "sarif", "junit"] = "terminal"
    output: str | None = None

    @field_validator("only")
    @classmethod
    def _known_stages(cls, values: list[str]) -> list[str]:
        # Checked here, not only by --only's parser, so the error names the file and line.
        from launchready.core.findings import Stage

        known = [s.value for s in Stage]
        for name in (n.strip() for v in values for n in v.split(",")):
            if name and name not in known:
                raise ValueError(f"unknown stage {name!r} (stages: {', '.join(known)})")
        return values


class AuditConfig(_Strict):
    web: WebConfig = Field(default_factory=WebConfig)
    email: EmailConfig = Field(default_factory=EmailConfig)
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    environments: dict[str, EnvironmentConfig] = Field(default_factory=dict)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    migrations: MigrationsConfig = Field(default_factory=MigrationsConfig)
    performance: PerformanceConfig = Field(default_factory=PerformanceConfig)
    monitor: MonitorConfig = Field(default_factory=MonitorConfig)
    owners: OwnersConfig = Field(default_factory=OwnersConfig)
    repo: RepoConfig = Field(default_factory=RepoConfig)
    deploy: DeployConfig = Field(default_factory=DeployConfig)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    # Directory relative paths in the file are resolved against (the file's folder).
    base_dir: str = Field(default=".", exclude=True)

    def resolve_path(self, path: str) -> str:
        import os.path

        return path if os.path.isabs(path) else os.path.normpath(os.path.join(self.base_dir, path))
