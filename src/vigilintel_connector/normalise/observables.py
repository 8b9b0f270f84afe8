"""Observable values: refang them, then keep only those that can identify something.

Upstream records software versions as IPv4 addresses, sentence fragments as domains and placeholder
URLs. An analyst's graph would link unrelated reports through such values, so each value must pass
the checks for its type; the reason for every refusal is returned so it can be counted.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

from vigilintel_connector.terms import HASH_LENGTHS, hash_algorithm

_REFANG = [
    (re.compile(r"\bhxxp(s?)\b", re.IGNORECASE), r"http\1"),
    (re.compile(r"\bfxp\b", re.IGNORECASE), "ftp"),
    (re.compile(r"\[\s*(?:\.|dot)\s*\]|\(\s*(?:\.|dot)\s*\)|\{\s*(?:\.|dot)\s*\}", re.I), "."),
    (re.compile(r"\[\s*:\s*\]|\[\s*://\s*\]"), lambda m: m.group(0).strip("[] ")),
    (re.compile(r"\[\s*(?:@|at)\s*\]|\(\s*(?:@|at)\s*\)", re.IGNORECASE), "@"),
    (re.compile(r"\[/\]"), "/"),
]
_DEFANG_MARKERS = re.compile(r"hxxp|\[\.\]|\[:\]|\[@\]|\(\.\)|\[dot\]|\(dot\)|\{\.\}", re.I)

PUBLIC_RESOLVERS = frozenset(
    {
        "1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4", "9.9.9.9", "149.112.112.112",
        "208.67.222.222", "208.67.220.220", "4.2.2.1", "4.2.2.2",
    }
)  # fmt: skip
# Sites that articles cite or link to and that an LLM records as "observables": never an IOC as
# a bare domain. Operators extend this with VIGILINTEL_EXCLUDED_HOSTS.
REFERENCE_SITES = frozenset(
    {
        "chatgpt.com", "openai.com", "github.com", "google.com", "microsoft.com", "apple.com",
        "twitter.com", "x.com", "linkedin.com", "youtube.com", "facebook.com", "wikipedia.org",
        "mitre.org", "attack.mitre.org", "nvd.nist.gov", "cisa.gov", "virustotal.com",
        "bleepingcomputer.com", "thehackernews.com", "securityweek.com", "darkreading.com",
        "therecord.media", "securityaffairs.com", "cert.ssi.gouv.fr", "example.com",
        # News and vendors' research sites the articles cite: references, not infrastructure.
        "undercodenews.com", "gbhackers.com", "cybersecuritynews.com", "hackread.com",
        "helpnetsecurity.com", "theregister.com", "go.theregister.com", "zdnet.com",
        "techcrunch.com", "wired.com", "krebsonsecurity.com", "infosecurity-magazine.com",
        "scworld.com", "cyberscoop.com", "csoonline.com", "bankinfosecurity.com",
        "databreaches.net", "ransomlook.io", "ransomware.live", "securelist.com",
        "unit42.paloaltonetworks.com", "blog.talosintelligence.com", "research.checkpoint.com",
        "welivesecurity.com", "isc.sans.edu", "cvefeed.io", "haveibeenpwned.com",
        "seclists.org", "lemagit.fr", "zataz.com", "lemondeinformatique.fr", "cyberveille.ch",
        "socradar.io", "thecyberexpress.com", "cybernews.com", "securityonline.info",
    }
)  # fmt: skip
# Where a URL stops being one: a space, a pipe, a brace or quote ("…/12.d|iexThe",
# "…/features/{payload_id"). What precedes is kept when it is still a URL.
_HTTP_LIKE = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_URL_DEFECT = re.compile(r"[\s|{}<>\"\\^`]")
_PLACEHOLDER_HOSTS = frozenset({"example.com", "example.org", "example.net", "localhost", "test"})
# Two-label "domains" whose suffix is also an English word are, in upstream, sentence fragments
# ("handle.in", "reasoning.in") rather than registered names.
_PROSE_SUFFIXES = frozenset(
    {"in", "on", "at", "as", "is", "it", "by", "or", "an", "of", "if", "to"}
)
_GLUED_TLDS = ("com", "net", "org")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@([A-Za-z0-9.-]+)")
_HEX = re.compile(r"[0-9a-f]+")
_URL_PLACEHOLDER = re.compile(r"\$[A-Z_]{3,}|<[^>]*>|\{[^}]*\}|\.\.\.|…|\[[^\]]*\]")


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    # Without punycode copies of every Unicode rule the list builds 3x faster; punycode
    # domains are decoded before the lookup instead (see ``is_plausible_domain``).
    return PublicSuffixList(accept_encoded_idn=False)


def refang(value: str) -> str:
    for pattern, replacement in _REFANG:
        value = pattern.sub(replacement, value)
    return value.strip()


def is_defanged(value: str) -> bool:
    return bool(_DEFANG_MARKERS.search(value))


def check_ipv4(value: str) -> str | None:
    """None when acceptable, else the reason it is not an indicator."""
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError:
        return "invalid-ipv4"
    octets = [int(o) for o in value.split(".")]
    if not address.is_global:
        return "non-global-ip"
    if value in PUBLIC_RESOLVERS:
        return "public-resolver-ip"
    if all(o <= 30 for o in octets) or octets[3] in (0, 255):
        return "version-like-ipv4"
    return None


def check_ipv6(value: str) -> str | None:
    if ":" not in value:
        return "invalid-ipv6"
    try:
        address = ipaddress.IPv6Address(value)
    except ValueError:
        return "invalid-ipv6"
    return None if address.is_global else "non-global-ip"


def is_plausible_domain(value: str) -> bool:
    labels = value.split(".")
    if len(labels) < 2 or len(value) > 253 or not all(_LABEL.fullmatch(x) for x in labels):
        return False
    if labels[-1].isdigit():
        return False
    if "xn--" in value:
        try:
            value = value.encode("ascii").decode("idna")
        except UnicodeError:
            return False
    suffix = _psl().publicsuffix(value, accept_unknown=False)
    return suffix is not None and suffix != value


def owner_label(value: str) -> str:
    """The label a domain or URL is registered under ("nike" for www.nike.com/login)."""
    host = value.lower()
    if "://" in host:
        host = (urlsplit(host).hostname or "") if _HTTP_LIKE.match(host) else ""
    private = _psl().privatesuffix(host) if host else None
    return private.split(".")[0] if private else ""


def check_domain(value: str, excluded: frozenset[str] = frozenset()) -> str | None:
    if not is_plausible_domain(value):
        return "invalid-domain"
    labels = value.split(".")
    if len(labels) == 2 and labels[1] in _PROSE_SUFFIXES and labels[0].isalpha():
        return "sentence-fragment-domain"
    for i in range(1, len(labels) - 1):
        label = labels[i]
        for tld in _GLUED_TLDS:
            rest = label[len(tld) :]
            if label.startswith(tld) and len(rest) >= 3 and rest[0].isalpha():
                head = ".".join([*labels[:i], tld])
                tail = ".".join([rest, *labels[i + 1 :]])
                if is_plausible_domain(head) and is_plausible_domain(tail):
                    return "concatenated-domain"
    if value in _PLACEHOLDER_HOSTS:
        return "placeholder-value"
    bare = value.removeprefix("www.")
    if bare in REFERENCE_SITES or bare in excluded:
        return "reference-site"
    return None


def check_url(value: str, source_urls: frozenset[str] = frozenset()) -> str | None:
    try:
        parts = urlsplit(value)
        host = (parts.hostname or "").lower()
    except ValueError:
        return "invalid-url"
    if parts.scheme.lower() not in ("http", "https", "ftp", "ftps") or not host:
        return "invalid-url"
    if value.rstrip("/") in source_urls:
        return "reference-site"
    if host in _PLACEHOLDER_HOSTS or _URL_PLACEHOLDER.search(value):
        return "placeholder-value"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        reason = check_domain(host)
        if reason == "reference-site" and (parts.path or "/") == "/" and not parts.query:
            return "reference-site"
        return reason if reason in ("invalid-domain", "concatenated-domain") else None
    return check_ipv4(host) if "." in host else check_ipv6(host)


def check_email(value: str) -> str | None:
    match = _EMAIL.fullmatch(value)
    if not match or not is_plausible_domain(match.group(1).lower()):
        return "invalid-email"
    return None


def normalise_hashes(hashes: object) -> tuple[dict[str, str], int]:
    """Standard algorithm names, lower-case hex of the right length; returns (kept, refused)."""
    kept: dict[str, str] = {}
    refused = 0
    if not isinstance(hashes, dict):
        return kept, 1
    for algorithm, digest in hashes.items():
        name = hash_algorithm(algorithm)
        value = str(digest).strip().lower()
        if name is not None and len(value) == HASH_LENGTHS[name] and _HEX.fullmatch(value):
            kept[name] = value
        else:
            refused += 1
    return kept, refused


def check_value(
    stix_type: str,
    value: str,
    excluded: frozenset[str] = frozenset(),
    source_urls: frozenset[str] = frozenset(),
) -> str | None:
    """The reason a (refanged) value is refused for its type, or None."""
    if stix_type == "domain-name":
        return check_domain(value, excluded)
    if stix_type == "url":
        return check_url(value, source_urls)
    check = _VALUE_CHECKS.get(stix_type)
    return check(value) if check else None


_VALUE_CHECKS = {"ipv4-addr": check_ipv4, "ipv6-addr": check_ipv6, "email-addr": check_email}
# The observable types identified by a ``value`` that the checks above judge.
VALUE_TYPES = frozenset({*_VALUE_CHECKS, "domain-name", "url"})


def canonical_value(stix_type: str, value: str) -> str:
    """One spelling per value, so the same observable gets the same id every day."""
    value = refang(value)
    if stix_type in ("domain-name", "email-addr"):
        return value.lower().rstrip(".")
    if stix_type == "ipv6-addr":
        try:
            return str(ipaddress.IPv6Address(value))
        except ValueError:
            return value
    if stix_type == "url":
        return _URL_DEFECT.split(value, maxsplit=1)[0]
    return value
