"""Migration facts: find the tool, read every migration, lint, and look for code that breaks.

Tools found by their layout: Alembic (`versions/*.py`), Django (`<app>/migrations/0001_*.py`),
Knex (`migrations/*.js|ts`), Rails (`db/migrate/*.rb`), Prisma (`prisma/migrations/*/
migration.sql`) and SQL files (golang-migrate, dbmate, goose, Flyway, plain numbered files).
"""

from __future__ import annotations

import os
import posixpath
import re
from collections import defaultdict

from launchready.config.model import AuditConfig
from launchready.gatherers.deploy.files import RepoFiles
from launchready.gatherers.deploy.migrations import alembic, django, scripted
from launchready.gatherers.deploy.migrations.coderefs import find_code_refs
from launchready.gatherers.deploy.migrations.model import (
    MIGRATIONS,
    LintHit,
    Migration,
    MigrationSet,
    MigrationsFact,
)
from launchready.gatherers.deploy.migrations.sqlfiles import read_sql_set
from launchready.gatherers.deploy.migrations.squawk import run_squawk

__all__ = ["MIGRATIONS", "discover_sets", "gather_migrations"]

_LAYOUTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("alembic", re.compile(r"(^|/)versions/[^/]+\.py$")),
    ("django", re.compile(r"(^|/)migrations/\d{4}_\w+\.py$")),
    ("knex", re.compile(r"(^|/)migrations/[^/]+\.(js|ts|cjs|mjs)$")),
    ("rails", re.compile(r"(^|/)db/migrate/[^/]+\.rb$")),
    ("sql", re.compile(r"(^|/)(migrations?|migrate|sql|schema|db)/(.+/)?[^/]+\.sql$")),
)
# Schema dumps and seed files sit beside migrations but are not migrations.
_NOT_MIGRATIONS = re.compile(r"(^|/)(structure|schema|seeds?|data|dump)\.sql$")
_DIALECT_HINTS = re.compile(
    r"(^|/)(schema\.prisma|migration_lock\.toml|alembic\.ini|settings[^/]*\.py|knexfile\.\w+"
    r"|database\.yml|dbconfig\.yml)$"
)
_DIALECT_WORDS = (
    ("postgresql", re.compile(r"postgres|\bpg\b|psycopg|backends\.postgresql", re.I)),
    ("mysql", re.compile(r"mysql|mariadb", re.I)),
    ("sqlite", re.compile(r"sqlite", re.I)),
)


def _scheme_dialect(url: str | None) -> str | None:
    if not url:
        return None
    for dialect, rx in _DIALECT_WORDS:
        if rx.search(url.split(":", 1)[0]):
            return dialect
    return None


def _dialect(files: RepoFiles, config: AuditConfig) -> tuple[str, str]:
    if config.migrations.dialect:
        return config.migrations.dialect, "[migrations] dialect"
    for path in files.matching(_DIALECT_HINTS):
        text = files.read(path) or ""
        for dialect, rx in _DIALECT_WORDS:
            if rx.search(text):
                return dialect, path
    from_url = _scheme_dialect(config.database.url)
    if from_url:
        return from_url, "[database] url"
    return "postgresql", "assumed (nothing in the repository names the database)"


def _groups(files: RepoFiles, under: str | None) -> dict[tuple[str, str], list[str]]:
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in files.files:
        if under and not (path == under or path.startswith(under.rstrip("/") + "/")):
            continue
        if _NOT_MIGRATIONS.search(path):
            continue
        for tool, rx in _LAYOUTS:
            if rx.search(path):
                folder = posixpath.dirname(path)
                # Prisma's migration folders and a `down/` folder belong to the set above.
                nested = "/prisma/migrations/" in f"/{path}" or posixpath.basename(folder) == "down"
                if tool == "sql" and nested:
                    folder = posixpath.dirname(folder)
                groups[(tool, folder)].append(path)
                break
    return groups


def _read_set(
    files: RepoFiles, tool: str, root: str, paths: list[str], dialect: tuple[str, str]
) -> MigrationSet | None:
    name, source = dialect
    migrations: list[Migration] = []
    if tool == "sql":
        tool, migrations = read_sql_set(files, paths, name)
    elif tool == "alembic":
        items = []
        for path in sorted(paths):
            text = files.read(path) or ""
            if "def upgrade" in text:
                items.append(alembic.read_revision(path, text, name))
        migrations = alembic.order_revisions(items)
    elif tool == "django":
        for path in sorted(paths):
            text = files.read(path) or ""
            if "migrations.Migration" in text or "Migration(" in text:
                migrations.append(django.read_migration(path, text, name))
    elif tool == "knex":
        for path in sorted(paths):
            text = files.read(path) or ""
            if re.search(r"\bup\b", text) and ("knex" in text or "schema" in text):
                migrations.append(scripted.read_knex(path, text))
    elif tool == "rails":
        migrations = [scripted.read_rails(p, files.read(p) or "") for p in sorted(paths)]
    if not migrations:
        return None
    return MigrationSet(tool, root, name, source, tuple(migrations))


def _lint(
    files: RepoFiles, sets: list[MigrationSet]
) -> tuple[list[LintHit], list[str], str | None]:
    by_path = {
        m.path: m for s in sets if s.dialect == "postgresql" and s.runs_sql for m in s.migrations
    }
    if not by_path:
        return [], [], None
    try:
        hits = run_squawk(files.root, sorted(by_path))
    except RuntimeError as exc:
        return [], [], str(exc)
    out = []
    for hit in hits:
        m = by_path.get(hit.path)
        if m is None:
            continue
        if m.down_line is not None and hit.line > m.down_line:
            continue  # the down section of a dbmate/goose file undoes its up: not linted
        before = [op for op in m.up if op.line <= hit.line]
        table = before[-1].table if before else None
        created_earlier = any(
            op.kind == "create_table" and op.table == table and op.line < hit.line for op in m.up
        )
        out.append(LintHit(hit.path, hit.line, hit.rule, hit.message, table, created_earlier))
    return out, sorted(by_path), None


def discover_sets(files: RepoFiles, config: AuditConfig) -> tuple[list[MigrationSet], list[str]]:
    """Every migration set in the repository (or under [migrations] path), and notes."""
    under = None
    notes = []
    if config.migrations.path:
        absolute = config.resolve_path(config.migrations.path)
        under = os.path.relpath(absolute, files.root).replace(os.sep, "/")
        if under.startswith(".."):
            notes.append(f"[migrations] path {config.migrations.path} is outside the repository")
            under = None
    dialect = _dialect(files, config)
    sets = []
    for (tool, root), paths in sorted(_groups(files, under).items()):
        found = _read_set(files, tool, root, paths, dialect)
        if found:
            sets.append(found)
    if under and not sets:
        notes.append(f"no migrations found in [migrations] path {config.migrations.path}")
    return sets, notes


def gather_migrations(files: RepoFiles, config: AuditConfig) -> MigrationsFact:
    sets, notes = discover_sets(files, config)
    lint, linted, problem = _lint(files, sets)
    refs, searched = find_code_refs(files, sets)
    return MigrationsFact(
        tuple(sets), tuple(lint), tuple(linted), problem, tuple(refs), searched, tuple(notes)
    )
