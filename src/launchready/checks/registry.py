"""Finds every check in this package, validates it and rejects duplicate ids."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Iterator
from types import ModuleType

from launchready.checks.base import Check, CheckDefinitionError
from launchready.core.findings import Stage


class Registry:
    def __init__(self, checks: Iterable[Check] = ()) -> None:
        self._checks: dict[str, Check] = {}
        for c in checks:
            self.add(c)

    def add(self, c: Check) -> None:
        c.validate()
        if c.id in self._checks:
            raise CheckDefinitionError(f"duplicate check id {c.id!r}")
        self._checks[c.id] = c

    def __iter__(self) -> Iterator[Check]:
        return iter(sorted(self._checks.values(), key=lambda c: (list(Stage).index(c.stage), c.id)))

    def __len__(self) -> int:
        return len(self._checks)

    def get(self, check_id: str) -> Check | None:
        return self._checks.get(check_id)

    def for_stages(self, stages: Iterable[Stage]) -> list[Check]:
        wanted = set(stages)
        return [c for c in self if c.stage in wanted]


def _stage_modules() -> Iterator[ModuleType]:
    import launchready.checks as pkg

    # Subpackages too: a stage may keep its checks in a folder of topic modules.
    for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{pkg.__name__}."):
        if info.name.rsplit(".", 1)[-1] in ("base", "registry"):
            continue
        yield importlib.import_module(info.name)


def load_registry() -> Registry:
    """Every ``Check`` defined at module level in ``launchready.checks.*``."""
    registry = Registry()
    for module in _stage_modules():
        for value in vars(module).values():
            # A package that re-exports its modules' checks shows each one twice: same object.
            if isinstance(value, Check) and registry.get(value.id) is not value:
                registry.add(value)
    return registry
