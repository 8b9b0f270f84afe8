"""A Markdown report as the converter reads it: headed sections holding paragraphs, list items
and tables, each block kept as its raw inline source (links and code spans are read on demand).

Both parsers (``markdown_cmark``, and ``markdown_tree``'s pure-Python one) build this tree, so
the converter never depends on which parser read a document.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from vigilintel_connector.memo import memo


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]

    def records(self) -> Iterator[dict[str, str]]:
        """Each row keyed by its folded column name."""
        keys = [fold(h) for h in self.header]
        for row in self.rows:
            yield dict(zip(keys, row, strict=False))


@dataclass
class Section:
    level: int  # 0 for the text before the first heading
    title: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)  # list items, nested ones included
    tables: list[Table] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)

    def walk(self) -> Iterator[Section]:
        yield self
        for child in self.children:
            yield from child.walk()

    def own_text(self) -> str:
        return "\n".join([*self.paragraphs, *self.items, *_table_text(self.tables)])

    def text(self) -> str:
        """Everything under this heading, subsections included."""
        return "\n".join(section.own_text() for section in self.walk())


def _table_text(tables: list[Table]) -> Iterator[str]:
    for table in tables:
        for row in table.rows:
            yield " | ".join(row)


@memo(2048, 1024)  # titles and field labels repeat from article to article
def fold(text: str) -> str:
    """Lower case, without markup, accents or typographic apostrophes: for matching titles."""
    folded = text.replace("*", "").replace("_", " ").replace("\u2019", "'").strip().lower()
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c))
