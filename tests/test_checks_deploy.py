"""Deploy checks on plain facts: no repository, network or database needed."""

from launchready.checks.deploy import (
    base_image_pinned,
    ci_actions_pinned,
    ci_deploy,
    ci_env_check,
    ci_tests,
    config_secrets,
    env_files_tracked,
    is_env_file,
    lockfile,
    lockfile_sync,
    migration_compat,
    migration_locks,
    migration_rehearsal,
    migration_reversible,
    migration_safety,
    production_debug,
    required_env,
    rollback_path,
    rollback_runbook,
    secret_store,
    shared_database,
    shared_secrets,
    unpinned_requirements,
)
from launchready.core.findings import Severity, Status
from launchready.gatherers.deploy.builds import BaseImage, BuildsFact, LockRecord
from launchready.gatherers.deploy.ci import ActionRef, CiCommand, CiConfig, CiFact
from launchready.gatherers.deploy.config_secrets import (
    Assignment,
    ConfigSecretsFact,
    TokenHit,
)
from launchready.gatherers.deploy.dotenv import DbTarget
from launchready.gatherers.deploy.envs import Environment, EnvironmentsFact, EnvVar
from launchready.gatherers.deploy.locks import Dep
from launchready.gatherers.deploy.migrations.model import (
    CodeRef,
    LintHit,
    Migration,
    MigrationSet,
    MigrationsFact,
    Operation,
)
from launchready.gatherers.deploy.rehearsal.model import (
    LockSample,
    RehearsalFact,
    Step,
)
from launchready.gatherers.deploy.repo import AddedFile, RepoFact
from launchready.gatherers.deploy.rollback import (
    ImageTag,
    PlatformHint,
    RollbackFact,
    RunbookHint,
)
from launchready.gatherers.deploy.secret_store import SecretStoreFact, StoreHint, is_production


def repo(files=(), untracked=(), added=(), texts=(), is_git=True) -> RepoFact:
    return RepoFact("/r", is_git, tuple(files), tuple(untracked), tuple(added), tuple(texts))


def by_target(check, fact):
    return {v.target: v.status for v in check.evaluate(fact)}


PYPROJECT = '[project]\nname = "x"\ndependencies = ["starlette"]\n'


def test_lockfile_missing_and_present() -> None:
    missing = repo(["pyproject.toml", "web/package.json"], texts=[("pyproject.toml", PYPROJECT)])
    assert by_target(lockfile, missing) == {
        "pyproject.toml": Status.FAIL,
        "web/package.json": Status.FAIL,
    }
    locked = repo(
        ["pyproject.toml", "uv.lock", "web/package.json", "web/pnpm-lock.yaml"],
        texts=[("pyproject.toml", PYPROJECT)],
    )
    assert set(by_target(lockfile, locked).values()) == {Status.PASS}


def test_tool_only_pyproject_needs_no_lock() -> None:
    fact = repo(["pyproject.toml"], texts=[("pyproject.toml", "[tool.ruff]\nline-length = 100\n")])
    assert [v.status for v in lockfile.evaluate(fact)] == [Status.PASS]


def test_bare_requirements_must_pin() -> None:
    text = (
        "# deps\nflask==3.0.0\nrequests>=2\n-r other.txt\n"
        "uvicorn[standard]==0.30.0 ; python_version>'3'\n"
    )
    assert unpinned_requirements(text) == ["requests>=2"]
    fact = repo(["requirements.txt"], texts=[("requirements.txt", text)])
    assert by_target(lockfile, fact) == {"requirements.txt": Status.FAIL}
    pinned = repo(["requirements.txt"], texts=[("requirements.txt", "flask==3.0.0\n")])
    assert by_target(lockfile, pinned) == {"requirements.txt": Status.PASS}


def test_env_file_names() -> None:
    assert is_env_file(".env") and is_env_file("deploy/.env.production") and is_env_file("prod.env")
    assert not is_env_file(".env.example") and not is_env_file(".env.sample")
    assert not is_env_file("environment.py")


def test_env_files_tracked_now_in_history_and_unignored() -> None:
    fact = repo(
        files=[".env.production", ".env.example", "app.py"],
        untracked=[".env.local"],
        added=[AddedFile(".env.production", "abc1234"), AddedFile(".env.old", "def5678")],
    )
    verdicts = {v.target: v for v in env_files_tracked.evaluate(fact)}
    assert verdicts[".env.production"].status == Status.FAIL
    assert "abc1234" in verdicts[".env.production"].evidence
    assert verdicts[".env.old"].status == Status.FAIL
    assert "history" in verdicts[".env.old"].evidence
    assert verdicts[".env.local"].status == Status.WARN
    assert ".env.example" not in verdicts
    clean = repo(files=[".env.example", "app.py"], added=[AddedFile(".env.example", "a")])
    assert [v.status for v in env_files_tracked.evaluate(clean)] == [Status.PASS]


# --- environments ------------------------------------------------------------------------------


def var(name: str, digest: str = "", flag: str | None = None, **kw: object) -> EnvVar:
    return EnvVar(
        name, digest, kw.get("reference"), bool(kw.get("random")), bool(kw.get("url")), flag
    )  # type: ignore[arg-type]


def env(
    name: str, *variables: EnvVar, dbs: tuple[DbTarget, ...] = (), problem: str | None = None
) -> Environment:
    return Environment(name, f".env.{name}", None, tuple(variables), dbs, problem)


def envs(
    *items: Environment, template: tuple[str, ...] = (), required: tuple[str, ...] = ()
) -> EnvironmentsFact:
    return EnvironmentsFact(tuple(items), ".env.example" if template else None, template, required)


def test_shared_secret_found_by_hash_even_under_another_name() -> None:
    fact = envs(
        env(
            "staging", var("JWT_SECRET", "h1"), var("SMTP_HOST", "h9"), var("X", "h2", random=True)
        ),
        env(
            "production",
            var("SECRET_KEY", "h1"),
            var("SMTP_HOST", "h9"),
            var("Y", "h3", random=True),
        ),
    )
    verdicts = shared_secrets.evaluate(fact)
    assert [(v.status, v.target) for v in verdicts] == [
        (Status.FAIL, "staging vs production: JWT_SECRET")
    ]
    assert "SECRET_KEY" in verdicts[0].evidence and "h1" not in verdicts[0].evidence
    # Same non-secret values (a shared SMTP host) are fine.
    ok = envs(env("staging", var("SMTP_HOST", "h9")), env("production", var("SMTP_HOST", "h9")))
    assert [v.status for v in shared_secrets.evaluate(ok)] == [Status.PASS]


def test_separation_needs_a_production_and_another_and_never_passes_unread() -> None:
    only = envs(env("production", var("SECRET_KEY", "h1")))
    assert [v.status for v in shared_secrets.evaluate(only)] == [Status.SKIPPED]
    unread = envs(env("staging", problem="env file not found"), env("production", var("K", "h")))
    assert [v.status for v in shared_database.evaluate(unread)] == [Status.ERROR]


def test_production_is_a_word_of_the_name_not_a_substring() -> None:
    for name in ("production", "prod", "PROD", "prod-eu", "eu_prod", "app.live", "prod2"):
        assert is_production(name), name
    for name in ("nonprod", "non-prod", "non_prod", "preprod", "pre-prod", "pre-production"):
        assert not is_production(name), name
    for name in ("delivery", "product", "staging", "preview", "olive"):
        assert not is_production(name), name
    # A pre-production environment is the "other" that production is compared with.
    for other in ("nonprod", "non-prod", "preprod", "delivery"):
        fact = envs(env(other, var("SECRET_KEY", "h1")), env("production", var("SECRET_KEY", "h1")))
        assert [(v.status, v.target) for v in shared_secrets.evaluate(fact)] == [
            (Status.FAIL, f"{other} vs production: SECRET_KEY")
        ], other


def test_shared_database_by_host_and_name_local_hosts_prove_nothing() -> None:
    def db(host: str, name: str) -> tuple[DbTarget, ...]:
        return (DbTarget("DATABASE_URL", "postgresql", host, 5432, name),)

    same = envs(
        env("staging", dbs=db("db.internal", "app")), env("prod", dbs=db("db.internal", "app"))
    )
    assert [v.status for v in shared_database.evaluate(same)] == [Status.FAIL]
    server = envs(
        env("staging", dbs=db("db.internal", "stg")), env("live", dbs=db("db.internal", "app"))
    )
    (v,) = shared_database.evaluate(server)
    assert (v.status, v.severity) == (Status.WARN, Severity.MEDIUM)
    local = envs(
        env("staging", dbs=db("localhost", "app")), env("production", dbs=db("localhost", "app"))
    )
    assert [v.status for v in shared_database.evaluate(local)] == [Status.PASS]


def test_production_debug_flags() -> None:
    def prod(*flags: tuple[str, str]) -> EnvironmentsFact:
        return envs(env("production", *(var(n, "h", flag=v) for n, v in flags)))

    dev_flags = [
        ("DEBUG", "True"),
        ("NODE_ENV", "development"),
        ("FLASK_ENV", "dev"),
        ("APP_ENV", "local"),
        ("DJANGO_SETTINGS_MODULE", "crm.settings.dev"),
    ]
    for name, value in dev_flags:
        assert [v.status for v in production_debug.evaluate(prod((name, value)))] == [Status.FAIL]
    (low,) = production_debug.evaluate(prod(("LOG_LEVEL", "debug")))
    assert (low.status, low.severity) == (Status.WARN, Severity.LOW)
    fine = production_debug.evaluate(prod(("DEBUG", "false"), ("NODE_ENV", "production")))
    assert [v.status for v in fine] == [Status.PASS]
    assert [v.status for v in production_debug.evaluate(envs(env("staging")))] == [Status.SKIPPED]


def test_required_env_missing_empty_and_unknown() -> None:
    fact = envs(
        env("production", var("A", "h"), var("B", ""), var("EXTRA", "h")),
        template=("A", "B"),
        required=("C",),
    )
    found = {(v.status, v.severity): v.evidence for v in required_env.evaluate(fact)}
    assert found[(Status.FAIL, None)].startswith("missing C (listed in .env.example and [deploy]")
    assert found[(Status.WARN, Severity.MEDIUM)] == "set but empty: B"
    assert "EXTRA" in found[(Status.WARN, Severity.INFO)]
    (nothing,) = required_env.evaluate(envs(env("production", var("A", "h"))))
    assert (nothing.status, nothing.severity) == (Status.WARN, Severity.LOW)


# --- secret handling ---------------------------------------------------------------------------


def test_config_secrets_local_defaults_are_info_elsewhere_failures() -> None:
    fact = ConfigSecretsFact(
        ("docker-compose.yml", "Dockerfile", "ci.yml"),
        (
            Assignment("docker-compose.yml", 4, "POSTGRES_PASSWORD", "compose", 8, True, False),
            Assignment("ci.yml", 9, "POSTGRES_PASSWORD", "ci-service", 8, True, False),
            Assignment("Dockerfile", 3, "DB_PASSWORD", "dockerfile", 8, True, False),
            Assignment("docker-compose.yml", 7, "API_KEY", "compose", 32, False, False),
        ),
        (TokenHit("ci.yml", 12, "stripe-secret-key", "fp123"),),
        "engine",
        (),
    )
    got = {v.target: (v.status, v.severity) for v in config_secrets.evaluate(fact)}
    assert got == {
        "docker-compose.yml:4": (Status.WARN, Severity.INFO),
        "ci.yml:9": (Status.WARN, Severity.INFO),
        "Dockerfile:3": (Status.FAIL, None),
        "docker-compose.yml:7": (Status.FAIL, None),
        "ci.yml:12": (Status.FAIL, None),
    }
    assert [v.fingerprint for v in config_secrets.evaluate(fact) if v.target == "ci.yml:12"] == [
        "fp123"
    ]


def test_secret_store_declared_detected_missing() -> None:
    assert (
        secret_store.evaluate(SecretStoreFact((), "1Password vault prod", (), ()))[0].status
        == Status.PASS
    )
    hint = StoreHint("Doppler", "ci.yml:3", "referenced")
    assert secret_store.evaluate(SecretStoreFact((hint,), None, (), ()))[0].status == Status.PASS
    assert (
        secret_store.evaluate(SecretStoreFact((), None, ("production",), ()))[0].status
        == Status.FAIL
    )
    (early,) = secret_store.evaluate(SecretStoreFact((), None, (), ()))
    assert (early.status, early.severity) == (Status.WARN, Severity.MEDIUM)


# --- builds and CI -----------------------------------------------------------------------------


def lock(
    ecosystem: str, declared: list[Dep], locked: list[Dep], records: str = "specs"
) -> BuildsFact:
    record = LockRecord("package.json", ecosystem, "lock", tuple(declared), tuple(locked), records)  # type: ignore[arg-type]
    return BuildsFact((record,), (), ())


def test_lockfile_sync_per_ecosystem() -> None:
    declared = [Dep("express", "^4.19.0"), Dep("pg", "^8")]
    stale = lock("npm", declared, [Dep("express", "^4.18.0"), Dep("left-pad", "1")])
    (v,) = lockfile_sync.evaluate(stale)
    assert v.status == Status.FAIL
    assert "not locked: pg" in v.evidence and "no longer declared: left-pad" in v.evidence
    assert "express (^4.19.0" in v.evidence and "npm ci" in v.evidence
    synced = lock("npm", declared, [Dep("pg", "^8"), Dep("express", "^4.19.0")])
    assert [x.status for x in lockfile_sync.evaluate(synced)] == [Status.PASS]
    yarn = lock(
        "yarn", declared, [Dep("express", "^4.19.0"), Dep("express", "^4.0.0"), Dep("pg", "^8")]
    )
    assert [x.status for x in lockfile_sync.evaluate(yarn)] == [Status.PASS]
    names = lock("poetry", [Dep("django")], [Dep("django", "")], "names")
    assert [x.status for x in lockfile_sync.evaluate(names)] == [Status.PASS]
    assert lockfile_sync.evaluate(BuildsFact((), (), ()))[0].status == Status.SKIPPED


def test_base_images() -> None:
    def img(ref: str, tag: str | None, digest: str | None) -> BaseImage:
        return BaseImage("Dockerfile", 1, ref, tag, digest, "FROM")

    fact = BuildsFact(
        (),
        (
            img("python", None, None),
            img("node:latest", "latest", None),
            img("python:3.12-slim", "3.12-slim", None),
            img("python:3.12@sha256:ab", "3.12", "sha256:ab"),
        ),
        ("Dockerfile",),
    )
    assert [(v.status, v.severity) for v in base_image_pinned.evaluate(fact)] == [
        (Status.FAIL, None),
        (Status.FAIL, None),
        (Status.WARN, Severity.LOW),
        (Status.PASS, None),
    ]


def ci(*configs: CiConfig, auto: tuple[str, ...] = ()) -> CiFact:
    return CiFact(configs, auto)


def config(commands: list[str] = (), uses: list[str] = (), envs: tuple[str, ...] = ()) -> CiConfig:  # type: ignore[assignment]
    return CiConfig(
        "ci.yml",
        "GitHub Actions",
        tuple(CiCommand(i + 10, "job", c) for i, c in enumerate(commands)),
        tuple(ActionRef(i + 1, "job", u) for i, u in enumerate(uses)),
        envs,
    )


def test_actions_pinning() -> None:
    fact = ci(
        config(
            uses=[
                f"actions/checkout@{'a' * 40}",
                "actions/setup-node@v4",
                "org/x@v1",
                "org/y@main",
                "./local",
            ]
        )
    )
    got = [(v.status, v.severity) for v in ci_actions_pinned.evaluate(fact)]
    assert got == [
        (Status.PASS, None),
        (Status.WARN, Severity.LOW),
        (Status.WARN, Severity.MEDIUM),
        (Status.FAIL, None),
        (Status.PASS, None),
    ]


def test_ci_tests_deploy_and_env_check() -> None:
    assert ci_tests.evaluate(ci())[0].status == Status.FAIL
    installs_pytest = ci(config(["pip install pytest", "python -m build"]))
    assert ci_tests.evaluate(installs_pytest)[0].status == Status.FAIL
    runs = ci(config(["pip install -e .", "cd app && uv run pytest -q"]))
    assert ci_tests.evaluate(runs)[0].status == Status.PASS
    for command in ("CI=1 pytest -q", "env DJANGO_DEBUG=0 python -m pytest", 'A="x y" npm test'):
        assert ci_tests.evaluate(ci(config([command])))[0].status == Status.PASS, command
    assert ci_deploy.evaluate(runs)[0].status == Status.FAIL
    assert ci_deploy.evaluate(ci(config(["flyctl deploy --remote-only"])))[0].status == Status.PASS
    assert ci_deploy.evaluate(ci(config(envs=("production",))))[0].status == Status.PASS
    assert ci_deploy.evaluate(ci(auto=("render.yaml",)))[0].status == Status.PASS
    assert ci_env_check.evaluate(runs)[0].status == Status.WARN
    guarded = ci(config([': "${DATABASE_URL:?}"']))
    assert ci_env_check.evaluate(guarded)[0].status == Status.PASS
    assert ci_env_check.evaluate(ci())[0].status == Status.SKIPPED


# --- migrations --------------------------------------------------------------------------------


def op(
    kind: str, table: str = "clients", column: str | None = None, line: int = 1, **kw: object
) -> Operation:
    return Operation(
        kind,
        table,
        column,
        kw.get("new"),
        line,
        frozenset(kw.get("flags", ())),
        tuple(kw.get("columns", ())),
    )  # type: ignore[arg-type]


def mset(
    *migrations: Migration, dialect: str = "postgresql", tool: str = "alembic"
) -> MigrationsFact:
    return MigrationsFact((MigrationSet(tool, "m", dialect, "test", migrations),))


def test_own_rules_by_dialect_and_new_tables_exempt() -> None:
    first = Migration("1", "m/1.py", (op("create_table", columns=("id",)),), (), "code")
    risky = Migration(
        "2",
        "m/2.py",
        (
            op("add_column", column="plan", line=3, flags={"not_null"}),
            op("create_index", line=4),
            op("create_index", line=5, flags={"concurrently"}),
            op("create_table", "audit", line=6),
            op("create_index", "audit", line=7),
        ),
        (),
        "code",
    )
    got = {v.target: (v.status, v.severity) for v in migration_safety.evaluate(mset(first, risky))}
    assert got == {
        "m/2.py:3": (Status.FAIL, Severity.HIGH),
        "m/2.py:4": (Status.WARN, Severity.MEDIUM),
    }
    lite = Migration("2", "m/2.sql", (op("alter_type", column="age", line=2),), (), "sql")
    (v,) = migration_safety.evaluate(mset(first, lite, dialect="sqlite"))
    assert (v.status, v.severity) == (Status.FAIL, Severity.HIGH) and "SQLite" in v.evidence
    assert migration_safety.evaluate(MigrationsFact(()))[0].status == Status.SKIPPED


def test_squawk_hits_graded_and_noise_filtered() -> None:
    fact = MigrationsFact(
        (
            MigrationSet(
                "sql", "m", "postgresql", "t", (Migration("1", "m/1.sql", (), (), "sql", "x"),)
            ),
        ),
        lint=(
            LintHit("m/1.sql", 2, "adding-required-field", "msg", "clients"),
            LintHit("m/1.sql", 3, "require-concurrent-index-creation", "msg", "new", True),
            LintHit("m/1.sql", 4, "require-lock-timeout", "msg"),
            LintHit("m/1.sql", 5, "require-lock-timeout", "msg"),
            LintHit("m/1.sql", 6, "prefer-robust-stmts", "msg"),
        ),
        linted=("m/1.sql",),
    )
    got = [(v.target, v.status, v.severity) for v in migration_safety.evaluate(fact)]
    assert got == [
        ("m/1.sql:2", Status.FAIL, Severity.HIGH),
        ("m/1.sql:4", Status.WARN, Severity.LOW),
        (None, Status.PASS, None),
    ]
    broken = MigrationsFact(fact.sets, lint_problem="squawk is not installed", linted=("m/1.sql",))
    assert Status.ERROR in [v.status for v in migration_safety.evaluate(broken)]


def test_compat_blocker_unless_ambiguous() -> None:
    ref = CodeRef("clients", "notes", "dropped", "m/2.py:3", ("app/views.py:8",))
    base = mset(Migration("1", "m/1.py", (), (), "code"))
    fact = MigrationsFact(base.sets, code_refs=(ref,))
    (v,) = migration_compat.evaluate(fact)
    assert v.status == Status.FAIL and "app/views.py:8" in v.evidence
    ambiguous = MigrationsFact(
        base.sets,
        code_refs=(
            CodeRef(*ref.__dict__.values()[:5], ("invoices",))
            if False
            else CodeRef("clients", "notes", "dropped", "m/2.py:3", ("a.py:1",), ("invoices",)),
        ),
    )
    (w,) = migration_compat.evaluate(ambiguous)
    assert (w.status, w.severity) == (Status.WARN, Severity.MEDIUM)


def test_reversibility() -> None:
    initial = Migration("1", "m/1.sql", (op("create_table"),), (), "none")
    no_down = Migration("2", "m/2.sql", (op("add_column", column="x"),), (), "none")
    empty = Migration("3", "m/3.py", (op("drop_column", column="x"),), (), "empty")
    code = Migration("4", "m/4.py", (op("run_code", flags={"no_reverse"}, line=9),), (), "none")
    good_down = Migration(
        "5",
        "m/5.sql",
        (op("create_table", "t"),),
        (op("drop_table", "t"),),
        "sql",
        down_path="m/5.down.sql",
    )
    lossy = Migration(
        "6",
        "m/6.sql",
        (op("add_column", column="y"),),
        (op("drop_table", "clients"),),
        "sql",
        down_path="m/6.down.sql",
    )
    got = [
        (v.target, v.status)
        for v in migration_reversible.evaluate(
            mset(initial, no_down, empty, code, good_down, lossy, tool="sql")
        )
    ]
    assert got == [
        ("m/2.sql", Status.FAIL),
        ("m/3.py", Status.FAIL),
        ("m/4.py", Status.FAIL),
        ("m/6.down.sql", Status.WARN),
        (None, Status.PASS),
    ]


def rehearsal(steps: tuple[Step, ...], hot: tuple[str, ...] = (), **kw: object) -> RehearsalFact:
    defaults: dict[str, object] = dict(
        database="postgresql://h/db", engine="postgresql", tool="sql", working_copy="c",
        pending=("1",), steps=steps, without_down=(), schema_before=("a",),
        schema_after_back=("a",), back_complete=True, hot_tables=hot, lock_timeout_s=1.0,
        sample_interval_s=0.01,
    )  # fmt: skip
    defaults.update(kw)
    return RehearsalFact(**defaults)  # type: ignore[arg-type]


def test_lock_verdicts_from_samples() -> None:
    def step(*locks: LockSample, pass_no: int = 1) -> Step:
        return Step("2_x", "m/2.sql", "up", pass_no, True, 2.0, locks)

    held = step(
        LockSample("clients", "AccessExclusiveLock", 1.5, True),
        LockSample("logs", "ShareLock", 1.2, True),
        LockSample("fresh", "AccessExclusiveLock", 5.0, False),
        LockSample("clients", "RowExclusiveLock", 9.0, True),
    )
    got = [(v.status, v.severity) for v in migration_locks.evaluate(rehearsal((held,)))]
    assert got == [(Status.FAIL, Severity.BLOCKER), (Status.FAIL, Severity.HIGH)]
    # Only the hot tables count when they are named; the second forward pass is not judged.
    assert [v.status for v in migration_locks.evaluate(rehearsal((held,), hot=("users",)))] == [
        Status.PASS
    ]
    assert [
        v.status for v in migration_locks.evaluate(rehearsal((step(*held.locks, pass_no=3),)))
    ] == [Status.PASS]


def test_rehearsal_failures_and_schema_drift() -> None:
    bad = Step("2_x", "m/2.sql", "down", 2, False, 0.1, (), "column nope does not exist")
    (v,) = [x for x in migration_rehearsal.evaluate(rehearsal((bad,))) if x.status == Status.FAIL]
    assert "down of 2_x failed going back" in v.evidence
    drift = rehearsal((), schema_after_back=("a", "b"))
    assert any("schema differs" in x.evidence for x in migration_rehearsal.evaluate(drift))
    assert migration_rehearsal.evaluate(rehearsal((), pending=()))[0].status == Status.PASS


# --- rollback ----------------------------------------------------------------------------------


def test_rollback_path_and_runbook() -> None:
    fly = RollbackFact((PlatformHint("Fly.io", "fly.toml", "fly releases"),), (), ())
    assert rollback_path.evaluate(fly)[0].status == Status.PASS
    sha = RollbackFact((), (ImageTag("ci.yml:9", "ghcr.io/a/b:${{ github.sha }}", True),), ())
    assert rollback_path.evaluate(sha)[0].status == Status.PASS
    latest = RollbackFact((), (ImageTag("ci.yml:9", "ghcr.io/a/b:latest", True),), ())
    assert rollback_path.evaluate(latest)[0].status == Status.FAIL
    unpushed = RollbackFact((), (ImageTag("ci.yml:9", "app:${{ github.sha }}", False),), ())
    assert "never pushed" in rollback_path.evaluate(unpushed)[0].evidence
    assert rollback_runbook.evaluate(RollbackFact((), (), ()))[0].status == Status.FAIL
    runbook = RollbackFact((), (), (RunbookHint("RUNBOOK.md:4", "Roll back"),))
    assert rollback_runbook.evaluate(runbook)[0].status == Status.PASS


def test_rehearsal_initial_schema_needs_no_down() -> None:
    ok = Step("1_init", "m/1.sql", "up", 1, True, 0.1, ())
    # An empty database: the first pending migration is the initial schema.
    fresh = rehearsal(
        (ok,), pending=("1_init", "2_x"), without_down=("1_init",), schema_before=(),
        back_complete=False,
    )  # fmt: skip
    assert [v.status for v in migration_rehearsal.evaluate(fresh)] == [Status.PASS]
    # On a database that already had tables, a migration without a down is still flagged.
    later = rehearsal((ok,), pending=("2_x",), without_down=("2_x",))
    assert Status.WARN in [v.status for v in migration_rehearsal.evaluate(later)]
