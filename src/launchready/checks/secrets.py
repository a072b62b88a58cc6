"""Stage ``secrets``: are secrets out of source control, now and in every past commit?

One verdict per leaked secret and place (``path:line``), carrying the secret's fingerprint
and, from history, the commit that added it. Evidence shows the rule, at most four leading
characters and the fingerprint — never the secret. Fingerprints listed in the baseline are
known and accepted for now; they do not fail the scan.
"""

from __future__ import annotations

from collections.abc import Iterator

from launchready.checks.base import Verdict, check
from launchready.core.findings import Harm, Severity, Stage
from launchready.gatherers.secrets.scan import HISTORY, TREE, SecretHit, SecretsFact
from launchready.gatherers.secrets.sources import MAX_FILE

_REFERENCES = [
    "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html",
    "https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/"
    "removing-sensitive-data-from-a-repository",
    "https://12factor.net/config",
]
_WHERE = {
    "tree": "committed in the working tree",
    "untracked": "in a file git does not ignore (the next `git add .` commits it)",
    "staged": "staged for commit",
}


def _what(h: SecretHit) -> str:
    return f"{h.title} `{h.preview}` (fingerprint {h.fingerprint})"


def _unscanned(fact: SecretsFact) -> str:
    """Files left out for their size: a secret in them would go unseen, so say so."""
    if not fact.too_large:
        return ""
    names = ", ".join(fact.too_large[:3]) + (", …" if len(fact.too_large) > 3 else "")
    return f"; {len(fact.too_large)} file(s) over {MAX_FILE >> 20} MB not scanned ({names})"


def _known(fact: SecretsFact, hits: list[SecretHit]) -> str:
    if not fact.baseline:
        return ""
    known = len({h.fingerprint for h in hits if h.fingerprint in fact.baseline})
    return f"; {known} known secret(s) accepted by the baseline {fact.baseline_path}"


@check(
    id="secrets.leaked-in-tree",
    stage=Stage.SECRETS,
    title="No secret is committed in the working tree",
    severity=Severity.BLOCKER,
    harm=Harm.DATA_EXPOSURE,
    reads=TREE,
    impact="Everyone who can read the repository — contractors, CI logs, a stolen laptop, "
    "a leaked backup — holds the key to production data, payments or email sending.",
    remediation="Rotate the secret at its provider first: it is exposed already. Then remove it "
    "from the file and read it from the environment or a secret manager "
    "(`os.environ['STRIPE_KEY']`, `${STRIPE_KEY}`). A fake value in a test belongs in a "
    "file marked `launchready:test-fixture` in its first lines, or on a line marked "
    "`launchready:allow`. Known findings being rotated can be accepted with "
    "`launchready secrets scan --baseline FILE --update-baseline`.",
    references=_REFERENCES,
)
def leaked_in_tree(fact: SecretsFact) -> Iterator[Verdict]:
    """Every hit not in the baseline fails; an untracked file is one `git add` from git."""
    hits = list(fact.hits)
    new = [h for h in hits if h.fingerprint not in fact.baseline]
    for h in new:
        since = f"; first committed in {h.introduced[:12]}" if h.introduced else ""
        yield Verdict.fail(
            f"{_what(h)} {_WHERE.get(h.source, h.source)}{since}{_unscanned(fact)}",
            target=f"{h.path}:{h.line}",
            severity=Severity.HIGH if h.source == "untracked" else None,
            fingerprint=h.fingerprint,
        )
    if not new:
        scope = (
            f"no secret in the staged changes of {fact.files} file(s)"
            if fact.source == "staged"
            else f"no secret in {fact.files} file(s), {fact.bytes / 1e6:.1f} MB"
        )
        yield Verdict.ok(scope + _known(fact, hits) + _unscanned(fact))


@check(
    id="secrets.leaked-in-history",
    stage=Stage.SECRETS,
    title="No secret survives in git history",
    severity=Severity.HIGH,
    harm=Harm.DATA_EXPOSURE,
    reads=HISTORY,
    impact="Deleting a file does not delete it from git: every clone and fork still holds "
    "the secret, and anyone with read access can find it with one `git log -p`.",
    remediation="Rotate the secret at its provider — that is the fix; it is already exposed. "
    "Rewriting history (`git filter-repo --replace-text`) and force-pushing only limits "
    "further spread and needs every clone re-made. Accept findings whose secrets were "
    "rotated with `launchready secrets scan --baseline FILE --update-baseline`.",
    references=[
        "https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/"
        "removing-sensitive-data-from-a-repository",
        "https://github.com/newren/git-filter-repo",
        "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html",
    ],
)
def leaked_in_history(fact: SecretsFact) -> Iterator[Verdict]:
    """Secrets still in the tree are that check's findings; here, those only in history."""
    hits = [h for h in fact.hits if not h.in_head]
    new = [h for h in hits if h.fingerprint not in fact.baseline]
    for h in new:
        commit = (h.commit or "?")[:12]
        now = (
            "whether it is still in the tree is unknown (the working-tree scan did not finish)"
            if h.in_head is None
            else "since removed from the tree"
        )
        yield Verdict.fail(
            f"{_what(h)} added in commit {commit} and {now}: still in every clone",
            target=f"{h.path}:{h.line}",
            commit=h.commit,
            fingerprint=h.fingerprint,
        )
    if not new:
        yield Verdict.ok(
            f"no secret only in history across {fact.commits} commit(s), "
            f"{fact.bytes / 1e6:.1f} MB of patch text" + _known(fact, hits)
        )
