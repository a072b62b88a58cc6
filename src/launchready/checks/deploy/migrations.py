"""Migration safety read from the migrations themselves: locks and failures (squawk for
PostgreSQL SQL, our own rules for SQLite, MySQL and ORM migrations), code that still reads
what a migration removes, and a way back for each migration."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from launchready.checks.base import Verdict, check
from launchready.core.findings import Harm, Severity, Stage, Status
from launchready.gatherers.deploy.migrations.model import (
    CONCURRENTLY,
    HAS_DEFAULT,
    MIGRATIONS,
    NO_REVERSE,
    NOT_NULL,
    NOT_VALID,
    ONLINE,
    Migration,
    MigrationSet,
    MigrationsFact,
    Operation,
)

SQUAWK = "https://squawkhq.com/docs/rules"
STRONG_MIGRATIONS = "https://github.com/ankane/strong_migrations#checks"
H, M, L = Severity.HIGH, Severity.MEDIUM, Severity.LOW
# squawk rule -> severity: HIGH stops the deploy half way; MEDIUM locks or rewrites a table,
# or breaks the code still running during the rollout; LOW is a missing safety net.
SQUAWK_SEVERITY: dict[str, Severity] = {
    "adding-required-field": H,
    "ban-concurrent-index-creation-in-transaction": H,
    "ban-drop-database": H,
    "ban-truncate-cascade": H,
    **dict.fromkeys(
        [
            "changing-column-type",
            "adding-serial-primary-key-field",
            "adding-field-with-default",
            "constraint-missing-not-valid",
            "adding-foreign-key-constraint",
            "disallowed-unique-constraint",
            "require-concurrent-index-creation",
            "require-concurrent-index-deletion",
            "adding-not-nullable-field",
            "ban-alter-domain-with-add-constraint",
            "require-concurrent-reindex",
            "ban-create-domain-with-constraint",
            "require-concurrent-partition-detach",
            "renaming-column",
            "renaming-table",
            "renaming-object",
            "ban-drop-column",
            "ban-drop-table",
            "ban-uncommitted-transaction",
        ],
        M,
    ),
}
STYLE_RULES = frozenset(
    {
        "prefer-robust-stmts",
        "prefer-bigint-over-int",
        "prefer-bigint-over-smallint",
        "prefer-identity",
        "prefer-text-field",
        "prefer-timestamp-tz",
        "prefer-timestamptz",
        "ban-char-field",
        "require-table-schema",
        "prefer-repack",
        "unused-ignore",
    }
)
# Rules about locking or filling a table: moot on a table created earlier in the same file.
EXISTING_TABLE_RULES = frozenset(
    {
        "require-concurrent-index-creation",
        "constraint-missing-not-valid",
        "adding-foreign-key-constraint",
        "disallowed-unique-constraint",
        "changing-column-type",
        "adding-field-with-default",
        "adding-not-nullable-field",
        "adding-required-field",
        "adding-serial-primary-key-field",
        "require-lock-timeout",
        "require-statement-timeout",
    }
)
PER_FILE_RULES = frozenset({"require-lock-timeout", "require-statement-timeout"})


def _squawk_verdicts(fact: MigrationsFact) -> Iterator[Verdict]:
    style: Counter[str] = Counter()
    once: set[tuple[str, str]] = set()
    for hit in fact.lint:
        if hit.new_table and hit.rule in EXISTING_TABLE_RULES:
            continue
        if hit.rule in STYLE_RULES:
            style[hit.rule] += 1
            continue
        if hit.rule in PER_FILE_RULES:
            if (hit.path, hit.rule) in once:
                continue
            once.add((hit.path, hit.rule))
        severity = SQUAWK_SEVERITY.get(hit.rule, L)
        text = f"squawk {hit.rule}: {hit.message}" + (f" (table {hit.table})" if hit.table else "")
        target = f"{hit.path}:{hit.line}"
        if severity is H:
            yield Verdict.fail(text, target=target, severity=severity)
        else:
            yield Verdict.warn(text, target=target, severity=severity)
    if style:
        notes = ", ".join(f"{rule} ×{n}" for rule, n in style.most_common())
        yield Verdict.ok(f"style notes from squawk, not counted: {notes}")


def _op_problem(op: Operation, dialect: str, created: set[str]) -> tuple[Severity, str] | None:
    """Our own rules, for SQLite, MySQL and ORM migrations (squawk reads PostgreSQL SQL)."""
    new = op.table in created
    if op.kind == "add_column" and NOT_NULL in op.flags and HAS_DEFAULT not in op.flags:
        if not new:
            return (
                H,
                f"adds NOT NULL column {op.table}.{op.column} without a default: "
                "fails on a table with rows",
            )
    elif op.kind == "alter_type" and not new:
        if dialect == "sqlite":
            return (
                H,
                f"changes the type of {op.table}.{op.column}: SQLite cannot ALTER a column type",
            )
        if dialect == "mysql" and ONLINE in op.flags:
            return None
        return (
            M,
            f"changes the type of {op.table}.{op.column}: "
            "rewrites the table under an exclusive lock",
        )
    elif op.kind == "set_not_null" and not new:
        if dialect == "sqlite":
            return H, f"sets {op.table}.{op.column} NOT NULL: SQLite cannot alter a column"
        return (
            M,
            f"sets {op.table}.{op.column} NOT NULL: scans the table under an exclusive lock "
            "(add a CHECK … NOT VALID, validate, then set)",
        )
    elif op.kind == "create_index" and dialect == "postgresql" and not new:
        if CONCURRENTLY not in op.flags:
            return (
                M,
                f"creates an index on {op.table} without CONCURRENTLY: "
                "writes wait until it is built",
            )
    elif op.kind in ("add_foreign_key", "add_unique", "add_constraint") and not new:
        if dialect == "sqlite":
            return H, f"adds a constraint to {op.table}: SQLite's ALTER TABLE cannot"
        if dialect == "postgresql" and NOT_VALID not in op.flags:
            return M, f"adds a constraint to {op.table} without NOT VALID: validates under a lock"
    elif op.kind in ("drop_column", "drop_table"):
        what = f"{op.table}.{op.column}" if op.column else op.table
        return M, f"drops {what}: the old release still running during the deploy may read it"
    elif op.kind in ("rename_column", "rename_table"):
        what = f"{op.table}.{op.column}" if op.column else op.table
        return M, f"renames {what} to {op.new_name}: the old release still running breaks"
    return None


def _own_rules(s: MigrationSet, m: Migration) -> Iterator[Verdict]:
    created = m.created_tables()
    for op in m.up:
        problem = _op_problem(op, s.dialect, created)
        if problem:
            severity, text = problem
            target = f"{m.path}:{op.line}"
            if severity is H:
                yield Verdict.fail(text, target=target, severity=severity)
            else:
                yield Verdict.warn(text, target=target, severity=severity)


def _not_evaluated(fact: MigrationsFact) -> Iterator[Verdict]:
    for note in fact.notes:
        yield Verdict(Status.ERROR, note)
    if not fact.sets and not fact.notes:
        yield Verdict(Status.SKIPPED, "no migrations in the repository")


@check(
    id="deploy.migration-safety",
    stage=Stage.DEPLOY,
    title="Migrations are safe to run while the app serves customers",
    severity=Severity.MEDIUM,
    harm=Harm.DEPLOY,
    reads=MIGRATIONS,
    impact="One migration that locks a busy table, rewrites it, or fails on existing rows stops "
    "the deploy half way — and while it holds its lock, every login that touches the table waits.",
    remediation="Follow the safe recipe for each flagged operation: CREATE INDEX CONCURRENTLY; "
    "constraints NOT VALID then VALIDATE; add columns nullable or with a default, backfill in "
    "batches, then enforce; set lock_timeout and statement_timeout at the top of each migration.",
    references=[
        SQUAWK,
        STRONG_MIGRATIONS,
        "https://www.postgresql.org/docs/current/explicit-locking.html",
    ],
)
def migration_safety(fact: MigrationsFact) -> Iterator[Verdict]:
    """PostgreSQL SQL goes through squawk; everything else (SQLite, MySQL, and ORM migrations
    read as operations) through the same rules in one table here. Locking rules are skipped for
    a table the same migration created: it has no rows and no readers yet."""
    yield from _not_evaluated(fact)
    if fact.lint_problem:
        yield Verdict(
            Status.ERROR,
            f"could not lint: {fact.lint_problem}",
            target=", ".join(fact.linted[:3]) or None,
        )
    problems = 0
    for v in _squawk_verdicts(fact):
        problems += v.status != Status.PASS
        yield v
    linted = set(fact.linted)
    for s in fact.sets:
        for m in s.migrations:
            if m.problem:
                yield Verdict(Status.ERROR, f"could not read it: {m.problem}", target=m.path)
            elif m.path not in linted:
                for v in _own_rules(s, m):
                    problems += 1
                    yield v
    if fact.sets and not problems:
        counted = ", ".join(f"{len(s.migrations)} {s.tool} ({s.dialect})" for s in fact.sets)
        yield Verdict.ok(f"no unsafe operation in {counted} migration(s)")


@check(
    id="deploy.migration-compat",
    stage=Stage.DEPLOY,
    title="No migration removes a column the code still reads",
    severity=Severity.BLOCKER,
    harm=Harm.DEPLOY,
    reads=MIGRATIONS,
    impact="The migration runs, then every request that reads the dropped or renamed column "
    "fails: the pages customers use stop working until the release is rolled back.",
    remediation="Expand and contract: ship code that stops reading the column (and, for a "
    "rename, reads both names) first; drop or rename it in a later release.",
    references=[
        STRONG_MIGRATIONS,
        "https://www.prisma.io/dataguide/types/relational/expand-and-contract-pattern",
    ],
)
def migration_compat(fact: MigrationsFact) -> Iterator[Verdict]:
    """Columns gone after all migrations are looked up in the deployable source (not migrations
    or tests) in files that also name the table or its model. When another table still has a
    column of that name, the uses may be that one: a warning, not a blocker."""
    yield from _not_evaluated(fact)
    for ref in fact.code_refs:
        uses = ", ".join(ref.code)
        text = (
            f"{ref.table}.{ref.column} is {ref.change} at {ref.migration}, "
            f"but the code still names it: {uses}"
        )
        if ref.also_on:
            yield Verdict.warn(
                f"{text} (a column of that name also exists on {', '.join(ref.also_on)})",
                target=ref.migration,
                severity=Severity.MEDIUM,
            )
        else:
            yield Verdict.fail(text, target=ref.migration)
    if fact.sets and not fact.code_refs:
        yield Verdict.ok(
            "no dropped or renamed column is named in the code "
            f"({fact.code_files} source files searched)"
        )


def _drops_not_created(m: Migration) -> list[str]:
    """What a down drops that its up did not create: undoing the migration loses data."""
    created = {(op.table, op.column) for op in m.up if op.kind in ("create_table", "add_column")}
    created |= {(op.table, None) for op in m.up if op.kind == "create_table"}
    out = []
    for op in m.down:
        if op.kind == "drop_table" and (op.table, None) not in created:
            out.append(f"table {op.table}")
        if op.kind == "drop_column" and (op.table, op.column) not in created:
            out.append(f"column {op.table}.{op.column}")
    return out


def _initial_schema(s: MigrationSet, m: Migration) -> bool:
    """The first migration, when it only creates: its down would drop the whole app."""
    return (
        m is s.migrations[0]
        and bool(m.up)
        and all(op.kind in ("create_table", "create_index") for op in m.up)
    )


@check(
    id="deploy.migration-reversible",
    stage=Stage.DEPLOY,
    title="Every migration has a way back",
    severity=Severity.MEDIUM,
    harm=Harm.DEPLOY,
    reads=MIGRATIONS,
    impact="Rolling back the code is not enough when its migration cannot be undone: the old "
    "release meets a schema it does not know, and the rollback becomes a restore from backup.",
    remediation="Write the down: a `.down.sql` beside the up, a real `downgrade()`, "
    "`reverse_code=` for RunPython, `def down` for a Rails migration, `exports.down` for Knex. "
    "For a change that truly cannot be undone, say so in the runbook and take a backup first.",
    references=[
        "https://alembic.sqlalchemy.org/en/latest/tutorial.html#downgrading",
        "https://docs.djangoproject.com/en/stable/ref/migration-operations/#runpython",
        "https://github.com/golang-migrate/migrate/blob/master/MIGRATIONS.md",
    ],
)
def migration_reversible(fact: MigrationsFact) -> Iterator[Verdict]:
    """A down that drops what its own up created is correct and is not reported. Django and
    Rails `change` reverse schema operations themselves; RunPython, RunSQL and Rails
    `remove_column` without a type do not. The initial schema needs no down."""
    yield from _not_evaluated(fact)
    ok = initial = 0
    for s in fact.sets:
        for m in s.migrations:
            if m.problem:
                continue
            irreversible = [op for op in m.up if NO_REVERSE in op.flags]
            if irreversible:
                lines = ", ".join(f"{op.kind} at line {op.line}" for op in irreversible)
                yield Verdict.fail(f"cannot be reversed: {lines} has no reverse", target=m.path)
            elif m.down_kind == "none" and _initial_schema(s, m):
                initial += 1
            elif m.down_kind == "none":
                hint = " (Prisma writes no down migrations)" if s.tool == "prisma" else ""
                yield Verdict.fail(f"no down migration{hint}", target=m.path)
            elif m.down_kind == "empty" and m.up:
                yield Verdict.fail("its down does nothing", target=m.down_path or m.path)
            else:
                ok += 1
            lost = _drops_not_created(m)
            if lost:
                yield Verdict.warn(
                    f"its down drops {', '.join(lost)}, which its up did not create: "
                    "a rollback loses that data",
                    target=m.down_path or m.path,
                )
    if (ok or initial) and fact.sets:
        parts = [f"{ok} migration(s) can be undone"] if ok else []
        parts += ["the initial schema needs no down"] if initial else []
        yield Verdict.ok("; ".join(parts))
