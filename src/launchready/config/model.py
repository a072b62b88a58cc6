"""The configuration schema. Keys fixed by DESIGN.md are kept; others are additions.

``extra="forbid"`` everywhere so a misspelt key is an error that names it, not a
silently ignored setting.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from launchready.config import netspec


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebConfig(_Strict):
    urls: list[str] = Field(default_factory=list)
    domain: str | None = None
    subdomains: list[str] = Field(default_factory=list)

    @field_validator("urls")
    @classmethod
    def _urls_are_http(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{url!r} is not an http:// or https:// URL")
        return urls


class EmailConfig(_Strict):
    domains: list[str] = Field(default_factory=list)
    dkim_selectors: list[str] = Field(default_factory=list)
    sending_ips: list[str] = Field(default_factory=list)


class NetworkConfig(_Strict):
    nameservers: list[str] = Field(default_factory=list)
    ca_bundle: str | None = None
    resolve: list[str] = Field(default_factory=list)
    # Addition, like curl's --connect-to HOST:PORT:HOST2:PORT2: lets the sandbox serve
    # https://app.demo.test/ from an unprivileged loopback port.
    connect_to: list[str] = Field(default_factory=list)
    timeout_s: float = 10.0

    @field_validator("nameservers")
    @classmethod
    def _nameservers(cls, values: list[str]) -> list[str]:
        for v in values:
            netspec.parse_nameserver(v)
        return values

    @field_validator("resolve")
    @classmethod
    def _resolve(cls, values: list[str]) -> list[str]:
        for v in values:
            netspec.parse_resolve(v)
        return values

    @field_validator("connect_to")
    @classmethod
    def _connect_to(cls, values: list[str]) -> list[str]:
        for v in values:
            netspec.parse_connect_to(v)
        return values


class EnvironmentConfig(_Strict):
    env_file: str | None = None
    url: str | None = None
    command: str | None = None


class DatabaseConfig(_Strict):
    url: str | None = None
    hot_queries: list[str] = Field(default_factory=list)


class MigrationsConfig(_Strict):
    path: str | None = None
    dialect: Literal["postgresql", "sqlite", "mysql"] | None = None


class EndpointConfig(_Strict):
    name: str
    method: str = "GET"
    path: str
    kind: Literal["read", "write", "page", "export"] = "read"
    body: str | None = None


class BackgroundConfig(_Strict):
    name: str
    method: str = "GET"
    path: str


class LoginConfig(_Strict):
    method: str = "POST"
    path: str
    form: dict[str, str] | None = None
    json_body: dict[str, str] | None = Field(default=None, alias="json")


class PerformanceConfig(_Strict):
    base_url: str | None = None
    users: list[int] = Field(default_factory=lambda: [1, 2, 8])
    duration_s: float = 20
    endpoints: list[EndpointConfig] = Field(default_factory=list)
    background: list[BackgroundConfig] = Field(default_factory=list)
    login: LoginConfig | None = None


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


class AuditSettings(_Strict):
    """Addition: the audit's own flags, settable in the file (DESIGN.md: "all also settable")."""

    only: list[str] = Field(default_factory=list)
    format: Literal["terminal", "json", "md", "html", "sarif", "junit"] = "terminal"
    output: str | None = None


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
    audit: AuditSettings = Field(default_factory=AuditSettings)
    # Directory relative paths in the file are resolved against (the file's folder).
    base_dir: str = Field(default=".", exclude=True)

    def resolve_path(self, path: str) -> str:
        import os.path

        return path if os.path.isabs(path) else os.path.normpath(os.path.join(self.base_dir, path))
