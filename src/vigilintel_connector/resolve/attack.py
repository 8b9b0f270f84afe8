"""ATT&CK techniques as MITRE names them, from the MISP galaxies ``mitre-attack-pattern`` and
``mitre-ics-techniques`` (ATT&CK for ICS, ``T08xx``, which the digests name for attacks on PLCs).

OpenCTI keys an attack-pattern on its ATT&CK id and lets an import overwrite its name: sending
``T1078`` as a name would rename the platform's "Valid Accounts". Every technique therefore takes
ATT&CK's own name and kill-chain phases; an id the catalog does not know is not sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from vigilintel_connector.resolve.catalogs import galaxy


@dataclass(frozen=True, slots=True)
class Technique:
    mitre_id: str
    name: str
    phases: tuple[str, ...]
    kill_chain: str = "mitre-attack"

    @property
    def parent(self) -> str | None:
        return self.mitre_id.split(".")[0] if "." in self.mitre_id else None

    @property
    def url(self) -> str:
        return f"https://attack.mitre.org/techniques/{self.mitre_id.replace('.', '/')}/"


@lru_cache(maxsize=1)
def _catalog() -> dict[str, Technique]:
    """Built once per process (~1,200 techniques, a few milliseconds)."""
    found: dict[str, Technique] = {}
    for value in galaxy("mitre-attack-pattern"):
        meta = value.get("meta") or {}
        mitre_id = meta.get("external_id")
        if not isinstance(mitre_id, str) or "revoked" in str(meta.get("status", "")):
            continue
        name = str(value["value"]).rsplit(" - ", 1)[0].strip()
        # "attack-Windows:defense-evasion" → "defense-evasion"; the retired PRE-ATT&CK is left out.
        phases = [
            chain.split(":", 1)[1]
            for chain in meta.get("kill_chain") or []
            if isinstance(chain, str) and ":" in chain and not chain.startswith("pre-attack")
        ]
        found[mitre_id] = Technique(mitre_id, name, tuple(dict.fromkeys(phases)))
    for mitre_id, technique in _ics().items():
        found.setdefault(mitre_id, technique)
    return found


def _ics() -> dict[str, Technique]:
    """ATT&CK for ICS: the galaxy writes ``T0800`` as ``['T800']`` and its tactics as one
    string (``['Impair Process Control, Inhibit Response Function']``)."""
    found: dict[str, Technique] = {}
    for value in galaxy("mitre-ics-techniques"):
        meta = value.get("meta") or {}
        tactics = re.findall(r"[A-Za-z][A-Za-z ]+[A-Za-z]", str(meta.get("Tactic", "")))
        phases = tuple(dict.fromkeys(t.strip().lower().replace(" ", "-") for t in tactics))
        for digits in re.findall(r"T(\d{3,4})\b", str(meta.get("Technique ID", ""))):
            mitre_id = f"T{int(digits):04d}"
            found[mitre_id] = Technique(
                mitre_id, str(value["value"]).strip(), phases, "mitre-ics-attack"
            )
    return found


@lru_cache(maxsize=1)
def _by_name() -> dict[str, Technique]:
    # Enterprise names only: "Denial of Service" alone is not meant as the ICS technique.
    return {t.name.lower(): t for t in _catalog().values() if t.kill_chain == "mitre-attack"}


def technique(mitre_id: str) -> Technique | None:
    return _catalog().get(mitre_id.upper())


def technique_named(name: str) -> Technique | None:
    """A technique written by its name alone ("Valid Accounts")."""
    return _by_name().get(" ".join(name.split()).lower())
