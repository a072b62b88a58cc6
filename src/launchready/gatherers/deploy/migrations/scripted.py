"""Knex (JavaScript/TypeScript) and Rails (Ruby) migrations, read by pattern.

Both are code; their schema builders have a small, regular vocabulary (`table.dropColumn`,
`rename_column :clients, :name, :full_name`), so patterns find the operations without a
JavaScript or Ruby parser. Each up/down body is located first, then searched.
"""

from __future__ import annotations

import posixpath
import re

from launchready.gatherers.deploy.migrations.model import (
    CONCURRENTLY,
    HAS_DEFAULT,
    NO_REVERSE,
    NOT_NULL,
    DownKind,
    Migration,
    Operation,
)

# --- Knex -----------------------------------------------------------------------------------
_KNEX_UP = re.compile(
    r"(exports\.up\s*=|export\s+(async\s+)?function\s+up\b|up\s*:\s*(async\s+)?function)"
)
_KNEX_DOWN = re.compile(
    r"(exports\.down\s*=|export\s+(async\s+)?function\s+down\b|down\s*:\s*(async\s+)?function)"
)
_KNEX_TABLE = re.compile(
    r"\.(createTable|table|alterTable|dropTable|dropTableIfExists|renameTable)\(\s*['\"]([\w.]+)['\"](?:\s*,\s*['\"]([\w.]+)['\"])?"
)
_KNEX_COLUMN = re.compile(
    r"\.(dropColumns?|renameColumn|string|text|integer|bigInteger|boolean|timestamp|datetime|date|decimal|float|json|jsonb|uuid|enu|enum|specificType|index|unique|foreign)\(\s*['\"]([\w.]+)['\"](?:\s*,\s*['\"]([\w.]+)['\"])?([^;\n]*)"
)
_KNEX_RAW = re.compile(r"\.raw\(")


def _body(
    text: str, start: re.Pattern[str], stop: re.Pattern[str] | None
) -> tuple[str, int] | None:
    m = start.search(text)
    if not m:
        return None
    end = len(text)
    if stop:
        n = stop.search(text, m.end())
        if n:
            end = n.start()
    return text[m.end() : end], text.count("\n", 0, m.end()) + 1


def _knex_ops(body: str, first_line: int) -> list[Operation]:
    ops: list[Operation] = []
    table: str | None = None
    for offset, line in enumerate(body.splitlines()):
        number = first_line + offset
        for m in _KNEX_TABLE.finditer(line):
            verb, table = m.group(1), m.group(2)
            if verb == "createTable":
                ops.append(Operation("create_table", table, None, None, number))
            elif verb.startswith("dropTable"):
                ops.append(Operation("drop_table", table, None, None, number))
            elif verb == "renameTable":
                ops.append(Operation("rename_table", table, None, m.group(3), number))
        for m in _KNEX_COLUMN.finditer(line):
            verb, name, other, tail = m.group(1), m.group(2), m.group(3), m.group(4) or ""
            created = ops and ops[-1].kind == "create_table" and ops[-1].table == table
            if verb in ("dropColumn", "dropColumns"):
                ops.append(Operation("drop_column", table, name, None, number))
            elif verb == "renameColumn":
                ops.append(Operation("rename_column", table, name, other, number))
            elif verb in ("index", "unique"):
                ops.append(Operation("create_index", table, None, None, number))
            elif verb == "foreign":
                ops.append(Operation("add_foreign_key", table, None, None, number))
            elif created:
                last = ops[-1]
                ops[-1] = Operation(
                    last.kind, last.table, None, None, last.line, columns=(*last.columns, name)
                )
            else:
                flags = set()
                if "notNullable()" in tail:
                    flags.add(NOT_NULL)
                if ".defaultTo(" in tail:
                    flags.add(HAS_DEFAULT)
                if ".alter()" in tail:
                    ops.append(Operation("alter_type", table, name, None, number))
                else:
                    ops.append(Operation("add_column", table, name, None, number, frozenset(flags)))
        if _KNEX_RAW.search(line):
            ops.append(Operation("raw", table, None, None, number))
    return ops


def _has_effect(body: str) -> bool:
    return bool(re.search(r"knex|schema|\.raw\(|query\(", body))


def read_knex(path: str, text: str) -> Migration:
    ident = posixpath.splitext(posixpath.basename(path))[0]
    up = _body(text, _KNEX_UP, _KNEX_DOWN)
    down = _body(text, _KNEX_DOWN, _KNEX_UP)
    # When down comes first, its body ran to the end of the file: cut it at up.
    up_ops = _knex_ops(*up) if up else []
    kind: DownKind = "none"
    down_ops: list[Operation] = []
    if down:
        down_ops = _knex_ops(*down)
        kind = "code" if _has_effect(down[0]) else "empty"
    return Migration(ident, path, tuple(up_ops), tuple(down_ops), kind)


# --- Rails ----------------------------------------------------------------------------------
_RB_DEF = re.compile(r"^\s*def\s+(change|up|down)\b", re.M)
_RB_OPS = re.compile(
    r"\b(create_table|drop_table|rename_table|add_column|remove_column|rename_column"
    r"|change_column|change_column_null|add_index|add_reference|add_foreign_key|execute)\b"
    r"\s*\(?\s*:?['\"]?(\w+)['\"]?(?:\s*,\s*:?['\"]?(\w+)['\"]?)?(?:\s*,\s*:?['\"]?(\w+)['\"]?)?(.*)$"
)
_RB_IRREVERSIBLE = re.compile(r"ActiveRecord::IrreversibleMigration")


def _flags(concurrently: bool) -> frozenset[str]:
    return frozenset({CONCURRENTLY}) if concurrently else frozenset()


def _rails_ops(body: str, first_line: int) -> list[Operation]:
    ops = []
    for offset, line in enumerate(body.splitlines()):
        m = _RB_OPS.search(line)
        if not m:
            continue
        verb, a, b, c, tail = m.groups()
        number = first_line + offset
        if verb == "create_table":
            ops.append(Operation("create_table", a, None, None, number))
        elif verb == "drop_table":
            ops.append(Operation("drop_table", a, None, None, number))
        elif verb == "rename_table":
            ops.append(Operation("rename_table", a, None, b, number))
        elif verb in ("add_column", "add_reference"):
            flags = set()
            if re.search(r"null:\s*false", tail or ""):
                flags.add(NOT_NULL)
            if re.search(r"default:", tail or ""):
                flags.add(HAS_DEFAULT)
            col = f"{b}_id" if verb == "add_reference" else b
            ops.append(Operation("add_column", a, col, None, number, frozenset(flags)))
        elif verb == "remove_column":
            # Without the type, `change` cannot re-create the column on the way back.
            gone = frozenset() if c else frozenset({NO_REVERSE})
            ops.append(Operation("drop_column", a, b, None, number, gone))
        elif verb == "rename_column":
            ops.append(Operation("rename_column", a, b, c, number))
        elif verb == "change_column":
            ops.append(Operation("alter_type", a, b, None, number, frozenset({NO_REVERSE})))
        elif verb == "change_column_null" and "false" in f"{c} {tail}":
            ops.append(Operation("set_not_null", a, b, None, number))
        elif verb == "add_index":
            online = "concurrently" in (tail or "")
            ops.append(Operation("create_index", a, None, None, number, _flags(online)))
        elif verb == "add_foreign_key":
            ops.append(Operation("add_foreign_key", a, None, None, number))
        elif verb == "execute":
            ops.append(Operation("raw", None, None, None, number, frozenset({NO_REVERSE})))
    return ops


def read_rails(path: str, text: str) -> Migration:
    ident = posixpath.basename(path).split("_", 1)[0]
    bodies: dict[str, tuple[str, int]] = {}
    defs = list(_RB_DEF.finditer(text))
    for i, m in enumerate(defs):
        end = defs[i + 1].start() if i + 1 < len(defs) else len(text)
        bodies[m.group(1)] = (text[m.end() : end], text.count("\n", 0, m.end()) + 1)
    up_ops: list[Operation] = []
    down_ops: list[Operation] = []
    kind: DownKind = "none"
    if "change" in bodies:
        up_ops = _rails_ops(*bodies["change"])
        kind = "none" if any(NO_REVERSE in o.flags for o in up_ops) else "implicit"
    if "up" in bodies:
        up_ops += _rails_ops(*bodies["up"])
        kind = "none"
    if "down" in bodies:
        down_ops = _rails_ops(*bodies["down"])
        body = bodies["down"][0]
        kind = "empty" if _RB_IRREVERSIBLE.search(body) or not down_ops else "code"
    return Migration(ident, path, tuple(up_ops), tuple(down_ops), kind)
