"""Shortcuts taken for speed give what the plain form gives: each is compared with the form
it replaced, on drawn strings, or its behaviour is pinned where it only skips work."""

from __future__ import annotations

import random

import pytest
from stix2.canonicalization.Canonicalize import canonicalize

from vigilintel_connector.convert.markdown_cmark import sections
from vigilintel_connector.normalise import ids, observables
from vigilintel_connector.resolve import entities, index, lexicon
from vigilintel_connector.terms import without_empty
from vigilintel_connector.vocabulary import _is_placeholder_text, is_placeholder_name

_DRAWN = random.Random(22)


def _drawn(alphabet: list[str], count: int, longest: int) -> list[str]:
    return [
        "".join(_DRAWN.choice(alphabet) for _ in range(_DRAWN.randint(0, longest)))
        for _ in range(count)
    ]


def test_lookup_keys_of_ascii_names_are_the_letters_and_digits_a_loop_keeps():
    """``key`` drops what is not a letter or a digit; ASCII names skip the per-character loop.
    Every character up to U+024F, and those whose lower case grows or is not ASCII ("İ", "ẞ",
    the Kelvin sign), must give what the loop gives."""
    alphabet = [chr(i) for i in range(0x250)] + ["\u0130", "\u1e9e", "\u212a", "\ufb01", " "]
    names = [*_drawn(alphabet, 50_000, 12), "Lumma Stealer", "LummaStealer", "APT-28", "İran"]
    for name in names:
        assert index.key(name) == "".join(c for c in name.lower() if c.isalnum()), repr(name)


def test_words_lose_their_elided_article_as_the_elision_pattern_removes_it():
    """``word_of`` removes "l'" and "d'" without the regex engine: the same as the pattern."""
    pieces = ["l", "L", "d", "D", "qu", "'", "\u2019", "é", "x", "Europe", ".", "-", "$"]
    for token in [*_drawn(pieces, 20_000, 6), "l'Europe", "D\u2019Ivoire", "l'", "lqu'x"]:
        expected = lexicon.ELISION.sub("", lexicon.fold(token)).rstrip(".")
        assert lexicon.word_of(token) == expected, repr(token)


def test_observable_ids_hash_the_canonical_json_stix2_writes():
    """An observable's id is the UUIDv5 of its RFC 8785 JSON. Texts under ASCII keys take the
    standard library's sorted JSON; control characters, quotes, backslashes, characters beyond
    the BMP and the line separators must be written as stix2 writes them. Numbers, lists and
    non-ASCII keys keep stix2's encoder."""
    beyond = ["é", "\u2028", "\u2029", "\ufeff", "😀", "\U0010ffff"]
    alphabet = [chr(i) for i in range(0x80)] + beyond
    values = _drawn(alphabet, 5_000, 10)
    keys = ["value", "name", "SHA-256", "MD5", "path", "key", "cpe", "account_login"]
    shapes = [{_DRAWN.choice(keys): v, _DRAWN.choice(keys): _DRAWN.choice(values)} for v in values]
    shapes += [{"hashes": {"SHA-256": v, "MD5": v[::-1]}, "name": v} for v in values[:500]]
    shapes += [{"number": 64512}, {"value": 1.5}, {"values": [{"name": "a"}]}, {"clé": "x"}]
    for data in shapes:
        assert ids.canonical_json(data) == canonicalize(data, utf8=False), repr(data)


def test_empty_properties_are_dropped_and_false_values_kept():
    kept = without_empty({"a": 0, "b": False, "c": 0.0, "d": None, "e": "", "f": [], "g": {}})
    assert kept == {"a": 0, "b": False, "c": 0.0}


def test_a_catalog_name_is_resolved_without_reading_the_texts_around_it(monkeypatch):
    """The words next to a name are read only where no catalog tells what it is: LockBit is
    typed by the catalogs; an unknown name still takes its type from its neighbours."""
    read: list[str] = []
    original = entities.adjacent_evidence

    def watched(name: str, texts: object, limit: int = 20) -> frozenset[str]:
        read.append(name)
        return original(name, texts, limit)

    monkeypatch.setattr(entities, "adjacent_evidence", watched)
    texts = ["Le ransomware LockBit frappe encore.", "Le botnet Zorblax se propage."]
    known = entities.resolve("malware", "LockBit", [], texts)
    assert [(e.kind, e.from_catalog) for e in known.entities] == [("malware", True)]
    assert read == []
    unknown = entities.resolve("threat-actor", "Zorblax", [], texts)
    assert read == ["Zorblax"]
    assert [e.kind for e in unknown.entities] == ["malware"]


@pytest.mark.parametrize(
    ("memo", "long_value", "short_value"),
    [
        (observables.refang, "hxxp://x[.]example/" + "a" * 10_000, "hxxp://x[.]example"),
        (_is_placeholder_text, "Unknown " + "x" * 10_000, "Unknown"),
    ],
)
def test_memos_of_values_keep_short_values_only(memo, long_value, short_value):
    """Values and names of a hostile file are read, never remembered when long."""
    memo.cache_clear()
    for number in range(20):
        assert memo(f"{number}{long_value}") == memo.__wrapped__(f"{number}{long_value}")
    assert memo.cache_info().currsize == 0
    memo(short_value)
    assert memo.cache_info().currsize == 1
    assert is_placeholder_name(["not", "a", "name"])  # not a text: a placeholder, not a crash


# Tabs, vertical tabs and form feeds; fences indented or opened in a list item.
_READ_OTHERWISE = ["# T\n\n\tcode", "A\x0bB", "A\x0cB", "- a\n  ```\n  x\n  ```", " ~~~\nx"]


@pytest.mark.parametrize("text", _READ_OTHERWISE)
def test_documents_the_c_parser_would_read_otherwise_are_left_to_the_reference_parser(text):
    assert sections(text) is None


def test_each_catalog_file_is_read_once_for_the_tables_and_the_claims(monkeypatch):
    """The main process loads the catalogs before any day: a cluster file parsed once serves
    both the name tables and the claims of every name."""
    read: list[str] = []
    original = index.galaxy

    def counted(name: str) -> list[dict]:
        read.append(name)
        return original(name)

    monkeypatch.setattr(index, "galaxy", counted)
    for cached in (index._cluster, index.table, index._claims):
        cached.cache_clear()
    for clusters in (index.GROUPS, index.FAMILIES, index.MITRE_TOOLS, index.GENERIC_TOOLS):
        index.table(clusters)
    assert index.entries_named("Emotet")
    assert read and len(read) == len(set(read)), read
    assert index.lookup("LockBit", (index.FAMILIES,)).name == "LockBit"
