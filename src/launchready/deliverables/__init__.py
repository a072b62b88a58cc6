"""Deliverables: documents a stage hands over beside the report (the deployment checklist).

Like renderers they are pure functions of the ``Report``; the facts they need were published
into ``Report.extras`` by their gatherers (see ``core.artifacts``). The CLI writes each one
beside the report when its stage ran.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from launchready.core.findings import Report, Stage


@dataclass(frozen=True)
class Deliverable:
    stage: Stage
    filename: str
    label: str
    render: Callable[[Report], str]
    # The report key its content comes from: without it (nothing gathered: no repository,
    # a failed listing) the document would be an empty shell, so it is not written.
    needs: str


def _deploy_checklist(report: Report) -> str:
    from launchready.deliverables.deploy_checklist import render

    return render(report)


DELIVERABLES = (
    Deliverable(
        Stage.DEPLOY,
        "deploy-checklist.md",
        "deployment checklist",
        _deploy_checklist,
        needs="deploy_plan",
    ),
)


def for_report(report: Report) -> list[Deliverable]:
    """The deliverables of the stages this report ran, when their facts were gathered."""
    return [d for d in DELIVERABLES if d.stage in report.stages_run and d.needs in report.extras]
