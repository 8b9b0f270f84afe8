"""What the words of an upstream name say about what it names.

Upstream writes "Clop ransomware gang", "Groupe APT Iranien", "StealC operators" or "Acteurs
utilisant Atomic Stealer" in the same actor field. A name is read here once: its type words and
roles come off ("Clop", with the evidence *malware* and *group*), a name left with nothing but
roles, nationalities, qualifiers or countries is generic, and a description ("Acteurs
utilisant …") is generic too. (The words around a name in its articles are read by
``nearby``.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from vigilintel_connector.memo import memo
from vigilintel_connector.resolve.lexicon import (
    ELISION,
    GROUP_WORDS,
    LEADING_ROLES,
    PEOPLE,
    QUALIFIERS,
    REPORTERS,
    ROLE_WORDS,
    STOPWORDS,
    TOKEN,
    evidence_of,
    fold,
)
from vigilintel_connector.resolve.places import countries_in, demonym_forms, spelling_words

# Names vendors give groups: Storm-1175, UNC6040, TA2723, UAT-8616, CL-STA-1015, Earth Lamia,
# Opal Sleet, Scarlet Goldfinch, Paper Werewolf, Void Manticore, Gold Encounter, Squeamish Libra.
_GROUP_SCHEME = re.compile(
    r"^(?:APT\s?-?\d+|UNC\d+|UTA\d+|TA\d{3,}|FIN\d+|TEMP\.\w+|Storm[-\s]\d+|DEV-\d+|UAT-?\d+|TAG-\d+|"
    r"(?:CL|TGR)-(?:STA|CRI|UNK)-\d+|Larva-\d+|UAC-\d+|SHADOW-\w+|REF\d+|"
    r"(?:Earth|Water|Void)\s\w+|"
    r"(?:Gold|Bronze|Iron|Cobalt|Nickel|Tungsten|Zinc|Platinum|Copper|Aluminum)\s\w+|"
    r"\w+\s(?:Blizzard|Sleet|Typhoon|Sandstorm|Tempest|Hail|Dust|Rain|Flood|Cyclone|Tsunami|"
    r"Bear|Panda|Kitten|Chollima|Spider|Jackal|Tiger|Buffalo|Leopard|Libra|Taurus|Serpens|"
    r"Ursa|Pisces|Scorpius|Werewolf|Manticore|Goldfinch|Lepus))$",
    re.IGNORECASE,
)
# A name ending in its type, glued (AsyncRAT, GlassWorm, RedLocker, DarkLoader, LummaStealer).
_GLUED_TYPE = re.compile(
    r"[a-z0-9](?:RAT|Rat|[Ww]orm|[Ss]tealer|[Ll]ocker|[Ll]oader|[Ww]iper|Bot|C2|[Ss]py|Banker)$|"
    r"^[A-Z0-9]{3,}(?:BOT|RAT|LOADER|STEALER|LOCKER|WORM)$"
)
_AV_VERDICT = re.compile(
    r"^(?:\w+[:/])?\w+\.(?:\w+\.)*(?:gen|Gen|GEN|[A-Z]{1,3})!?\w*$|"
    r"^(?i:HEUR|Trojan|Backdoor|Worm|Ransom|Exploit|HackTool|Riskware|Win32|Win64|MSIL|OSX)"
    r"(?:-\w+)?[.:/]\w|"
    r"^[A-Z]\w+\.[a-z]$"  # a family's variant: "Coper.c"
)
_PERSON = re.compile(r"^[A-Z][a-zà-ÿ'\u2019-]+(?:\s(?:[A-Z][a-zà-ÿ'\u2019-]+|[A-Z]\.)){1,3}$")
_VERSION = re.compile(r"^v?\d+(?:\.\d+)*$", re.IGNORECASE)


# Last words of a group's own name ("Payroll Pirates", "Icarus Hackers", "Rublevka Team").
_NAMED_GROUP_ENDS = frozenset(
    {"hackers", "pirates", "team", "crew", "squad", "army", "hunters", "brigade", "kittens"}
)
_GROUP_SUFFIX = re.compile(r"\w[-_](?:team|group|gang|crew)$", re.IGNORECASE)  # "ELPACO-team"
# Type words that, written this way after a name, are part of it ("Amnesia RAT", "Atomic Stealer").
_NAMED_TYPES = frozenset({"RAT", "Stealer", "Loader", "Backdoor", "Bot", "Botnet", "Wiper"})
_COMPANY = frozenset({"llc", "ltd", "inc", "gmbh", "corp", "corporation", "limited", "sarl", "co"})


@lru_cache(maxsize=1)
def demonyms() -> dict[str, str]:
    """Folded nationality word ("iraniennes", "north korean") → ISO alpha-2 code."""
    return {fold(word): iso for word, iso in demonym_forms().items()}


@dataclass(frozen=True, slots=True)
class Reading:
    """One name as read: what is left once roles and type words are off, and what they said."""

    name: str  # what is looked up in the catalogs
    shown: str  # the name an unknown entity keeps ("Silent Ransom Group" keeps its "Group")
    evidence: frozenset[str]  # of "malware", "campaign", "group"
    generic: bool
    countries: tuple[str, ...]  # ISO codes of the nationalities or countries it named


@memo(4096, 256)
def read_name(raw: str) -> Reading:
    """Names recur day after day, as entities and as aliases: each is read once per process."""
    words = raw.split()
    evidence: set[str] = set()
    if len(words) > 1 and words[0][:1].islower() and not words[0][1:2].isupper():
        # "mais les techniques…", "petits groupes": a sentence, not a name
        return Reading("", "", frozenset(), True, _countries(raw))
    words, folded = _without_description(words, evidence)
    start, end = 0, len(words)
    while start < end and _is_strippable(folded[start], evidence):
        start += 1
    while end > start and (_is_strippable(folded[end - 1], evidence) or _is_version(words, end)):
        end -= 1
    kept = words[start:end]
    if len(kept) == 1 and len(kept[0]) <= 2 and words != kept:
        kept, evidence = words, set()  # "X ransomware" is a name, "RA ransomware" is not cut
    name = " ".join(kept).strip(" .,;:")
    trailing = words[end:]
    shown = name
    if trailing and all(fold(w) in GROUP_WORDS and w[:1].isupper() for w in trailing):
        shown = " ".join(words[start:]).strip(" .,;:")
    elif len(trailing) == 1 and trailing[0] in _NAMED_TYPES:  # "Amnesia RAT" is its name
        shown = f"{name} {trailing[0]}"
    if _GLUED_TYPE.search(name) or _AV_VERDICT.match(name):
        evidence.add("malware")
    if (
        _GROUP_SCHEME.match(name)
        or _GROUP_SUFFIX.search(name)
        or (len(kept) > 1 and kept[-1][:1].isupper() and fold(kept[-1]) in _NAMED_GROUP_ENDS)
    ):
        evidence.add("group")
    if len(words) > 1 and fold(words[-1]).strip(".") in _COMPANY:
        evidence.add("company")
    countries = _countries(raw)
    generic = not _GROUP_SCHEME.match(name) and (
        not name
        or "people" in evidence
        or (bool(folded) and folded[-1] in PEOPLE)
        or (bool(folded) and folded[0] in LEADING_ROLES and len(words) > 1)
        or _only_generic_words(name, bool(countries))
        or any(fold(w) in REPORTERS for w in TOKEN.findall(raw))
    )
    return Reading(name, shown, frozenset(evidence - {"people"}), generic, countries)


def _only_generic_words(text: str, names_a_country: bool) -> bool:
    """Nothing but roles, qualifiers, nationalities and (words of) countries."""
    extra = _country_words() if names_a_country else frozenset()
    return all(
        _is_generic_word(whole)
        or whole in extra
        or all(_is_generic_word(p) or p in extra for p in whole.split("-"))
        for whole in map(fold, TOKEN.findall(text))
    )


@lru_cache(maxsize=1)
def _country_words() -> frozenset[str]:
    return frozenset(part for word in spelling_words() for part in fold(word).split("-"))


def _without_description(words: list[str], evidence: set[str]) -> tuple[list[str], list[str]]:
    """ "ShinyHunters groupe d'extorsion notoire" → ShinyHunters: a group or role word that a
    lower-case word follows (or that is itself in lower case) starts a description."""
    words = [w for w in words if any(c.isalnum() for c in w)]  # "-", "🎭"
    folded = [ELISION.sub("", fold(w)).strip(".,;:()\"'") for w in words]
    for i in range(1, len(words)):
        marker = evidence_of(folded[i]) is not None or folded[i] in LEADING_ROLES
        described = words[i][:1].islower() or any(w[:1].islower() for w in words[i + 1 :])
        if marker and described:
            for word in folded[i:]:
                _is_strippable(word, evidence)
            if folded[-1] in PEOPLE:
                evidence.add("people")
            return words[:i], folded[:i]
    return words, folded


def _is_strippable(word: str, evidence: set[str]) -> bool:
    if kind := evidence_of(word):
        evidence.add(kind)
    elif (
        word not in ROLE_WORDS
        and word not in STOPWORDS
        and word not in QUALIFIERS
        and not all(
            part in demonyms() or part in QUALIFIERS or part in _country_words()
            for part in word.split("-")
        )
    ):
        return False
    return True


def _is_version(words: list[str], end: int) -> bool:
    """ "LockBit 5.0", "LockBit 3", "v2" end in a version; "APT 28" and "Storm 1516" in an id."""
    if end <= 1 or not _VERSION.match(words[end - 1]):
        return False
    last = words[end - 1]
    if _GROUP_SCHEME.match(" ".join(words[:end])):
        return False
    return "." in last or last[0] in "vV" or len(last) <= 2


def _is_generic_word(word: str) -> bool:
    word = word.strip(".'\u2019")
    return (
        not word
        or word in STOPWORDS
        or word in QUALIFIERS
        or word in LEADING_ROLES
        or word in ROLE_WORDS
        or evidence_of(word) is not None
        or word in demonyms()
        or word.isdigit()
        or word.startswith("cve-")
        or word.endswith(_ADJECTIVE_ENDINGS)
    )


# "Rust-based", "AI-enabled", "China-linked": adjectives, whatever they are made of.
_ADJECTIVE_ENDINGS = (
    "-based", "-enabled", "-powered", "-driven", "-linked", "-nexus", "-aligned",
    "-base", "-basee", "-bases", "-basees", "-lie", "-liee", "-lies", "-liees",  # folded French
)  # fmt: skip


def _countries(text: str) -> tuple[str, ...]:
    """The countries a text names, by name or by nationality ("nord-coréens", "North Korean")."""
    found = [c.iso for c in countries_in(text)]
    folded = " ".join(fold(w).strip(".'\u2019") for w in TOKEN.findall(text))
    for word in folded.split():
        for part in (word, *word.split("-")):
            if part in demonyms():
                found.append(demonyms()[part])
    for phrase in _phrases():
        if f" {phrase} " in f" {folded} ":
            found.append(demonyms()[phrase])
    return tuple(dict.fromkeys(found))


@lru_cache(maxsize=1)
def _phrases() -> tuple[str, ...]:
    return tuple(word for word in demonyms() if " " in word)


def nationality_or_country(text: str) -> tuple[str, ...]:
    """The countries ``text`` names when it is nothing but a nationality or a country
    ("Russes", "North Korea", "APT chinois"); empty otherwise."""
    countries = _countries(text)
    return countries if countries and _only_generic_words(text, True) else ()


def is_generic(text: str) -> bool:
    return read_name(text).generic


def glued_type(name: str) -> bool:
    """A name that ends in its type, glued ("AsyncRAT", "GlassWorm")."""
    return bool(_GLUED_TYPE.search(name))


def group_scheme(name: str) -> bool:
    return bool(_GROUP_SCHEME.match(name))


def looks_like_a_person(name: str) -> bool:
    """Two to four capitalised words ("Maksim Yakubets", "Faouzi C.")."""
    return bool(_PERSON.match(name))
