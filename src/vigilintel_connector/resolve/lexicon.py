"""The words upstream writes around names, in French and English, folded (no accents, lower
case): what says a name is a malware, a campaign or a group, which words are roles, qualifiers
or stopwords, and how a text is cut into words. One home for the vocabulary that ``names`` and
``nearby`` read."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

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
        "spywares", "variants", "variantes", "familles", "families", "souches", "kits",
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
        "cmdlets", "script", "scripts", "commands", "commandes", "tools", "outils", "tool",
        "outil",
    }
)  # fmt: skip
# Nouns that, leading a name, make it a description of someone ("Acteurs utilisant X").
LEADING_ROLES = frozenset(
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
        "employe", "employee", "employee(s)", "travailleurs", "workers",
    }
)  # fmt: skip
# Last words that make a name a description of people ("DIG AI users", "phishing groups").
PEOPLE = frozenset(
    {
        "users", "utilisateurs", "attackers", "attaquants", "researcher", "researchers",
        "chercheur", "chercheurs", "analysts", "analystes", "groups", "groupes", "actors",
        "acteurs", "vendors", "clients", "workers", "developers", "developpeurs",
        "teams", "customers", "victims", "victimes", "hacker",
        "cybercriminal", "cybercriminals", "cybercriminels", "criminals", "gangs",
    }
)  # fmt: skip
QUALIFIERS = frozenset(
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
        "phishing", "hameconnage", "rmm", "malvertising", "smishing", "vishing",
        "checkout", "rançon", "rancon", "ancien", "ancienne", "anciens", "former", "unique",
        "partages", "partagee", "partagees", "shared", "fraude", "fraud", "surveillance",
        "vendeur", "vendeurs", "seller", "sellers", "reseller", "revendeurs", "tls", "ssl",
        "forum", "forums", "travailleurs", "travailleur", "marketplace", "marche", "marches",
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
STOPWORDS = frozenset(
    {
        "le", "la", "les", "l", "un", "une", "des", "de", "du", "d", "et", "en", "avec", "pour",
        "par", "dans", "sur", "au", "aux", "the", "a", "an", "of", "for", "with", "by", "via",
        "from", "and", "or", "in", "on", "to", "as", "its", "their", "ses", "son", "sa", "leur",
        "leurs", "ce", "cette", "ces", "etc", "nouvel", "selon", "according", "apres",
    }
)  # fmt: skip
# Security vendors, research teams and authorities: the ones who report, not the threat.
REPORTERS = frozenset(
    {
        "research", "labs", "lab", "intelligence", "cert", "csirt", "cisa", "fbi", "anssi",
        "europol", "interpol", "police", "gendarmerie", "ministere", "ministry", "university",
        "universite", "mandiant", "crowdstrike", "kaspersky", "eset", "sophos", "proofpoint",
        "microsoft", "google", "checkpoint", "sentinelone", "unit42", "talos", "recorded",
        "justice", "doj", "tribunal", "court", "security", "securite", "chercheur", "chercheuse",
        "chercheuses", "researcher",
    }
)  # fmt: skip
PERSON_WORDS = frozenset(
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

TOKEN = re.compile(r"[^\W_][\w$.'\u2019&-]*", re.UNICODE)
ELISION = re.compile(r"^[ld]['\u2019]")
_APOSTROPHES = ("'", "\u2019")


def fold(text: str) -> str:
    if text.isascii():  # nothing to decompose: most words, and the hot path of every lookup
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def word_of(token: str) -> str:
    """A ``TOKEN`` as the words around names are compared: folded, without an elided article
    ("l'", "d'": what ``ELISION`` removes, tested without the regex engine) nor final dots."""
    word = fold(token)
    if word[1:2] in _APOSTROPHES and word[:1] in ("l", "d"):
        word = word[2:]
    return word.rstrip(".")


def evidence_of(word: str) -> str | None:
    """What a folded word says a name next to it is: "malware", "group" or "campaign"."""
    if word in MALWARE_WORDS:
        return "malware"
    if word in GROUP_WORDS:
        return "group"
    if word in CAMPAIGN_WORDS:
        return "campaign"
    return None


def phrases_in(words: Sequence[str], table: dict[str, list[tuple[tuple[str, ...], T]]]) -> list[T]:
    """What the phrases of ``table`` (first word → (words, value), longest first) found in
    ``words`` stand for, each once, in order; a phrase's words are not read again."""
    found: dict[T, None] = {}
    covered = 0  # where the last phrase found ends
    for start in [i for i, word in enumerate(words) if word in table]:  # few words start one
        if start < covered:
            continue
        for phrase, value in table[words[start]]:
            if tuple(words[start : start + len(phrase)]) == phrase:
                found[value] = None
                covered = start + len(phrase)
                break
    return list(found)
