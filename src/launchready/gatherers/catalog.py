"""Every gatherer, and which one provides each fact."""

from __future__ import annotations

from launchready.gatherers.base import Gatherer
from launchready.gatherers.deploy.repo import RepoGatherer
from launchready.gatherers.edge.http import HttpGatherer


def all_gatherers() -> list[Gatherer]:
    return [HttpGatherer(), RepoGatherer()]


def providers_of(facts: set[str]) -> list[Gatherer]:
    return [g for g in all_gatherers() if facts & set(g.provides)]
