"""SQL-file migration layouts and their way back.

- golang-migrate: `001_x.up.sql` + `001_x.down.sql`
- dbmate: one file with `-- migrate:up` / `-- migrate:down` sections
- goose: one file with `-- +goose Up` / `-- +goose Down` sections
- Flyway: `V1__x.sql`, undo as `U1__x.sql`
- Prisma: `prisma/migrations/<stamp>_<name>/migration.sql`; Prisma has no down migrations
- plain: `001_x.sql`, with a down as `001_x.down.sql`, `001_x_down.sql` or `down/001_x.sql`
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

from launchready.gatherers.deploy.files import RepoFiles
from launchready.gatherers.deploy.migrations.model import DownKind, Migration
from launchready.gatherers.deploy.migrations.sql import sql_ops

_SECTION = {
    "dbmate": (re.compile(r"^--\s*migrate:up", re.M), re.compile(r"^--\s*migrate:down", re.M)),
    "goose": (re.compile(r"^--\s*\+goose\s+Up", re.M), re.compile(r"^--\s*\+goose\s+Down", re.M)),
}
_DOWN_SUFFIX = re.compile(r"(\.down|_down|\.undo)\.sql$")
_STEM = re.compile(r"(\.up|_up)?\.sql$")


def _ident(path: str) -> str:
    name = posixpath.basename(path)
    if name == "migration.sql":  # Prisma: the folder is the migration
        return posixpath.basename(posixpath.dirname(path))
    return _STEM.sub("", name)


def layout_of(paths: list[str], read: Callable[[str], str | None]) -> str:
    if any(p.endswith("/migration.sql") and "prisma/" in p for p in paths):
        return "prisma"
    if any(p.endswith(".up.sql") for p in paths):
        return "golang-migrate"
    if any(re.match(r"V\d+(_\d+)*__", posixpath.basename(p)) for p in paths):
        return "flyway"
    for p in paths[:5]:
        text = read(p) or ""
        for tool, (up, _) in _SECTION.items():
            if up.search(text):
                return tool
    return "sql"


def _empty(sql: str) -> bool:
    body = re.sub(r"--[^\n]*|/\*.*?\*/", "", sql, flags=re.S)
    return not body.strip().strip(";").strip()


def _sectioned(path: str, text: str, tool: str, dialect: str) -> Migration:
    up_rx, down_rx = _SECTION[tool]
    up = up_rx.search(text)
    down = down_rx.search(text)
    up_start = up.end() if up else 0
    up_end = down.start() if down and down.start() > up_start else len(text)
    up_sql = text[up_start:up_end]
    first = text.count("\n", 0, up_start) + 1
    down_sql = text[down.end() :] if down else None
    kind: DownKind = "none" if down_sql is None else "empty" if _empty(down_sql) else "sql"
    down_ops = sql_ops(down_sql, dialect) if down_sql else []
    return Migration(
        _ident(path),
        path,
        tuple(sql_ops(up_sql, dialect, first)),
        tuple(down_ops),
        kind,
        up_sql,
        down_sql if kind == "sql" else None,
        path if down_sql is not None else None,
        down_line=text.count("\n", 0, down.start()) + 1 if down else None,
    )


def _down_for(path: str, files: RepoFiles, tool: str) -> str | None:
    folder, name = posixpath.split(path)
    stem = _STEM.sub("", name)
    if tool == "flyway":
        candidates = [posixpath.join(folder, "U" + name[1:])]
    else:
        candidates = [
            posixpath.join(folder, f"{stem}.down.sql"),
            posixpath.join(folder, f"{stem}_down.sql"),
            posixpath.join(folder, "down", name),
            posixpath.join(posixpath.dirname(folder), "down", name),
        ]
    return next((c for c in candidates if files.has(c)), None)


def read_sql_set(files: RepoFiles, paths: list[str], dialect: str) -> tuple[str, list[Migration]]:
    tool = layout_of(paths, files.read)
    ups = [
        p
        for p in paths
        if not _DOWN_SUFFIX.search(p)
        and "/down/" not in f"/{p}"
        and not (tool == "flyway" and posixpath.basename(p).startswith("U"))
    ]
    migrations = []
    for path in sorted(ups, key=lambda p: _ident(p)):
        text = files.read(path)
        if text is None:
            migrations.append(Migration(_ident(path), path, (), (), "none", problem="unreadable"))
            continue
        if tool in _SECTION:
            migrations.append(_sectioned(path, text, tool, dialect))
            continue
        down_path = None if tool == "prisma" else _down_for(path, files, tool)
        down_sql = files.read(down_path) if down_path else None
        kind: DownKind = "none"
        if down_sql is not None:
            kind = "empty" if _empty(down_sql) else "sql"
        migrations.append(
            Migration(
                _ident(path),
                path,
                tuple(sql_ops(text, dialect)),
                tuple(sql_ops(down_sql, dialect)) if down_sql else (),
                kind,
                text,
                down_sql if kind == "sql" else None,
                down_path,
            )
        )
    return tool, migrations
