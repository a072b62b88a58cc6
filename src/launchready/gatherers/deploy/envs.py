"""Each configured environment's variables, with every value reduced to a keyed hash.

Values are compared across environments by HMAC-SHA256 under a key drawn at random for each
run and never stored, so the fact (and anything printed from it) cannot be turned back into
a secret, nor matched against a hash from another run. Only the values of well-known
mode flags (DEBUG, NODE_ENV…) are kept, and only when they are short words.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from launchready.config.model import AuditConfig, EnvironmentConfig
from launchready.core.outcome import Outcome
from launchready.gatherers.base import GatherContext
from launchready.gatherers.deploy.dotenv import (
    DbTarget,
    db_targets,
    looks_random,
    parse_dotenv,
    reference_of,
    url_has_password,
)
from launchready.gatherers.deploy.redact import redact

ENVIRONMENTS = "deploy.environments"
TEMPLATES = (".env.example", ".env.sample", ".env.template", ".env.dist", "example.env")
_FLAG_NAME = re.compile(
    r"^(?:[A-Z0-9]+_)*(?:DEBUG|ENV|ENVIRONMENT)$|^(?:LOG_LEVEL|DJANGO_SETTINGS_MODULE)$"
)
_FLAG_VALUE = re.compile(r"^(?:[A-Za-z][A-Za-z_.-]{0,39}|[01])$")


@dataclass(frozen=True)
class EnvVar:
    name: str
    digest: str  # HMAC of the value under this run's key; "" when the value is empty
    reference: str | None  # the secret manager the value points at, or "interpolated"
    looks_random: bool
    url_has_password: bool
    flag_value: str | None  # kept only for mode flags whose value is a short word


@dataclass(frozen=True)
class Environment:
    name: str
    source: str  # "env_file .env.staging" or "command `doppler …`"
    url: str | None
    variables: tuple[EnvVar, ...]
    databases: tuple[DbTarget, ...]
    problem: str | None = None  # why it could not be read

    def names(self) -> set[str]:
        return {v.name for v in self.variables}


@dataclass(frozen=True)
class EnvironmentsFact:
    environments: tuple[Environment, ...]
    template: str | None  # the .env.example file the variable list came from
    template_names: tuple[str, ...]
    required: tuple[str, ...]  # [deploy].required_env

    def publish(self) -> tuple[str, list[dict[str, object]]]:
        """Variable names per environment, for the deployment checklist (no values here)."""
        return "deploy_environments", [
            {
                "environment": e.name,
                "source": e.source,
                "url": public_url(e.url),
                "variables": sorted(e.names()),
                "problem": e.problem,
            }
            for e in self.environments
        ]


def public_url(url: str | None) -> str | None:
    """The URL without a user:password part, query values masked (a preview link's token)."""
    if not url:
        return None
    parts = urlsplit(url)
    if not parts.username and not parts.password:
        return redact(url)
    try:
        port = parts.port
    except ValueError:  # the config rejects such URLs; a report must still be built
        return redact(urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2])))
    netloc = (parts.hostname or "") + (f":{port}" if port else "")
    return redact(urlunsplit(parts._replace(netloc=netloc)))


def describe(values: dict[str, str], key: bytes) -> list[EnvVar]:
    out = []
    for name, value in values.items():
        digest = hmac.new(key, value.encode(), hashlib.sha256).hexdigest() if value else ""
        flag = value if _FLAG_NAME.match(name) and _FLAG_VALUE.match(value) else None
        out.append(
            EnvVar(
                name,
                digest,
                reference_of(value),
                looks_random(value),
                url_has_password(value),
                flag,
            )
        )
    return out


def find_template(config: AuditConfig) -> str | None:
    """`.env.example` at the repository root, else beside the first env file."""
    folders = []
    if config.repo.path:
        folders.append(Path(config.resolve_path(config.repo.path)))
    for env in config.environments.values():
        if env.env_file:
            folders.append(Path(config.resolve_path(env.env_file)).parent)
    for folder in folders:
        for name in TEMPLATES:
            if (folder / name).is_file():
                return str(folder / name)
    return None


def command_label(command: str) -> str:
    """Only the program's name: `${TOKEN}` in the config is expanded into the command line."""
    program = command.split(maxsplit=1)[0] if command.strip() else "?"
    return f"command `{program.rsplit('/', 1)[-1]} …`"


async def run_command(command: str, cwd: str, timeout_s: float) -> str:
    """Its stdout. Stderr is dropped: a failing secrets CLI may echo what it was given."""
    proc = await asyncio.create_subprocess_shell(
        command,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout_s)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise RuntimeError(f"the command took over {timeout_s:g} s") from None
    if proc.returncode != 0:
        raise RuntimeError(f"the command exited with status {proc.returncode}")
    return out.decode("utf-8", errors="replace")


async def read_values(
    env: EnvironmentConfig, config: AuditConfig, timeout_s: float
) -> tuple[str, dict[str, str]]:
    """(source description, values); raises OSError/RuntimeError with a printable reason."""
    if env.command:
        text = await run_command(env.command, config.base_dir, timeout_s)
        return command_label(env.command), parse_dotenv(text)
    assert env.env_file
    path = Path(config.resolve_path(env.env_file))
    text = await asyncio.to_thread(path.read_text, encoding="utf-8", errors="replace")
    return env.env_file, parse_dotenv(text)


async def load_environment(
    name: str, env: EnvironmentConfig, config: AuditConfig, key: bytes, timeout_s: float
) -> Environment:
    if not (env.env_file or env.command):
        return Environment(name, "-", env.url, (), (), "neither env_file nor command is set")
    try:
        source, values = await read_values(env, config, timeout_s)
    except FileNotFoundError:
        return Environment(name, str(env.env_file), env.url, (), (), "env file not found")
    except (OSError, RuntimeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        source = env.env_file or command_label(env.command or "")
        return Environment(name, source, env.url, (), (), reason)
    return Environment(
        name, source, env.url, tuple(describe(values, key)), tuple(db_targets(values))
    )


async def gather_environments(config: AuditConfig, timeout_s: float) -> EnvironmentsFact:
    key = secrets.token_bytes(32)  # this run only; never stored or printed
    envs = await asyncio.gather(
        *(
            load_environment(name, env, config, key, timeout_s)
            for name, env in config.environments.items()
        )
    )
    template = find_template(config)
    names: tuple[str, ...] = ()
    if template:
        text = await asyncio.to_thread(Path(template).read_text, "utf-8", "replace")
        names = tuple(parse_dotenv(text))
    shown = template
    if template and config.repo.path:
        root = Path(config.resolve_path(config.repo.path))
        if Path(template).parent == root:
            shown = Path(template).name
    return EnvironmentsFact(tuple(envs), shown, names, tuple(config.deploy.required_env))


class EnvironmentsGatherer:
    name: str = "environments"
    provides: tuple[str, ...] = (ENVIRONMENTS,)

    async def gather(self, ctx: GatherContext) -> list[Outcome[Any]]:
        config = ctx.config
        if not config.environments:
            return [Outcome.skipped(ENVIRONMENTS, "-", "no [environments.*] configured")]
        target = "environments " + ", ".join(config.environments)
        ctx.progress.started("deploy: environments")
        try:
            fact = await gather_environments(config, ctx.timeout_s)
        except OSError as exc:
            return [Outcome.error(ENVIRONMENTS, target, exc.strerror or str(exc))]
        finally:
            ctx.progress.finished("deploy: environments")
        return [Outcome.ok(ENVIRONMENTS, target, fact)]
