"""Actors and software resolved by name and synonym against the MISP galaxies.

Upstream writes one group eight ways ("APT28 (Fancy Bear, Pawn Storm, …)", "Fancy Bear") and types
malware families as tools or actors. Each name is cleaned (remarks out, aliases kept), a comma
list is split into its members, and each member is looked up in the catalogs in a stated order:
the first cluster that knows the name gives the canonical name and the type. Clusters are never
merged with each other (merging through shared synonyms joins APT28 and APT29).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from vigilintel_connector.resolve.catalogs import galaxy
from vigilintel_connector.vocabulary import is_placeholder_name

# Where a name is looked up, in order, and what it becomes there.
_GROUPS = tuple(
    (cluster, "intrusion-set")
    for cluster in (
        "mitre-intrusion-set", "mitre-enterprise-attack-intrusion-set",
        "microsoft-activity-group", "threat-actor",
    )
)  # fmt: skip
# Tools first: a name both catalogs know (Cobalt Strike, AnyDesk…) is a dual-use tool.
_SOFTWARE = (
    ("mitre-tool", "tool"), ("tool", "tool"), ("mitre-malware", "malware"),
    ("malpedia", "malware"), ("ransomware", "malware"), ("rat", "malware"),
    ("stealer", "malware"), ("banker", "malware"), ("backdoor", "malware"), ("botnet", "malware"),
)  # fmt: skip
_ALIAS_MARKERS = re.compile(
    r"^(?:aka|a\.k\.a\.?|alias|also known as|connu sous le nom de)\s+", re.I
)
_REMARK_WORDS = re.compile(
    r"\b(?:lié|liés|liée|liens?|avec|chevauche|qui|probable|présumés?|suspected|likely|"
    r"affiliés?|groupe|group of|via|selon|with|links?|overlaps?|linked)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    kind: str  # intrusion-set, tool or malware
    synonyms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Resolved:
    kind: str
    name: str
    aliases: tuple[str, ...]
    from_catalog: bool


def key(name: str) -> str:
    """The lookup key of a name: letters and digits only, lower case ("Lumma Stealer" and
    "LummaStealer" meet)."""
    return "".join(c for c in name.lower() if c.isalnum())


@lru_cache(maxsize=2)
def _table(groups: bool) -> dict[str, Entry]:
    """Key → entry, the first catalog in order winning; built once (~0.1 s)."""
    table: dict[str, Entry] = {}
    for cluster, kind in _GROUPS if groups else _SOFTWARE:
        for value in galaxy(cluster):
            name = re.sub(r"\s+-\s+[GS]\d{4}$", "", str(value["value"])).strip()
            synonyms = tuple(
                s for s in (value.get("meta") or {}).get("synonyms") or [] if isinstance(s, str)
            )
            entry = Entry(name, kind, synonyms)
            for variant in (name, *synonyms):
                k = key(variant)
                if len(k) >= 3:
                    table.setdefault(k, entry)
    return table


def _lookup(name: str, *, groups: bool) -> Entry | None:
    return _table(groups).get(key(name))


def split_name(raw: str) -> list[tuple[str, list[str]]]:
    """``APT28 (Fancy Bear, Pawn Storm)`` → [("APT28", ["Fancy Bear", "Pawn Storm"])]; a comma
    list gives one member each; remarks in parentheses are dropped, aliases kept."""
    members: list[tuple[str, list[str]]] = []
    for part in top_level(raw, ",;"):
        outside, inside = _parentheses(part)
        names = [n for n in top_level(outside, "/") if n]
        if not names:
            continue
        aliases = [*names[1:]]
        for group in inside:
            if _REMARK_WORDS.search(group):  # "(avec des liens présumés à X, Y)": a remark
                continue
            for alias in top_level(group, ",;/"):
                alias = _ALIAS_MARKERS.sub("", alias).strip(" .")
                if _is_alias(alias):
                    aliases.append(alias)
        members.append((names[0].strip(" ."), aliases))
    return members


def _is_alias(text: str) -> bool:
    """A name, not a remark: capitalised (or a code), short, with no remark word."""
    return (
        bool(text)
        and (text[0].isupper() or text[0].isdigit())
        and len(text.split()) <= 4
        and not _REMARK_WORDS.search(text)
    )


def resolve(kind: str, raw_name: str, aliases: list[str]) -> list[Resolved]:
    """The entities an upstream actor or software name stands for."""
    found: list[Resolved] = []
    members = split_name(raw_name)
    if len(members) == 1:
        members[0][1].extend(aliases)
    for name, member_aliases in members:
        if is_placeholder_name(name) or len(key(name)) < 2:
            continue
        entry = _entry_for(kind, name)
        variants = [name, *member_aliases]
        if entry is None:
            found.append(Resolved(kind, name, _unique(member_aliases, name), False))
            continue
        # Some catalogs write names in lower case: upstream's capitals then read better.
        canonical = name if entry.name.islower() and not name.islower() else entry.name
        found.append(Resolved(entry.kind, canonical, _unique(variants, canonical), True))
    return found


def _entry_for(kind: str, name: str) -> Entry | None:
    """Context decides between an actor and a malware of the same name: an actor field looks in
    the groups first, a software field in the software catalogs first. Only the name itself is
    looked up: upstream's aliases are often related groups, which would merge two groups."""
    actor = kind in ("threat-actor", "intrusion-set")
    for groups in (actor, not actor):
        entry = _lookup(name, groups=groups)
        if entry is not None:
            return entry
    return None


def _unique(names: list[str], canonical: str) -> tuple[str, ...]:
    seen = {key(canonical)}
    kept = []
    for name in names:
        if key(name) not in seen and not is_placeholder_name(name):
            seen.add(key(name))
            kept.append(name)
    return tuple(kept)


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
