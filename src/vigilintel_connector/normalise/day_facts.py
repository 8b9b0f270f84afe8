"""What a day's upstream objects say before they are cleaned: the sites its articles were read
on, its victims, its URLs and its articles' texts. The cleaning of each object reads these."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from vigilintel_connector.limits import DAY_TEXT_CHARS
from vigilintel_connector.resolve import index
from vigilintel_connector.vocabulary import is_upstream_author


def beyond_scheme(url: dict[str, Any]) -> str:
    return str(url.get("value", "")).partition("://")[2]


def victims(objects: list[dict[str, Any]]) -> frozenset[str]:
    """The day's victim organisations, as the letters of their names ("Nike" → nike), and the
    sites their contact information names ("cariere.gov.md")."""
    victims = [
        o for o in objects
        if o.get("type") == "identity" and o.get("identity_class", "organization") == "organization"
        and isinstance(o.get("name"), str) and not is_upstream_author(o["name"])
    ]  # fmt: skip
    names = {k for o in victims if len(k := index.key(o["name"])) >= 4}
    sites = {
        site.strip().lower()
        for o in victims
        if isinstance(o.get("contact_information"), str)
        for site in o["contact_information"].split(",")
    }
    return frozenset(names | sites)


def day_texts(articles: dict[str, list[str]]) -> list[str]:
    """Every article of the day once, within a bound: where an unknown name's type is looked
    for when its own articles say nothing ("La campagne PhantomRaven…" in another one)."""
    kept, size = [], 0
    for text in dict.fromkeys(t for group in articles.values() for t in group):
        size += len(text)
        if size > DAY_TEXT_CHARS:
            break
        kept.append(text)
    return kept


def source_urls(objects: list[dict[str, Any]]) -> Iterable[str]:
    for obj in objects:
        for ref in obj.get("external_references") or []:
            if isinstance(ref, dict) and isinstance(ref.get("url"), str):
                yield ref["url"].rstrip("/")


def hosts(urls: Iterable[str]) -> frozenset[str]:
    hosts = set()
    for url in urls:
        try:
            host = (urlsplit(url).hostname or "").lower()
        except ValueError:
            continue
        if host:
            hosts.add(host.removeprefix("www."))
    return frozenset(hosts)


def domains(objects: list[dict[str, Any]]) -> frozenset[str]:
    """The day's domain names as upstream wrote them, lower-cased."""
    return frozenset(
        str(o["value"]).lower() for o in objects if o.get("type") == "domain-name" and "value" in o
    )
