"""What a check is: metadata validated at load plus a pure function of one fact."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from launchready.core.findings import Harm, Severity, Stage, Status

_ID_RE = re.compile(r"^(?P<stage>[a-z]+)\.[a-z0-9][a-z0-9-]*$")


class CheckDefinitionError(ValueError):
    """A check's metadata is incomplete or inconsistent; raised when checks load."""


@dataclass(frozen=True)
class Verdict:
    """What a check concluded about one target.

    ``target`` narrows the outcome's target (a cookie name, a file); ``severity`` lets a
    check grade a lesser form of the problem (a short HSTS max-age) below its default.
    ``commit`` and ``fingerprint`` carry a leaked secret's origin and stable identity.
    """

    status: Status
    evidence: str
    target: str | None = None
    severity: Severity | None = None
    commit: str | None = None
    fingerprint: str | None = None

    @classmethod
    def fail(cls, evidence: str, **kw: Any) -> Verdict:
        return cls(Status.FAIL, evidence, **kw)

    @classmethod
    def warn(cls, evidence: str, **kw: Any) -> Verdict:
        return cls(Status.WARN, evidence, **kw)

    @classmethod
    def ok(cls, evidence: str, **kw: Any) -> Verdict:
        return cls(Status.PASS, evidence, **kw)


CheckFunc = Callable[[Any], "Verdict | Iterable[Verdict]"]


@dataclass(frozen=True)
class Check:
    id: str
    stage: Stage
    title: str
    severity: Severity
    harm: Harm
    reads: str
    impact: str
    remediation: str
    references: tuple[str, ...]
    func: CheckFunc
    rationale: str = ""

    @property
    def source(self) -> str:
        """``path:line`` of the check function, for ``launchready explain``."""
        path = inspect.getsourcefile(self.func) or "?"
        _, line = inspect.getsourcelines(self.func)
        return f"{path}:{line}"

    def evaluate(self, value: Any) -> list[Verdict]:
        result = self.func(value)
        if isinstance(result, Verdict):
            return [result]
        return list(result)

    def validate(self) -> None:
        m = _ID_RE.match(self.id)
        if not m:
            raise CheckDefinitionError(f"check id {self.id!r} is not 'stage.slug'")
        if m["stage"] != self.stage.value:
            raise CheckDefinitionError(f"check id {self.id!r} is not in stage {self.stage}")
        for name in ("title", "impact", "remediation", "reads"):
            if not getattr(self, name).strip():
                raise CheckDefinitionError(f"check {self.id}: {name} is empty")
        if not self.references:
            raise CheckDefinitionError(f"check {self.id}: at least one reference is required")
        for ref in self.references:
            if not ref.startswith("https://"):
                raise CheckDefinitionError(
                    f"check {self.id}: reference {ref!r} is not an https URL"
                )


def check(
    *,
    id: str,
    stage: Stage,
    title: str,
    severity: Severity,
    harm: Harm,
    reads: str,
    impact: str,
    remediation: str,
    references: Iterable[str],
) -> Callable[[CheckFunc], Check]:
    """Declare a check; the decorated function's docstring is its rationale."""

    def wrap(func: CheckFunc) -> Check:
        return Check(
            id=id,
            stage=stage,
            title=title,
            severity=severity,
            harm=harm,
            reads=reads,
            impact=impact,
            remediation=remediation,
            references=tuple(references),
            func=func,
            rationale=inspect.cleandoc(func.__doc__ or ""),
        )

    return wrap
