"""A Markdown report as a tree of headed sections holding paragraphs, list items and tables.

The structure comes from a CommonMark parser (markdown-it-py), never from regexes over the raw
text. Inline parsing (links, code spans) is the expensive half of Markdown parsing and most of a
report never needs it, so blocks keep their raw inline source and are parsed inline on demand.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from vigilintel_connector import limits
from vigilintel_connector.convert.inline import MARKUP, plain
from vigilintel_connector.convert.markdown_cmark import sections
from vigilintel_connector.convert.sections import Section, Table
from vigilintel_connector.source.documents import DocumentError

# Block structure only, with the block rules upstream's reports use: the core "inline" rule
# runs later, for the blocks that need it. (CommonMark's full rule set halves the speed.)
_BLOCKS = (
    MarkdownIt("zero", {"maxNesting": 20})
    .enable(["heading", "list", "table", "paragraph", "fence", "html_block"])
    .disable("inline")
)
# A paragraph of nothing but HTML tags ("<br>\n<div id=\"next-article-cve-2025-1234\"></div>").
_TAGS_ONLY = re.compile(r"\s*(?:<[^<>]*>\s*)+")
# Quote markers at a line's start, read after a line break: a leading "^" (multi-line) would
# have the regex engine try every position, a "\n" lets it skip from one line to the next.
_QUOTES = re.compile(r"\n((?:[ \t]*>){2,})")


def check_budget(text: str, path: str) -> None:
    """Refuse a Markdown document over the bounds of ``limits`` before any parser sees it: a
    parser's memory grows hundreds of times faster than the text on list- or table-only input."""
    size = len(text.encode("utf-8", "surrogatepass"))
    lines = text.count("\n") + 1
    small = size <= limits.MARKDOWN_MAX_BYTES and lines <= limits.MARKDOWN_MAX_LINES
    longest = max(map(len, text.split("\n"))) if small else 0
    quotes = _QUOTES.finditer(f"\n{text}") if small else ()
    depth = max((m.group(1).count(">") for m in quotes), default=0)
    for what, value, bound in (
        ("bytes", size, limits.MARKDOWN_MAX_BYTES),
        ("lines", lines, limits.MARKDOWN_MAX_LINES),
        ("table cells", text.count("|"), limits.MARKDOWN_MAX_CELLS),
        ("link brackets", text.count("["), limits.MARKDOWN_MAX_BRACKETS),
        ("markup characters", sum(map(text.count, MARKUP)), limits.MARKDOWN_MAX_MARKUP),
        ("characters on one line", longest, limits.MARKDOWN_MAX_LINE),
        ("nested quotes", depth, limits.MARKDOWN_MAX_NESTING),
    ):
        if value > bound:
            raise DocumentError(f"{path}: {value} {what}, over the Markdown bound of {bound}")


def parse(text: str, path: str) -> Section:
    """The document as a tree rooted at a level-0 section; a hostile input is a DocumentError.

    cmark-gfm (C) builds it when it reads the document as the rule set below does; otherwise
    markdown-it-py, 20 times slower, does."""
    check_budget(text, path)
    return sections(text) or parse_pure(text, path)


def parse_pure(text: str, path: str) -> Section:
    """The tree from markdown-it-py's block tokens, with the rule set above."""
    try:
        tokens = _BLOCKS.parse(text)
    except RecursionError:
        raise DocumentError(f"{path}: Markdown nested too deeply") from None
    root = Section(0, "")
    stack = [root]
    item_depth = 0
    position = 0
    while position < len(tokens):
        token = tokens[position]
        kind = token.type
        if kind == "heading_open":
            level = int(token.tag[1])
            title = plain(tokens[position + 1].content)
            while stack[-1].level >= level:
                stack.pop()
            section = Section(level, title)
            stack[-1].children.append(section)
            stack.append(section)
            position += 3
            continue
        if kind == "list_item_open":
            item_depth += 1
        elif kind == "list_item_close":
            item_depth -= 1
        elif kind == "inline" and tokens[position - 1].type == "paragraph_open":
            if _TAGS_ONLY.fullmatch(token.content):
                position += 1  # "<br>" spacers and the next article's anchor: no text
                continue
            target = stack[-1].items if item_depth else stack[-1].paragraphs
            target.append(token.content)
        elif kind in ("fence", "code_block"):
            stack[-1].items.append(token.content)
        elif kind == "table_open":
            table, position = _table(tokens, position)
            stack[-1].tables.append(table)
            continue
        position += 1
    return root


def _table(tokens: list[Token], position: int) -> tuple[Table, int]:
    header: list[str] = []
    rows: list[list[str]] = []
    row: list[str] = []
    in_head = False
    while tokens[position].type != "table_close":
        kind = tokens[position].type
        if kind == "thead_open":
            in_head = True
        elif kind == "thead_close":
            in_head = False
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close":
            if in_head:
                header = row
            else:
                rows.append(row)
        elif kind == "inline":
            row.append(tokens[position].content.strip())
        position += 1
    return Table(header, rows), position + 1
