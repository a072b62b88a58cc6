"""What each manifest declares and what its lock file recorded, per ecosystem.

A lock is "in sync" when it was written from the manifest as it is now; each package manager
records that differently, so each reader returns what its lock keeps:
- uv.lock: the root package's `requires-dist` (the manifest's specifiers) when present,
  else the locked package names;
- poetry.lock, requirements.txt from pip-tools: package names;
- package-lock.json (v2/v3), pnpm-lock.yaml: the specifier each dependency was declared with;
- yarn.lock: the `name@specifier` pairs its entries resolve.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from typing import Any, Literal

import yaml

Records = Literal["specs", "names"]
_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;#]*)")


@dataclass(frozen=True)
class Dep:
    name: str
    spec: str = ""


def norm_py(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def norm_spec(spec: str) -> str:
    return ",".join(sorted(p.strip() for p in spec.replace(" ", "").split(",") if p.strip()))


def py_requirement(line: str) -> Dep | None:
    m = _REQ.match(line)
    if not m or line.lstrip().startswith(("-", "#")):
        return None
    return Dep(norm_py(m.group(1)), norm_spec(m.group(3)))


def pyproject_deps(text: str, tool: str) -> list[Dep]:
    """[project] dependencies, plus dependency groups (uv) or Poetry's own tables."""
    data = tomllib.loads(text)
    reqs: list[str] = list(data.get("project", {}).get("dependencies", []))
    if tool == "uv":
        for group in data.get("dependency-groups", {}).values():
            reqs.extend(r for r in group if isinstance(r, str))
    deps = [d for d in map(py_requirement, reqs) if d]
    if tool == "poetry":
        poetry = data.get("tool", {}).get("poetry", {})
        tables = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})]
        tables += [g.get("dependencies", {}) for g in poetry.get("group", {}).values()]
        for table in tables:
            deps.extend(Dep(norm_py(n)) for n in table if n.lower() != "python")
    return deps


def uv_locked(text: str, project: str | None) -> tuple[Records, list[Dep]]:
    data = tomllib.loads(text)
    packages = data.get("package", [])
    root = next(
        (
            p
            for p in packages
            if ("editable" in p.get("source", {}) or "virtual" in p.get("source", {}))
            and (project is None or norm_py(p.get("name", "")) == norm_py(project))
        ),
        None,
    )
    metadata = (root or {}).get("metadata", {})
    if "requires-dist" in metadata or "requires-dev" in metadata:
        entries = list(metadata.get("requires-dist", []))
        for group in metadata.get("requires-dev", {}).values():
            entries.extend(group)
        return "specs", [
            Dep(norm_py(e["name"]), norm_spec(e.get("specifier", ""))) for e in entries
        ]
    return "names", [Dep(norm_py(p["name"])) for p in packages if "name" in p]


def poetry_locked(text: str) -> list[Dep]:
    return [Dep(norm_py(p["name"])) for p in tomllib.loads(text).get("package", [])]


def requirements_names(text: str) -> tuple[list[Dep], list[str]]:
    """(pinned requirements, names of requirements without --hash) of a compiled file."""
    deps, unhashed = [], []
    joined = re.sub(r"\\\n", " ", text)
    for line in joined.splitlines():
        dep = py_requirement(line)
        if dep:
            deps.append(dep)
            if "--hash=" not in line:
                unhashed.append(dep.name)
    return deps, unhashed


def package_json_deps(text: str) -> list[Dep]:
    data = json.loads(text)
    deps = []
    for table in ("dependencies", "devDependencies", "optionalDependencies"):
        for name, spec in (data.get(table) or {}).items():
            deps.append(Dep(name, str(spec)))
    return deps


def npm_locked(text: str) -> tuple[Records, list[Dep]]:
    data = json.loads(text)
    root = (data.get("packages") or {}).get("")
    if root is not None:
        found: list[Dep] = []
        for table in ("dependencies", "devDependencies", "optionalDependencies"):
            found.extend(Dep(n, str(s)) for n, s in (root.get(table) or {}).items())
        return "specs", found
    return "names", [Dep(n) for n in data.get("dependencies") or {}]  # lockfileVersion 1


def pnpm_locked(text: str) -> list[Dep]:
    data: dict[str, Any] = yaml.safe_load(text) or {}
    importer = (data.get("importers") or {}).get(".") or data
    found = []
    for table in ("dependencies", "devDependencies", "optionalDependencies"):
        for name, entry in (importer.get(table) or {}).items():
            spec = entry.get("specifier") if isinstance(entry, dict) else None
            spec = spec or (data.get("specifiers") or {}).get(name, "")
            found.append(Dep(name, str(spec)))
    return found


def yarn_locked(text: str) -> list[Dep]:
    """Entry headers such as `"react@^18.2.0", react@^18.0.0:` (v1) or `"react@npm:^18"` (berry)."""
    found = []
    for line in text.splitlines():
        if line.startswith((" ", "#")) or not line.rstrip().endswith(":"):
            continue
        for part in line.rstrip()[:-1].split(","):
            part = part.strip().strip('"')
            at = part.rfind("@")
            if at > 0:
                found.append(Dep(part[:at], part[at + 1 :].removeprefix("npm:")))
    return found
