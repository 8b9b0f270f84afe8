"""Countries named in upstream's text, in English or in French, as OpenCTI locations.

Canonical names and ISO codes come from the MISP galaxy ``country``; French names (upstream's
Markdown is French) from pycountry's ISO 3166 translations. A short name two countries share
("Corée", "Congo") is left out rather than guessed.
"""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass
from functools import lru_cache

import pycountry

from vigilintel_connector.resolve.catalogs import galaxy


@dataclass(frozen=True, slots=True)
class Country:
    name: str  # English, as the galaxy writes it
    iso: str


_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@lru_cache(maxsize=1)
def _table() -> dict[str, list[tuple[tuple[str, ...], Country]]]:
    """First word of a spelling → (its words, the country), longest spelling first; built once."""
    english: dict[str, str] = {}
    for value in galaxy("country"):
        iso = (value.get("meta") or {}).get("ISO")
        if isinstance(iso, str) and len(iso) == 2:
            english[iso.upper()] = str(value.get("description") or value["value"]).strip()
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    spellings: dict[tuple[str, ...], set[str]] = {}
    for country in pycountry.countries:
        iso = country.alpha_2
        if iso not in english:
            continue
        names = {english[iso], country.name, getattr(country, "common_name", country.name)}
        translated = french.gettext(country.name)
        names |= {translated, translated.split(",")[0]}
        for name in names:
            words = tuple(_words(name))
            if words and len("".join(words)) >= 4:
                spellings.setdefault(words, set()).add(iso)
    table: dict[str, list[tuple[tuple[str, ...], Country]]] = {}
    for words, isos in spellings.items():
        if len(isos) == 1:  # a spelling two countries share says neither
            iso = next(iter(isos))
            table.setdefault(words[0], []).append((words, Country(english[iso], iso)))
    for candidates in table.values():
        candidates.sort(key=lambda c: len(c[0]), reverse=True)
    return table


def countries_in(text: str) -> list[Country]:
    """The countries a text names, each once, in the order they first appear."""
    table = _table()
    words = _words(text)
    found: dict[Country, None] = {}
    for position, word in enumerate(words):
        for spelling, country in table.get(word, ()):
            if tuple(words[position : position + len(spelling)]) == spelling:
                found[country] = None
                break
    return list(found)


@lru_cache(maxsize=1)
def spelling_words() -> frozenset[str]:
    """Every word of every country's spelling ("north", "korea", "united"…)."""
    return frozenset(w for spellings in _table().values() for words, _ in spellings for w in words)


@lru_cache(maxsize=1)
def _by_iso() -> dict[str, Country]:
    return {c.iso: c for spellings in _table().values() for _, c in spellings}


def country(iso: str) -> Country | None:
    """The country of an ISO alpha-2 code, when its name is unambiguous."""
    return _by_iso().get(iso)
