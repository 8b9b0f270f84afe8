"""Where a name stands in upstream's text, and the words right around it.

Typing an unknown name reads the words next to it ("le botnet RondoDox", "Maksim Yakubets a été
inculpé") in its articles, then in the day's other articles. Each text is cut into folded words
once, with where each word stands, so looking a name up is a few dictionary hits whatever the
text's length.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from vigilintel_connector.memo import memo
from vigilintel_connector.resolve.lexicon import (
    PERSON_WORDS,
    STOPWORDS,
    TOKEN,
    evidence_of,
    word_of,
)
from vigilintel_connector.resolve.names import group_scheme, looks_like_a_person

# A word, or a mark that ends what is said about one (a sentence, an aside, a cell, a line).
_PIECE = re.compile(rf"{TOKEN.pattern}|[!?;:,()\[\]|\n]")
_END = "|"  # a sentence, an aside, a cell or a line ends
_COMMA = ","  # a list item or an apposition ends
_ANY_MARK = frozenset({_END, _COMMA})
_SENTENCE = frozenset({_END})  # "Maksim Yakubets, inculpé …" is one statement about him


@dataclass(frozen=True, slots=True)
class Words:
    """A text as folded words, with where each word stands: looking a name up is then a few
    dictionary hits, whatever the text's length (the day's articles are read for every name)."""

    tokens: tuple[str, ...]
    where: dict[str, tuple[int, ...]]


@memo(64, 32_768)  # the day's articles, read again for every name; a list per text
def words_of(text: str) -> Words:
    tokens: list[str] = []
    seen: dict[str, str] = {}  # a text repeats its words: each is folded once
    for piece in _PIECE.findall(text):
        if not piece[0].isalnum():
            tokens.append(_COMMA if piece == "," else _END)
            continue
        word = seen.get(piece)
        if word is None:
            word = seen[piece] = word_of(piece)
        tokens.append(word)
        if piece[-1] == ".":
            tokens.append(_END)  # "… armés par TeamPCP. Le ver …": two sentences
    where: dict[str, list[int]] = {}
    for position, token in enumerate(tokens):
        where.setdefault(token, []).append(position)
    return Words(tuple(tokens), {k: tuple(v) for k, v in where.items()})


@memo(256, 32_768)
def _ascii_letters(text: str) -> str:
    """The text decomposed, lower-cased, without what is not ASCII: every ASCII word its
    folded words hold is in it (a quick test before cutting the text into words)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _occurrences(name: str, texts: Iterable[str], limit: int) -> Iterator[tuple[Words, int, int]]:
    """(words, start, end) of each occurrence of ``name``, at most ``limit`` per text."""
    wanted = tuple(map(word_of, TOKEN.findall(name)))
    if not wanted:
        return
    quick = wanted[0].isascii()
    for text in texts:
        if not text or (quick and wanted[0] not in _ascii_letters(text)):
            continue  # most of the day's articles do not name it: no need to cut them
        words = words_of(text)
        count = 0
        for start in words.where.get(wanted[0], ()):
            if words.tokens[start : start + len(wanted)] == wanted:
                yield words, start, start + len(wanted)
                count += 1
                if count >= limit:
                    break


def _neighbours(
    words: Words, start: int, end: int, each_side: int, stops: frozenset[str]
) -> list[str]:
    """Up to ``each_side`` content words (stopwords skipped) on each side of a span, not
    beyond a mark in ``stops``."""
    found: list[str] = []
    for step, origin in ((-1, start - 1), (1, end)):
        position, taken = origin, 0
        while (
            0 <= position < len(words.tokens) and taken < each_side and abs(position - origin) < 8
        ):
            token = words.tokens[position]
            if token in stops:
                break  # the words of another sentence or list item say nothing of this name
            if token not in STOPWORDS and token != _COMMA:
                found.append(token)
                taken += 1
            position += step
    return found


def adjacent_evidence(name: str, texts: Iterable[str], limit: int = 20) -> frozenset[str]:
    """The kinds the words right next to ``name`` in ``texts`` give it ("le botnet X",
    "l'opération X", "X ransomware"): the nearest word on each side, stopwords skipped, within
    one sentence and one list item ("tags: npm, TeamPCP, worm" says nothing of TeamPCP)."""
    if len(name) < 3:
        return frozenset()
    found: set[str] = set()
    for words, start, end in _occurrences(name, texts, limit):
        found.update(filter(None, map(evidence_of, _neighbours(words, start, end, 1, _ANY_MARK))))
    return frozenset(found)


def is_person(name: str, texts: Iterable[str], limit: int = 20) -> bool:
    """A person's name ("Maksim Yakubets"), told by the words upstream writes right around it
    ("… a été inculpé", "Russian national …")."""
    if not looks_like_a_person(name) or group_scheme(name):
        return False
    return any(
        set(_neighbours(words, start, end, 6, _SENTENCE)) & PERSON_WORDS
        for words, start, end in _occurrences(name, texts, limit)
    )
