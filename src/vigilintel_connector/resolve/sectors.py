"""Targeted sectors, as OpenCTI's own datasets name them.

Upstream writes a sector the way an article does ("Santé", "Institutions financières",
"Healthcare_and_Life_Sciences", "Gouvernement (Ukraine)"). Each word or phrase is mapped to the
closest sector or sub-sector of OpenCTI's datasets (``data/sector_words.json``, by hand), so that
an import lands on the platform's own "Health" or "Banking institutions". A sector text that maps
to nothing is reported as such and never becomes an invented sector.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib.resources import files

from vigilintel_connector.resolve.lexicon import fold, phrases_in

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(text).replace("_", " ").replace("-", " ")))


@lru_cache(maxsize=1)
def names() -> frozenset[str]:
    """The sector names of OpenCTI's datasets."""
    bundle = json.loads(files(__package__).joinpath("data/opencti/sectors.json").read_text("utf-8"))
    return frozenset(
        o["name"] for o in bundle["objects"]
        if o.get("type") == "identity" and o.get("identity_class") == "class"
    )  # fmt: skip


@lru_cache(maxsize=1)
def _table() -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """First word of a phrase → (its words, the sector), longest phrase first."""
    data = json.loads(files(__package__).joinpath("data/sector_words.json").read_text("utf-8"))
    table: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for sector, phrases in data.items():
        if sector.startswith("_"):
            continue
        if sector not in names():
            raise ValueError(f"sector_words.json: {sector!r} is not one of OpenCTI's sectors")
        for phrase in (sector, *phrases):
            words = _words(phrase)
            if words:
                table.setdefault(words[0], []).append((words, sector))
    for candidates in table.values():
        candidates.sort(key=lambda c: len(c[0]), reverse=True)
    return table


def sectors_in(text: str) -> list[str]:
    """The sectors a sector field names, each once, in order ("Finance, Cryptomonnaie" →
    Finance)."""
    return phrases_in(_words(text), _table())
