"""`[audit]` in the file: a stage name `only` does not know is an error at its line."""

from __future__ import annotations

import pytest

from launchready.config.errors import ConfigError
from launchready.config.loader import parse_config


def test_an_unknown_stage_in_audit_only_names_file_and_line() -> None:
    text = '[audit]\nformat = "json"\nonly = ["edge", "emial"]\n'
    with pytest.raises(ConfigError) as caught:
        parse_config(text, path="/x/launchready.toml", env={})
    message = str(caught.value)
    assert message.startswith("/x/launchready.toml:3: audit.only: unknown stage 'emial'")
    assert "(stages: edge, email," in message and "--only" not in message


def test_known_stages_load_as_written() -> None:
    text = '[audit]\nonly = ["edge, email", " deploy "]\n'
    config = parse_config(text, path="/x/launchready.toml", env={})
    assert config.audit.only == ["edge, email", " deploy "]
