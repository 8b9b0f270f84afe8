"""Upstream's placeholder vocabulary: names an LLM writes when it knows nothing.

Such names would merge, in OpenCTI, every unknown actor of every day into one giant node, so they
are recognised once here and used both to tell a stub from a real report and to drop junk.
"""

from __future__ import annotations

import re
import unicodedata

from confusable_homoglyphs import confusables

from vigilintel_connector.memo import memo

_PLACEHOLDERS = frozenset(
    {
        "",
        "-",
        "?",
        "unknown",
        "unknown actor",
        "unknown threat actor",
        "unknown victim",
        "unknown group",
        "unknow",
        "inconnu",
        "inconnue",
        "acteur inconnu",
        "multiple",
        "multiples",
        "multiple cves",
        "multiple vulnerabilities",
        "multiple actors",
        "multiple threat actors",
        "various",
        "divers",
        "plusieurs",
        "none",
        "null",
        "nil",
        "n/a",
        "na",
        "not specified",
        "not applicable",
        "non spécifié",
        "non specifie",
        "unspecified",
        "undisclosed",
        "unnamed",
        "cve-unknown",
        "cve-xxxx-xxxx",
        "tbd",
        "aucun",
        "aucune",
        "(unknown)",
        "(none)",
        "john doe",
        "jane doe",
    }
)
_PLACEHOLDER_PREFIXES = (
    "n/a ", "n/a(", "unknown ", "unknown(", "inconnu ", "not specified ", "multiple ", "various ",
    "non attribu", "non identifi", "non spécifi", "non specifi", "unattributed", "unidentified",
    "non applicable", "non connu", "non nomm", "non divulgu", "groupe cybercriminel",
    "acteur non", "acteurs non", "groupe non", "aucun ", "aucune ", "none ", "no ",
)  # fmt: skip
# Remarks that make any name a placeholder wherever they stand ("X (non nommé)").
_PLACEHOLDER_PARTS = ("(non nomm", "(unnamed", "(non identifi", "(unidentified")
# "UNCXXXX", "CVE-XXXX-XXXX", a Microsoft bulletin id ("MS13-089").
_PLACEHOLDER_PATTERN = re.compile(r"unc?x{3,}|cve-x+-x+|t?x{4}|ms\d{2}-\d{3}")
_SPACES = re.compile(r"\s+")


def is_placeholder_name(name: object) -> bool:
    """True for names that identify nothing (``Unknown``, ``N/A (…)``, ``CVE-UNKNOWN``…)."""
    return not isinstance(name, str) or _is_placeholder_text(name)


@memo(4096, 256)  # names recur within a day and from day to day
def _is_placeholder_text(name: str) -> bool:
    folded = _SPACES.sub(" ", name).strip().strip("\"'").lower()
    return (
        folded in _PLACEHOLDERS
        or folded.startswith(_PLACEHOLDER_PREFIXES)
        or any(part in folded for part in _PLACEHOLDER_PARTS)
        or bool(_PLACEHOLDER_PATTERN.fullmatch(folded))
    )


# Letters that look alike once case is folded: "VigilIntel" written with an "l" for the "I".
_LOOK_ALIKE = str.maketrans({"l": "i", "1": "i", "|": "i", "0": "o"})


@memo(4096, 256)  # names recur from day to day; the confusables table is slow to read
def skeleton(name: str) -> str:
    """What a name looks like, for comparing names that must not be imitated: compatibility
    forms folded (NFKC), invisible characters (zero-width spaces, joiners, marks) and spaces
    removed, letters of other scripts that look like Latin ones (Unicode's confusables: a
    Cyrillic "i", U+0456) replaced by them, case folded."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name))
    visible = "".join(
        c for c in decomposed if unicodedata.category(c) not in _INVISIBLE and not c.isspace()
    )
    for found in confusables.is_confusable(visible, greedy=True, preferred_aliases=["latin"]) or []:
        homoglyphs = found.get("homoglyphs") or []
        if homoglyphs:
            visible = visible.replace(found["character"], homoglyphs[0]["c"])
    return visible.casefold().translate(_LOOK_ALIKE)


_INVISIBLE = frozenset({"Cf", "Cc", "Mn", "Me", "Zl", "Zp"})
# Upstream misspells itself at times; a look-alike of these is the author too, never a second
# organisation beside it.
_AUTHOR_SKELETONS = frozenset(skeleton(n) for n in ("VigilIntel", "Viglintel"))


def is_upstream_author(name: object) -> bool:
    """The VigilIntel organisation as upstream names it, or as someone imitating it would: the
    author, not intelligence."""
    return isinstance(name, str) and len(name) < 100 and skeleton(name) in _AUTHOR_SKELETONS
