"""Ranking: business-impact order, must-fix split, launch order and readiness scores."""

from launchready.ranking.rank import (
    HARM_GOALS,
    HIGH,
    LOW,
    PlanStep,
    band,
    launch_order,
    launch_plan,
    rank_findings,
    score,
)

__all__ = [
    "HARM_GOALS",
    "HIGH",
    "LOW",
    "PlanStep",
    "band",
    "launch_order",
    "launch_plan",
    "rank_findings",
    "score",
]
