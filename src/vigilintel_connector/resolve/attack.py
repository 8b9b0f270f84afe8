"""ATT&CK techniques as MITRE names them, from the MISP galaxies ``mitre-attack-pattern`` and
``mitre-ics-techniques`` (ATT&CK for ICS, ``T08xx``, which the digests name for attacks on PLCs).

OpenCTI keys an attack-pattern on its ATT&CK id and lets an import overwrite its name: sending
``T1078`` as a name would rename the platform's "Valid Accounts". Every technique therefore takes
ATT&CK's own name and kill-chain phases; an id the catalog does not know is not sent. An id ATT&CK
revoked (upstream still writes T1086 for PowerShell) stands for the technique that revoked it: the
platform keeps revoked techniques, and a relation to one is a relation nobody looks at.
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
        if not isinstance(mitre_id, str):
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
def _revoked() -> dict[str, str]:
    """Revoked id → the id of the technique that revoked it, chains followed (T1086 →
    T1059.001); the galaxy records each successor as a ``revoked-by`` relation."""
    values = galaxy("mitre-attack-pattern")
    id_of = {v.get("uuid"): (v.get("meta") or {}).get("external_id") for v in values}
    revoked_by: dict[str, str] = {}
    for value in values:
        mitre_id = (value.get("meta") or {}).get("external_id")
        for related in value.get("related") or []:
            successor = id_of.get(related.get("dest-uuid"))
            if related.get("type") == "revoked-by" and isinstance(successor, str):
                revoked_by[str(mitre_id)] = successor
    final: dict[str, str] = {}
    for mitre_id, successor in revoked_by.items():
        seen = {mitre_id}
        while successor in revoked_by and successor not in seen:
            seen.add(successor)
            successor = revoked_by[successor]
        final[mitre_id] = successor
    return final


@lru_cache(maxsize=1)
def _by_name() -> dict[str, Technique]:
    # Enterprise names only: "Denial of Service" alone is not meant as the ICS technique.
    revoked = _revoked()
    return {
        t.name.lower(): t
        for t in _catalog().values()
        if t.kill_chain == "mitre-attack" and t.mitre_id not in revoked
    }


def is_revoked(mitre_id: str) -> bool:
    return mitre_id.upper() in _revoked()


def technique(mitre_id: str) -> Technique | None:
    """The technique an id stands for today: a revoked id gives its successor."""
    mitre_id = mitre_id.upper()
    return _catalog().get(_revoked().get(mitre_id, mitre_id))


def technique_named(name: str) -> Technique | None:
    """A technique written by its name alone ("Valid Accounts")."""
    return _by_name().get(" ".join(name.split()).lower())
