"""The HTML report: one self-contained file that reads on a phone and fetches nothing.

Everything the page needs (CSS included) is inline, and a Content-Security-Policy meta
tag makes the browser refuse any fetch at all, so a report opened from an e-mail or a
CI artifact cannot phone home even if some evidence slipped past escaping.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from launchready.core.findings import Report
from launchready.ranking import HIGH, LOW, band, launch_plan
from launchready.renderers.charts import BOTTOM, LEFT, TOP, H, W, performance_charts


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("launchready.renderers", "templates"),
        autoescape=True,  # every value is untrusted text from the audited world
        undefined=StrictUndefined,  # a template typo fails loudly, not as a blank
        trim_blocks=True,
        lstrip_blocks=True,
    )


def is_link(url: str) -> bool:
    """Only http(s) references become links; ``javascript:`` and friends stay text."""
    return url.startswith(("https://", "http://"))


def _context(report: Report) -> dict[str, Any]:
    return {
        "report": report,
        "plan": launch_plan(report),
        "must_fix": report.must_fix,
        "nice_to_have": report.nice_to_have,
        "not_evaluated": report.not_evaluated,
        "passed": report.passed,
        "overall_band": band(report.score.overall),
        "stage_scores": [(s, v, band(v)) for s, v in report.score.stages.items()],
        "low": LOW,
        "high": HIGH,
        "is_link": is_link,
        "charts": performance_charts(report.extras),
        "chart": {"w": W, "h": H, "left": LEFT, "top": TOP, "bottom": H - BOTTOM},
    }


def render(report: Report) -> str:
    template = _environment().get_template("report.html.j2")
    return template.render(_context(report))
