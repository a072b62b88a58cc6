"""Stage ``deploy``: are deploys boring? One module per topic:

- ``repo``: lock files beside manifests, env files out of git
- ``environments``: staging/production separation, debug flags, required variables
- ``secret_handling``: secrets in deployment config, where production secrets live
- ``builds``: locks in sync, pinned base images and CI actions
- ``ci``: tests, a deploy job, an environment check in the pipeline
- ``migrations``: lock/rewrite risks, code compatibility, a way back
- ``rehearsal``: forward/back/forward on a scratch copy, locks held
- ``rollback``: platform rollback or versioned images, a runbook
"""

from launchready.checks.deploy.builds import base_image_pinned, ci_actions_pinned, lockfile_sync
from launchready.checks.deploy.ci import ci_deploy, ci_env_check, ci_tests
from launchready.checks.deploy.environments import (
    production_debug,
    required_env,
    shared_database,
    shared_secrets,
)
from launchready.checks.deploy.migrations import (
    migration_compat,
    migration_reversible,
    migration_safety,
)
from launchready.checks.deploy.rehearsal import migration_locks, migration_rehearsal
from launchready.checks.deploy.repo import (
    LOCKFILES,
    env_files_tracked,
    is_env_file,
    lockfile,
    unpinned_requirements,
)
from launchready.checks.deploy.rollback import rollback_path, rollback_runbook
from launchready.checks.deploy.secret_handling import config_secrets, secret_store

__all__ = [
    "LOCKFILES",
    "base_image_pinned",
    "ci_actions_pinned",
    "ci_deploy",
    "ci_env_check",
    "ci_tests",
    "config_secrets",
    "env_files_tracked",
    "is_env_file",
    "lockfile",
    "lockfile_sync",
    "migration_compat",
    "migration_locks",
    "migration_rehearsal",
    "migration_reversible",
    "migration_safety",
    "production_debug",
    "required_env",
    "rollback_path",
    "rollback_runbook",
    "secret_store",
    "shared_database",
    "shared_secrets",
    "unpinned_requirements",
]
