"""Django migrations read statically: the `operations` list of each Migration class.

`sqlmigrate` would need the project's settings and database driver; the operations are
declared with literal arguments, so they are read from the syntax tree. Django reverses
schema operations itself; RunPython and RunSQL are reversible only with a reverse given.
Tables are named the Django way, `<app label>_<model name>`.
"""

from __future__ import annotations

import ast
import posixpath

from launchready.gatherers.deploy.migrations.model import (
    CONCURRENTLY,
    HAS_DEFAULT,
    NO_REVERSE,
    NOT_NULL,
    UNIQUE,
    DownKind,
    Migration,
    Operation,
)
from launchready.gatherers.deploy.migrations.pyast import kw, literal_str
from launchready.gatherers.deploy.migrations.sql import sql_ops


def _field_flags(field: ast.AST | None) -> frozenset[str]:
    if not isinstance(field, ast.Call):
        return frozenset()
    flags = {NOT_NULL}
    null = kw(field, "null")
    if isinstance(null, ast.Constant) and null.value is True:
        flags.discard(NOT_NULL)
    if kw(field, "default") is not None or kw(field, "db_default") is not None:
        flags.add(HAS_DEFAULT)
    unique = kw(field, "unique")
    if isinstance(unique, ast.Constant) and unique.value is True:
        flags.add(UNIQUE)
    return frozenset(flags)


def _column(name: str | None, field: ast.AST | None) -> str | None:
    """A ForeignKey named `client` is the column `client_id`."""
    if name and isinstance(field, ast.Call) and isinstance(field.func, ast.Attribute | ast.Name):
        kind = field.func.attr if isinstance(field.func, ast.Attribute) else field.func.id
        if kind in ("ForeignKey", "OneToOneField"):
            return f"{name}_id"
    return name


def _operation(call: ast.Call, app: str, dialect: str) -> list[Operation]:
    func = call.func
    name = (
        func.attr
        if isinstance(func, ast.Attribute)
        else func.id
        if isinstance(func, ast.Name)
        else ""
    )
    line = call.lineno

    def table(model: str | None) -> str | None:
        return f"{app}_{model.lower()}" if model else None

    model = literal_str(kw(call, "model_name", 0))
    if name == "CreateModel":
        fields = kw(call, "fields", 1)
        cols: list[str] = []
        if isinstance(fields, ast.List):
            for item in fields.elts:
                if isinstance(item, ast.Tuple) and len(item.elts) == 2:
                    col = _column(literal_str(item.elts[0]), item.elts[1])
                    if col:
                        cols.append(col)
        return [
            Operation(
                "create_table",
                table(literal_str(kw(call, "name", 0))),
                None,
                None,
                line,
                columns=tuple(cols),
            )
        ]
    if name == "DeleteModel":
        return [Operation("drop_table", table(literal_str(kw(call, "name", 0))), None, None, line)]
    if name == "RenameModel":
        old, new = literal_str(kw(call, "old_name", 0)), literal_str(kw(call, "new_name", 1))
        return [Operation("rename_table", table(old), None, table(new), line)]
    if name == "AddField":
        field = kw(call, "field", 2)
        column = _column(literal_str(kw(call, "name", 1)), field)
        return [Operation("add_column", table(model), column, None, line, _field_flags(field))]
    if name == "RemoveField":
        return [
            Operation("drop_column", table(model), literal_str(kw(call, "name", 1)), None, line)
        ]
    if name == "RenameField":
        old, new = literal_str(kw(call, "old_name", 1)), literal_str(kw(call, "new_name", 2))
        return [Operation("rename_column", table(model), old, new, line)]
    if name == "AlterField":
        field = kw(call, "field", 2)
        column = _column(literal_str(kw(call, "name", 1)), field)
        flags = _field_flags(field)
        ops = [Operation("alter_type", table(model), column, None, line)]
        if NOT_NULL in flags:
            ops.append(Operation("set_not_null", table(model), column, None, line))
        return ops
    if name in ("AddIndex", "AddIndexConcurrently"):
        flags = frozenset({CONCURRENTLY}) if name == "AddIndexConcurrently" else frozenset()
        return [Operation("create_index", table(model), None, None, line, flags)]
    if name == "AddConstraint":
        return [Operation("add_constraint", table(model), None, None, line)]
    if name == "RunPython":
        reverse = kw(call, "reverse_code", 1)
        flags = frozenset() if reverse is not None else frozenset({NO_REVERSE})
        return [Operation("run_code", None, None, None, line, flags)]
    if name == "RunSQL":
        reverse = kw(call, "reverse_sql", 1)
        sql = literal_str(kw(call, "sql", 0))
        ops = sql_ops(sql, dialect) if sql else [Operation("raw", None, None, None, line)]
        flags = frozenset() if reverse is not None else frozenset({NO_REVERSE})
        return [
            Operation(o.kind, o.table, o.column, o.new_name, line, o.flags | flags, o.columns)
            for o in ops
        ]
    return []


def read_migration(path: str, text: str, dialect: str) -> Migration:
    app = posixpath.basename(posixpath.dirname(posixpath.dirname(path))) or "app"
    ident = posixpath.splitext(posixpath.basename(path))[0]
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        return Migration(
            ident, path, (), (), "none", problem=f"not valid Python (line {exc.lineno})"
        )
    ops: list[Operation] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.List)):
            continue
        if any(isinstance(t, ast.Name) and t.id == "operations" for t in node.targets):
            for item in node.value.elts:
                if isinstance(item, ast.Call):
                    ops.extend(_operation(item, app, dialect))
    # Django reverses its schema operations; code and SQL need a reverse written out.
    kind: DownKind = "implicit"
    if any(NO_REVERSE in op.flags for op in ops):
        kind = "none"
    return Migration(f"{app}.{ident}", path, tuple(ops), (), kind)
