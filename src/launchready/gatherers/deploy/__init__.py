"""Facts for the deploy stage, one module per fact:

- ``repo``: tracked files, env files ever added (git)          → deploy.repo
- ``envs``: each [environments.*] as keyed hashes and names     → deploy.environments
- ``scan``: one repository listing for the facts below:
  ``config_secrets`` (deploy.config-secrets), ``secret_store`` (deploy.secret-store),
  ``builds`` (deploy.builds), ``ci`` (deploy.ci), ``migrations`` (deploy.migrations),
  ``rollback`` (deploy.rollback) and ``plan`` (deploy.plan, published for the checklist)
- ``rehearsal``: pending migrations forward/back/forward on a scratch copy → deploy.rehearsal
"""
