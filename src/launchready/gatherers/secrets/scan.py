"""The secrets gatherer: hits in the working tree (or staged changes) and in history, as facts.

It reports what it found and which fingerprints the baseline file lists; whether a hit is a
problem is the checks' call (``checks/secrets.py``).
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from launchready.core.outcome import Outcome
from launchready.gatherers.secrets import baseline as baseline_file
from launchready.gatherers.secrets.matcher import Matcher
from launchready.gatherers.secrets.patch import ScanTimeout
from launchready.gatherers.secrets.sources import (
    GitError,
    PatchScan,
    TreeScan,
    display_path,
    has_commits,
    is_work_tree,
    scan_history,
    scan_staged,
    scan_tree,
)

if TYPE_CHECKING:  # the gatherer base pulls in the network stack; the CLI does not need it
    from launchready.gatherers.base import GatherContext

TREE = "secrets.tree"
HISTORY = "secrets.history"


@dataclass(frozen=True)
class SecretHit:
    rule_id: str
    title: str
    path: str
    line: int
    fingerprint: str
    preview: str  # at most four leading characters and an ellipsis
    source: str  # "tree" | "untracked" | "staged" | "history"
    commit: str | None = None  # history: the commit that added it
    # history: still present in the working tree; None when the tree scan did not finish
    in_head: bool | None = True
    introduced: str | None = None  # tree: the commit that first added it, when known


@dataclass(frozen=True)
class SecretsFact:
    root: str
    source: str  # "tree" | "staged" | "history"
    hits: tuple[SecretHit, ...]
    files: int = 0
    bytes: int = 0
    commits: int = 0
    baseline: frozenset[str] = frozenset()  # fingerprints listed in the baseline file
    baseline_path: str | None = None
    backend: str = ""
    too_large: tuple[str, ...] = ()  # tree: files not scanned for their size


@dataclass(frozen=True)
class ScanOptions:
    history: bool = True
    staged: bool = False
    baseline: str | None = None  # None: <root>/.launchready-baseline.json when it exists
    backend: str | None = None  # "hyperscan" | "python"; None: hyperscan when it loads


def baseline_path(root: str, options: ScanOptions) -> str | None:
    if options.baseline:
        return options.baseline
    default = os.path.join(root, baseline_file.DEFAULT_NAME)
    return default if os.path.isfile(default) else None


def _tree_fact(
    root: str,
    scan: TreeScan,
    history: PatchScan | None,
    known: frozenset[str],
    bl: str | None,
    backend: str,
) -> SecretsFact:
    first: dict[str, str] = {}
    for h in history.hits if history else ():
        if h.commit:
            first.setdefault(h.fingerprint, h.commit)
    hits = tuple(
        SecretHit(
            h.rule_id,
            h.title,
            display_path(path),
            h.line,
            h.fingerprint,
            h.preview,
            "untracked" if path in scan.untracked else "tree",
            introduced=first.get(h.fingerprint),
        )
        for path, h in scan.hits
    )
    return SecretsFact(
        root,
        "tree",
        hits,
        scan.files,
        scan.bytes,
        0,
        known,
        bl,
        backend,
        tuple(display_path(p) for p in scan.too_large),
    )


def _history_fact(
    root: str,
    scan: PatchScan,
    in_tree: set[str] | None,  # None: the tree could not be scanned, so nobody knows
    known: frozenset[str],
    bl: str | None,
    backend: str,
) -> SecretsFact:
    # One hit per secret and path: the oldest commit (the stream runs oldest first).
    seen: dict[tuple[str, str], SecretHit] = {}
    for h in scan.hits:
        key = (h.fingerprint, h.path)
        if key not in seen:
            seen[key] = SecretHit(
                h.rule_id,
                h.title,
                h.path,
                h.line,
                h.fingerprint,
                h.preview,
                "history",
                commit=h.commit,
                in_head=None if in_tree is None else h.fingerprint in in_tree,
            )
    return SecretsFact(
        root, "history", tuple(seen.values()), 0, scan.bytes, scan.commits, known, bl, backend
    )


def collect(
    root: str, options: ScanOptions, timeout_s: float | None = None
) -> list[Outcome[SecretsFact]]:
    """Scan ``root`` (blocking); one outcome for the tree (or staged changes), one for history."""
    if not os.path.isdir(root):
        reason = f"{root} is not a directory"
        return [Outcome.error(TREE, root, reason), Outcome.error(HISTORY, root, reason)]
    bl = baseline_path(root, options)
    try:
        known = baseline_file.load(bl) if bl else frozenset()
    except baseline_file.BaselineError as exc:
        return [Outcome.error(TREE, root, str(exc)), Outcome.error(HISTORY, root, str(exc))]
    matcher = Matcher(backend=options.backend)
    git = is_work_tree(root)
    if options.staged:
        return _collect_staged(root, git, matcher, known, bl)

    def deadline() -> float | None:
        return None if timeout_s is None else time.monotonic() + timeout_s

    history: PatchScan | None = None
    history_outcome: Outcome[SecretsFact]
    if not options.history:
        history_outcome = Outcome.skipped(HISTORY, root, "history not scanned (--no-history)")
    elif not git:
        history_outcome = Outcome.skipped(HISTORY, root, "not a git repository: no history")
    elif not has_commits(root):
        history_outcome = Outcome.skipped(HISTORY, root, "the repository has no commits yet")
    else:
        try:
            history = scan_history(root, matcher, deadline())
        except ScanTimeout:
            history_outcome = Outcome.error(
                HISTORY,
                root,
                f"history scan took over {timeout_s:g} s; "
                "run `launchready secrets scan` (no time limit) on this repository",
            )
        except (GitError, OSError) as exc:
            history_outcome = Outcome.error(HISTORY, root, f"git log failed: {exc}")
    try:
        tree = scan_tree(root, matcher, deadline(), is_git=git)
    except ScanTimeout:
        tree_outcome: Outcome[SecretsFact] = Outcome.error(
            TREE, root, f"working-tree scan took over {timeout_s:g} s"
        )
        tree = None
    except (GitError, OSError) as exc:
        tree_outcome, tree = Outcome.error(TREE, root, f"cannot list files: {exc}"), None
    if tree is not None:
        tree_outcome = Outcome.ok(
            TREE, root, _tree_fact(root, tree, history, known, bl, matcher.backend)
        )
    if history is not None:
        in_tree = {h.fingerprint for _, h in tree.hits} if tree is not None else None
        history_outcome = Outcome.ok(
            HISTORY, root, _history_fact(root, history, in_tree, known, bl, matcher.backend)
        )
    return [tree_outcome, history_outcome]


def _collect_staged(
    root: str, git: bool, matcher: Matcher, known: frozenset[str], bl: str | None
) -> list[Outcome[SecretsFact]]:
    history: Outcome[SecretsFact] = Outcome.skipped(
        HISTORY, root, "history not scanned with --staged"
    )
    if not git:
        return [Outcome.error(TREE, root, "--staged needs a git repository"), history]
    try:
        scan = scan_staged(root, matcher)
    except (GitError, OSError) as exc:
        return [Outcome.error(TREE, root, f"git diff --cached failed: {exc}"), history]
    hits = tuple(
        SecretHit(h.rule_id, h.title, h.path, h.line, h.fingerprint, h.preview, "staged")
        for h in scan.hits
    )
    fact = SecretsFact(
        root, "staged", hits, scan.sections, scan.bytes, 0, known, bl, matcher.backend
    )
    return [Outcome.ok(TREE, root, fact), history]


class SecretsGatherer:
    name: str = "secrets"
    provides: tuple[str, ...] = (TREE, HISTORY)

    def __init__(self, options: ScanOptions | None = None) -> None:
        self.options = options or ScanOptions()

    async def gather(self, ctx: GatherContext) -> list[Outcome[Any]]:
        path = ctx.config.repo.path
        if not path:
            reason = "no repository given ([repo].path or --repo)"
            return [Outcome.skipped(TREE, "-", reason), Outcome.skipped(HISTORY, "-", reason)]
        root = ctx.config.resolve_path(path)
        ctx.progress.started("secrets: tree and history")
        try:
            outcomes = await asyncio.to_thread(collect, root, self.options, ctx.timeout_s)
        finally:
            ctx.progress.finished("secrets: tree and history")
        return list(outcomes)
