"""SQL migrations: split into statements with their lines, then reduced to operations.

The splitter knows quotes, comments and PostgreSQL dollar quoting, so a function body's `;`
does not end a statement. sqlglot (MIT) parses each statement for the dialect; what it
cannot parse stays a `raw` operation rather than being guessed at.
"""

from __future__ import annotations

import logging
import re

import sqlglot
from sqlglot import exp

from launchready.gatherers.deploy.migrations.model import (
    CONCURRENTLY,
    HAS_DEFAULT,
    NOT_NULL,
    NOT_VALID,
    ONLINE,
    UNIQUE,
    Operation,
)

# sqlglot logs a warning for every statement it falls back to a generic command on.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

_DIALECTS = {"postgresql": "postgres", "sqlite": "sqlite", "mysql": "mysql"}
_DOLLAR = re.compile(r"\$[A-Za-z_]*\$")


def split_statements(sql: str) -> list[tuple[int, str]]:
    """(1-based line where the statement starts, its text without the `;`)."""
    out: list[tuple[int, str]] = []
    i, n, start, line = 0, len(sql), 0, 1
    start_line: int | None = None
    while i < n:
        c = sql[i]
        if c == "\n":
            line += 1
        if start_line is None and not c.isspace():
            if sql.startswith("--", i):
                end = sql.find("\n", i)
                i = n if end < 0 else end
                continue
            start_line, start = line, i
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end
            continue
        if sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end < 0 else end + 2
            line += sql.count("\n", i, end)
            i = end
            continue
        if c in ("'", '"', "`"):
            end = i + 1
            while end < n and not (sql[end] == c and sql[end + 1 : end + 2] != c):
                end += 2 if sql[end] == c else 1
            line += sql.count("\n", i, end)
            i = end + 1
            continue
        m = _DOLLAR.match(sql, i) if c == "$" else None
        if m:
            end = sql.find(m.group(0), m.end())
            end = n if end < 0 else end + len(m.group(0))
            line += sql.count("\n", i, end)
            i = end
            continue
        if c == ";":
            if start_line is not None:
                out.append((start_line, sql[start:i].strip()))
            start_line = None
        i += 1
    if start_line is not None and sql[start:].strip():
        out.append((start_line, sql[start:].strip()))
    return out


def _name(node: exp.Expression | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, exp.Table):
        return node.name.lower() or None
    return str(node.name).lower() or None


def _column_flags(col: exp.ColumnDef) -> frozenset[str]:
    kinds = [c.args.get("kind") for c in col.args.get("constraints") or []]
    flags = set()
    if any(
        isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null") for k in kinds
    ):
        flags.add(NOT_NULL)
    if any(isinstance(k, exp.PrimaryKeyColumnConstraint) for k in kinds):
        flags.add(NOT_NULL)
    if any(isinstance(k, exp.DefaultColumnConstraint) for k in kinds):
        flags.add(HAS_DEFAULT)
    return frozenset(flags)


def _alter_ops(stmt: exp.Alter, line: int, online: bool) -> list[Operation]:
    table = _name(stmt.this)
    base = {ONLINE} if online else set()
    ops = []
    for action in stmt.args.get("actions") or []:
        if isinstance(action, exp.ColumnDef):
            flags = frozenset(base | _column_flags(action))
            ops.append(Operation("add_column", table, _name(action.this), None, line, flags))
        elif isinstance(action, exp.Drop) and str(action.args.get("kind", "")).upper() == "COLUMN":
            for col in action.args.get("tables") or []:
                ops.append(Operation("drop_column", table, _name(col), None, line))
        elif isinstance(action, exp.RenameColumn):
            ops.append(
                Operation(
                    "rename_column", table, _name(action.this), _name(action.args.get("to")), line
                )
            )
        elif isinstance(action, exp.AlterRename):
            ops.append(Operation("rename_table", table, None, _name(action.this), line))
        elif isinstance(action, exp.AlterColumn):
            column = _name(action.this)
            if action.args.get("dtype") is not None:
                ops.append(Operation("alter_type", table, column, None, line, frozenset(base)))
            elif action.args.get("allow_null") is False and not action.args.get("drop"):
                ops.append(Operation("set_not_null", table, column, None, line))
        elif isinstance(action, exp.ModifyColumn):  # MySQL MODIFY COLUMN: a type change
            column = _name(
                action.this.this if isinstance(action.this, exp.ColumnDef) else action.this
            )
            ops.append(Operation("alter_type", table, column, None, line, frozenset(base)))
        elif isinstance(action, exp.AddConstraint):
            text = action.sql().upper()
            kind = (
                "add_foreign_key"
                if "FOREIGN KEY" in text
                else "add_unique"
                if "UNIQUE" in text
                else "add_constraint"
            )
            valid = frozenset({NOT_VALID}) if stmt.args.get("not_valid") else frozenset()
            ops.append(Operation(kind, table, None, None, line, valid))
        else:
            ops.append(Operation("raw", table, None, None, line))
    return ops


def _online(stmt: exp.Expression) -> bool:
    opts = {o.sql().upper().replace(" ", "") for o in stmt.args.get("options") or []}
    algorithm = any(o in opts for o in ("ALGORITHM=INPLACE", "ALGORITHM=INSTANT"))
    return algorithm and "LOCK=NONE" in opts or "ALGORITHM=INSTANT" in opts


def statement_ops(stmt: exp.Expression, line: int) -> list[Operation]:
    if isinstance(stmt, exp.Create):
        kind = str(stmt.args.get("kind", "")).upper()
        if kind == "TABLE":
            schema = stmt.this
            table = _name(schema.this if isinstance(schema, exp.Schema) else schema)
            cols = tuple(
                c
                for c in (
                    _name(e.this)
                    for e in (schema.expressions if isinstance(schema, exp.Schema) else [])
                    if isinstance(e, exp.ColumnDef)
                )
                if c
            )
            return [Operation("create_table", table, None, None, line, columns=cols)]
        if kind == "INDEX":
            index = stmt.this
            flags: set[str] = {CONCURRENTLY} if stmt.args.get("concurrently") else set()
            if stmt.args.get("unique"):
                flags.add(UNIQUE)
            table = _name(index.args.get("table")) if isinstance(index, exp.Index) else None
            return [Operation("create_index", table, None, None, line, frozenset(flags))]
        return [Operation("raw", None, None, None, line)]
    if isinstance(stmt, exp.Drop):
        kind = str(stmt.args.get("kind", "")).upper()
        names = [_name(t) for t in stmt.args.get("tables") or [stmt.this]]
        op = {"TABLE": "drop_table", "INDEX": "drop_index"}.get(kind, "raw")
        how = frozenset({CONCURRENTLY}) if stmt.args.get("concurrently") else frozenset()
        return [Operation(op, n, None, None, line, how) for n in names]
    if isinstance(stmt, exp.Alter):
        return _alter_ops(stmt, line, _online(stmt))
    if isinstance(stmt, exp.Insert | exp.Update | exp.Delete):
        return [Operation("data", _name(stmt.find(exp.Table)), None, None, line)]
    return (
        []
        if isinstance(stmt, exp.Set | exp.Select | exp.Transaction | exp.Commit)
        else [Operation("raw", None, None, None, line)]
    )


def sql_ops(sql: str, dialect: str, first_line: int = 1) -> list[Operation]:
    ops: list[Operation] = []
    read = _DIALECTS.get(dialect, "postgres")
    for line, text in split_statements(sql):
        where = first_line + line - 1
        try:
            parsed = sqlglot.parse(text, read=read)
        except sqlglot.errors.SqlglotError:
            ops.append(Operation("raw", None, None, None, where))
            continue
        for stmt in parsed:
            if isinstance(stmt, exp.Expression):
                ops.extend(statement_ops(stmt, where))
    return ops
