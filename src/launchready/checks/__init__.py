"""Checks: pure functions of gathered facts, one module per stage.

Each check carries all of its metadata beside its code (see ``base.check``); the registry
(``registry.load_registry``) finds them, validates the metadata and rejects duplicate ids.
"""
