"""Findings and the report: the contract every renderer formats (DESIGN.md, "Contracts")."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Stage(StrEnum):
    EDGE = "edge"
    EMAIL = "email"
    SECRETS = "secrets"
    DEPLOY = "deploy"
    PERFORMANCE = "performance"
    OBSERVABILITY = "observability"
    HANDOVER = "handover"
    AI = "ai"


class Status(StrEnum):
    FAIL = "fail"
    WARN = "warn"
    PASS = "pass"
    ERROR = "error"
    SKIPPED = "skipped"


class Severity(StrEnum):
    BLOCKER = "blocker"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def order(self) -> int:
        return list(Severity).index(self)


class Harm(StrEnum):
    """The customer-visible harm a check prevents; orders findings of equal severity."""

    LOGIN = "login"
    DATA_EXPOSURE = "data-exposure"
    DATA_LOSS = "data-loss"
    EMAIL = "email"
    TRUST = "trust"
    SLOW = "slow"
    DEPLOY = "deploy"
    BLIND = "blind"

    @property
    def order(self) -> int:
        return list(Harm).index(self)


MUST_FIX_SEVERITIES = frozenset({Severity.BLOCKER, Severity.HIGH})


@dataclass(frozen=True)
class Finding:
    """One check's verdict on one target. ``rank``/``must_fix`` are set by ranking."""

    id: str
    stage: Stage
    status: Status
    severity: Severity
    harm: Harm
    title: str
    target: str
    evidence: str
    impact: str
    remediation: str
    references: tuple[str, ...] = ()
    must_fix: bool = False
    rank: int = 0
    commit: str | None = None
    fingerprint: str | None = None

    @property
    def is_problem(self) -> bool:
        return self.status in (Status.FAIL, Status.WARN)


@dataclass(frozen=True)
class LaunchStep:
    """One step of the launch order: must-fix work grouped by the harm it removes."""

    step: int
    harm: Harm
    summary: str
    finding_ranks: tuple[int, ...]


@dataclass(frozen=True)
class Score:
    overall: int | None
    stages: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    tool_name: str
    tool_version: str
    target: str
    started_at: str
    duration_s: float
    score: Score
    findings: tuple[Finding, ...]
    launch_order: tuple[LaunchStep, ...]
    stages_run: tuple[Stage, ...]
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def must_fix(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.must_fix)

    @property
    def nice_to_have(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.is_problem and not f.must_fix)

    @property
    def not_evaluated(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.status in (Status.ERROR, Status.SKIPPED))

    @property
    def passed(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.status == Status.PASS)
