"""Actors and software: upstream's name → the entities it stands for, typed by evidence.

Upstream writes one group eight ways ("APT28 (Fancy Bear, Pawn Storm, …)", "Fancy Bear"), types
malware families as tools or actors, and puts placeholders, nationalities and descriptions in its
actor field. Each name is cleaned (remarks out, aliases kept), a comma list is split into its
members, and each member is read (``names``): roles and type words come off, generic names are
dropped (their nationality is kept as a country). What is left is looked up in the catalogs
(``index``) in an order the field and the name's own words choose, after the hand-kept lists
(``curated``). A name no catalog knows is typed by the words upstream writes with it. Aliases
are kept only when they cannot make the platform merge two entities.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from vigilintel_connector.resolve import index
from vigilintel_connector.resolve.curated import curated
from vigilintel_connector.resolve.index import Entry, key
from vigilintel_connector.resolve.lexicon import evidence_of, fold
from vigilintel_connector.resolve.names import (
    Reading,
    is_generic,
    nationality_or_country,
    read_name,
)
from vigilintel_connector.resolve.nearby import adjacent_evidence, is_person
from vigilintel_connector.vocabulary import is_placeholder_name

_ACTOR_FIELDS = frozenset({"threat-actor", "intrusion-set"})
_ACTOR_ORDER = (index.GROUPS, index.FAMILIES, index.MITRE_TOOLS, index.GENERIC_TOOLS)
_SOFTWARE_ORDER = (index.MITRE_TOOLS, index.FAMILIES, index.GENERIC_TOOLS, index.GROUPS)
# A file name is no actor, malware or tool name ("syncobs.exe", "loader.dll", "run.ps1").
_FILE_NAME = re.compile(
    r"[\w.-]+\.(?:exe|dll|sys|ps1|psm1|bat|cmd|vbs|js|jse|hta|lnk|msi|scr|jar|apk|elf|so|sh|py|"
    r"zip|rar|7z|iso|img|docx?|xlsx?|pdf)",
    re.IGNORECASE,
)
_ALIAS_MARKERS = re.compile(
    r"^(?:aka|a\.k\.a\.?|alias|also known as|connu sous le nom de)\s+", re.I
)
_REMARK_WORDS = re.compile(
    r"\b(?:lié|liés|liée|liens?|avec|chevauche|qui|probable|présumés?|suspected|likely|"
    r"affiliés?|groupe|group of|via|selon|with|links?|overlaps?|linked)\b",
    re.IGNORECASE,
)
# "Gerald Eddie Brown et Stephen Su Bin": two names joined, each capitalised.
_JOINED = re.compile(r"(?<=[a-z)])\s+(?:et|and|&)\s+(?=[A-Z])")
_WORDS = re.compile(r"\w+")
_TAG = re.compile(r"<[^<>]{0,40}>")  # "Screening Serpens<br>"
_OPERATION = re.compile(r"^op[ée]ration\s+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Resolved:
    kind: str
    name: str
    aliases: tuple[str, ...]
    from_catalog: bool
    individual: bool = False


@dataclass
class Resolution:
    """What one upstream name stands for, and what was left out of it and why."""

    entities: list[Resolved] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # reasons, one per name or alias
    countries: list[str] = field(default_factory=list)  # ISO codes generic names carried


def split_name(raw: str) -> list[tuple[str, list[str], str]]:
    """``APT28 (Fancy Bear, Pawn Storm)`` → [("APT28", ["Fancy Bear", "Pawn Storm"], "")]; a
    comma list gives one member each; remarks in parentheses are kept apart from aliases."""
    members: list[tuple[str, list[str], str]] = []
    for part in (p for whole in top_level(raw, ",;") for p in _joined(whole)):
        outside, inside = _parentheses(part)
        names = [n for n in top_level(outside, "/") if n]
        if not names:
            continue
        aliases = [*names[1:]]
        remarks = []
        for group in inside:
            if _REMARK_WORDS.search(group):  # "(avec des liens présumés à X, Y)": a remark
                remarks.append(group)
                continue
            for alias in top_level(group, ",;/"):
                alias = _ALIAS_MARKERS.sub("", alias).strip(" .")
                if _is_alias(alias):
                    aliases.append(alias)
                else:
                    remarks.append(alias)
        members.append((names[0].strip(" ."), aliases, " ".join(remarks)))
    return members


def _joined(text: str) -> list[str]:
    """Two people's names joined by "et" or "and" are two names; "Procter and Gamble" is one."""
    parts = _JOINED.split(text)  # "… Engineering and Architecture (SEAR)" is one: count outside
    return parts if all(len(_WORDS.findall(_parentheses(p)[0])) >= 2 for p in parts) else [text]


def _is_alias(text: str) -> bool:
    """A name, not a remark: capitalised (or a code), short, with no remark word."""
    return (
        bool(text)
        and (text[0].isupper() or text[0].isdigit())
        and len(text.split()) <= 4
        and not _REMARK_WORDS.search(text)
    )


def resolve(
    kind: str,
    raw_name: str,
    aliases: list[str],
    context: Sequence[str] = (),
    day: Sequence[str] = (),
) -> Resolution:
    """The entities an upstream actor or software name stands for; ``context`` is the text
    upstream wrote about it (its description, the articles that name it), ``day`` the day's
    other articles, read for its type when its own say nothing."""
    result = Resolution()
    members = split_name(_TAG.sub(" ", raw_name))
    if len(members) == 1:
        members[0][1].extend(aliases)
    for name, member_aliases, remark in members:
        if is_placeholder_name(name) or len(key(name)) < 3:  # "BF", "TA": no name
            result.dropped.append("placeholder-name")
            continue
        if _FILE_NAME.fullmatch(name.strip()):  # "syncobs.exe": a file, an observable's name
            result.dropped.append("file-name")
            continue
        resolved = _member(kind, name, member_aliases, remark, (context, day), result)
        if resolved is not None:
            result.entities.append(resolved)
    return result


def _member(
    kind: str,
    name: str,
    aliases: list[str],
    remark: str,
    texts: tuple[Sequence[str], Sequence[str]],
    result: Resolution,
) -> Resolved | None:
    reading = read_name(name)
    context = texts[0]
    if reading.generic:
        result.dropped.append("generic-name")
        result.countries.extend(reading.countries)
        return None
    lists = curated()
    keys = {key(name), key(reading.name)}
    fixed = next((lists.fixed[k] for k in keys if k in lists.fixed), None)
    if fixed is not None:
        fixed_kind = "intrusion-set" if _named_group(kind, reading.evidence) else fixed[0]
        return Resolved(fixed_kind, fixed[1], _aliases(aliases, fixed[1], None, result), True)

    @cache
    def near() -> frozenset[str]:  # a scan of texts: only where a catalog cannot tell
        return _near(reading, remark, texts)

    # Upstream's spelling is an alias when it is a name, not "X ransomware group".
    spellings = [name, *aliases] if name == reading.name else aliases
    product = bool(keys & lists.products) or _only_named_in(reading.name, lists.products)
    if product and "malware" not in near() | reading.evidence:
        result.dropped.append("product-name")
        return None
    dual = next((lists.dual_use[k] for k in keys if k in lists.dual_use), None)
    if dual is not None:
        return Resolved("tool", dual, _aliases(spellings, dual, None, result), True)
    entry = None
    if not (keys & lists.common_words) or "malware" in near() | reading.evidence:
        entry = _catalog_entry(kind, name, reading)
    if entry is None and product:  # "le malware Mach-O": a format, whatever the words say
        result.dropped.append("product-name")
        return None
    if entry is not None:
        entity_kind = _catalog_kind(kind, entry, reading.evidence)
        canonical = reading.name if entry.name.islower() and not name.islower() else entry.name
        kept = _aliases(spellings, canonical, entry, result)
        return Resolved(entity_kind, canonical, kept, True)
    entity_kind, individual = _kind_by_evidence(kind, reading, near(), context)
    shown = reading.shown
    if entity_kind == "campaign" and _OPERATION.match(name):
        shown = "Operation " + _OPERATION.sub("", name).strip()
    return Resolved(entity_kind, shown, _aliases(spellings, shown, None, result), False, individual)


def _near(
    reading: Reading, remark: str, texts: tuple[Sequence[str], Sequence[str]]
) -> frozenset[str]:
    """What the words next to the name say it is: in its own texts and remark, else, when
    neither they nor its own words say anything, in the day's other articles."""
    context, day = texts
    near = adjacent_evidence(reading.name, context) | type_words(remark)
    if not near and not reading.evidence:
        near = adjacent_evidence(reading.name, day)
    return near


def _only_named_in(name: str, names: frozenset[str]) -> bool:
    """ "OpenAI AI Models", "VPNs commerciaux": nothing but generic or lower-case words and
    words of ``names`` (keys)."""
    words = [w for w in name.split() if not is_generic(w) and not w.islower()]
    return bool(words) and all(key(w) in names or key(w.removesuffix("s")) in names for w in words)


def _catalog_entry(kind: str, name: str, reading: Reading) -> Entry | None:
    actor = kind in _ACTOR_FIELDS
    if "group" in reading.evidence:
        actor = True
    elif "malware" in reading.evidence:
        actor = False
    order = _ACTOR_ORDER if actor else _SOFTWARE_ORDER
    # "Amnesia RAT" is not malpedia's Amnesia: a name is cut only where it was described.
    cut = (reading.name,) if reading.shown == reading.name else ()
    for candidate in dict.fromkeys((name, reading.shown, *cut)):
        entry = index.lookup(candidate, order)
        if entry is not None:
            return entry
    return None


def _catalog_kind(kind: str, entry: Entry, evidence: frozenset[str]) -> str:
    """The catalog's type, but a name its own words call a group ("Qilin ransomware group")
    is the group, even when only a family catalog knows the name."""
    if _named_group(kind, evidence):
        return "intrusion-set"
    if entry.kind == "software":
        return kind if kind in ("tool", "malware") else "malware"
    return entry.kind


def _named_group(kind: str, evidence: frozenset[str]) -> bool:
    return "group" in evidence and kind in _ACTOR_FIELDS


def _kind_by_evidence(
    kind: str, reading: Reading, near: frozenset[str], context: Sequence[str]
) -> tuple[str, bool]:
    """An unknown name's type: its own words first, then the words next to it upstream."""
    if "company" in reading.evidence:  # "Aeza Group LLC": a company, an organisation
        return "identity", False
    for evidence in (reading.evidence, near):
        if "group" in evidence and ("malware" not in evidence or kind in _ACTOR_FIELDS):
            return "intrusion-set", False
        if "malware" in evidence:
            return "malware", False
        if "campaign" in evidence:
            return "campaign", False
    if kind in _ACTOR_FIELDS and is_person(reading.shown, context):
        return "threat-actor", True
    return kind, False


def type_words(text: str) -> frozenset[str]:
    return frozenset(filter(None, map(evidence_of, fold(text).replace(",", " ").split())))


def _aliases(
    names: list[str], canonical: str, entry: Entry | None, result: Resolution
) -> tuple[str, ...]:
    """Upstream's other names for one entity, less those that would make the platform merge
    it with another: a country or nationality, a generic word, another catalog entry."""
    own = index.entries_named(canonical) | (entry.all_keys() if entry else frozenset())
    own |= {key(canonical)}
    seen = {key(canonical)}
    kept = []
    for name in names:
        name = _ALIAS_MARKERS.sub("", name).strip(" .")
        k = key(name)
        if k in seen or len(k) < 2:
            continue
        seen.add(k)
        reason = alias_problem(name, own)
        if reason:
            result.dropped.append(f"alias:{reason}")
        else:
            kept.append(name)
    return tuple(kept)


def alias_problem(alias: str, own: frozenset[str]) -> str | None:
    """Why ``alias`` must not be sent as an alias of an entity whose catalog entries (their own
    names' keys) are ``own``: an alias the catalogs know must belong to one of those entries."""
    if is_placeholder_name(alias):
        return "generic"
    if nationality_or_country(alias):
        return "country"
    reading = read_name(alias)
    if reading.countries:
        return "country"  # "Iranian Dream Job", "Russian Anonymous Marketplace"
    if reading.generic or reading.name != alias.strip() or key(alias) in curated().products:
        return "generic"  # "Glassworm Operators", "Chinese hacking group"
    claimed = index.entries_named(alias)
    if claimed and not claimed & own:
        return "other-entry"
    return None


def top_level(text: str, separators: str) -> list[str]:
    """``text`` split at ``separators`` outside parentheses."""
    parts, depth, current = [], 0, []
    for char in text:
        depth += char == "("
        depth -= char == ")" and depth > 0
        if depth == 0 and char in separators:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def _parentheses(text: str) -> tuple[str, list[str]]:
    outside: list[str] = []
    groups: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
            if depth == 1:
                groups.append("")
                continue
        elif char == ")" and depth:
            depth -= 1
            if depth == 0:
                continue
        if depth:
            groups[-1] += char
        else:
            outside.append(char)
    return " ".join("".join(outside).split()), groups


def campaign_problem(name: str) -> str | None:
    """Why an upstream campaign's name names no campaign: a description ("Healthcare and
    Industrial Extortion", "Widespread WinRAR CVE-2025-8088 Exploitation") or a product."""
    if _OPERATION.match(name):
        return None
    name = " ".join(_TAG.sub(" ", name).split())
    reading = read_name(name)
    if reading.generic or reading.name != name:  # "CoolClient Evolution", "X Zero-Day"
        return "generic-name"
    if _only_named_in(name, curated().products | curated().dual_use.keys()):
        return "product-name"
    return None
