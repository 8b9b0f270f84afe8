"""Countries and regions named in upstream's text, in English or in French, as OpenCTI names them.

Almost every OpenCTI platform loads OpenCTI's own datasets (``data/opencti``): 250 countries with
their ISO codes as aliases, and 22 regions. The platform deduplicates a place on its name or alias
and its type, so a place sent as "Russia" would be a second country beside "Russian Federation".
Each place therefore takes the dataset's name, type and aliases; it is found by every spelling
pycountry and the MISP galaxy ``country`` know, their French translations (upstream's Markdown is
French), and the variants upstream writes (``data/places.json``). A spelling two places share
("Corée", "Congo") is left out rather than guessed; the longest spelling wins ("Afrique du Sud" is
a country, "Afrique" a region). Nationalities name their country too ("organisations françaises",
"Iranian hackers", ``data/demonyms.json``), except the words that name a language more often.
"""

from __future__ import annotations

import gettext
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import pycountry

from vigilintel_connector.resolve.catalogs import galaxy
from vigilintel_connector.resolve.lexicon import phrases_in

COUNTRY = "Country"
REGION = "Region"


@dataclass(frozen=True, slots=True)
class Place:
    name: str  # as OpenCTI's datasets write it
    kind: str  # Country or Region
    iso: str = ""  # ISO 3166 alpha-2, countries only
    aliases: tuple[str, ...] = ()  # the dataset's ISO alpha-3 and alpha-2 codes


_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*")
_ELISION = re.compile(r"^(?:l|d|qu)['\u2019]")  # "l'Europe de l'Est" → europe de est


def _words(text: str) -> list[str]:
    words = _WORD.findall(text.lower())
    if "'" not in text and "\u2019" not in text:  # a third of the articles: no elision to undo
        return words
    return [_ELISION.sub("", w) if "'" in w or "\u2019" in w else w for w in words]


def _data(name: str) -> dict:
    return json.loads(files(__package__).joinpath(f"data/{name}").read_text("utf-8"))


@lru_cache(maxsize=1)
def _dataset() -> tuple[dict[str, Place], dict[str, Place]]:
    """ISO alpha-2 → country, and region name → region, from OpenCTI's geography bundle."""
    countries: dict[str, Place] = {}
    regions: dict[str, Place] = {}
    for obj in _data("opencti/geography.json")["objects"]:
        if obj.get("type") != "location":
            continue
        aliases = tuple(a for a in obj.get("x_opencti_aliases") or [] if isinstance(a, str))
        if obj.get("x_opencti_location_type") == COUNTRY:
            iso = next((a for a in aliases if len(a) == 2), "")
            if iso:
                countries[iso] = Place(obj["name"], COUNTRY, iso, aliases)
        elif obj.get("x_opencti_location_type") == REGION:
            regions[obj["name"]] = Place(obj["name"], REGION)
    return countries, regions


# Nationalities that, in upstream's prose, name a language at least as often as a country.
_LANGUAGE_WORDS = ("anglais", "english")


@lru_cache(maxsize=1)
def demonym_forms() -> dict[str, str]:
    """Lower-case nationality word ("iraniennes", "north korean") → ISO alpha-2 code; the French
    feminine and plural forms are derived from the masculine singular."""
    found: dict[str, str] = {}
    for iso, forms in _data("demonyms.json").items():
        if iso.startswith("_"):
            continue
        for word in forms.get("en", []):
            found[word.lower()] = iso
        for word in forms.get("fr", []):
            base = word.lower()
            variants = {base, base + "s"}
            if base.endswith("en"):
                variants |= {base + "ne", base + "nes"}
            elif not base.endswith("e"):
                variants |= {base + "e", base + "es"}
            found.update(dict.fromkeys(variants, iso))
    return found


def _country_spellings() -> dict[str, set[str]]:
    """ISO alpha-2 → every way of writing the country this module knows."""
    countries, _ = _dataset()
    spellings: dict[str, set[str]] = {iso: {place.name} for iso, place in countries.items()}
    for value in galaxy("country"):
        iso = str((value.get("meta") or {}).get("ISO") or "").upper()
        if iso in spellings:
            spellings[iso].add(str(value.get("description") or value["value"]))
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    for country in pycountry.countries:
        iso = country.alpha_2
        if iso not in spellings:
            continue
        names = {country.name, *(getattr(country, k, "") for k in ("common_name", "official_name"))}
        translated = french.gettext(country.name)
        names |= {translated, translated.split(",")[0], translated.split(" (")[0]}
        names |= {n.split(",")[0] for n in names if n}
        spellings[iso] |= {n for n in names if n}
    for iso, variants in _data("places.json")["countries"].items():
        spellings.setdefault(iso, set()).update(variants)
    return spellings


def _nationalities() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for word, iso in demonym_forms().items():
        if not word.startswith(_LANGUAGE_WORDS):  # "anglais", "anglaises", "English"
            found.setdefault(iso, set()).add(word)
    return found


@lru_cache(maxsize=2)
def _table(nationalities: bool) -> dict[str, list[tuple[tuple[str, ...], Place]]]:
    """First word of a spelling → (its words, the place), longest spelling first; built once."""
    countries, regions = _dataset()
    by_spelling: dict[tuple[str, ...], set[Place]] = {}
    spellings = [_country_spellings().items()]
    if nationalities:
        spellings.append(_nationalities().items())
    for iso, names in (item for group in spellings for item in group):
        if iso in countries:
            for name in names:
                words = tuple(_words(name))
                if words and len("".join(words)) >= 4:
                    by_spelling.setdefault(words, set()).add(countries[iso])
    for region, variants in _data("places.json")["regions"].items():
        for name in (region, *variants):
            by_spelling.setdefault(tuple(_words(name)), set()).add(regions[region])
    table: dict[str, list[tuple[tuple[str, ...], Place]]] = {}
    for words, places in by_spelling.items():
        if words and len(places) == 1:  # a spelling two places share says neither
            table.setdefault(words[0], []).append((words, next(iter(places))))
    for candidates in table.values():
        candidates.sort(key=lambda c: len(c[0]), reverse=True)
    return table


def places_in(text: str, nationalities: bool = True) -> list[Place]:
    """The countries and regions a text names, each once, in the order they first appear.
    Without ``nationalities`` only names count: in a free description, "un groupe pro-russe"
    says who attacked, not where."""
    return phrases_in(_words(text), _table(nationalities))


def countries_in(text: str) -> list[Place]:
    return [p for p in places_in(text) if p.kind == COUNTRY]


@lru_cache(maxsize=1)
def spelling_words() -> frozenset[str]:
    """Every word of every place's spelling ("north", "korea", "united"…)."""
    return frozenset(
        w for spellings in _table(True).values() for words, _ in spellings for w in words
    )


def country(iso: str) -> Place | None:
    """The country of an ISO alpha-2 code."""
    return _dataset()[0].get(iso)


def place_named(name: str, code: object = None) -> Place | None:
    """The place a whole name (or an ISO alpha-2 code) stands for: "Russia", "Moyen-Orient"."""
    if isinstance(code, str) and code.upper() in _dataset()[0]:
        return _dataset()[0][code.upper()]
    words = tuple(_words(name))
    if words[:1] == ("the",):  # "The Netherlands"
        words = words[1:]
    if not words:
        return None
    return next(
        (place for spelling, place in _table(True).get(words[0], ()) if spelling == words), None
    )
