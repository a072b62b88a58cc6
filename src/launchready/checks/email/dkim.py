"""DKIM: a usable key per selector, strong enough, out of testing mode — and a key for
each sending service found in SPF (RFC 6376, RFC 8301, RFC 8463)."""

from __future__ import annotations

from collections.abc import Iterator

from launchready.checks.base import Verdict, check
from launchready.checks.email._shared import GOOGLE, RFC6376, RFC8301, RFC9989, skipped
from launchready.core.findings import Harm, Severity, Stage
from launchready.gatherers.email.dkim_keys import DKIM, DkimKey, DkimSelectors
from launchready.gatherers.email.providers import PROVIDERS, Providers


@check(
    id="email.provider-dkim",
    stage=Stage.EMAIL,
    title="Each sending service in SPF signs with a key on your domain",
    severity=Severity.MEDIUM,
    harm=Harm.EMAIL,
    reads=PROVIDERS,
    impact="A service listed in SPF but signing with its own domain fails DMARC alignment: "
    "once DMARC is enforced its mail is quarantined or rejected.",
    remediation="Complete the service's domain authentication (the DKIM records it shows), "
    "or give its selector with --dkim-selector.",
    references=[f"{RFC9989}#section-4.4", GOOGLE],
)
def provider_dkim(found: Providers) -> Iterator[Verdict]:
    """Services are recognised from include targets; known fixed selectors are probed."""
    for use in found.uses:
        target = f"{found.domain} ({use.provider})"
        if use.found:
            keys = ", ".join(f"{s}._domainkey" for s in use.found)
            yield Verdict.ok(
                f"{use.provider} (include:{use.include}): key at {keys}", target=target
            )
        elif not use.selectors:
            if found.configured_found:
                shown = ", ".join(found.configured_found)
                yield Verdict.ok(
                    f"{use.provider} selectors are per customer; configured "
                    f"selector(s) {shown} publish keys",
                    target=target,
                )
            else:
                yield Verdict.warn(
                    f"{use.provider} is in SPF; its selectors cannot be guessed ({use.how}): "
                    "give them with --dkim-selector",
                    target=target,
                    severity=Severity.LOW,
                )
        else:
            probed = ", ".join(use.selectors)
            yield Verdict.warn(
                f"{use.provider} is in SPF (include:{use.include}) but no key at its "
                f"selectors ({probed}); {use.how}",
                target=target,
            )
    if not found.uses:
        yield Verdict.ok("no known sending service in the SPF include tree")


def _key_label(key: DkimKey) -> str:
    flags = " t=y" if key.testing else ""
    return f"{key.key_type} {key.bits} bits{flags}" if key.bits else key.key_type


@check(
    id="email.dkim-key",
    stage=Stage.EMAIL,
    title="A usable DKIM key is published for each selector",
    severity=Severity.HIGH,
    harm=Harm.EMAIL,
    reads=DKIM,
    impact="Without a usable DKIM key your mail is unsigned to receivers: no DMARC pass "
    "through forwarding, and Gmail and Yahoo treat it as suspect.",
    remediation="Publish the key your mail service shows at <selector>._domainkey.<domain> "
    "(one TXT record, `v=DKIM1; k=rsa; p=…`).",
    references=[f"{RFC6376}#section-3.6.1", f"{RFC8301}#section-3.1", GOOGLE],
)
def dkim_key(found: DkimSelectors) -> Iterator[Verdict]:
    """Configured selectors must each answer; discovery probes common selectors and
    reports which were tried. An empty p= is a revoked key (RFC 6376 §3.6.1)."""
    if found.mode == "discovery" and not found.keys:
        probed = ", ".join(found.probed)
        yield Verdict.warn(
            f"no DKIM key under {len(found.probed)} common selectors ({probed}); "
            "give yours with --dkim-selector",
            severity=Severity.MEDIUM,
        )
        return
    if found.mode == "discovery":
        names = ", ".join(k.selector for k in found.keys)
        yield Verdict.ok(
            f"probed {len(found.probed)} common selectors "
            f"({', '.join(found.probed)}); found {names}"
        )
    for key in found.keys:
        how = "" if found.mode == "configured" else " (discovered)"
        if not key.found:
            yield Verdict.fail(f"no TXT record at {key.name}", target=key.name)
        elif key.problem:
            yield Verdict.fail(f"{key.problem}: {' | '.join(key.records)}", target=key.name)
        elif key.revoked:
            if found.mode == "configured":
                yield Verdict.fail("key revoked (empty p=)", target=key.name)
            else:
                yield Verdict.warn("key revoked (empty p=)", target=key.name, severity=Severity.LOW)
        elif key.hashes and "sha256" not in key.hashes:
            yield Verdict.fail(
                f"h={':'.join(key.hashes)}: RFC 8301 forbids rsa-sha1", target=key.name
            )
        else:
            yield Verdict.ok(f"{_key_label(key)}{how}", target=key.name)


@check(
    id="email.dkim-key-size",
    stage=Stage.EMAIL,
    title="DKIM keys are at least 2048-bit RSA (or ed25519)",
    severity=Severity.BLOCKER,
    harm=Harm.EMAIL,
    reads=DKIM,
    impact="Receivers must ignore signatures made with RSA keys under 1024 bits, so the "
    "mail counts as unsigned; 1024-bit keys are deprecated and factorable by a "
    "determined attacker.",
    remediation="Generate a 2048-bit RSA key, publish it under a new selector, switch "
    "signing to it, then revoke the old selector (empty p=).",
    references=[f"{RFC8301}#section-3.2", "https://www.rfc-editor.org/rfc/rfc8463"],
)
def dkim_key_size(found: DkimSelectors) -> Iterator[Verdict]:
    """RFC 8301 §3.2: verifiers MUST NOT accept keys under 1024 bits; signers SHOULD use
    at least 2048. ed25519 (RFC 8463) is strong, but many receivers verify only RSA."""
    usable = [k for k in found.keys if k.usable]
    if not usable:
        yield skipped("no usable DKIM key to measure")
        return
    for key in usable:
        if key.key_type == "ed25519":
            yield Verdict.ok(
                "ed25519 (keep an RSA key alongside: not every receiver verifies ed25519)",
                target=key.name,
            )
        elif key.bits is not None and key.bits < 1024:
            yield Verdict.fail(
                f"RSA {key.bits} bits: receivers ignore the signature", target=key.name
            )
        elif key.bits is not None and key.bits < 2048:
            yield Verdict.warn(
                f"RSA {key.bits} bits (use 2048)", target=key.name, severity=Severity.MEDIUM
            )
        else:
            yield Verdict.ok(f"RSA {key.bits} bits", target=key.name)


@check(
    id="email.dkim-testing",
    stage=Stage.EMAIL,
    title="DKIM keys are not in testing mode (t=y)",
    severity=Severity.LOW,
    harm=Harm.EMAIL,
    reads=DKIM,
    impact="With t=y receivers may treat failed signatures as if there were none, hiding "
    "problems and weakening protection.",
    remediation="Remove `t=y` from the key record once signing works.",
    references=[f"{RFC6376}#section-3.6.1"],
)
def dkim_testing(found: DkimSelectors) -> Iterator[Verdict]:
    """RFC 6376 §3.6.1: "y" means the domain is testing DKIM."""
    usable = [k for k in found.keys if k.usable]
    if not usable:
        yield skipped("no usable DKIM key")
    for key in usable:
        if key.testing:
            yield Verdict.warn("t=y (testing mode)", target=key.name)
        else:
            yield Verdict.ok("not in testing mode", target=key.name)
