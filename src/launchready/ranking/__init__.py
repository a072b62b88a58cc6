"""Ranking: business-impact order, must-fix split, launch order and readiness scores."""

from launchready.ranking.rank import HARM_GOALS, launch_order, rank_findings, score

__all__ = ["HARM_GOALS", "launch_order", "rank_findings", "score"]
