"""The MISP catalogs' actors and software, by name, in the order that gives each its type.

Three rules keep a match honest:
- a name is an entry's *own* name before it is anyone's synonym (Qakbot is malpedia's QakBot
  before it is the ``tool`` galaxy's synonym of Akbot);
- a synonym that several entries with different names claim renames nothing;
- the generic ``tool`` galaxy comes after the families: a program is a tool when MITRE's tool
  catalog says so (or the connector's dual-use list, see ``curated``), not because that galaxy
  lists it.
Clusters are never merged with each other (merging through shared synonyms joins APT28 and
APT29).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from vigilintel_connector.resolve.catalogs import galaxy

GROUPS = (
    ("mitre-intrusion-set", "intrusion-set"),
    ("mitre-enterprise-attack-intrusion-set", "intrusion-set"),
    ("microsoft-activity-group", "intrusion-set"),
    ("threat-actor", "intrusion-set"),
)
MITRE_TOOLS = (("mitre-tool", "tool"),)
FAMILIES = tuple(
    (cluster, "malware")
    for cluster in (
        "mitre-malware", "malpedia", "ransomware", "rat", "stealer", "banker", "backdoor",
        "botnet",
    )
)  # fmt: skip
# MISP's "tool" galaxy lists malware and tools alike: it names, it does not type.
GENERIC_TOOLS = (("tool", "software"),)
# "RedLine Stealer" is also looked up as "RedLine", after every real name and synonym.
_TYPE_SUFFIX = re.compile(
    r"\s+(?:stealer|ransomware|rat|loader|botnet|backdoor|wiper|trojan|malware)$", re.I
)
_CODE = re.compile(r"\s+-\s+[GS]\d{4}$")
_NOT_ASCII_ALNUM = re.compile(r"[^0-9a-z]+")
_QUALIFIER = re.compile(r"\s+\([^)]*\)$")  # malpedia's "Clop (ELF)", "(Windows)"…


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    kind: str  # intrusion-set, malware, tool or software (typed by the field)
    synonyms: tuple[str, ...]
    cluster: str

    def all_keys(self) -> frozenset[str]:
        return frozenset(key(n) for n in (self.name, *self.synonyms))


def key(name: str) -> str:
    """The lookup key of a name: letters and digits only, lower case ("Lumma Stealer" and
    "LummaStealer" meet)."""
    lowered = name.lower()
    if lowered.isascii():  # most names: the ASCII letters and digits are all it can hold
        return _NOT_ASCII_ALNUM.sub("", lowered)
    return "".join(c for c in lowered if c.isalnum())


def _entries(clusters: tuple[tuple[str, str], ...]) -> list[Entry]:
    return [entry for cluster, kind in clusters for entry in _cluster(cluster, kind)]


@lru_cache(maxsize=32)
def _cluster(cluster: str, kind: str) -> tuple[Entry, ...]:
    """One cluster file's entries, read once: the tables and the claims both need them (the
    JSON files are most of the catalogs' load, which the main process does before any day)."""
    found = []
    for value in galaxy(cluster):
        name = _QUALIFIER.sub("", _CODE.sub("", str(value["value"]))).strip()
        synonyms = tuple(
            s for s in (value.get("meta") or {}).get("synonyms") or [] if isinstance(s, str)
        )
        found.append(Entry(name, kind, synonyms, cluster))
    return tuple(found)


@lru_cache(maxsize=16)
def table(clusters: tuple[tuple[str, str], ...]) -> dict[str, Entry | None]:
    """Key → entry for these clusters. Groups: cluster by cluster, MITRE's first, so that a
    group takes the name the platform's MITRE data gives it (COLDRIVER is Star Blizzard).
    Software: own names first across clusters, then unambiguous synonyms, then names without
    their type word; ``None`` marks a synonym two differently named entries claim."""
    if clusters == GROUPS:
        merged: dict[str, Entry | None] = {}
        for cluster in clusters:
            for k, entry in _table_of(cluster).items():
                merged.setdefault(k, entry)
        return merged
    return _table_of(*clusters)


def _table_of(*clusters: tuple[str, str]) -> dict[str, Entry | None]:
    entries = _entries(clusters)
    found: dict[str, Entry | None] = {}
    for entry in entries:
        k = key(entry.name)
        if len(k) >= 3:
            found.setdefault(k, entry)
    for variants in (
        lambda e: e.synonyms,
        lambda e: [_TYPE_SUFFIX.sub("", n) for n in (e.name, *e.synonyms)],
    ):
        claims: dict[str, list[Entry]] = {}
        for entry in entries:
            for variant in variants(entry):
                k = key(variant)
                if len(k) >= 3 and k not in found:
                    claims.setdefault(k, []).append(entry)
        for k, claimants in claims.items():
            names = {key(e.name) for e in claimants}
            found[k] = claimants[0] if len(names) == 1 else None
    return found


def lookup(name: str, order: tuple[tuple[tuple[str, str], ...], ...]) -> Entry | None:
    """The first entry that knows ``name``, catalog group by catalog group."""
    k = key(name)
    for clusters in order:
        entry = table(clusters).get(k)
        if entry is not None:
            return entry
    return None


@lru_cache(maxsize=1)
def _claims() -> dict[str, frozenset[str]]:
    """Key of any name or synonym → the own names (keys) of every entry, in every catalog,
    that carries it."""
    found: dict[str, set[str]] = {}
    for clusters in (GROUPS, MITRE_TOOLS, FAMILIES, GENERIC_TOOLS):
        for entry in _entries(clusters):
            for k in entry.all_keys():
                if len(k) >= 3:
                    found.setdefault(k, set()).add(key(entry.name))
    return {k: frozenset(v) for k, v in found.items()}


def entries_named(name: str) -> frozenset[str]:
    """The own names (keys) of every catalog entry that ``name`` is a name or synonym of."""
    return _claims().get(key(name), frozenset())
