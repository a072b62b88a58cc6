"""The SPF grammar parser: terms with positions, errors where they sit."""

from __future__ import annotations

import pytest

from launchready.gatherers.email.spf_syntax import is_spf_record, parse_spf


def test_terms_keep_qualifier_name_value_and_position() -> None:
    parsed = parse_spf("v=spf1 ip4:192.0.2.0/24 ~include:_spf.example.com mx/24 redirect=x.test")
    assert not parsed.errors
    assert [(t.position, t.qualifier, t.name, t.value) for t in parsed.terms] == [
        (8, "+", "ip4", "192.0.2.0/24"),
        (25, "~", "include", "_spf.example.com"),
        (51, "+", "mx", ""),
        (57, "", "redirect", "x.test"),
    ]
    assert [t.counts_lookup for t in parsed.terms] == [False, True, True, True]
    assert parsed.modifier("redirect") is not None and parsed.all_term is None


@pytest.mark.parametrize(
    ("record", "position", "message"),
    [
        ("v=spf1 ip4:192.0.2.256 -all", 8, "invalid IPv4 address"),
        ("v=spf1 ip6:2001:db8::/129 -all", 8, "invalid prefix length"),
        ("v=spf1 a:foo-bar -all", 8, "does not end in '.toplabel'"),
        ("v=spf1 a:mail.example...com -all", 8, "empty label"),
        ("v=spf1 include -all", 8, "needs ':domain'"),
        ("v=spf1 -all:foo", 8, "takes no argument"),
        ("v=spf1 ip4:1.2.3.4 redirect:t.example.com", 20, "unknown mechanism 'redirect'"),
        ("v=spf1 exists:%{x}.example.com -all", 8, "macro letter 'x' is not allowed"),
        ("v=spf1 exists:100%.example.com -all", 8, "invalid macro"),
        ("v=spf1 a:%{c}.example.com -all", 8, "not allowed here"),
        ("v=spf1 exp=a.test exp=b.test -all", 19, "appears twice"),
        ("v=spf1 a:x.test\tmx -all", 16, "control character"),
        ("v=spf1 a:ex\u00e4mple.test -all", 12, "non-ASCII"),
        ("v=spf10 -all", 1, "does not start with 'v=spf1'"),
    ],
)
def test_errors_name_their_position(record: str, position: int, message: str) -> None:
    (error,) = parse_spf(record).errors
    assert error.position == position and message in error.message, error


def test_valid_edge_cases() -> None:
    for record in (
        "v=spf1",
        "V=SPF1 -ALL",
        "v=spf1 a  -all ",  # several spaces, trailing space
        "v=spf1 exists:%{i}.%{l1r+-}._spf.%{d} -all",
        "v=spf1 a:%{H}.bar -all",
        "v=spf1 a/24//64 mx:mail.example.com/28 -all",
        "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all",
        "v=spf1 -all exp=explain._spf.%{d}",
    ):
        assert not parse_spf(record).errors, record
    assert is_spf_record("v=spf1 -all") and not is_spf_record("v=spf10")
