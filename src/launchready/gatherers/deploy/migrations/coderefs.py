"""Does the code being deployed still name a column that a migration drops or renames?

The schema is replayed from the operations to find columns that are gone at the end (a
column renamed and later renamed back is not gone). The source is then searched for each
gone column's name in files that also name its table or model — `notes` in a file about
clients, not every `notes` in the tree. Migrations and tests are not the code being deployed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from launchready.gatherers.deploy.files import RepoFiles
from launchready.gatherers.deploy.migrations.model import CodeRef, MigrationSet

CODE = re.compile(
    r"\.(py|js|jsx|ts|tsx|mjs|cjs|rb|go|php|java|kt|cs|ex|exs|vue|svelte|html|jinja|j2|erb"
    r"|hbs|prisma|graphql|sql)$"
)
_NOT_DEPLOYED = re.compile(
    r"(^|/)(migrations?|migrate|versions|tests?|spec|__tests__|node_modules|vendor|fixtures)/"
    r"|(^|/)(test_[^/]*|[^/]*_test\.\w+|[^/]*\.(test|spec)\.\w+)$"
)
_COMMENT = re.compile(r"^\s*(#|//|\*|--|/\*)")
MAX_REFS = 5


def _gone_columns(sets: Iterable[MigrationSet]) -> list[CodeRef]:
    """Columns that no longer exist after every migration (``code`` still empty)."""
    columns: dict[str, set[str]] = {}
    changes: dict[tuple[str, str], tuple[str, str]] = {}  # later changes of a column win
    for s in sets:
        for m in s.migrations:
            for op in m.up:
                table = op.table or ""
                cols = columns.setdefault(table, set())
                where = f"{m.path}:{op.line}"
                if op.kind == "create_table":
                    cols.update(op.columns)
                elif op.kind == "add_column" and op.column:
                    cols.add(op.column)
                elif op.kind == "drop_column" and op.column:
                    cols.discard(op.column)
                    changes[(table, op.column)] = ("dropped", where)
                elif op.kind == "rename_column" and op.column:
                    cols.discard(op.column)
                    if op.new_name:
                        cols.add(op.new_name)
                    changes[(table, op.column)] = (f"renamed to {op.new_name}", where)
                elif op.kind == "rename_table" and op.new_name:
                    columns[op.new_name] = columns.pop(table, set())
                elif op.kind == "drop_table":
                    columns.pop(table, None)
    gone = []
    for (table, column), (change, where) in changes.items():
        if column in columns.get(table, set()):
            continue
        also = tuple(sorted(t for t, cols in columns.items() if column in cols and t != table))
        gone.append(CodeRef(table, column, change, where, (), also))
    return gone


def _table_words(table: str) -> re.Pattern[str]:
    """`app_client`, `clients`, `client`, `Client`: how code names a table or its model."""
    base = table.split(".")[-1]
    model = base.split("_", 1)[1] if "_" in base else base  # Django: <app>_<model>
    words = {base, model, model.rstrip("s"), base.rstrip("s")}
    camel = {"".join(p.capitalize() for p in w.split("_")) for w in words if w}
    return re.compile(r"\b(" + "|".join(map(re.escape, sorted(words | camel))) + r")\b", re.I)


def find_code_refs(files: RepoFiles, sets: Iterable[MigrationSet]) -> tuple[list[CodeRef], int]:
    """(gone columns the code still names, with where; how many source files were read)."""
    gone = _gone_columns(sets)
    sources = [p for p in files.matching(CODE) if not _NOT_DEPLOYED.search(p)]
    uses: list[list[str]] = [[] for _ in gone]
    patterns = [(re.compile(rf"\b{re.escape(g.column)}\b"), _table_words(g.table)) for g in gone]
    for path in sources if gone else []:
        text = files.read(path)
        if not text:
            continue
        for i, (column_rx, table_rx) in enumerate(patterns):
            if len(uses[i]) >= MAX_REFS or not column_rx.search(text) or not table_rx.search(text):
                continue
            for number, line in enumerate(text.splitlines(), start=1):
                if column_rx.search(line) and not _COMMENT.match(line):
                    uses[i].append(f"{path}:{number}")
                    if len(uses[i]) >= MAX_REFS:
                        break
    refs = [replace(g, code=tuple(u)) for g, u in zip(gone, uses, strict=True) if u]
    return refs, len(sources)
