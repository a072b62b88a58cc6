"""The migration rehearsal on a scratch copy: every pending migration goes forward, back and
forward again, and no step holds a lock on a hot table longer than the lock timeout."""

from __future__ import annotations

from collections.abc import Iterator

from launchready.checks.base import Verdict, check
from launchready.core.findings import Harm, Severity, Stage
from launchready.gatherers.deploy.rehearsal.lite import WRITE_LOCK
from launchready.gatherers.deploy.rehearsal.model import REHEARSAL, RehearsalFact, Step

PG_LOCKS = "https://www.postgresql.org/docs/current/explicit-locking.html"
# Lock modes that make customers wait: the first blocks reads too, the rest block writes.
BLOCKS_READS = frozenset({"AccessExclusiveLock"})
BLOCKS_WRITES = frozenset({"ExclusiveLock", "ShareRowExclusiveLock", "ShareLock", WRITE_LOCK})
_PASS = {1: "forward", 2: "back", 3: "forward again"}


def _total(steps: list[Step]) -> str:
    return f"{sum(s.duration_s for s in steps):.2f} s"


@check(
    id="deploy.migration-rehearsal",
    stage=Stage.DEPLOY,
    title="Pending migrations apply, undo and re-apply on a scratch copy",
    severity=Severity.HIGH,
    harm=Harm.DEPLOY,
    reads=REHEARSAL,
    impact="A migration that fails on real data stops the deploy half way; one whose down fails "
    "or leaves the schema changed turns a rollback into a restore from backup.",
    remediation="Fix the failing step shown (run it on a copy of staging until it passes "
    "forward, back and forward), make each down undo exactly what its up did, and rehearse in "
    "CI with `launchready audit --only deploy --database-url <scratch>`.",
    references=[
        "https://github.com/golang-migrate/migrate/blob/master/MIGRATIONS.md",
        "https://www.postgresql.org/docs/current/manage-ag-templatedbs.html",
    ],
)
def migration_rehearsal(fact: RehearsalFact) -> Iterator[Verdict]:
    """The rehearsal ran on a copy made from the given database, dropped afterwards, so the
    database itself is never changed. A migration without a down stops the back pass there."""
    if not fact.pending:
        yield Verdict.ok(f"no pending migration on {fact.database}")
        return
    failed = [s for s in fact.steps if not s.ok]
    for s in failed:
        yield Verdict.fail(
            f"{s.direction} of {s.migration} failed going {_PASS[s.pass_no]}: {s.error}",
            target=s.path,
        )
    # On an empty database the first migration is the initial schema: like
    # deploy.migration-reversible, it needs no down (there is nothing to return to).
    initial = fact.pending[0] if not fact.schema_before else None
    for name in fact.without_down:
        if name == initial:
            continue
        yield Verdict.warn(
            f"{name} has no down: the back pass stopped there", severity=Severity.MEDIUM
        )
    undone = fact.back_complete and not [s for s in failed if s.pass_no < 3]
    if undone and fact.schema_before != fact.schema_after_back:
        before, after = set(fact.schema_before), set(fact.schema_after_back)
        diff = [f"+ {x}" for x in sorted(after - before)] + [
            f"- {x}" for x in sorted(before - after)
        ]
        yield Verdict.fail(
            "after every down ran, the schema differs from before: " + "; ".join(diff[:5])
        )
    if not failed:
        by_pass = {n: [s for s in fact.steps if s.pass_no == n] for n in _PASS}
        timing = ", ".join(f"{_PASS[n]} {_total(by_pass[n])}" for n in _PASS if by_pass[n])
        yield Verdict.ok(
            f"{len(fact.pending)} pending migration(s) of {fact.tool} on a copy of "
            f"{fact.database}: {timing}"
        )


@check(
    id="deploy.migration-locks",
    stage=Stage.DEPLOY,
    title="No migration holds a blocking lock on a hot table past the lock timeout",
    severity=Severity.BLOCKER,
    harm=Harm.LOGIN,
    reads=REHEARSAL,
    impact="While a migration holds an exclusive lock on a table every request touches, every "
    "login and page load queues behind it: one migration blocks all customers.",
    remediation="Split the migration so no statement holds the lock long: CREATE INDEX "
    "CONCURRENTLY, NOT VALID then VALIDATE, backfill in batches outside the transaction; start "
    "each migration with `SET lock_timeout = '2s'` so it fails fast instead of queueing users.",
    references=[
        PG_LOCKS,
        "https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-LOCK-TIMEOUT",
    ],
)
def migration_locks(fact: RehearsalFact) -> Iterator[Verdict]:
    """Locks were sampled from a second connection every few milliseconds while each step ran;
    held time is first to last sighting. Only tables that existed before the step count, and
    only hot ones when [deploy] hot_tables or [database] hot_queries name them."""
    hot = set(fact.hot_tables)
    worst: tuple[float, str] | None = None
    blocked = False
    for step in fact.steps:
        if step.direction != "up" or step.pass_no != 1:
            continue
        for lock in step.locks:
            if not lock.preexisting or (hot and lock.table not in hot and lock.table != "*"):
                continue
            if lock.mode not in BLOCKS_READS | BLOCKS_WRITES:
                continue
            if worst is None or lock.held_s > worst[0]:
                worst = (lock.held_s, f"{lock.mode} on {lock.table} by {step.migration}")
            if lock.held_s <= fact.lock_timeout_s:
                continue
            blocked = True
            reads = lock.mode in BLOCKS_READS
            what = "reads and writes" if reads else "writes"
            table = "the whole database" if lock.table == "*" else f"table {lock.table}"
            yield Verdict.fail(
                f"{step.migration} held {lock.mode} on {table} for {lock.held_s:.2f} s "
                f"(lock timeout {fact.lock_timeout_s:g} s): {what} waited the whole time",
                target=step.path,
                severity=Severity.BLOCKER if reads else Severity.HIGH,
            )
    if not blocked:
        longest = f"; longest: {worst[1]}, {worst[0]:.2f} s" if worst else ""
        scope = ", ".join(sorted(hot)) if hot else "every existing table"
        yield Verdict.ok(f"no blocking lock on {scope} beyond {fact.lock_timeout_s:g} s{longest}")
