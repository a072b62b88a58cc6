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


# Nodes visited per file, aliases expanded. An alias is a pointer: nine levels of nine
# aliases each ("billion laughs") is a few lines of text and a billion nodes to walk.
# Real CI and compose files stay far below this; a 1 MB file of plain YAML has fewer nodes.
MAX_NODES = 200_000


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise ValueError("too many nodes once its aliases are expanded")


def _walk(
    node: yaml.Node, path: tuple[str, ...], budget: _Budget, ancestors: frozenset[int]
) -> Iterator[Scalar]:
    budget.spend()
    if id(node) in ancestors:  # a recursive alias (`&a [*a]`): its walk would never end
        return
    inner = ancestors | {id(node)}
    if isinstance(node, yaml.ScalarNode):
        yield Scalar(path, str(node.value), node.start_mark.line + 1)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _walk(item, (*path, ITEM), budget, inner)
    elif isinstance(node, yaml.MappingNode):
        pairs = {str(k.value): v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
        name, value = pairs.get("name"), pairs.get("value")
        # `- name: DB_PASSWORD / value: x` (Kubernetes, ECS): the pair is one assignment.
        if isinstance(name, yaml.ScalarNode) and isinstance(value, yaml.ScalarNode):
            yield Scalar((*path, str(name.value)), str(value.value), value.start_mark.line + 1)
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                yield from _walk(value_node, (*path, str(key_node.value)), budget, inner)


def scalars(text: str, max_nodes: int = MAX_NODES) -> list[Scalar]:
    """All scalars of every document; ValueError (with a line only) when it is not YAML, or
    when walking it would visit more than ``max_nodes`` nodes."""
    budget = _Budget(max_nodes)
    try:
        found: list[Scalar] = []
        for doc in yaml.compose_all(text, Loader=yaml.SafeLoader):
            if doc is not None:
                found.extend(_walk(doc, (), budget, frozenset()))
        return found
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1})" if mark else ""
        raise ValueError(f"not valid YAML{where}") from None
    except yaml.YAMLError:
        raise ValueError("not valid YAML") from None
    except RecursionError:  # thousands of nested levels: the composer and the walk recurse
        raise ValueError("nested too deeply") from None
