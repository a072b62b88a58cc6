"""One error type for every bad input the CLI turns into one line and exit code 2."""

from __future__ import annotations


class ConfigError(Exception):
    """Bad configuration or usage. ``str()`` is the whole user-facing line."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        self.message = message
        self.path = path
        self.line = line
        where = path or ""
        if path and line:
            where = f"{path}:{line}"
        super().__init__(f"{where}: {message}" if where else message)
