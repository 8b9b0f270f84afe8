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

from vigilintel_connector.memo import memo
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
# Platforms that articles cite or link to and that an LLM records as "observables": never an IOC
# as a bare domain, while a page on them can be one (a repository, a paste, a shared file).
# Operators extend this with VIGILINTEL_EXCLUDED_HOSTS.
_PLATFORMS = frozenset(
    {
        "chatgpt.com", "openai.com", "github.com", "google.com", "apple.com",
        "twitter.com", "x.com", "linkedin.com", "youtube.com", "facebook.com", "wikipedia.org",
        "virustotal.com", "example.com",
        "mega.nz", "mega.io", "dropbox.com", "pastebin.com", "mediafire.com", "wetransfer.com",
        "gofile.io", "drive.google.com", "docs.google.com", "onedrive.live.com", "discord.com",
        "discordapp.com", "t.me", "telegram.org", "npmjs.com", "pypi.org", "huggingface.co",
        "registry.npmjs.org", "files.pythonhosted.org",
        "any.run", "tria.ge", "urlscan.io", "shodan.io", "censys.io", "osv.dev",
        # Public out-of-band testing services (Burp Collaborator, interactsh, canary tokens).
        "oastify.com", "burpcollaborator.net", "interact.sh", "canarytokens.com",
        "grep.app", "asp.net", "salesforce.com", "z.ai", "npoint.io", "wordpress.org",
        "ec2.amazonaws.com", "s3.amazonaws.com", "sts.amazonaws.com", "iam.amazonaws.com",
    }
)  # fmt: skip
# Webmail providers: an attacker's address there is an IoC, the provider is not.
WEBMAIL = frozenset(
    {
        "gmail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com", "aol.com",
        "icloud.com", "proton.me", "protonmail.com", "tutanota.com", "tuta.io", "gmx.com",
        "gmx.de", "web.de", "mail.com", "mail.ru", "bk.ru", "inbox.ru", "list.ru", "yandex.ru",
        "yandex.com", "rambler.ru", "meta.ua", "ukr.net", "i.ua", "qq.com", "163.com",
        "126.com", "naver.com", "onionmail.org", "cock.li", "zohomail.com",
    }
)  # fmt: skip
# News, advisories and security vendors: what the articles are read on. Any URL under them is a
# reference, never attacker infrastructure ("go.trendmicro.com/tis/…", a Talos lookup page).
REPORTERS = frozenset(
    {
        "mitre.org", "nist.gov", "cisa.gov", "cert.ssi.gouv.fr", "bleepingcomputer.com",
        "thehackernews.com", "securityweek.com", "darkreading.com", "therecord.media",
        "securityaffairs.com", "undercodenews.com", "gbhackers.com", "cybersecuritynews.com",
        "hackread.com", "helpnetsecurity.com", "theregister.com", "zdnet.com", "techcrunch.com",
        "wired.com", "krebsonsecurity.com", "infosecurity-magazine.com", "scworld.com",
        "cyberscoop.com", "csoonline.com", "bankinfosecurity.com", "databreaches.net",
        "ransomlook.io", "ransomware.live", "securelist.com", "kaspersky.com",
        "paloaltonetworks.com", "talosintelligence.com", "checkpoint.com", "welivesecurity.com",
        "eset.com", "sans.edu", "cvefeed.io", "haveibeenpwned.com", "seclists.org", "lemagit.fr",
        "zataz.com", "lemondeinformatique.fr", "cyberveille.ch", "socradar.io",
        "thecyberexpress.com", "cybernews.com", "securityonline.info", "trendmicro.com",
        "crowdstrike.com", "mandiant.com", "sentinelone.com", "proofpoint.com", "sophos.com",
        "fortinet.com", "fortiguard.com", "elastic.co", "recordedfuture.com", "sekoia.io",
        "thedfirreport.com", "synacktiv.com", "rapid7.com", "tenable.com", "qualys.com",
        "huntress.com", "arcticwolf.com", "trellix.com", "broadcom.com", "zscaler.com",
        "netskope.com", "bitdefender.com", "malwarebytes.com", "group-ib.com", "volexity.com",
        "microsoft.security", "vx-underground.org", "cve.org", "vuldb.com", "mozilla.org",
        "hunt.io", "securityaffairs.co", "microsoft.com", "cloudflare.com", "wordfence.com",
        "redhat.com", "jvn.jp", "zerodayinitiative.com", "cert.org", "exploit-db.com",
        "packetstormsecurity.com", "huntr.com", "snyk.io", "wiz.io", "washingtonpost.com",
        "washpost.com", "ycombinator.com", "tines.com", "aikido.dev", "snort.org",
    }
)  # fmt: skip
REFERENCE_SITES = _PLATFORMS | WEBMAIL | REPORTERS
# Where a URL stops being one: a space, a pipe, a brace or quote ("…/12.d|iexThe",
# "…/features/{payload_id"). What precedes is kept when it is still a URL.
_HTTP_LIKE = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_URL_DEFECT = re.compile(r"[\s|{}<>\"\\^`]")
# A second URL glued to the first ("…/captcha/andhttps://…", "…/4542828056http://…").
_SECOND_URL = re.compile(r"(?<=.)(?:and|et|,)?(?=(?:https?|ftp)://)", re.IGNORECASE)
# The next word of the sentence glued to a URL's file ("…/stealer.pyand", "…/json/and").
_GLUED_WORD = re.compile(
    r"(\.(?:py|php|js|sh|exe|dll|zip|rar|html?|txt|ps1|bat|vbs|jar|apk|msi|pdf|docx?|xlsx?)|/)"
    r"(?:and|to|or|et|ou)$"
)
# Pages that articles are ("…/blog/…", "…/advisories/…", "…/docs/security/bulletin/…"): a page,
# not a file an attacker serves ("…/docs/office_activation_manual.pdf" stays).
# A news article's address: a date, then a slug ("/2026/07/12/microsoft-confirms-…").
_DATED_SLUG = re.compile(r"/20\d\d/[01]\d/(?:[0-3]\d/)?[a-z0-9]+(?:-[a-z0-9]+){2,}/?$", re.I)
_READING_PATH = re.compile(
    r"/(?:blog|news|advisor\w*|bulletins?|docs/security|cverecord|vuln/detail|research|"
    r"publications?|"
    r"wiki|articles?|posts?)/(?:[^/?#]*/)*[^/.?#]*(?:\.html?|\.aspx?)?(?:[?#].*)?$",
    re.IGNORECASE,
)
_GLUE_WORDS = ("and", "from", "with", "via", "the", "on", "in", "to", "of", "at", "by", "et",
               "de", "sur", "par", "n")  # fmt: skip
_CODE_HOSTS = frozenset({"github.com", "gitlab.com", "gist.github.com"})
_RESEARCH_REPO = re.compile(r"cve-\d{4}|vuldb|vulnerab|/poc|poc[-_/]|exploit|advisor", re.I)
_PLACEHOLDER_HOSTS = frozenset({"example.com", "example.org", "example.net", "localhost", "test"})
# Two-label "domains" whose suffix is also an English word are, in upstream, sentence fragments
# ("handle.in", "reasoning.in") rather than registered names.
_PROSE_SUFFIXES = frozenset(
    {"in", "on", "at", "as", "is", "it", "by", "or", "an", "of", "if", "to"}
)
# Top-level domains that are also file extensions: "libsynopkg.so", "install.sh", "exp.py",
# "payload.zip" are files an article names. Read as a domain only below a second-level public
# suffix ("cariere.gov.md"), where a registry, not a file system, put the dot.
_FILE_EXTENSION_TLDS = frozenset({"sh", "ps", "so", "py", "zip", "java", "rs", "md", "mov", "tf"})
_SECOND_LEVELS = frozenset({"gov", "com", "org", "net", "edu", "co", "ac"})
# Labels of antivirus verdicts that upstream reads as domains ("Trojan-Banker.AndroidOS.Agent.ws").
_AV_FAMILY_LABELS = frozenset(
    {"trojan", "trojan-dropper", "trojan-banker", "trojan-spy", "trojan-downloader", "androidos",
     "win32", "win64", "w32", "w64", "msil", "heur", "not-a-virus", "hacktool", "riskware",
     "backdoor"}
)  # fmt: skip
# Government top and second levels: reporters and victims, never an attacker's registration.
_GOVERNMENT = frozenset({"gov", "mil", "gouv", "govt"})
# Brand top-level domains whose owner registers no third party ("fraud.read" is a sentence the
# LLM cut at its full stop, "rootroy.windows" a path): nothing under them is an attacker's.
_CLOSED_TLDS = frozenset(
    {
        "read", "here", "fido", "windows", "shell", "seek", "aws", "microsoft", "google",
        "apple", "amazon", "youtube", "android", "chrome", "office", "azure", "bing", "xbox",
        "skype", "hotmail", "gmail", "docs", "drive", "search", "play", "phone",
    }
)  # fmt: skip
# Unicode escapes that lost their backslash and stuck to the value ("u201clibfoo.so").
_ESCAPE_RESIDUE = re.compile(r"^u20(?:0b|1[89cd])(?=[a-z0-9])", re.IGNORECASE)
_GLUED_TLDS = ("com", "net", "org")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@([A-Za-z0-9.-]+)")
_HEX = re.compile(r"[0-9a-f]+")
_URL_PLACEHOLDER = re.compile(r"\$[A-Z_]{3,}|<[^>]*>|\{[^}]*\}|\.\.\.|…|\[[^\]]*\]|\*[^*/]{2,}\*")


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    # Without punycode copies of every Unicode rule the list builds 3x faster; punycode
    # domains are decoded before the lookup instead (see ``is_plausible_domain``).
    return PublicSuffixList(accept_encoded_idn=False)


@memo(2048, 512)  # a value is read as an observable, then in its indicator's pattern
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
    if _AV_FAMILY_LABELS.intersection(labels) and len(labels) >= 3:
        return "av-verdict-domain"  # "Trojan-Dropper.AndroidOS.Agent.sm"
    if labels[-1] in _GOVERNMENT or labels[-2] in _GOVERNMENT:
        return "government-domain"  # no attacker registers under .gov or gouv.fr
    suffix = _psl().publicsuffix(value)
    registry_level = len(labels) > 2 and labels[-2] in _SECOND_LEVELS
    if labels[-1] in _FILE_EXTENSION_TLDS and suffix == labels[-1] and not registry_level:
        return "file-name-domain"
    if labels[-1] in _CLOSED_TLDS and suffix == labels[-1]:
        return "closed-tld-domain"
    for i in range(1, len(labels) - 1):
        label = labels[i]
        for tld in _GLUED_TLDS:
            rest = label[len(tld) :]
            if label.startswith(tld) and len(rest) >= 3 and rest[0].isalpha():
                head = ".".join([*labels[:i], tld])
                tail = ".".join([rest, *labels[i + 1 :]])
                if is_plausible_domain(head) and is_plausible_domain(tail):
                    return "concatenated-domain"
    if _glued_to_a_known_site(labels):
        return "concatenated-domain"  # "channelt.me", "fromsnort.org", "ncvefeed.io"
    if value in _PLACEHOLDER_HOSTS:
        return "placeholder-value"
    bare = value.removeprefix("www.")
    if bare in REFERENCE_SITES or bare in excluded or registered(bare) in REFERENCE_SITES:
        return "reference-site"  # "api.telegram.org", "my.mail.ru", "go.trendmicro.com"
    return None


def registered(host: str) -> str:
    """The domain a host is registered under ("go.trendmicro.com" → "trendmicro.com"; private
    suffixes count: "a.b.pages.dev" → "b.pages.dev")."""
    return _psl().privatesuffix(host) or host


def glued_to(value: str, others: frozenset[str]) -> bool:
    """A sentence's word glued to another of the day's domains ("withsol-coin.xyz"); not
    "atc.cseo99.com" beside "c.cseo99.com", two hosts of one attacker."""
    for glue in (g for g in _GLUE_WORDS if len(g) >= 3):
        rest = value[len(glue) :]
        if value.startswith(glue) and rest in others and len(rest.split(".")[0]) >= 3:
            return True
    return False


def _glued_to_a_known_site(labels: list[str]) -> bool:
    """A sentence's word glued to a site the articles cite: "from"+"snort.org", "and"+
    "npoint.io", a lost "\\n"+"cvefeed.io". Only such words: "mygithub.com" or "account-
    microsoft.com" are look-alikes an attacker registers, and stay."""
    first, rest = labels[0], ".".join(labels[1:])
    for glue in _GLUE_WORDS:
        if first.startswith(glue) and len(first) > len(glue) + 1:
            site = f"{first[len(glue) :]}.{rest}"
            if site in REFERENCE_SITES or registered(site) in REPORTERS:
                return True
    return False


def check_url(value: str, source_urls: frozenset[str] = frozenset()) -> str | None:
    try:
        parts = urlsplit(value)
        host = (parts.hostname or "").lower()
    except ValueError:
        return "invalid-url"
    if parts.scheme.lower() not in ("http", "https", "ftp", "ftps") or not host:
        return "invalid-url"
    if value.rstrip("/") in source_urls or registered(host) in REPORTERS:
        return "reference-site"
    if host in _PLACEHOLDER_HOSTS or _URL_PLACEHOLDER.search(value):
        return "placeholder-value"
    if _READING_PATH.search(parts.path + (f"?{parts.query}" if parts.query else "")):
        return "reference-site"
    if _DATED_SLUG.search(parts.path):
        return "reference-site"
    if host in _CODE_HOSTS and _RESEARCH_REPO.search(parts.path):
        return "reference-site"  # a PoC or an advisory's repository: research, not infrastructure
    try:
        ipaddress.ip_address(host)
    except ValueError:
        reason = check_domain(host)
        if reason == "reference-site" and (parts.path or "/") == "/" and not parts.query:
            return "reference-site"
        return reason if reason in ("invalid-domain", "concatenated-domain") else None
    return check_ipv4(host) if "." in host else check_ipv6(host)


def check_email(value: str, excluded: frozenset[str] = frozenset()) -> str | None:
    match = _EMAIL.fullmatch(value)
    if not match or not is_plausible_domain(match.group(1).lower()):
        return "invalid-email"
    domain = match.group(1).lower().removeprefix("www.")  # a news site's contact address
    if registered(domain) in _PLACEHOLDER_HOSTS or "contoso" in domain:
        return "placeholder-value"  # "victim@example.com", Microsoft's fictional Contoso
    if domain in excluded or registered(domain) in REPORTERS:
        return "reference-site"
    return None


# Digests an LLM writes as examples ("a1b2c3d4e5f6…0123456789abcdef…", "aaaa…", "deadbeef…").
_SEQUENCE = re.compile(r"0123456789|123456789a|abcdef0123|a1b2c3d4e5|(.)\1{15}|deadbeef")


def is_placeholder_hash(digest: str) -> bool:
    return bool(_SEQUENCE.search(digest.lower()))


def normalise_hashes(hashes: object) -> tuple[dict[str, str], int]:
    """Standard algorithm names, lower-case hex of the right length; returns (kept, refused)."""
    kept: dict[str, str] = {}
    refused = 0
    if not isinstance(hashes, dict):
        return kept, 1
    for algorithm, digest in hashes.items():
        name = hash_algorithm(algorithm)
        value = str(digest).strip().lower()
        right = name is not None and len(value) == HASH_LENGTHS[name]
        if right and _HEX.fullmatch(value) and not is_placeholder_hash(value):
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
    if stix_type == "email-addr":
        return check_email(value, excluded)
    check = _VALUE_CHECKS.get(stix_type)
    return check(value) if check else None


_VALUE_CHECKS = {"ipv4-addr": check_ipv4, "ipv6-addr": check_ipv6}
# The observable types identified by a ``value`` that the checks above judge.
VALUE_TYPES = frozenset({*_VALUE_CHECKS, "domain-name", "url", "email-addr"})


def canonical_value(stix_type: str, value: str) -> str:
    """One spelling per value, so the same observable gets the same id every day."""
    value = refang(value)
    if stix_type in ("domain-name", "email-addr"):
        return _ESCAPE_RESIDUE.sub("", value.lower().rstrip("."))
    if stix_type == "ipv6-addr":
        try:
            return str(ipaddress.IPv6Address(value))
        except ValueError:
            return value
    if stix_type == "url":
        url = _ESCAPE_RESIDUE.sub("", _URL_DEFECT.split(value, maxsplit=1)[0])
        url = _SECOND_URL.split(url, maxsplit=1)[0]  # "…/captcha/andhttps://other…"
        return _GLUED_WORD.sub(r"\1", url)
    return value
