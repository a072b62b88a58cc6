"""Configuration: ``launchready.toml`` (DESIGN.md's fixed keys) merged with CLI flags."""

from launchready.config.errors import ConfigError
from launchready.config.loader import load_config
from launchready.config.model import AuditConfig

__all__ = ["AuditConfig", "ConfigError", "load_config"]
