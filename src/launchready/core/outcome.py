"""The result of gathering one fact about one target.

A gatherer never judges; it reports what it saw (``ok``), that it could not look
(``error`` with the reason) or that it was not asked to look (``skipped``). Keeping the
three apart is what stops "could not scan" from reading as "passed".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


class OutcomeStatus(StrEnum):
    OK = "ok"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """One fact about one target, or the reason it is missing."""

    fact: str
    target: str
    status: OutcomeStatus
    value: T | None = None
    reason: str = ""

    @classmethod
    def ok(cls, fact: str, target: str, value: T) -> Outcome[T]:
        return cls(fact, target, OutcomeStatus.OK, value)

    @classmethod
    def error(cls, fact: str, target: str, reason: str) -> Outcome[T]:
        return cls(fact, target, OutcomeStatus.ERROR, None, reason)

    @classmethod
    def skipped(cls, fact: str, target: str, reason: str) -> Outcome[T]:
        return cls(fact, target, OutcomeStatus.SKIPPED, None, reason)
