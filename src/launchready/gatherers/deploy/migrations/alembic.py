"""Alembic revisions read statically: `op.*` calls of upgrade() and downgrade().

Rendering with Alembic's offline mode would need the app's own environment (its env.py,
models and drivers); the operations are plain calls with literal arguments, so reading them
from the syntax tree gives the same operations without running the app's code.
"""

from __future__ import annotations

import ast

from launchready.gatherers.deploy.migrations.model import (
    CONCURRENTLY,
    HAS_DEFAULT,
    NOT_NULL,
    UNIQUE,
    DownKind,
    Migration,
    Operation,
)
from launchready.gatherers.deploy.migrations.pyast import kw, literal_str
from launchready.gatherers.deploy.migrations.sql import sql_ops


def _truthy(node: ast.AST | None) -> bool | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, bool) else None


def _column_def(call: ast.Call) -> tuple[str | None, frozenset[str]]:
    """`sa.Column("name", sa.Text(), nullable=False, server_default=…)`."""
    name = literal_str(call.args[0]) if call.args else None
    flags = set()
    if _truthy(kw(call, "nullable")) is False or _truthy(kw(call, "primary_key")):
        flags.add(NOT_NULL)
    if kw(call, "server_default") is not None:
        flags.add(HAS_DEFAULT)
    return name, frozenset(flags)


def _call_ops(call: ast.Call, table_ctx: str | None, dialect: str) -> list[Operation]:
    if not isinstance(call.func, ast.Attribute):
        return []
    name, line = call.func.attr, call.lineno
    args = [literal_str(a) for a in call.args]
    batch = table_ctx is not None
    table = table_ctx if batch else (args[0] if args else None)
    rest = args[0:] if batch else args[1:]
    if name == "create_table":
        cols = tuple(
            c for c in (_column_def(a)[0] for a in call.args[1:] if isinstance(a, ast.Call)) if c
        )
        return [Operation("create_table", table, None, None, line, columns=cols)]
    if name == "drop_table":
        return [Operation("drop_table", table, None, None, line)]
    if name == "rename_table":
        return [Operation("rename_table", args[0], None, args[1] if len(args) > 1 else None, line)]
    if name == "add_column":
        col = next((a for a in call.args if isinstance(a, ast.Call)), None)
        column, flags = _column_def(col) if col else (None, frozenset[str]())
        return [Operation("add_column", table, column, None, line, flags)]
    if name == "drop_column":
        return [Operation("drop_column", table, rest[0] if rest else None, None, line)]
    if name == "alter_column":
        column = rest[0] if rest else None
        ops = []
        new = literal_str(kw(call, "new_column_name"))
        if new:
            ops.append(Operation("rename_column", table, column, new, line))
        if kw(call, "type_") is not None:
            ops.append(Operation("alter_type", table, column, None, line))
        if _truthy(kw(call, "nullable")) is False:
            ops.append(Operation("set_not_null", table, column, None, line))
        return ops
    if name == "create_index":
        table = table_ctx or (args[1] if len(args) > 1 else None)
        index_flags: set[str] = set()
        if _truthy(kw(call, "unique")):
            index_flags.add(UNIQUE)
        if _truthy(kw(call, "postgresql_concurrently")):
            index_flags.add(CONCURRENTLY)
        return [Operation("create_index", table, None, None, line, frozenset(index_flags))]
    if name == "drop_index":
        return [Operation("drop_index", literal_str(kw(call, "table_name")), None, None, line)]
    if name == "create_foreign_key":
        return [Operation("add_foreign_key", args[1] if len(args) > 1 else None, None, None, line)]
    if name in ("create_unique_constraint",):
        return [Operation("add_unique", args[1] if len(args) > 1 else None, None, None, line)]
    if name == "execute":
        sql = literal_str(call.args[0]) if call.args else None
        if sql is None:
            return [Operation("raw", None, None, None, line)]
        return [
            Operation(o.kind, o.table, o.column, o.new_name, line, o.flags, o.columns)
            for o in sql_ops(sql, dialect)
        ]
    if name in ("bulk_insert",):
        return [Operation("data", None, None, None, line)]
    return []


def _ops_in(func: ast.FunctionDef, dialect: str) -> list[Operation]:
    ops: list[Operation] = []

    def visit(node: ast.AST, table_ctx: str | None) -> None:
        if isinstance(node, ast.With):
            ctx = table_ctx
            for item in node.items:
                call = item.context_expr
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "batch_alter_table"
                    and call.args
                ):
                    ctx = literal_str(call.args[0])
            for inner in node.body:
                visit(inner, ctx)
            return
        if isinstance(node, ast.Call):
            ops.extend(_call_ops(node, table_ctx, dialect))
        for child in ast.iter_child_nodes(node):
            visit(child, table_ctx)

    for stmt in func.body:
        visit(stmt, None)
    return ops


def _does_nothing(func: ast.FunctionDef) -> bool:
    body = [
        s
        for s in func.body
        if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
        and not isinstance(s, ast.Pass)
    ]
    return not body


def read_revision(path: str, text: str, dialect: str) -> tuple[Migration, str | None, str | None]:
    """(migration, revision, down_revision)."""
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        return (
            Migration(path, path, (), (), "none", problem=f"not valid Python (line {exc.lineno})"),
            None,
            None,
        )
    revision = down_revision = None
    funcs: dict[str, ast.FunctionDef] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name) and t.id in ("revision", "down_revision"):
                    value = literal_str(node.value)
                    if t.id == "revision":
                        revision = value
                    else:
                        down_revision = value
        elif isinstance(node, ast.FunctionDef):
            funcs[node.name] = node
    up = _ops_in(funcs["upgrade"], dialect) if "upgrade" in funcs else []
    down: list[Operation] = []
    kind: DownKind = "none"
    if "downgrade" in funcs:
        down = _ops_in(funcs["downgrade"], dialect)
        kind = "empty" if _does_nothing(funcs["downgrade"]) else "code"
    migration = Migration(revision or path, path, tuple(up), tuple(down), kind)
    return migration, revision, down_revision


def order_revisions(items: list[tuple[Migration, str | None, str | None]]) -> list[Migration]:
    """Follow down_revision links from the base; anything off the chain keeps file order."""
    by_parent: dict[str | None, list[tuple[Migration, str | None]]] = {}
    for m, rev, parent in items:
        by_parent.setdefault(parent, []).append((m, rev))
    ordered: list[Migration] = []
    seen: set[str | None] = set()
    current: str | None = None
    while current in by_parent and current not in seen:
        seen.add(current)
        children = by_parent[current]
        ordered.extend(m for m, _ in children)
        current = children[0][1]
    rest = [m for m, _, _ in items if m not in ordered]
    return ordered + rest
