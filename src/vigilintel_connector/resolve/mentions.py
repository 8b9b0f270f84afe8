"""Malware families an article names in its prose ("la backdoor CoolClient", "Amnesia RAT",
"déploiement de malware STOCKSTAY"), not only in its fields.

Upstream's fields list few of the families its articles discuss: most are written in sentences,
next to the word that says what they are. Only a capitalised name right next to such a word is
taken, in either order, with an optional connector ("backdoors comme CoolClient", "malware
dubbed X"); the name then goes through the same resolution as any other (``entities``), which
drops products, common words and generic names.
"""

from __future__ import annotations

import re

from vigilintel_connector.limits import MENTIONS_PER_TEXT
from vigilintel_connector.resolve.curated import curated
from vigilintel_connector.resolve.index import key
from vigilintel_connector.vocabulary import is_placeholder_name

_TYPE = (
    r"(?i:malwares?|backdoors?|ransomwares?|rançongiciels?|infostealers?|stealers?|loaders?|"
    r"botnets?|trojans?|chevaux de Troie|cheval de Troie|wipers?|rootkits?|spywares?|"
    r"logiciels? espions?|RATs?|implants?|droppers?|downloaders?|keyloggers?)"
)
_CONNECTOR = r"(?:\s+(?i:comme|tels? que|such as|like|nommée?s?|appelée?s?|baptisée?s?|dubbed|"
_CONNECTOR += r"called|named|de type|family|famille|variant|variante))?"
# A proper name: capitalised or all-caps words (CoolClient, STOCKSTAY, Amnesia, Lumma C2).
_WORD = r"[A-Z][\w$-]{2,}(?:\.\w+)*"
_NAME = rf"[\"«“]?({_WORD}(?:[ -](?:[A-Z][\w$-]+|\d+(?:\.\d+)*))?)[\"»”]?"
_AFTER = re.compile(rf"\b{_TYPE}{_CONNECTOR}\s+{_NAME}")
# "les malwares (NESTPACKER, POISONIVY, XWorm, AsyncRAT)"
_LISTED = re.compile(rf"\b{_TYPE}\s*\(([^()]{{3,200}})\)")
_LIST_ITEM = re.compile(rf"^{_WORD}(?: [A-Z][\w$-]+)?$")
_BEFORE = re.compile(
    rf"\b({_WORD})\s+"
    r"(backdoor|ransomware|stealer|infostealer|RAT|loader|botnet|malware|wiper|trojan|rootkit)\b"
)
# Capitalised words that start sentences or are not names.
_NOT_NAMES = frozenset(
    {
        "Le", "La", "Les", "Un", "Une", "Des", "Ce", "Cette", "Ces", "Son", "Sa", "Ses", "Leur",
        "The", "This", "That", "These", "Its", "Their", "New", "Nouveau", "Nouvelle",
        "Android", "Windows", "Linux", "MacOS", "macOS", "iOS", "Python", "Go", "Rust", "Java",
        "JavaScript", "PowerShell", "Mirai-based", "ESXi", "Custom", "Multi", "Open", "Open-source",
        "RAT", "RATs", "Malware", "Ransomware", "Backdoor", "Loader", "Stealer", "Botnet",
    }
)  # fmt: skip
# The type words a name keeps as part of its own name ("Amnesia RAT"); others describe it.
_NAMED_TYPES = frozenset({"RAT", "Stealer", "Loader", "Backdoor", "Bot"})


def malware_mentions(text: str) -> list[str]:
    """The family names written next to a malware word in ``text``, each once, in order."""
    found: list[str] = []
    for match in _AFTER.finditer(text):
        found.append(match.group(1))
        if len(found) >= MENTIONS_PER_TEXT:
            break
    for match in _LISTED.finditer(text):
        found.extend(i.strip() for i in match.group(1).split(",") if _LIST_ITEM.match(i.strip()))
    for match in _BEFORE.finditer(text):
        name, kind = match.group(1), match.group(2)
        previous = text[max(0, match.start() - 40) : match.start()].split()
        if previous and previous[-1][:1].isupper():
            continue  # "Hakuna Matata ransomware": the name began before this word
        found.append(f"{name} {kind}" if kind in _NAMED_TYPES else f"{name} {kind.lower()}")
        if len(found) >= 2 * MENTIONS_PER_TEXT:
            break
    kept = []
    for name in found:
        name = name.strip(".,;:-")
        first = name.split()[0]
        if first in _NOT_NAMES or is_placeholder_name(name) or len(name) < 3:
            continue
        if {key(name), key(first)} & (curated().products | set(curated().dual_use)):
            continue  # "Node.js malware" is about a product, not a family of that name
        if name not in kept:
            kept.append(name)
    return kept
