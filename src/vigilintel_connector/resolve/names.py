"""What the words of an upstream name, and the words around it, say about what it names.

Upstream writes "Clop ransomware gang", "Groupe APT Iranien", "StealC operators" or "Acteurs
utilisant Atomic Stealer" in the same actor field. A name is read here once: its type words and
roles come off ("Clop", with the evidence *malware* and *group*), a name left with nothing but
roles, nationalities, qualifiers or countries is generic, and a description ("Acteurs
utilisant …") is generic too. Unknown names are then typed by the words upstream writes next to
them in the article ("le botnet RondoDox").
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from vigilintel_connector.resolve.places import countries_in, spelling_words

# Evidence words, folded (no accents, lower case), French and English.
MALWARE_WORDS = frozenset(
    {
        "ransomware", "ransomwares", "rancongiciel", "rancongiciels", "stealer", "stealers",
        "infostealer", "infostealers", "rat", "rats", "trojan", "trojans", "troyen", "cheval",
        "loader", "loaders", "chargeur", "botnet", "botnets", "backdoor", "backdoors", "wiper",
        "wipers", "malware", "malwares", "maliciel", "spyware", "logiciel", "worm", "ver",
        "kit", "phishkit", "dropper", "downloader", "implant", "rootkit", "bootkit",
        "keylogger", "cryptominer", "miner", "raas", "maas", "phaas", "webshell", "bot", "variant",
        "beacon", "beacons", "downloaders", "droppers", "implants", "keyloggers", "rootkits",
        "spywares", "variants", "variantes", "familles", "families", "souches",
        "variante", "famille", "family", "souche", "strain", "payload", "charge",
    }
)  # fmt: skip
CAMPAIGN_WORDS = frozenset(
    {"operation", "operations", "campagne", "campaign", "campagnes", "campaigns"}
)
GROUP_WORDS = frozenset(
    {"apt", "group", "groupe", "gang", "crew", "collectif", "collective", "cartel", "syndicate"}
)
# Roles: they come off a name ("StealC operators" → StealC) without saying what it is.
ROLE_WORDS = frozenset(
    {
        "operator", "operators", "operateur", "operateurs", "affiliate", "affiliates", "affilie",
        "affilies", "actor", "actors", "acteur", "acteurs", "threat", "menace", "members",
        "membres", "developers", "developpeurs", "admins", "administrators", "cmdlet",
        "cmdlets", "script", "scripts", "commands", "commandes",
    }
)  # fmt: skip
# Nouns that, leading a name, make it a description of someone ("Acteurs utilisant X").
_LEADING_ROLES = frozenset(
    {
        "acteur", "acteurs", "actor", "actors", "threat", "attaquant", "attaquants", "attacker",
        "attackers", "hacker", "hackers", "pirate", "pirates", "cybercriminel", "cybercriminels",
        "cybercriminal", "cybercriminals", "criminel", "criminels", "criminals", "operateur",
        "operateurs", "operator", "operators", "groupes", "groups", "gangs", "individu",
        "individus", "individual", "individuals", "escrocs", "scammers", "fraudeurs",
        "fraudsters", "utilisateurs", "users", "analystes", "analysts", "chercheurs",
        "researchers", "membres", "members", "affilies", "affiliates", "etats", "states",
        "state", "etat", "reseau", "reseaux", "network", "networks", "auteurs", "authors",
        "suspects", "suspect", "personnes", "people", "employes", "employees", "insiders",
        "initie", "inities", "etudiants", "students", "adolescents", "teenagers", "jeunes",
        "employe", "employee", "employee(s)",
    }
)  # fmt: skip
# Last words that make a name a description of people ("DIG AI users", "phishing groups").
_PEOPLE = frozenset(
    {
        "users", "utilisateurs", "attackers", "attaquants", "researcher", "researchers",
        "chercheur", "chercheurs", "analysts", "analystes", "groups", "groupes", "actors",
        "acteurs", "vendors", "clients", "workers", "developers", "developpeurs",
        "teams", "customers", "victims", "victimes", "hacker",
        "cybercriminal", "cybercriminals", "cybercriminels", "criminals", "gangs",
    }
)  # fmt: skip
_QUALIFIERS = frozenset(
    {
        "korean", "coreen", "coreens", "security", "ans", "years", "old", "malicious",
        "malveillant", "malveillants", "malveillante", "malveillantes", "application",
        "applications", "app", "apps", "unauthorized", "autorise", "autorises", "individual(s)",
        "models", "modeles", "model", "automated", "attack", "attaque", "attaques", "cluster",
        "nation-state", "nation", "espion", "espions", "logiciels", "llc", "ltd", "inc",
        "asie", "asia", "europe", "afrique", "africa", "amerique", "america", "moyen-orient",
        "middle", "east", "west", "ouest", "est", "nord", "sud", "north", "south", "latine",
        "latin", "pacifique", "pacific", "balkans", "golfe", "gulf", "centrale", "central",
        "orient", "occidentale", "orientale", "western", "eastern", "southeast", "sud-est",
        "data", "breach", "breaches", "violation", "custom", "personnalise", "c2",
        "targeting", "ciblage", "exploitation", "extortion", "extorsion", "infrastructure",
        "adoption", "surge", "hoax", "zero-day", "intrusion", "intrusions", "espionage",
        "espionnage", "destructive", "monitoring", "evolution", "enterprise", "healthcare",
        "industrial", "global", "widespread", "mondiale", "massive", "wave", "vague",
        "european", "europeen", "europeens", "europeenne", "europeennes", "wireless", "pos",
        "char", "publication", "pilote", "driver", "exploit", "exploits", "banking", "bancaire",
        "inconnu", "inconnus", "unknown", "non", "communique", "specifie", "specifies",
        "identifie", "identifies", "attribue", "attribues", "divulgue", "nomme", "nommes",
        "multiple", "multiples", "plusieurs", "divers", "diverses", "various", "several",
        "many", "autres", "other", "others", "presume", "presumes", "presumee", "presumees",
        "suspected", "possible", "possibles", "probable", "probables", "likely", "potentiel",
        "potentiels", "potential", "lie", "lies", "liee", "liees", "linked", "related",
        "affiliated", "associated", "associes", "soutenu", "soutenus", "sponsored",
        "state-sponsored", "parraine", "parraines", "backed", "aligne", "alignes", "aligned",
        "nexus", "pro", "utilisant", "using", "based", "base", "bases", "origine", "origin",
        "expression", "speaking", "russophone", "russophones", "francophone", "sinophone",
        "hacktivist", "hacktivists", "hacktiviste", "hacktivistes", "hacktivisme", "activists",
        "opportunistes", "opportunistic", "financially", "motivated", "sophisticated",
        "advanced", "persistent", "new", "nouveau", "nouveaux", "nouvelle", "emerging",
        "etatique", "etatiques", "gouvernemental", "gouvernementaux", "national",
        "nationaux", "cyber", "cybercrime", "cybercriminalite", "criminal", "criminelle",
        "criminelles", "ai", "ia", "agent", "agents", "articles", "article", "pedagogiques",
        "pedagogique", "educational", "rapport", "report", "sources", "analyse", "analysis",
        "chinese-speaking", "soc", "derriere", "behind", "exploitant", "exploiting", "ciblant",
        "impliques", "involved", "inculpes", "indicted", "charged", "arretes",
        "arrested", "individus", "rings", "ring", "team", "teams", "equipe", "equipes",
    }
)  # fmt: skip
_STOPWORDS = frozenset(
    {
        "le", "la", "les", "l", "un", "une", "des", "de", "du", "d", "et", "en", "avec", "pour",
        "par", "dans", "sur", "au", "aux", "the", "a", "an", "of", "for", "with", "by", "via",
        "from", "and", "or", "in", "on", "to", "as", "its", "their", "ses", "son", "sa", "leur",
        "leurs", "ce", "cette", "ces", "etc", "nouvel",
    }
)  # fmt: skip
# Security vendors, research teams and authorities: the ones who report, not the threat.
_REPORTERS = frozenset(
    {
        "research", "labs", "lab", "intelligence", "cert", "csirt", "cisa", "fbi", "anssi",
        "europol", "interpol", "police", "gendarmerie", "ministere", "ministry", "university",
        "universite", "mandiant", "crowdstrike", "kaspersky", "eset", "sophos", "proofpoint",
        "microsoft", "google", "checkpoint", "sentinelone", "unit42", "talos", "recorded",
        "justice", "doj", "tribunal", "court", "security", "securite",
    }
)  # fmt: skip
_PERSON_WORDS = frozenset(
    {
        "arrete", "arretes", "arretee", "inculpe", "inculpes", "inculpee", "condamne",
        "condamnee", "extrade", "extradee", "ressortissant", "ressortissante", "citoyen",
        "citoyenne", "accuse", "accusee", "plaide", "age", "agee", "ans", "interpelle",
        "charged", "arrested", "sentenced", "extradited", "pleaded", "citizen", "national",
        "aged", "year-old", "indicted", "convicted", "m.", "mr", "mme", "homme", "man",
        "woman", "femme", "suspect", "individu", "developer", "developpeur", "administrateur",
        "administrator", "operateur",
    }
)  # fmt: skip
# Names vendors give groups: Storm-1175, UNC6040, TA2723, UAT-8616, CL-STA-1015, Earth Lamia,
# Opal Sleet, Scarlet Goldfinch, Paper Werewolf, Void Manticore, Gold Encounter, Squeamish Libra.
_GROUP_SCHEME = re.compile(
    r"^(?:APT\s?-?\d+|UNC\d+|TA\d{3,}|FIN\d+|TEMP\.\w+|Storm-\d+|DEV-\d+|UAT-?\d+|TAG-\d+|"
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
    r"[a-z0-9](?:RAT|Rat|[Ww]orm|[Ss]tealer|[Ll]ocker|[Ll]oader|[Ww]iper|Bot|C2|[Ss]py)$"
)
_AV_VERDICT = re.compile(
    r"^(?:\w+[:/])?\w+\.(?:\w+\.)*(?:gen|Gen|GEN|[A-Z]{1,3})!?\w*$|"
    r"^(?i:HEUR|Trojan|Backdoor|Worm|Ransom|Exploit|HackTool|Riskware|Win32|Win64|MSIL|OSX)"
    r"(?:-\w+)?[.:/]\w|"
    r"^[A-Z]\w+\.[a-z]$"  # a family's variant: "Coper.c"
)
_PERSON = re.compile(r"^[A-Z][a-zà-ÿ'\u2019-]+(?:\s(?:[A-Z][a-zà-ÿ'\u2019-]+|[A-Z]\.)){1,3}$")
_VERSION = re.compile(r"^v?\d+(?:\.\d+)*$", re.IGNORECASE)
_TOKEN = re.compile(r"[^\W_][\w$.'\u2019&-]*", re.UNICODE)


_ELISION = re.compile(r"^[ld]['\u2019]")
# Last words of a group's own name ("Payroll Pirates", "Icarus Hackers", "Rublevka Team").
_NAMED_GROUP_ENDS = frozenset(
    {"hackers", "pirates", "team", "crew", "squad", "army", "hunters", "brigade", "kittens"}
)
_GROUP_SUFFIX = re.compile(r"\w[-_](?:team|group|gang|crew)$", re.IGNORECASE)  # "ELPACO-team"
# Type words that, written this way after a name, are part of it ("Amnesia RAT", "Atomic Stealer").
_NAMED_TYPES = frozenset({"RAT", "Stealer", "Loader", "Backdoor", "Bot", "Botnet", "Wiper"})
_COMPANY = frozenset({"llc", "ltd", "inc", "gmbh", "corp", "corporation", "limited", "sarl", "co"})


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@lru_cache(maxsize=1)
def demonyms() -> dict[str, str]:
    """Folded nationality word ("iraniennes", "north korean") → ISO alpha-2 code."""
    data = json.loads(files(__package__).joinpath("data/demonyms.json").read_text("utf-8"))
    found: dict[str, str] = {}
    for iso, forms in data.items():
        if iso.startswith("_"):
            continue
        for word in forms.get("en", []):
            found[fold(word)] = iso
        for word in forms.get("fr", []):
            base = fold(word)
            variants = {base, base + "s"}
            if base.endswith("en"):
                variants |= {base + "ne", base + "nes"}
            elif not base.endswith("e"):
                variants |= {base + "e", base + "es"}
            for variant in variants:
                found[variant] = iso
    return found


@dataclass(frozen=True, slots=True)
class Reading:
    """One name as read: what is left once roles and type words are off, and what they said."""

    name: str  # what is looked up in the catalogs
    shown: str  # the name an unknown entity keeps ("Silent Ransom Group" keeps its "Group")
    evidence: frozenset[str]  # of "malware", "campaign", "group"
    generic: bool
    countries: tuple[str, ...]  # ISO codes of the nationalities or countries it named


def read_name(raw: str) -> Reading:
    words = raw.split()
    folded = [_ELISION.sub("", fold(w)).strip(".,;:()\"'") for w in words]
    evidence: set[str] = set()
    if len(words) > 1 and words[0][:1].islower() and not words[0][1:2].isupper():
        # "mais les techniques…", "petits groupes": a sentence, not a name
        return Reading("", "", frozenset(), True, _countries(raw))
    words, folded = _without_description(words, folded, evidence)
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
    generic = (
        not name
        or "people" in evidence
        or (bool(folded) and folded[-1] in _PEOPLE)
        or (bool(folded) and folded[0] in _LEADING_ROLES and len(words) > 1)
        or _only_generic_words(name, bool(countries))
        or any(fold(w) in _REPORTERS for w in _TOKEN.findall(raw))
    )
    return Reading(name, shown, frozenset(evidence - {"people"}), generic, countries)


def _only_generic_words(text: str, names_a_country: bool) -> bool:
    """Nothing but roles, qualifiers, nationalities and (words of) countries."""
    extra = _country_words() if names_a_country else frozenset()
    return all(
        _is_generic_word(whole)
        or whole in extra
        or all(_is_generic_word(p) or p in extra for p in whole.split("-"))
        for whole in map(fold, _TOKEN.findall(text))
    )


@lru_cache(maxsize=1)
def _country_words() -> frozenset[str]:
    return frozenset(part for word in spelling_words() for part in fold(word).split("-"))


def _without_description(
    words: list[str], folded: list[str], evidence: set[str]
) -> tuple[list[str], list[str]]:
    """ "ShinyHunters groupe d'extorsion notoire" → ShinyHunters: a group or role word that a
    lower-case word follows (or that is itself in lower case) starts a description."""
    words = [w for w in words if any(c.isalnum() for c in w)]  # "-", "🎭"
    folded = [_ELISION.sub("", fold(w)).strip(".,;:()\"'") for w in words]
    for i in range(1, len(words)):
        marker = folded[i] in GROUP_WORDS or folded[i] in _LEADING_ROLES
        marker = marker or folded[i] in MALWARE_WORDS or folded[i] in CAMPAIGN_WORDS
        described = words[i][:1].islower() or any(w[:1].islower() for w in words[i + 1 :])
        if marker and described:
            for word in folded[i:]:
                _is_strippable(word, evidence)
            if folded[-1] in _PEOPLE:
                evidence.add("people")
            return words[:i], folded[:i]
    return words, folded


def _is_strippable(word: str, evidence: set[str]) -> bool:
    if word in MALWARE_WORDS:
        evidence.add("malware")
    elif word in GROUP_WORDS:
        evidence.add("group")
    elif word in CAMPAIGN_WORDS:
        evidence.add("campaign")
    elif (
        word not in ROLE_WORDS
        and word not in _STOPWORDS
        and word not in _QUALIFIERS
        and not all(
            part in demonyms() or part in _QUALIFIERS or part in _country_words()
            for part in word.split("-")
        )
    ):
        return False
    return True


def _is_version(words: list[str], end: int) -> bool:
    return end > 1 and bool(_VERSION.match(words[end - 1]))


def _is_generic_word(word: str) -> bool:
    word = word.strip(".'\u2019")
    return (
        not word
        or word in _STOPWORDS
        or word in _QUALIFIERS
        or word in _LEADING_ROLES
        or word in ROLE_WORDS
        or word in MALWARE_WORDS
        or word in GROUP_WORDS
        or word in CAMPAIGN_WORDS
        or word in demonyms()
        or word.isdigit()
        or word.startswith("cve-")
        or word.endswith(_ADJECTIVE_ENDINGS)
    )


# "Rust-based", "AI-enabled", "China-linked": adjectives, whatever they are made of.
_ADJECTIVE_ENDINGS = ("-based", "-enabled", "-powered", "-driven", "-linked", "-nexus", "-aligned")


def _countries(text: str) -> tuple[str, ...]:
    """The countries a text names, by name or by nationality ("nord-coréens", "North Korean")."""
    found = [c.iso for c in countries_in(text)]
    folded = " ".join(fold(w).strip(".'\u2019") for w in _TOKEN.findall(text))
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


def group_scheme(name: str) -> bool:
    return bool(_GROUP_SCHEME.match(name))


def adjacent_evidence(name: str, text: str, limit: int = 20) -> frozenset[str]:
    """The kinds the words right next to ``name`` in ``text`` give it ("le botnet X",
    "X, un infostealer", "l'opération X"): two words each side, stopwords skipped."""
    if not text or len(name) < 3:
        return frozenset()
    found: set[str] = set()
    pattern = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])", re.IGNORECASE)
    for count, match in enumerate(pattern.finditer(text)):
        if count >= limit:
            break
        before = _content_words(text[max(0, match.start() - 80) : match.start()])[-2:]
        after = _content_words(text[match.end() : match.end() + 80])[:2]
        for word in (*before, *after):
            if word in MALWARE_WORDS:
                found.add("malware")
            elif word in CAMPAIGN_WORDS:
                found.add("campaign")
            elif word in GROUP_WORDS:
                found.add("group")
    return frozenset(found)


def _content_words(text: str) -> list[str]:
    return [w for w in (fold(t) for t in _TOKEN.findall(text)) if w not in _STOPWORDS]


def is_person(name: str, context: str, limit: int = 20) -> bool:
    """A person's name ("Maksim Yakubets"), told by the words upstream writes right around it
    ("… a été inculpé", "Russian national …")."""
    if not _PERSON.match(name) or _GROUP_SCHEME.match(name) or not context:
        return False
    pattern = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")
    for count, match in enumerate(pattern.finditer(context)):
        if count >= limit:
            break
        around = context[max(0, match.start() - 60) : match.end() + 60]
        if {fold(w) for w in _TOKEN.findall(around)} & _PERSON_WORDS:
            return True
    return False
