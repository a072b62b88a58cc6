"""Is a hot query a plain read? The query-plan step times hot queries on the database, so
anything that could change data (UPDATE, DELETE, a data-modifying CTE, SELECT … INTO)
must be refused before it gets there.
"""

from __future__ import annotations

import logging

import sqlglot
from sqlglot import exp

# Statements and clauses that write or change the schema, wherever they sit in the tree
# (PostgreSQL allows DELETE … RETURNING inside a WITH of a SELECT).
_WRITES = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Command,  # what sqlglot cannot parse (EXPLAIN, VACUUM, CALL …): not a plain read
)
_READS = (exp.Select, exp.SetOperation, exp.Subquery)


def dialect_of(url: str | None) -> str | None:
    if url and url.startswith(("postgres://", "postgresql")):
        return "postgres"
    if url and url.startswith("sqlite"):
        return "sqlite"
    return None


def not_a_read(sql: str, dialect: str | None = None) -> str | None:
    """Why ``sql`` is not one SELECT (or WITH … SELECT, or a UNION of them), else None."""
    quiet = logging.getLogger("sqlglot")
    level = quiet.level
    # sqlglot logs a warning when it falls back to a Command; the reason below says it all.
    quiet.setLevel(logging.ERROR)
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except sqlglot.errors.SqlglotError as exc:
        return f"cannot be parsed as SQL: {str(exc).splitlines()[0]}"
    finally:
        quiet.setLevel(level)
    if len(statements) != 1:
        return f"must be one statement, not {len(statements)}"
    tree = statements[0]
    if not isinstance(tree, _READS):
        kind = str(tree.this) if isinstance(tree, exp.Command) else tree.key
        return f"must be a SELECT (or WITH … SELECT), not {kind.upper()}"
    writes = sorted({node.key.upper() for node in tree.find_all(*_WRITES)})
    if writes:
        return f"must only read, but contains {', '.join(writes)}"
    if any(select.args.get("into") for select in tree.find_all(exp.Select)):
        return "must only read, but SELECT … INTO creates a table"
    return None
