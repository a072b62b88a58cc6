"""Every scalar of a YAML file with its key path and line, for CI, compose and manifests.

Composed nodes (not loaded objects) keep line numbers, so a finding can point at
`ci.yml:14`. Parser errors are reduced to a line number: their message quotes the offending
text, which may be a secret.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import yaml

ITEM = "[]"


@dataclass(frozen=True)
class Scalar:
    path: tuple[str, ...]  # mapping keys from the root; ITEM for a list element
    value: str
    line: int  # 1-based

    @property
    def key(self) -> str:
        """The nearest mapping key (list levels skipped)."""
        return next((p for p in reversed(self.path) if p != ITEM), "")


def _walk(node: yaml.Node, path: tuple[str, ...]) -> Iterator[Scalar]:
    if isinstance(node, yaml.ScalarNode):
        yield Scalar(path, str(node.value), node.start_mark.line + 1)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _walk(item, (*path, ITEM))
    elif isinstance(node, yaml.MappingNode):
        pairs = {str(k.value): v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
        name, value = pairs.get("name"), pairs.get("value")
        # `- name: DB_PASSWORD / value: x` (Kubernetes, ECS): the pair is one assignment.
        if isinstance(name, yaml.ScalarNode) and isinstance(value, yaml.ScalarNode):
            yield Scalar((*path, str(name.value)), str(value.value), value.start_mark.line + 1)
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                yield from _walk(value_node, (*path, str(key_node.value)))


def scalars(text: str) -> list[Scalar]:
    """All scalars of every document; ValueError (with a line only) when it is not YAML."""
    try:
        found: list[Scalar] = []
        for doc in yaml.compose_all(text, Loader=yaml.SafeLoader):
            if doc is not None:
                found.extend(_walk(doc, ()))
        return found
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1})" if mark else ""
        raise ValueError(f"not valid YAML{where}") from None
    except yaml.YAMLError:
        raise ValueError("not valid YAML") from None
