"""Command-line flags laid over the file's configuration (flags win).

Paths given on the command line are relative to the working directory, paths in the file
to the file's folder; flags are therefore made absolute before they are merged.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from launchready.config import netspec
from launchready.config.errors import ConfigError
from launchready.config.model import AuditConfig
from launchready.core.findings import Stage


@dataclass(frozen=True)
class AuditFlags:
    urls: Sequence[str] = ()
    domains: Sequence[str] = ()
    repo: str | None = None
    only: Sequence[str] = ()
    format: str | None = None
    output: str | None = None
    nameservers: Sequence[str] = ()
    ca_bundle: str | None = None
    resolve: Sequence[str] = ()
    connect_to: Sequence[str] = ()
    dkim_selectors: Sequence[str] = ()
    database_url: str | None = None
    headers: Sequence[str] = ()
    cookies: Sequence[str] = ()
    timeout_s: float | None = None


def _check_each(
    flag: str, values: Sequence[str], parse: Callable[[str], object], *, echo: bool = True
) -> None:
    """``echo=False`` for credentials: the parser's message shows what may be shown of them."""
    for value in values:
        try:
            parse(value)
        except ValueError as exc:
            raise ConfigError(f"{flag} {value!r}: {exc}" if echo else f"{flag} {exc}") from None


def parse_stages(values: Sequence[str]) -> tuple[Stage, ...]:
    """``--only edge,email`` (repeatable). Empty means every stage."""
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    known = {s.value: s for s in Stage}
    for name in names:
        if name not in known:
            raise ConfigError(f"unknown stage {name!r} in --only (stages: {', '.join(known)})")
    return tuple(dict.fromkeys(known[n] for n in names)) or tuple(Stage)


def apply_flags(config: AuditConfig, flags: AuditFlags) -> AuditConfig:
    _check_each("--nameserver", flags.nameservers, netspec.parse_nameserver)
    _check_each("--resolve", flags.resolve, netspec.parse_resolve)
    _check_each("--connect-to", flags.connect_to, netspec.parse_connect_to)
    _check_each("--header", flags.headers, netspec.parse_header, echo=False)
    _check_each("--cookie", flags.cookies, netspec.parse_cookie, echo=False)
    _check_each("--url", flags.urls, netspec.check_url)
    parse_stages(flags.only)

    web: dict[str, Any] = {}
    if flags.urls:
        web["urls"] = list(flags.urls)
    if flags.domains:
        web["domain"] = flags.domains[0]
    if flags.headers:
        web["headers"] = list(flags.headers)
    if flags.cookies:
        web["cookies"] = list(flags.cookies)
    email: dict[str, Any] = {}
    if flags.domains:
        email["domains"] = list(flags.domains)
    if flags.dkim_selectors:
        email["dkim_selectors"] = list(flags.dkim_selectors)
    network: dict[str, Any] = {}
    if flags.nameservers:
        network["nameservers"] = list(flags.nameservers)
    if flags.resolve:
        network["resolve"] = list(flags.resolve)
    if flags.connect_to:
        network["connect_to"] = list(flags.connect_to)
    if flags.timeout_s is not None:
        if not 0 < flags.timeout_s <= 3600:
            raise ConfigError(f"--timeout {flags.timeout_s:g}: expected seconds in (0, 3600]")
        network["timeout_s"] = flags.timeout_s
    if flags.ca_bundle:
        if not os.path.isfile(flags.ca_bundle):
            raise ConfigError(f"--ca-bundle {flags.ca_bundle!r}: no such file")
        network["ca_bundle"] = os.path.abspath(flags.ca_bundle)
    audit: dict[str, Any] = {}
    if flags.only:
        audit["only"] = list(flags.only)
    if flags.format:
        audit["format"] = flags.format
    if flags.output:
        audit["output"] = os.path.abspath(flags.output)

    def merged(section: str, update: dict[str, Any]) -> Any:
        current = getattr(config, section)
        return current.model_copy(update=update) if update else current

    update: dict[str, Any] = {
        "web": merged("web", web),
        "email": merged("email", email),
        "network": merged("network", network),
        "audit": merged("audit", audit),
    }
    if flags.repo:
        update["repo"] = config.repo.model_copy(update={"path": os.path.abspath(flags.repo)})
    if flags.database_url:
        update["database"] = config.database.model_copy(update={"url": flags.database_url})
    return config.model_copy(update=update)
