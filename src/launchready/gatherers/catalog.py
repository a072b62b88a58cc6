"""Every gatherer, and which one provides each fact."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from launchready.core.artifacts import published
from launchready.core.outcome import Outcome
from launchready.gatherers.base import Gatherer
from launchready.gatherers.deploy.envs import EnvironmentsGatherer
from launchready.gatherers.deploy.rehearsal import RehearsalGatherer
from launchready.gatherers.deploy.repo import RepoGatherer
from launchready.gatherers.deploy.scan import RepoScanGatherer
from launchready.gatherers.edge.cache import CacheGatherer
from launchready.gatherers.edge.dns import DnsGatherer
from launchready.gatherers.edge.tls import TlsGatherer
from launchready.gatherers.edge.web import HttpGatherer
from launchready.gatherers.email.delivery import DeliveryGatherer
from launchready.gatherers.email.gatherer import EmailGatherer
from launchready.gatherers.performance import PerformanceGatherer
from launchready.gatherers.secrets.scan import SecretsGatherer


def all_gatherers() -> list[Gatherer]:
    return [
        HttpGatherer(),
        DnsGatherer(),
        TlsGatherer(),
        CacheGatherer(),
        RepoGatherer(),
        EnvironmentsGatherer(),
        RepoScanGatherer(),
        RehearsalGatherer(),
        PerformanceGatherer(),
        EmailGatherer(),
        DeliveryGatherer(),
        SecretsGatherer(),
    ]


def providers_of(facts: set[str]) -> list[Gatherer]:
    return [g for g in all_gatherers() if facts & set(g.provides)]


def report_extras(facts: Mapping[str, list[Outcome[Any]]]) -> dict[str, object]:
    """Data beyond findings that renderers show (the performance charts), JSON-ready."""
    from launchready.gatherers.performance.extras import performance_extras

    # Facts that are deliverables themselves (the edge stage's redirect map) publish rows.
    extras = published(o for outcomes in facts.values() for o in outcomes)
    performance = performance_extras(facts)
    if performance:
        extras["performance"] = performance
    return extras
