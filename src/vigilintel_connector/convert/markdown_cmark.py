"""The report's sections read from cmark-gfm's block tree (C, ``cmark``): the fast path.

The converter was written against a reduced CommonMark rule set (``markdown_tree``): headings,
lists, GFM tables, fenced code and paragraphs, with raw HTML, block quotes, thematic breaks,
setext headings and link definitions left as paragraph text. cmark-gfm has all of CommonMark,
so the lines it would read as those constructs are first escaped (one backslash, each line kept
in place): it then draws the same blocks. Each block's inline source is cut from the original
lines, as the pure-Python parser cuts it, so the tree is the same whichever parser built it.

Where cmark-gfm would still draw the blocks otherwise (an indented code block, a table row that
starts a list, a tab in the text…), ``sections`` answers None and the caller parses the
document with the pure-Python parser: slower, never different.
"""

from __future__ import annotations

import re

from markdown_it.common.utils import MD_TRIM_CHARS

from vigilintel_connector import cmark
from vigilintel_connector.convert.inline import plain
from vigilintel_connector.convert.sections import Section, Table

# Lines cmark-gfm would read as HTML, a block quote, a thematic break, a setext underline or a
# link definition (``{0,3}`` spaces in, or inside a list item), which the converter reads as text.
_ESCAPE = re.compile(r"^( *)(?=[<>]|(?:-{3,}|\*{3,}|_{3,}|=+)[ ]*$|\[[^\]\n]*\]:)", re.MULTILINE)
_FENCE = re.compile(r"^ *(```|~~~)")
# A fence indented, or opened after a list marker: where it ends, the two parsers disagree.
_INDENTED_FENCE = re.compile(r"^(?: +|(?: *(?:[-*+]|\d{1,9}[.)]) +)+)(?:```|~~~)", re.MULTILINE)
# A table row line that the reduced rule set reads as the start of another block.
_ENDS_TABLE = re.compile(r" {0,3}(?:(?:[-*+]|\d{1,9}[.)]|#{1,6})(?:[ \t]|$)|```|~~~)")
_DELIMITER = re.compile(r" *[-:|][-:| \t]*$")  # a table's delimiter row, loosely
_ATX = re.compile(r"#{1,6}(?:[ \t]|$)")
_LIST_MARKER = re.compile(r"(?:[-*+]|\d{1,9}[.)])")
_TAGS_ONLY = re.compile(r"\s*(?:<[^<>]*>\s*)+")
_MD_TRIM = MD_TRIM_CHARS  # what markdown-it-py trims a table cell of (NBSP and others too)
_SPACES_ALIKE = ("\t", "\x0b", "\x0c")  # each looked for by ``in``: a scan in C, no loop
_MAX_DEPTH = 9  # markdown-it stops at 20 levels of tokens: from 10 nested lists on


class _Different(Exception):
    """cmark-gfm reads this document differently from the reduced rule set."""


def sections(text: str) -> Section | None:
    """The document's tree, or None when only the pure-Python parser reads it as intended."""
    if any(space in text for space in _SPACES_ALIKE):  # tabs and the like: columns differ
        return None
    if ("```" in text or "~~~" in text) and _INDENTED_FENCE.search(text):
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    escaped = _escaped_lines(lines)
    source = "\n".join(
        f"{line[:at]}\\{line[at:]}" if (at := escaped.get(i)) is not None else line
        for i, line in enumerate(lines)
    )
    with cmark.parsed(source) as document:
        blocks = document.blocks()
    builder = _Builder([line.encode("utf-8", "surrogatepass") for line in lines], escaped)
    try:
        builder.add(blocks, indent=0, marker_line=None, depth=0)
    except _Different:
        return None
    return builder.root


def _escaped_lines(lines: list[str]) -> dict[int, int]:
    """0-based line → where a backslash goes, for each line outside a fence that cmark-gfm
    would read as a construct the reduced rule set does not have."""
    escaped: dict[int, int] = {}
    fence: str | None = None
    for number, line in enumerate(lines):
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1) == fence:
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        match = _ESCAPE.match(line)
        # "---" under a row with pipes may be a table's delimiter row: left for cmark-gfm.
        if match and not (number and line.lstrip()[:1] == "-" and "|" in lines[number - 1]):
            escaped[number] = match.end(1)
    return escaped


class _Builder:
    def __init__(self, lines: list[bytes], escaped: dict[int, int]) -> None:
        self.lines = lines
        self.escaped = escaped
        self.root = Section(0, "")
        self.stack = [self.root]

    def text(self, line: int, column: int = 1) -> str:
        """A 1-based line from a 1-based byte column (shifted back past an inserted escape)."""
        data = self.lines[line - 1]
        at = self.escaped.get(line - 1)
        start = column - 1
        if at is not None and start > at:
            start -= 1
        return data[start:].decode("utf-8", "surrogatepass")

    def add(
        self, blocks: list[cmark.Block], indent: int, marker_line: int | None, depth: int
    ) -> None:
        """``indent``: where the innermost list item's content starts; ``marker_line``: the line
        of its marker (None outside lists)."""
        if depth > _MAX_DEPTH:
            raise _Different
        blocks = _placed(blocks)
        for position, block in enumerate(blocks):
            kind = block.kind
            following = _start(blocks[position + 1]) if position + 1 < len(blocks) else None
            if kind == "heading":
                self.heading(block)
            elif kind == "paragraph":
                self.paragraph(block, indent, marker_line, following)
            elif kind == "code_block":
                self.code(block)
            elif kind == "table":
                self.table(block)
            elif kind == "list":
                for item in block.children:
                    self.add(item.children, self.item_indent(item), item.line, depth + 1)
            else:  # HTML, a quote, a break: what the escapes should have prevented
                raise _Different

    def heading(self, block: cmark.Block) -> None:
        line = self.text(block.line, block.column).lstrip(" ")
        if not _ATX.match(line):  # a setext heading: text for the reduced rule set
            raise _Different
        body = line[block.level :].rstrip(" \t")
        closed = body.rstrip("#")
        if closed and closed[-1] in " \t":
            body = closed
        title = plain(body.strip(_MD_TRIM))
        while self.stack[-1].level >= block.level:
            self.stack.pop()
        section = Section(block.level, title)
        self.stack[-1].children.append(section)
        self.stack.append(section)

    def paragraph(
        self, block: cmark.Block, indent: int, marker_line: int | None, following: int | None
    ) -> None:
        # The first line from the item's content (after its marker), or whole: it is stripped.
        # (cmark-gfm's own column is off when a table interrupted the paragraph.)
        last = block.end_line if following is None else min(block.end_line, following - 1)
        parts = [self.text(block.line, indent + 1 if block.line == marker_line else 1)]
        previous = self.text(block.line)
        for number in range(block.line + 1, last + 1):
            line = self.text(number)
            if _DELIMITER.match(line) and "|" in previous:
                raise _Different  # a table for the reduced rule set, not for cmark-gfm
            stripped = len(line) - len(line.lstrip(" "))
            parts.append(line[min(stripped, indent) :])
            previous = line
        content = "\n".join(parts).strip()
        if _TAGS_ONLY.fullmatch(content):
            return  # "<br>" spacers and the next article's anchor: no text
        section = self.stack[-1]
        (section.paragraphs if marker_line is None else section.items).append(content)

    def code(self, block: cmark.Block) -> None:
        if not block.fenced or any(
            n - 1 in self.escaped for n in range(block.line, block.end_line + 1)
        ):
            raise _Different
        literal = block.literal
        last = self.lines[block.end_line - 1]
        if block.end_line == len(self.lines) and last and not _closes(self.text(block.line), last):
            literal = literal.removesuffix("\n")  # open to the end of a text without a last "\n"
        self.stack[-1].items.append(literal)

    def table(self, block: cmark.Block) -> None:
        body = block.children[1:]
        start = _start(block)
        first = self.text(start)
        header = _cells(first)
        delimiter = _cells(self.text(start + 1))
        if not header or len(header) != len(delimiter) or "|" not in first:
            raise _Different  # markdown-it wants a pipe in the header; cmark-gfm does not
        if len(first) - len(first.lstrip(" ")) >= 4:
            raise _Different  # perhaps code for markdown-it
        rows = []
        for row in body:
            line = self.text(row.line)
            if _ENDS_TABLE.match(line):
                raise _Different
            cells = _cells(line)
            rows.append([*cells[: len(header)], *[""] * (len(header) - len(cells))])
        after = (body[-1].line if body else start + 1) + 1
        if (
            after <= len(self.lines)
            and self.text(after).strip()
            and not _ENDS_TABLE.match(self.text(after))
        ):  # a row without a pipe ends cmark-gfm's table, not the reduced rule set's
            raise _Different
        self.stack[-1].tables.append(Table(header, rows))

    def item_indent(self, item: cmark.Block) -> int:
        """Where an item's content starts (its continuation lines lose up to that many spaces)."""
        line = self.text(item.line, item.column)
        marker = _LIST_MARKER.match(line)
        if marker is None:
            raise _Different
        rest = line[marker.end() :]
        spaces = len(rest) - len(rest.lstrip(" "))
        padding = spaces if 1 <= spaces <= 4 and rest.strip() else 1
        return item.column - 1 + marker.end() + padding


def _closes(opening: str, line: bytes) -> bool:
    """Whether ``line`` closes the fence ``opening`` opens (the same character, as many)."""
    fence = opening.lstrip(" ")
    mark = fence[:1]
    length = len(fence) - len(fence.lstrip(mark))
    closing = line.decode("utf-8", "surrogatepass").strip(" ")
    return len(closing) >= length and closing == mark * len(closing)


def _placed(blocks: list[cmark.Block]) -> list[cmark.Block]:
    """The blocks with a place for each: a paragraph whose last line became a table's header
    has lost its own (line 0); it runs from where cmark-gfm says the table starts to the line
    above the header."""
    placed = list(blocks)
    for position, block in enumerate(placed):
        if block.kind == "paragraph" and block.line == 0:
            table = placed[position + 1] if position + 1 < len(placed) else None
            if table is None or table.kind != "table":
                raise _Different
            placed[position] = cmark.Block("paragraph", table.line, 1, _start(table) - 1)
    return placed


def _start(block: cmark.Block) -> int:
    """Where a block starts. A table that interrupts a paragraph is said to start with the
    paragraph; its header is the line above its delimiter row, which is above its first row."""
    if block.kind != "table":
        return block.line
    body = block.children[1:]
    return (body[0].line if body else block.end_line + 1) - 2


def _cells(line: str) -> list[str]:
    """A table row's cells as the reduced rule set cuts them: split on unescaped pipes (an
    escaped one stays, without its backslash), outer empty cells dropped, each trimmed."""
    line = line.strip(_MD_TRIM)
    cells = _escaped_split(line) if "\\" in line else line.split("|")
    if cells and cells[0] == "":
        cells.pop(0)
    if cells and cells[-1] == "":
        cells.pop()
    return [cell.strip(_MD_TRIM) for cell in cells]


def _escaped_split(line: str) -> list[str]:
    cells: list[str] = []
    current: list[str] = []
    escaped = False
    for char in line:
        if char == "|":
            if escaped:
                current[-1] = "|"
            else:
                cells.append("".join(current))
                current = []
                escaped = False
                continue
        else:
            current.append(char)
        escaped = char == "\\"
    cells.append("".join(current))
    return cells
