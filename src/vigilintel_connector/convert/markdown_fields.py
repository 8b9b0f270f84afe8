"""The values inside a Markdown article's fields: names, IoCs, links, scores.

Upstream writes its fields for people ("👤 Threat Actor : APT28 (Fancy Bear, …)", "Non spécifié",
a defanged IP in a table cell), so each reader here accepts only what looks like the thing it
reads and lets the rest go: a sentence is not an actor, a file name is not a domain.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

import ioc_fanger

from vigilintel_connector import limits
from vigilintel_connector.convert.inline import inline_parts, plain
from vigilintel_connector.convert.sections import Section, fold
from vigilintel_connector.memo import memo
from vigilintel_connector.normalise.observables import is_plausible_domain
from vigilintel_connector.resolve import entities
from vigilintel_connector.terms import HASH_BY_LENGTH
from vigilintel_connector.vocabulary import is_placeholder_name

_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>\"'`|()\[\]]+", re.IGNORECASE)
# Bounded repetitions keep each attempt short, so a token shaped like ``a.a.a.…`` or ``a-a-…``
# costs time in proportion to its length (an unbounded ``+`` here took 48 s on a 64 KB line).
_EMAIL = re.compile(r"\b[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}\b")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
# Words that make the dotted number after them a version: "version 1.0.7.81", "Versions
# antérieures à 1.0.7.81", "firmware 1.0.7.81", "prior to 2.3.4.5"; or after it: "(ou version…".
_VERSION_BEFORE = re.compile(
    r"(?:version|versions|v|build|release|firmware|ant[ée]rieure?s?\s+[àa]|prior\s+to|before|"
    r"jusqu.?[àa]|up\s+to|<=?|>=?)\s*$"
)
_VERSION_AFTER = re.compile(r"^\W{0,3}(?:\(?\s*ou\s+)?(?:version|ult[ée]rieure|or\s+later)")
_SERIAL_BEFORE = re.compile(r"(?:serial|s[ée]rie|thumbprint|empreinte)\W*(?:number|n°)?\W*$")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F:]{1,4}(?![\w:])")
_HASH = re.compile(r"\b(?:[0-9a-fA-F]{128}|[0-9a-fA-F]{64}|[0-9a-fA-F]{40}|[0-9a-fA-F]{32})\b")
_DOMAIN = re.compile(
    r"\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,10}[a-z]{2,63}\b", re.IGNORECASE
)
_TRAILING = ".,;:!?»"
_NOT_A_NAME = (
    "non spécifi", "non specifi", "non nomm", "non applicable", "non identifi", "non attribu",
    "inconnu", "unknown", "not specified", "unnamed", "aucun", "n/a", "non divulgu",
)  # fmt: skip
_STOPWORDS = frozenset(
    {
        "le", "la", "les", "l", "un", "une", "des", "de", "du", "d", "et", "en", "avec", "pour",
        "par", "dans", "sur", "au", "aux", "ce", "cette", "ses", "son", "qui", "the", "a", "an",
        "of", "for", "with", "by", "via", "from", "and", "or", "is", "are", "was", "this",
        "that", "their", "its",
    }
)  # fmt: skip
_GENERIC = frozenset(
    {
        "threat actors", "threat actor", "affilies", "affiliates", "hackers", "attackers",
        "attaquants", "cybercriminels", "cybercriminals", "ransomware", "apt", "inconnus",
        "initial access brokers", "hacktivistes", "hacktivists", "state-sponsored",
    }
)  # fmt: skip
# Labels of "Label : value" items, folded, and what the value holds.
_IOC_LABELS = (
    "domain", "domaine", "ipv4", "ipv6", "ip", "url", "md5", "sha1", "sha-1", "sha256",
    "sha-256", "sha512", "hash", "email", "e-mail", "indicator", "compromise", "ioc",
)  # fmt: skip
_ACTOR_LABELS = ("threat actor", "acteur", "actor", "groupe")
_REMARK = re.compile(r"\(([^()]{1,300})\)")
_ITEM_BREAK = re.compile(r"<br\s*/?>|\n|;|(?:^|\s)[*•]\s")
_NOT_THE_ATTACKERS = re.compile(
    r"\b(?:affect[ée]e?s?|l[ée]gitimes?|legitimate|internes?|internal|usurp\w*|impersonated|"
    r"victimes?|victims?)\b",
    re.IGNORECASE,
)
_TOOL_LABELS = ("tools", "malware", "outils", "outil")
_TARGET_LABELS = (
    "threat target", "cible", "secteur", "sector", "target", "victim", "pays cible",
)  # fmt: skip


@dataclass
class ArticleParts:
    summary: list[str] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)
    actors: list[tuple[str, list[str]]] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    iocs: list[tuple[str, str]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)  # "🎯 Threat Target", "Secteurs ciblés"
    benign: set[str] = field(default_factory=set)  # IoCs their own remark calls the victim's


def read_section(title: str, section: Section, parts: ArticleParts) -> None:
    """What one section of an article (``title`` "" for the article's own text) gives."""
    lines = [*section.paragraphs, *section.items]
    if "source" in title:
        _add(parts.sources, urls(fang(section.own_text())))
    elif "indicateur" in title or "ioc" in title:
        for line in [*lines, *(" ".join(row) for t in section.tables for row in t.rows)]:
            _add(parts.iocs, iocs_in(line))
            parts.benign |= benign_iocs(line)
    elif "groupe" in title or "acteur" in title:
        for line in lines:
            _add(parts.actors, actor_names(line, strict=True))
    elif title.startswith(_TARGET_LABELS):
        parts.targets.extend(plain(line) for line in lines)
    elif "recommandation" in title:
        parts.recommendations.extend(plain(line) for line in lines)
    elif title == "" or title.startswith("resume"):
        parts.summary.extend(plain(p) for p in section.paragraphs)
        for item in section.items:
            _labelled_item(item, parts)
        for table in section.tables:
            if table.header and fold(plain(table.header[0])).startswith("indicateur"):
                for row in table.rows:  # "| Observables & Indicateurs … | * IP: … |", 2026's layout
                    _labelled_row(fold(plain(row[0])), row[1] if len(row) > 1 else "", parts)


def _labelled_item(item: str, parts: ArticleParts) -> None:
    """``🔗 Source : url`` and the like, in the layouts of 2025."""
    text = plain(item)
    label, _, value = text.partition(":")
    label = re.sub(r"[^a-z0-9 /&-]", "", fold(label)).strip()
    if not value.strip() or len(label) > 40:
        return
    if label.startswith("source"):
        _add(parts.sources, urls(fang(value)))
    elif label.startswith(_IOC_LABELS):
        _add(parts.iocs, iocs_in(item.partition(":")[2]))
        parts.benign |= benign_iocs(item.partition(":")[2])
    elif label.startswith(_TARGET_LABELS):
        parts.targets.append(value.strip())
    elif label.startswith(_ACTOR_LABELS):
        _add(parts.actors, actor_names(value, strict=False))
    elif any(word in label for word in _TOOL_LABELS):
        _add(parts.tools, [name for name, _ in actor_names(value, strict=False)])
    elif label.startswith("recommandation") or label.startswith("security recommandation"):
        parts.recommendations.append(value.strip())


def _labelled_row(label: str, cell: str, parts: ArticleParts) -> None:
    if label.startswith("observables") or "compromission" in label:
        _add(parts.iocs, iocs_in(cell))
        parts.benign |= benign_iocs(cell)
    elif label.startswith(_ACTOR_LABELS):
        _add(parts.actors, actor_names(plain(cell), strict=True))


def _add(target: list, values: list) -> None:
    for value in values:
        if value not in target:
            target.append(value)


def urls(text: str) -> list[str]:
    found = (u.rstrip(_TRAILING) for u in _URL.findall(text))
    return list(dict.fromkeys(u for u in found if "://" in u and len(u) > 10))


_BRACKET_RUN = re.compile(r"[\[\](){}-]{6}")
_DOT_MARKER = re.compile(r"dot", re.IGNORECASE)


def _fangable(text: str) -> bool:
    """Whether ioc-fanger can read ``text`` in time: short, no run of brackets, few "dot"s."""
    return (
        len(text) <= limits.FANG_MAX_TOKEN
        and not _BRACKET_RUN.search(text)
        and len(_DOT_MARKER.findall(text)) <= limits.FANG_MAX_MARKERS
    )


@memo(256, limits.FANG_MAX_TOKEN)  # an IoC line is read for its values, then its remarks
def fang(text: str) -> str:
    """``text`` refanged by ioc-fanger, within a bound. A line it can read in time is given to it
    whole; a longer one goes in chunks of whole tokens, and a token it cannot read in time is
    kept as it is. Tokens longer than any IoC are left out."""
    if _fangable(text):
        return ioc_fanger.fang(text)
    out: list[str] = []
    chunk: list[str] = []
    size = 0
    for token in text.split():
        if len(token) > limits.IOC_MAX_TOKEN:
            continue
        fangable = _fangable(token)
        if size + len(token) >= limits.FANG_MAX_TOKEN or not fangable:
            if chunk:
                out.append(ioc_fanger.fang(" ".join(chunk)))
                chunk, size = [], 0
            if not fangable:
                out.append(token)
                continue
        chunk.append(token)
        size += len(token) + 1
    if chunk:
        out.append(ioc_fanger.fang(" ".join(chunk)))
    return " ".join(out)


def iocs_in(text: str) -> list[tuple[str, str]]:
    """Typed IoC values in a piece of text, refanged: (STIX type or hash algorithm, value).

    The patterns' repetitions are bounded and tokens longer than any IoC are left out (see
    ``fang``), so the work grows with the text's length, never with its square."""
    rest = fang(text)
    found: list[tuple[str, str]] = []
    for url in urls(rest):
        found.append(("url", url))
        rest = rest.replace(url, " ")
    if "@" in rest:
        for email in _EMAIL.findall(rest):
            found.append(("email-addr", email))
            rest = rest.replace(email, " ")
    for match in list(_HASH.finditer(rest)):
        digest = match.group()
        if not _SERIAL_BEFORE.search(rest[max(0, match.start() - 20) : match.start()].lower()):
            found.append((HASH_BY_LENGTH[len(digest)], digest.lower()))  # not "Serial: 4deb…"
        rest = rest.replace(digest, " ")
    for match in _IPV4.finditer(rest):
        before = rest[max(0, match.start() - 30) : match.start()].lower()
        after = rest[match.end() : match.end() + 30].lower()
        version = _VERSION_BEFORE.search(before) or _VERSION_AFTER.search(after)
        if _is_ip(match.group()) and not version:
            found.append(("ipv4-addr", match.group()))  # not "version 1.0.7.81"
    rest = _IPV4.sub(" ", rest)
    for address in _IPV6.findall(rest):
        if _is_ip(address):
            found.append(("ipv6-addr", address))
    for domain in _DOMAIN.findall(rest):
        if is_plausible_domain(domain.lower()):
            found.append(("domain-name", domain.lower()))
    return list(dict.fromkeys(found))


def benign_iocs(line: str) -> set[str]:
    """The values of an IoC line that the remark after them calls affected, internal or
    legitimate: "gateway[.]itstgate[.]com (indique un système interne affecté…)", "booking[.]com
    (usurpation d'identité)". They are the victim's or a brand's, not the attacker's."""
    text = fang(line)
    found: set[str] = set()
    start = 0
    for remark in _REMARK.finditer(text):
        if _NOT_THE_ATTACKERS.search(remark.group(1)):  # the values of its own list item
            item = _ITEM_BREAK.split(text[start : remark.start()])[-1]
            found |= {value for _, value in iocs_in(item)}
        start = remark.end()
    return found


def code_span_iocs(source: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for span in inline_parts(source)[1]:
        found.extend(iocs_in(span))
    return found


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def actor_names(text: str, *, strict: bool) -> list[tuple[str, list[str]]]:
    """Names in a field such as ``APT28 (Fancy Bear, Pawn Storm), UNC4696``, each with the
    aliases its parentheses give. ``strict`` (prose) also asks for a name-like spelling."""
    text = plain(text)
    if any(marker in text.lower() for marker in _NOT_A_NAME):
        return []
    found = []
    for part in entities.top_level(text, "/"):
        for name, aliases, remark in entities.split_name(part):
            name = name.rstrip(_TRAILING).strip()
            if not is_name(name) or (strict and not _looks_like_a_name(name)):
                continue
            # "RondoDox (botnet)": a remark naming the type goes with the name as its evidence.
            if remark and len(remark.split()) <= 3 and entities.type_words(remark):
                name = f"{name} {remark.strip()}"
            kept = [a for a in aliases if a != name and _is_alias(a, strict)]
            found.append((name, list(dict.fromkeys(kept))))
    return found


def is_name(name: str) -> bool:
    """A proper name, not a sentence, a placeholder, a remark or a word for "attackers"."""
    words = name.split()
    if fold(name) in _GENERIC:
        return False
    if not 1 <= len(words) <= 5 or not 2 <= len(name) <= 60 or ":" in name:
        return False
    if not (name[0].isupper() or name[0].isdigit()) or is_placeholder_name(name):
        return False
    return not any(w.lower().strip("'\u2019") in _STOPWORDS for w in words)


def _is_alias(name: str, strict: bool) -> bool:
    if not is_name(name) or not any(c.isalpha() for c in name):
        return False
    return _looks_like_a_name(name) or not strict


def _looks_like_a_name(name: str) -> bool:
    """Prose capitalises its first word too: a name also has a second capital or a digit."""
    return sum(c.isupper() for c in name) >= 2 or any(c.isdigit() for c in name)


def cell(record: dict[str, str], *keys: str) -> str | None:
    """The first non-empty cell whose folded column name contains one of ``keys``."""
    for key in keys:
        for column, value in record.items():
            if key in column and value.strip():
                return value
    return None


def number(value: str | None, low: float, high: float) -> float | None:
    if value is None:
        return None
    try:
        result = float(plain(value).replace(",", ".").rstrip("%").strip())
    except ValueError:
        return None
    return result if low <= result <= high else None


def percentage(value: str | None) -> float | None:
    """EPSS as OpenCTI stores it, a fraction: ``0.45%`` → 0.0045; a bare ``0.12`` is kept."""
    if value is None:
        return None
    text = plain(value)
    result = number(text, 0, 100)
    if result is None:
        return None
    if text.endswith("%"):
        return round(result / 100, 6)
    return result if result <= 1 else None


def boolean(value: str | None) -> bool | None:
    """``TRUE``, ``Oui``, ``✅ Yes`` (the digests' KEV column), ``No``…"""
    folded = plain(value or "").strip().lower().lstrip("\u2705\u274c\ufe0f ").strip()
    if folded in ("true", "oui", "yes"):
        return True
    if folded in ("false", "non", "no"):
        return False
    return None
