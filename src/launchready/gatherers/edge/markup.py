"""What an HTML page loads: the references the SRI and mixed-content checks read.

The standard library's tolerant parser is enough: we need tag names and attributes, not a
DOM. Parsing is fact extraction (no judgement); ``PageFact.document`` calls it on demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass(frozen=True)
class Reference:
    """One URL the page makes the browser load or submit to."""

    tag: str  # script, link, img, iframe, form, ...
    attribute: str  # src, href, action, ...
    url: str
    rel: str = ""  # for <link>: "stylesheet", "icon", ...
    integrity: str | None = None
    crossorigin: str | None = None


@dataclass(frozen=True)
class Document:
    references: tuple[Reference, ...]
    meta: tuple[tuple[str, str], ...]  # <meta http-equiv> name (lower case) and content
    # <meta name> name (lower case) and content: where HTML defines the referrer policy.
    named_meta: tuple[tuple[str, str], ...] = ()

    def meta_value(self, name: str) -> list[str]:
        """Contents of ``<meta http-equiv="name">``, in document order."""
        return [content for key, content in self.meta if key == name.lower()]

    def named_meta_value(self, name: str) -> list[str]:
        """Contents of ``<meta name="name">``, in document order."""
        return [content for key, content in self.named_meta if key == name.lower()]

    @property
    def scripts(self) -> tuple[Reference, ...]:
        return tuple(r for r in self.references if r.tag == "script")


# Attributes that load or submit something, per tag (srcset is not parsed: rare in admin apps).
_URL_ATTRS = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src",),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "audio": ("src",),
    "video": ("src", "poster"),
    "source": ("src",),
    "track": ("src",),
    "form": ("action",),
}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.references: list[Reference] = []
        self.meta: list[tuple[str, str]] = []
        self.named_meta: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta" and "http-equiv" in values:
            self.meta.append((values["http-equiv"].strip().lower(), values.get("content", "")))
            return
        if tag == "meta" and "name" in values:
            self.named_meta.append((values["name"].strip().lower(), values.get("content", "")))
            return
        for attr in _URL_ATTRS.get(tag, ()):
            url = values.get(attr, "").strip()
            if not url:
                continue
            self.references.append(
                Reference(
                    tag=tag,
                    attribute=attr,
                    url=url,
                    rel=values.get("rel", "").strip().lower(),
                    integrity=values.get("integrity") or None,
                    crossorigin=values.get("crossorigin"),
                )
            )

    handle_startendtag = handle_starttag


def parse_document(text: str) -> Document:
    collector = _Collector()
    try:
        collector.feed(text)
        collector.close()
    except AssertionError:  # html.parser's way of giving up on hopeless markup
        pass
    return Document(tuple(collector.references), tuple(collector.meta), tuple(collector.named_meta))
