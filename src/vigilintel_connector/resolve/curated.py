"""The connector's own hand-kept lists of names (``data/names.json``, one reason per entry):
products and common words the catalogs mistake for threats, dual-use software, and names the
catalogs rename wrongly. Data, not code, so that a reviewer reads each decision and its reason."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from vigilintel_connector.resolve.index import key


@dataclass(frozen=True, slots=True)
class Curated:
    products: frozenset[str]
    common_words: frozenset[str]
    dual_use: dict[str, str]  # key → the name as the vendor writes it
    fixed: dict[str, tuple[str, str]]  # key → (kind, name)


@lru_cache(maxsize=1)
def curated() -> Curated:
    data = json.loads(files(__package__).joinpath("data/names.json").read_text("utf-8"))
    return Curated(
        products=frozenset(key(n) for n in data["products"]),
        common_words=frozenset(key(n) for n in data["common_words"]),
        dual_use={key(n): n for n in data["dual_use"]},
        fixed={key(n): (e["kind"], e.get("name", n)) for n, e in data["fixed"].items()},
    )
