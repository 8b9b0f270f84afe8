"""Malware families an article names in its prose ("la backdoor CoolClient", "Amnesia RAT",
"déploiement de malware STOCKSTAY"), not only in its fields.

Upstream's fields list few of the families its articles discuss: most are written in sentences,
next to the word that says what they are. Only a capitalised name right next to such a word is
taken, in either order, with an optional connector ("backdoors comme CoolClient", "malware
dubbed X"); the name then goes through the same resolution as any other (``entities``), which
drops products, common words and generic names.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator

from vigilintel_connector.limits import MENTIONS_PER_TEXT
from vigilintel_connector.resolve import index
from vigilintel_connector.resolve.curated import curated
from vigilintel_connector.resolve.index import key
from vigilintel_connector.resolve.names import glued_type, is_generic
from vigilintel_connector.vocabulary import is_placeholder_name

# Written in lower case, as prose writes them: a headline's "Malware Uses DNS" names nothing.
_TYPE = (
    r"(?:malwares?|backdoors?|ransomwares?|rançongiciels?|infostealers?|stealers?|loaders?|"
    r"botnets?|trojans?|chevaux de Troie|cheval de Troie|wipers?|rootkits?|spywares?|"
    r"logiciels? espions?|RATs?|implants?|droppers?|downloaders?|keyloggers?)"
)
_CONNECTOR = r"(?:\s+(?i:comme|tels? que|such as|like|nommée?s?|appelée?s?|baptisée?s?|dubbed|"
_CONNECTOR += r"called|named|de type|family|famille|variant|variante))?"
# A proper name: capitalised or all-caps words (CoolClient, STOCKSTAY, Amnesia, Lumma C2).
_WORD_TAIL = r"[\w$-]{2,}(?:\.\w+)*"
_WORD = rf"[A-Z]{_WORD_TAIL}"
_NAME = rf"[\"«“]?({_WORD}(?:[ -](?:[A-Z][\w$-]+|\d+(?:\.\d+)*))?)[\"»”]?"
_AFTER = re.compile(rf"\b{_TYPE}{_CONNECTOR}\s+{_NAME}")
# "les malwares (NESTPACKER, POISONIVY, XWorm, AsyncRAT)"
_LISTED = re.compile(rf"\b{_TYPE}\s*\(([^()]{{3,200}})\)")
_LIST_ITEM = re.compile(rf"^{_WORD}(?: [A-Z][\w$-]+)?$")
# The name's boundary is checked behind its capital (see ``_SPELLED``): twice as fast.
_BEFORE = re.compile(
    rf"([A-Z](?<=\b[A-Z]){_WORD_TAIL})\s+"
    r"(backdoor|ransomware|stealer|infostealer|RAT|loader|botnet|malware|wiper|trojan|rootkit)\b"
)
# Where each spelling of ``_TYPE`` starts as written (its optional letters left out): every
# match of ``_AFTER`` and ``_LISTED`` starts where one of these does, and the type words of
# ``_BEFORE`` are among them. Finding them with ``str.find`` costs a third of what the two
# patterns cost when the regex engine tries them at every position of the text.
_SPELLINGS = _TYPE.removeprefix("(?:").removesuffix(")").split("|")
TYPE_PREFIXES = tuple(sorted({re.sub(r".\?.*", "", spelling) for spelling in _SPELLINGS}))
# Words spelled as no dictionary spells them: an inner capital or a glued type ("ShadowPad").
# The word boundary is checked behind the first capital, as in ``terms.CVE``, so the regex
# engine skips from capital to capital (a leading ``\b`` has it try every position).
_SPELLED = re.compile(r"[A-Z](?<=\b[A-Z])(?:[a-z0-9]+[A-Z][\w$]*|[A-Z]+[a-z][\w$]*)")
# A word any dictionary has, capitalised ("Updated", "Scout"): a family only if a catalog says so.
_PLAIN = re.compile(r"^[A-Z][a-zà-ÿ'-]+$")
# Capitalised words that start sentences or are not names.
_NOT_NAMES = frozenset(
    {
        "Le", "La", "Les", "Un", "Une", "Des", "Ce", "Cette", "Ces", "Son", "Sa", "Ses", "Leur",
        "The", "This", "That", "These", "Its", "Their", "New", "Nouveau", "Nouvelle",
        "Android", "Windows", "Linux", "MacOS", "macOS", "iOS", "Python", "Go", "Rust", "Java",
        "JavaScript", "PowerShell", "Mirai-based", "ESXi", "Custom", "Multi", "Open", "Open-source",
        "RAT", "RATs", "Malware", "Ransomware", "Backdoor", "Loader", "Stealer", "Botnet",
        "RANSOM", "DDoS", "DLL", "Provider", "Downloaders", "Droppers", "Auto", "Selon",
    }
)  # fmt: skip
# The type words a name keeps as part of its own name ("Amnesia RAT"); others describe it.
_NAMED_TYPES = frozenset({"RAT", "Stealer", "Loader", "Backdoor", "Bot"})


# Technique and CVE ids, "-based"/"-enabled" adjectives, "peer-to-peer".
_NOT_A_FAMILY = re.compile(r"^T\d{4}|^CVE-|-based\b|-enabled\b|-to-|\"", re.IGNORECASE)
_TYPE_WORDS = frozenset({"ransomware", "malware", "botnet", "backdoor", "loader", "stealer"})


def _known(name: str) -> bool:
    return index.lookup(name, (index.FAMILIES,)) is not None


def _known_family(word: str) -> bool:
    """A family catalog's own name, written as that catalog writes it (case and all)."""
    entry = index.lookup(word, (index.FAMILIES,))
    return entry is not None and entry.name == word


def malware_mentions(text: str) -> list[str]:
    """The family names written next to a malware word in ``text``, each once, in order."""
    # (name, written after its type word in lower-case prose: "le malware Ploutus")
    found: list[tuple[str, bool]] = []
    typed = [prefix for prefix in TYPE_PREFIXES if prefix in text]
    for match in _matches_from(_AFTER, text, _starts_of(text, typed)):
        found.append((match.group(1), True))
        if len(found) >= MENTIONS_PER_TEXT:
            break
    for match in _SPELLED.finditer(text):
        word = match.group(0)
        if glued_type(word) or _known_family(word):
            found.append((word, True))  # "AsyncRAT", "LampoRAT", "ShadowPad", "PlugX"
    for match in _matches_from(_LISTED, text, _starts_of(text, typed)):
        items = (i.strip() for i in match.group(1).split(","))
        found.extend((i, False) for i in items if _LIST_ITEM.match(i))
    for match in _BEFORE.finditer(text) if typed else ():
        name, kind = match.group(1), match.group(2)
        previous = text[max(0, match.start() - 40) : match.start()].split()
        if previous and previous[-1][:1].isupper():
            continue  # "Hakuna Matata ransomware": the name began before this word
        found.append(
            (f"{name} {kind}" if kind in _NAMED_TYPES else f"{name} {kind.lower()}", False)
        )
        if len(found) >= 2 * MENTIONS_PER_TEXT:
            break
    kept: list[str] = []
    for name, after_type in found:
        name = name.strip(".,;:-")
        if name not in kept and _is_family_name(name, after_type):
            kept.append(name)
    return kept


def _starts_of(text: str, prefixes: Iterable[str]) -> Iterator[int]:
    """Where one of ``prefixes`` starts in ``text``, in order, each place once. Lazy: a hostile
    article of a million type words is never held as a list of places."""
    previous = -1
    for at in heapq.merge(*(_places(text, prefix) for prefix in prefixes)):
        if at != previous:
            previous = at
            yield at


def _places(text: str, prefix: str) -> Iterator[int]:
    at = text.find(prefix)
    while at != -1:
        yield at
        at = text.find(prefix, at + 1)


def _matches_from(
    pattern: re.Pattern[str], text: str, starts: Iterable[int]
) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` for a pattern whose every match begins at one of ``starts``:
    the first match at or after the end of the last one (``match`` reads the text before its
    position, so a leading ``\\b`` is judged as in ``finditer``)."""
    end = 0
    for start in starts:
        if start >= end and (match := pattern.match(text, start)):
            yield match
            end = match.end()


def _is_family_name(name: str, after_type: bool) -> bool:
    first = name.split()[0]
    if first in _NOT_NAMES or is_placeholder_name(name) or len(name) < 3:
        return False
    if _NOT_A_FAMILY.search(name) or is_generic(name):
        return False
    if {key(name), key(first)} & (curated().products | set(curated().dual_use)):
        return False  # "Node.js malware" is about a product, not a family of that name
    own = [w for w in name.split() if w.lower() not in _TYPE_WORDS]
    # A capitalised dictionary word ("Scout botnet") is a family when a catalog says so, or
    # when lower-case prose put it right after its type ("le malware Ploutus").
    return after_type or not all(_PLAIN.match(w) for w in own) or _known(" ".join(own))


# "La campagne Railway/EvilTokens", "l'opération Endgame", "Operation MacroMaze"
_CAMPAIGN = re.compile(
    r"\b(?:(?i:campagne|campaign)\s+(?:(?i:baptisée|nommée|dubbed|named|called)\s+)?"
    r"|(?i:op[ée]ration)\s+)[\"«“*]*([A-Z][\w/.$-]{2,}(?: (?:[A-Z][\w$-]+|\d{3,}))?)[\"»”*]*"
)


# How every match of ``_CAMPAIGN`` starts, lower-cased (none of these letters is one whose
# lower case ``str.lower`` writes otherwise than the regex engine compares it, as "İ" is).
# Where lower-casing writes each character as one character, they are found at the text's own
# positions (as in ``malware_mentions``), and the pattern is tried there only.
_CAMPAIGN_STARTS = ("campa", "opera", "opéra")


def may_name_a_campaign(text: str) -> bool:
    """A quick test: two thirds of the articles name no campaign nor operation."""
    lowered = text.lower()
    return any(start in lowered for start in _CAMPAIGN_STARTS)


def campaign_matches(text: str) -> Iterator[re.Match[str]]:
    """``_CAMPAIGN.finditer(text)``, the pattern tried only where a match can start."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return _matches_from(_CAMPAIGN, text, _starts_of(lowered, _CAMPAIGN_STARTS))
    if may_name_a_campaign(text):  # "İ" lower-cases to two characters: positions shift
        return _CAMPAIGN.finditer(text)
    return iter(())


def campaign_mentions(text: str) -> list[str]:
    """Campaigns an article's prose names ("la campagne Railway/EvilTokens"); an operation
    keeps its word ("Operation Endgame"), so French and English spellings meet."""
    found: list[str] = []
    for match in campaign_matches(text):
        name = match.group(1).rstrip(".,;:-")
        if match.group(0).lower().startswith(("op", "opé")):
            name = f"Operation {name}"
        if name not in found and not is_generic(name) and not _NOT_A_FAMILY.search(name):
            found.append(name)
        if len(found) >= MENTIONS_PER_TEXT:
            break
    return found
