"""A block's raw inline source read for what the converter needs: its text, links and code spans.

Inline parsing is the expensive half of Markdown parsing and most of a report never needs it,
so blocks keep their source and are parsed inline here, on demand (markdown-it-py's inline
rules: emphasis, code spans, links, autolinks, inline HTML, entities and escapes).
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from vigilintel_connector.memo import memo

_INLINE = MarkdownIt("zero", {"maxNesting": 20}).enable(
    ["emphasis", "backticks", "link", "autolink", "html_inline", "entity", "escape", "newline"]
)
MARKUP = frozenset("*_`[<\\&!")
_MARKUP_BUT_STARS = MARKUP - {"*"}
# "**Label :** value", the commonest marked-up source: its text is the label and the rest.
# Taken only where CommonMark's emphasis rules read nothing else: no other star nor markup, the
# label neither starting nor ending with a space, the closing stars followed by the end, a
# space, a line break or punctuation (tested against markdown-it-py on drawn sources).
_BOLD_LABEL = re.compile(r"\*\*([^*\s](?:[^*]*[^*\s])?)\*\*((?:[ \t\n]|[:;,.)])[^*]*)?", re.DOTALL)


@memo(1024, 4096)  # labels and cells come back within the day (8192 held 8 MB more)
def plain(source: str) -> str:
    """The text of an inline source: markup, inline HTML (anchors) and link targets removed."""
    if MARKUP.isdisjoint(source):
        return " ".join(source.split())
    label = _BOLD_LABEL.fullmatch(source)
    if label and _MARKUP_BUT_STARS.isdisjoint(source) and "\x00" not in source:
        return " ".join(f"{label.group(1)}{label.group(2) or ''}".split())
    tokens = _INLINE.parseInline(source)
    parts: list[str] = []
    for token in tokens[0].children or [] if tokens else []:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return " ".join("".join(parts).split())


def inline_parts(source: str) -> tuple[list[str], list[str]]:
    """The link targets and the code spans of an inline source."""
    tokens = _INLINE.parseInline(source)
    links: list[str] = []
    code: list[str] = []
    for token in tokens[0].children or [] if tokens else []:
        if token.type == "link_open":
            href = token.attrGet("href")
            if isinstance(href, str):
                links.append(href)
        elif token.type == "code_inline":
            code.append(token.content)
    return links, code
