"""Reads ``launchready.toml``: TOML, then ``${VAR}`` expansion, then the schema.

Every failure becomes a ``ConfigError`` that names the file, the line and the key.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from launchready.config.errors import ConfigError
from launchready.config.locate import line_of
from launchready.config.model import AuditConfig

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_TOML_POS = re.compile(r"\(at line (\d+), column \d+\)")


def _expand(value: Any, loc: tuple[str | int, ...], env: Mapping[str, str]) -> Any:
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in env:
                raise _MissingVar(loc, name)
            return env[name]

        return _VAR.sub(sub, value)
    if isinstance(value, dict):
        return {k: _expand(v, (*loc, k), env) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, (*loc, i), env) for i, v in enumerate(value)]
    return value


class _MissingVar(Exception):
    def __init__(self, loc: tuple[str | int, ...], name: str) -> None:
        self.loc = loc
        self.name = name


def _dotted(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_config(text: str, *, path: str, env: Mapping[str, str] | None = None) -> AuditConfig:
    env = os.environ if env is None else env
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        pos = _TOML_POS.search(message)
        line = int(pos.group(1)) if pos else None
        if line is None and "end of document" in message:
            line = max(1, len(text.splitlines()))
        detail = _TOML_POS.sub("", message).replace("(at end of document)", "").strip()
        raise ConfigError(f"not valid TOML: {detail}", path=path, line=line) from None
    if "base_dir" in raw:
        raise ConfigError("unknown key 'base_dir'", path=path, line=line_of(text, ["base_dir"]))
    try:
        data = _expand(raw, (), env)
    except _MissingVar as exc:
        raise ConfigError(
            f"{_dotted(exc.loc)}: environment variable {exc.name} is not set",
            path=path,
            line=line_of(text, exc.loc),
        ) from None
    base_dir = str(Path(path).resolve().parent)
    try:
        return AuditConfig.model_validate({**data, "base_dir": base_dir})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        key = _dotted(loc)
        if err["type"] == "extra_forbidden":
            message = f"unknown key '{key}'"
        else:
            message = f"{key}: {err['msg'].removeprefix('Value error, ')}"
        more = len(exc.errors()) - 1
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise ConfigError(message, path=path, line=line_of(text, loc)) from None


def load_config(path: str | None) -> AuditConfig:
    """The file at ``path`` (or ``./launchready.toml`` when present), else defaults."""
    if path is None:
        default = Path("launchready.toml")
        if not default.is_file():
            return AuditConfig()
        path = str(default)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("config file not found", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file: {exc}", path=path) from None
    return parse_config(text, path=path)
