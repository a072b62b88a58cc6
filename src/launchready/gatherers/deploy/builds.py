"""Deterministic-build facts: manifests against their lock files, and container base images."""

from __future__ import annotations

import posixpath
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import yaml

from launchready.gatherers.deploy import locks
from launchready.gatherers.deploy.files import DOCKERFILE, LOCK_LIMIT, RepoFiles
from launchready.gatherers.deploy.locks import Dep, Records

BUILDS = "deploy.builds"


@dataclass(frozen=True)
class LockRecord:
    manifest: str
    ecosystem: str  # uv | poetry | pip-tools | npm | pnpm | yarn
    lock: str
    declared: tuple[Dep, ...]
    locked: tuple[Dep, ...]
    records: Records  # what the lock keeps of the manifest: specifiers or only names
    unhashed: tuple[str, ...] = ()  # pip-tools: requirements without --hash
    problem: str | None = None  # the manifest or lock could not be parsed


@dataclass(frozen=True)
class BaseImage:
    path: str
    line: int
    reference: str  # as written, e.g. python:3.12-slim
    tag: str | None
    digest: str | None
    via: str  # FROM | COPY --from


@dataclass(frozen=True)
class BuildsFact:
    locks: tuple[LockRecord, ...]
    images: tuple[BaseImage, ...]
    dockerfiles: tuple[str, ...]


def _pair(
    files: RepoFiles,
    manifest: str,
    lock_name: str,
    ecosystem: str,
    read: Callable[[str, str], tuple[list[Dep], Records, list[Dep], list[str]]],
) -> LockRecord | None:
    folder = posixpath.dirname(manifest)
    lock = posixpath.join(folder, lock_name)
    if not files.has(lock):
        return None
    manifest_text = files.read(manifest)
    lock_text = files.read(lock, LOCK_LIMIT)
    if manifest_text is None or lock_text is None:
        return LockRecord(manifest, ecosystem, lock, (), (), "names", (), "unreadable or too large")
    try:
        declared, records, locked, unhashed = read(manifest_text, lock_text)
    except (ValueError, KeyError, TypeError, AttributeError, yaml.YAMLError) as exc:
        # tomllib/json errors carry positions, never file content.
        reason = str(exc).splitlines()[0] if not isinstance(exc, yaml.YAMLError) else "bad YAML"
        return LockRecord(manifest, ecosystem, lock, (), (), "names", (), f"cannot parse: {reason}")
    return LockRecord(
        manifest, ecosystem, lock, tuple(declared), tuple(locked), records, tuple(unhashed)
    )


def _uv(manifest: str, lock: str) -> tuple[list[Dep], Records, list[Dep], list[str]]:
    name = tomllib.loads(manifest).get("project", {}).get("name")
    records, locked = locks.uv_locked(lock, name)
    return locks.pyproject_deps(manifest, "uv"), records, locked, []


def _poetry(manifest: str, lock: str) -> tuple[list[Dep], Records, list[Dep], list[str]]:
    return locks.pyproject_deps(manifest, "poetry"), "names", locks.poetry_locked(lock), []


def _pip_tools(manifest: str, lock: str) -> tuple[list[Dep], Records, list[Dep], list[str]]:
    declared = [d for d in map(locks.py_requirement, manifest.splitlines()) if d]
    locked, unhashed = locks.requirements_names(lock)
    return declared, "names", locked, unhashed


def _npm(manifest: str, lock: str) -> tuple[list[Dep], Records, list[Dep], list[str]]:
    records, locked = locks.npm_locked(lock)
    return locks.package_json_deps(manifest), records, locked, []


def _pnpm(manifest: str, lock: str) -> tuple[list[Dep], Records, list[Dep], list[str]]:
    return locks.package_json_deps(manifest), "specs", locks.pnpm_locked(lock), []


def _yarn(manifest: str, lock: str) -> tuple[list[Dep], Records, list[Dep], list[str]]:
    return locks.package_json_deps(manifest), "specs", locks.yarn_locked(lock), []


# manifest name -> (lock name, ecosystem, reader); the first lock present wins.
_PAIRS = {
    "pyproject.toml": (("uv.lock", "uv", _uv), ("poetry.lock", "poetry", _poetry)),
    "requirements.in": (("requirements.txt", "pip-tools", _pip_tools),),
    "package.json": (
        ("package-lock.json", "npm", _npm),
        ("npm-shrinkwrap.json", "npm", _npm),
        ("pnpm-lock.yaml", "pnpm", _pnpm),
        ("yarn.lock", "yarn", _yarn),
    ),
}


def lock_records(files: RepoFiles) -> list[LockRecord]:
    found = []
    for path in files.files:
        for lock_name, ecosystem, read in _PAIRS.get(posixpath.basename(path), ()):
            record = _pair(files, path, lock_name, ecosystem, read)
            if record:
                found.append(record)
                break
    return found


_FROM = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?", re.IGNORECASE)
_COPY_FROM = re.compile(r"^\s*COPY\s+.*--from=(\S+)", re.IGNORECASE)


def split_image(reference: str) -> tuple[str | None, str | None]:
    """(tag, digest) of `registry:5000/name:tag@sha256:…`."""
    ref, _, digest = reference.partition("@")
    last = ref.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else None
    return tag, digest or None


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Lines with each `\\`-continuation joined, numbered by the line each one starts on."""
    start, pending = 0, ""
    for number, physical in enumerate(text.splitlines(keepends=True), start=1):
        if not pending:
            start = number
        if physical.endswith("\\\n"):
            pending += physical[:-2] + " "  # never empty: a continued line goes on
        else:
            yield start, pending + physical.splitlines()[0]
            pending = ""
    if pending:
        yield start, pending


def base_images(path: str, text: str) -> list[BaseImage]:
    stages: set[str] = set()
    images = []
    for number, line in _logical_lines(text):
        m = _FROM.match(line)
        via, ref = ("FROM", m.group(1)) if m else ("", "")
        if m and m.group(2):
            stages.add(m.group(2).lower())
        c = _COPY_FROM.match(line)
        if c:
            via, ref = "COPY --from", c.group(1)
        # Earlier stages, `scratch` and numeric stage indexes are not pulled images.
        if not ref or ref.lower() in stages or ref == "scratch" or ref.isdigit():
            continue
        tag, digest = split_image(ref)
        images.append(BaseImage(path, number, ref, tag, digest, via))
    return images


def gather_builds(files: RepoFiles) -> BuildsFact:
    dockerfiles = files.matching(DOCKERFILE)
    images = []
    for path in dockerfiles:
        text = files.read(path)
        if text is not None:
            images.extend(base_images(path, text))
    return BuildsFact(tuple(lock_records(files)), tuple(images), tuple(dockerfiles))
