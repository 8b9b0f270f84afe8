"""VigilIntel's daily Markdown report → the day's Markdown part, in upstream's STIX shape.

The Markdown report is the only artefact before 2025-11-14 and the richest one after. Its layout
changed four times (emoji headings; ``Category :`` sections; per-article ``###`` fields with
synthesis tables; summaries with playbooks), so nothing here depends on one layout: an *article*
is a headed section that cites a source and whose sub-headings, if any, are all article fields
(summary, actor, IoCs, TTPs, recommendations, sources…); the day's synthesis tables are read by
their column names. CVE and ATT&CK ids are taken from the whole text, whatever the layout, and a
report in which no article is recognised still yields them, with a warning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from vigilintel_connector.convert import markdown_fields as fields
from vigilintel_connector.convert.builder import Builder
from vigilintel_connector.convert.inline import plain
from vigilintel_connector.convert.markdown_tree import parse
from vigilintel_connector.convert.sections import Section, Table, fold
from vigilintel_connector.convert.shared import (
    exploiter,
    locations,
    mentioned_malware,
    observable_with_indicator,
    sectors,
    techniques,
    the_family,
    uses,
    victim_identity,
    victim_name,
    vulnerability,
)
from vigilintel_connector.normalise.result import Contribution, NoContent
from vigilintel_connector.source.documents import DocumentError, EmptyDocument
from vigilintel_connector.terms import cve_ids

# Section titles that are never articles (folded, matched at the start).
_NOT_ARTICLES = (
    "table des matieres", "table of contents", "synthese", "syntheses", "articles selectionnes",
    "articles non selectionnes", "analyse transversale", "analyse strategique", "category",
    "articles", "section", "resume executif", "executive summary",
)  # fmt: skip
_SUMMARY_TITLES = ("analyse transversale", "analyse strategique", "resume executif")
# Words that make a sub-heading an article field rather than another article.
_FIELD_WORDS = (
    "resume", "groupe", "acteur", "indicateur", "ioc", "tactique", "ttp", "mitre", "analyse",
    "implication", "recommandation", "source", "playbook", "phase", "impact", "detection",
    "vulnerabilit", "contexte", "chronologie", "victime", "cible",
)  # fmt: skip


def markdown_contribution(content: bytes, day: dt.date, path: str) -> Contribution:
    """One Markdown report as the day's Markdown part; ``NoContent`` when it names nothing."""
    if not content.strip():
        raise EmptyDocument(f"{path}: empty file")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise DocumentError(f"{path}: not UTF-8 text") from None
    if "\x00" in text:
        raise DocumentError(f"{path}: binary content, not Markdown")
    root = parse(text, path)
    b = Builder(day, ("fr",))
    warnings: list[str] = []
    articles = [s for s in root.walk() if _is_article(s)]
    for article in articles:
        _article(b, article)
    for section in root.walk():
        for table in section.tables:
            synthesis_table(b, fold(section.title), table)
    if not articles:
        warnings.append(
            f"{path}: Markdown layout not recognised (no article found); only its CVE and "
            "ATT&CK ids, links and code-span IoCs were read"
        )
        b.tally.ignore("markdown-layout")
        _whole_text(b, root)
    # Whatever the layout, every CVE and technique id the report names is in the day's bundle.
    whole = root.text()
    for cve in cve_ids(whole):
        vulnerability(b, cve)
    techniques(b, whole, None)
    objects = list(b.objects.values())
    if not any(o["type"] != "relationship" for o in objects):
        raise NoContent("Markdown report without intelligence")
    summary = _summary(root) or _titles(articles)
    return Contribution("markdown", objects, b.tally, summary, warnings, markdown=content)


def _is_article(section: Section) -> bool:
    title = fold(section.title)
    if section.level == 0 or not title or title.startswith(_NOT_ARTICLES):
        return False
    descendants = list(section.walk())[1:]
    if any(not _is_field(fold(d.title)) for d in descendants):
        return False
    # An article cites where it comes from, if only as a defanged "hxxps[:]//…".
    text = section.text().lower()
    return "http" in text or "hxxp" in text or bool(descendants)


def _is_field(title: str) -> bool:
    return any(word in title for word in _FIELD_WORDS)


def _summary(root: Section) -> str:
    for section in root.walk():
        if fold(section.title).startswith(_SUMMARY_TITLES):
            return "\n\n".join(plain(p) for p in section.paragraphs)
    return ""


def _titles(articles: list[Section]) -> str:
    """Layouts without a summary: the day told by its articles' titles."""
    titles = [plain(a.title) for a in articles]
    return "Articles du jour :\n" + "\n".join(f"- {t}" for t in titles) if titles else ""


def _article(b: Builder, article: Section) -> None:
    """One article: a note with its summary and recommendations, linked to what it names."""
    parts = fields.ArticleParts()
    for section in article.walk():
        title = fold(section.title) if section is not article else ""
        fields.read_section(title, section, parts)
    refs: list[str] = []
    actors = [_actor(b, name, aliases) for name, aliases in parts.actors]
    refs.extend(actors)
    only_actor = actors[0] if len(actors) == 1 else None
    for name in parts.tools:
        tool = b.add("tool", name, name=name)
        b.relate(only_actor, "uses", tool)
        refs.append(tool)
    text = article.text()
    named = mentioned_malware(b, f"{article.title}\n{text}")
    for one in named:
        uses(b, only_actor, one)  # the article's one actor and the families it describes
    refs.extend(named)
    # Its IoCs indicate the article's one family, else its one actor.
    indicated = the_family(named) or only_actor
    for kind, value in parts.iocs:
        benign = value in parts.benign
        refs.extend(observable_with_indicator(b, kind, value, indicated, benign))
    attacker = exploiter(text, only_actor, the_family(named))
    for cve in cve_ids(text):
        refs.append(vulnerability(b, cve))
        b.relate(attacker, "targets", refs[-1])
    refs.extend(locations(b, f"{article.title}\n{text}"))
    targeted = "\n".join(parts.targets)
    for target in sectors(b, targeted) + locations(b, targeted):
        b.relate(only_actor, "targets", target)  # the article's one actor and its target field
        refs.append(target)
    refs.extend(techniques(b, text, only_actor))
    body = "\n\n".join(
        f"## {heading}\n{content}" if heading else content
        for heading, content in (
            ("", "\n\n".join(parts.summary)),
            ("Recommandations", "\n".join(f"- {r}" for r in parts.recommendations)),
        )
        if content
    )
    sources = [{"source_name": "VigilIntel source", "url": url} for url in parts.sources]
    b.add(
        "note", f"{article.title}/{body[:200]}", abstract=article.title,
        content=body or article.title, object_refs=list(dict.fromkeys(refs)),
        external_references=sources,
    )  # fmt: skip


def _actor(b: Builder, name: str, aliases: Iterable[str]) -> str:
    return b.add("threat-actor", name, name=name, aliases=list(aliases) or None)


# Synthesis tables whose rows are about places: geopolitics and regulation.
_PLACE_TABLES = (
    "synthese de l'actualite geopolitique", "synthese geopolitique", "synthese reglementaire",
)  # fmt: skip


def synthesis_table(b: Builder, title: str, table: Table) -> None:
    """The day's synthesis tables: vulnerabilities with their scores, actors, breaches."""
    for record in table.records():
        cve_cell = fields.cell(record, "cve")
        if cve_cell is not None:
            _vulnerability_row(b, cve_cell, record)
            continue
        actor_cell = fields.cell(record, "nom de l'acteur", "acteur", "actor")
        if actor_cell is not None and ("acteur" in title or "actor" in title):
            sector_cell = plain(fields.cell(record, "secteur", "sector") or "")
            targets = sectors(b, sector_cell) + locations(b, sector_cell)
            for name, aliases in fields.actor_names(actor_cell, strict=False):
                actor = _actor(b, name, aliases)
                techniques(b, fields.cell(record, "ttp") or "", actor)
                for target in targets:  # the row pairs the actor with what it targets
                    b.relate(actor, "targets", target)
            row_actors = [_actor(b, n, a) for n, a in fields.actor_names(actor_cell, strict=False)]
            modus = plain(fields.cell(record, "mode operatoire", "modus") or "")
            for named in mentioned_malware(b, modus):
                for actor in row_actors:  # the row pairs its actor with its mode of operation
                    uses(b, actor, named)
            continue
        if title.startswith(_PLACE_TABLES):  # where the news happened, where a law applies
            locations(b, " ".join(plain(value) for value in record.values()))
            continue
        victim = fields.cell(record, "victime", "victim")
        if victim is not None and ("violation" in title or "breach" in title):
            _victim_row(b, victim, record)


def _vulnerability_row(b: Builder, cve_cell: str, record: dict[str, str]) -> None:
    product = plain(fields.cell(record, "produit", "product") or "")
    for cve in cve_ids(cve_cell):
        vulnerability(
            b, cve,
            description=f"Affected: {product}" if product else None,
            x_opencti_cvss_base_score=fields.number(fields.cell(record, "cvss"), 0, 10),
            x_opencti_epss_score=fields.percentage(fields.cell(record, "epss")),
            x_opencti_cisa_kev=fields.boolean(fields.cell(record, "kev")),
        )  # fmt: skip


def _victim_row(b: Builder, victim: str, record: dict[str, str]) -> None:
    name, remark = victim_name(plain(victim))
    if not fields.is_name(name):
        return
    identity = victim_identity(b, name, remark)
    sector = plain(fields.cell(record, "secteur", "sector") or "")
    data = plain(fields.cell(record, "donnees", "data") or "")
    description = "\n\n".join(p for p in (data, sector and f"Sector: {sector}") if p)
    incident = b.add(
        "incident", f"breach/{name}", name=f"Data breach: {name}",
        description=description or None, incident_type="data-breach",
    )  # fmt: skip
    b.relate(incident, "targets", identity)
    # "ANTS (Agence Française)": the victim's own nationality is where; the description's
    # ("un groupe pro-russe") is who, so only its country names count.
    found = locations(b, f"{name}\n{remark}\n{sector}")
    found += locations(b, " ".join(record.values()), nationalities=False)
    for target in dict.fromkeys(found + sectors(b, sector)):
        b.relate(incident, "targets", target)


def _whole_text(b: Builder, root: Section) -> None:
    """An unknown layout: the links as one note's references, code-span IoCs as indicators."""
    parts = fields.ArticleParts()
    for section in root.walk():
        for line in [*section.paragraphs, *section.items]:
            parts.iocs.extend(fields.code_span_iocs(line))
    for kind, value in dict.fromkeys(parts.iocs):
        observable_with_indicator(b, kind, value, None)
    urls = fields.urls(root.text())
    if urls:
        b.add(
            "note", "links", abstract="Sources", content="\n".join(f"- {u}" for u in urls),
            external_references=[{"source_name": "VigilIntel source", "url": u} for u in urls],
        )  # fmt: skip
