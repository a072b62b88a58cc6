import pytest

from launchready.checks.base import Check, CheckDefinitionError, Verdict, check
from launchready.checks.registry import Registry, load_registry
from launchready.core.findings import Harm, Severity, Stage


def make(id: str = "edge.sample", stage: Stage = Stage.EDGE, **over) -> Check:
    meta = dict(
        id=id,
        stage=stage,
        title="Sample",
        severity=Severity.LOW,
        harm=Harm.TRUST,
        reads="edge.page",
        impact="Something bad.",
        remediation="Fix it.",
        references=["https://example.org/doc"],
    )
    meta.update(over)

    @check(**meta)
    def sample(fact: object) -> Verdict:
        """Why it matters."""
        return Verdict.ok("fine")

    return sample


def test_every_shipped_check_is_valid_and_unique() -> None:
    registry = load_registry()
    ids = [c.id for c in registry]
    assert len(ids) >= 7  # unique by construction: test_duplicate_ids_are_rejected
    for c in registry:
        c.validate()
        assert c.source.endswith(".py:" + c.source.rsplit(":", 1)[1])
        assert c.rationale, f"{c.id} has no docstring rationale"


def test_duplicate_ids_are_rejected() -> None:
    with pytest.raises(CheckDefinitionError, match="duplicate"):
        Registry([make(), make()])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"id": "Edge.Bad"}, "not 'stage.slug'"),
        ({"id": "email.sample"}, "not in stage"),
        ({"remediation": " "}, "remediation is empty"),
        ({"references": []}, "at least one reference"),
        ({"references": ["http://insecure.example"]}, "not an https URL"),
    ],
)
def test_metadata_is_validated_at_load(kwargs: dict, message: str) -> None:
    with pytest.raises(CheckDefinitionError, match=message):
        Registry([make(**kwargs)])
