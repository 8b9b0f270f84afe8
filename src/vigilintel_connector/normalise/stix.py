"""Upstream STIX bundle(s) of one day → one clean bundle OpenCTI can ingest as is.

Works on plain dicts (``stix2.parse`` rejects most upstream files). Every upstream object meets
exactly one fate: emitted (possibly rewritten), merged into another, or removed for a counted
reason; rewrites are counted apart. The day gets exactly one report, built from the file's date,
that references everything else.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from vigilintel_connector.limits import ARTICLE_CHARS, ARTICLES_PER_NAME
from vigilintel_connector.normalise import day_facts, ids
from vigilintel_connector.normalise.aliases import separate_names
from vigilintel_connector.normalise.content import attachment, markdown_to_html
from vigilintel_connector.normalise.context import DEFAULT_CONFIDENCE, DayContext
from vigilintel_connector.normalise.language import tell_languages
from vigilintel_connector.normalise.links import clean_link
from vigilintel_connector.normalise.objects import clean_object, parent_technique
from vigilintel_connector.normalise.properties import clean_refs, unique_refs
from vigilintel_connector.normalise.result import Contribution, DayBundle, NoContent, Tally
from vigilintel_connector.normalise.shape import well_typed
from vigilintel_connector.normalise.text import join_languages, keep_languages, midnight, timestamp
from vigilintel_connector.select.content import carries_intelligence, is_bundle
from vigilintel_connector.source.documents import DocumentError, strict_json
from vigilintel_connector.source.paths import permalink

_DAILY_REPORT_NAME = re.compile(r"^(CTI Report|VigilIntel Report)\b", re.IGNORECASE)
_GENERIC_DESCRIPTION = re.compile(r"^Generated STIX", re.IGNORECASE)
_TRANSLATED_FIELDS = ("description", "content", "abstract")
_LINK_TYPES = ("relationship", "note")

REPORT_NAME = "VigilIntel Report {day}"


@dataclass(frozen=True)
class ReportFrame:
    """The one report a bundle is built around: a day's, or a digest's. Its name and date
    make its id (OpenCTI's), so a report is the same node whenever it is sent again."""

    day: dt.date  # published; and the date objects without one fall back to
    name: str
    key: str  # seeds the bundle id
    fallback: str  # the description when no artefact has a summary
    attachment: str  # the attached Markdown's file name: named after the report, not upstream
    labels: tuple[str, ...] = ("vigilintel",)


def daily_frame(day: dt.date) -> ReportFrame:
    iso = day.isoformat()
    return ReportFrame(
        day, REPORT_NAME.format(day=iso), iso,
        f"VigilIntel daily threat-intelligence report of {iso}.", f"{iso}-report.md",
    )  # fmt: skip


def stix_contribution(
    documents: Sequence[Any], paths: Sequence[str], languages: tuple[str, ...]
) -> Contribution:
    """A day's upstream STIX file(s) as its STIX part; a stub or template says so."""
    for path, document in zip(paths, documents, strict=True):
        if not is_bundle(document):
            raise DocumentError(f"{path}: not a STIX bundle")
    if not any(carries_intelligence(d) for d in documents):
        raise NoContent("STIX stub without intelligence")
    tally = Tally()
    objects = _merge_translations(list(documents), languages, tally)
    return Contribution("stix", objects, tally)


def normalise_day(
    bundles: list[dict[str, Any]],
    day: dt.date,
    languages: tuple[str, ...],
    excluded_hosts: frozenset[str] = frozenset(),
    confidence: int = DEFAULT_CONFIDENCE,
) -> DayBundle:
    """One day's upstream bundles (one per language in era A) → one clean bundle."""
    tally = Tally()
    objects = _merge_translations(bundles, languages, tally)
    return normalise_contributions(
        [Contribution("stix", objects, tally)], day, languages, excluded_hosts, confidence
    )


def normalise_contributions(
    contributions: Sequence[Contribution],
    day: dt.date,
    languages: tuple[str, ...],
    excluded_hosts: frozenset[str] = frozenset(),
    confidence: int = DEFAULT_CONFIDENCE,
    documents: Sequence[str] = (),
    frame: ReportFrame | None = None,
) -> DayBundle:
    """Every artefact's part of a day → one clean bundle: objects meet on their deterministic
    ids and are merged field by field, in the order the parts are given. ``documents`` are the
    day's human-readable files (Markdown, JSON), which the report links to; ``frame`` is the
    report (the day's by default; a digest's)."""
    frame = frame or daily_frame(day)
    ctx = DayContext(frame.day, languages, excluded_hosts, confidence)
    for contribution in contributions:
        ctx.tally.update(contribution.tally)
    everything = [o for c in contributions for o in c.objects]
    ctx.source_urls = frozenset(day_facts.source_urls(everything))
    # The sites the day's articles were read on are references, not indicators.
    ctx.excluded = ctx.excluded | day_facts.hosts(ctx.source_urls)
    ctx.articles = _articles(contributions, languages[:1])
    ctx.victims = day_facts.victims(everything)
    ctx.urls = frozenset(day_facts.beyond_scheme(o) for o in everything if o.get("type") == "url")
    ctx.domains = day_facts.domains(everything)
    ctx.day_texts = day_facts.day_texts(ctx.articles)
    emitted: dict[str, dict[str, Any]] = {}
    links: list[tuple[str, dict[str, Any]]] = []
    dailies: list[dict[str, Any]] = []
    for contribution in contributions:
        origin = contribution.artefact
        daily = _find_daily_report(contribution.objects)
        if daily is not None:
            dailies.append(daily)
        for obj in contribution.objects:
            kind = obj.get("type")
            if kind in _LINK_TYPES or (kind == "report" and obj is not daily):
                links.append((origin, obj))
                continue
            for clean in clean_object(obj, ctx):
                _emit(emitted, obj, clean, ctx, origin)
    _link_subtechniques(emitted, ctx)
    separate_names(emitted, ctx)
    report_id = ids.sdo_id(_report_shell(frame))
    # Relationships first: topic reports and notes may reference them.
    links.sort(key=lambda pair: pair[1].get("type") != "relationship")
    for origin, obj in links:
        clean = clean_link(obj, report_id, ctx)
        if clean is not None:
            _emit(emitted, obj, clean, ctx, origin)
    summaries = [c.description for c in contributions if c.artefact != "stix"]
    report = _daily_report(frame, dailies, summaries, emitted, ctx)
    fallback = tell_languages(emitted, report, ctx.origins, contributions, languages)
    _report_documents(report, contributions, documents, frame.attachment)
    content = [ids.author(confidence), ids.TLP_CLEAR, ids.PAP_CLEAR, *emitted.values(), report]
    bundle = {"type": "bundle", "id": ids.bundle_id(frame.key, content), "objects": content}
    try:
        # Compact: with ``indent`` the json module falls back to its pure-Python encoder. A
        # bundle is a tree built here: no need to track every container for cycles (a fifth).
        payload = strict_json(bundle, separators=(",", ":"), check_circular=False).encode()
    except ValueError as exc:  # never recorded as imported with a bundle no parser reads
        raise DocumentError(f"{frame.name}: the bundle is not strict JSON ({exc})") from None
    provenance = Counter("+".join(sorted(ctx.origins[oid])) for oid in emitted)
    return DayBundle(bundle, ctx.tally, provenance, payload, fallback)


def _articles(
    contributions: Sequence[Contribution], languages: tuple[str, ...]
) -> dict[str, list[str]]:
    """Each upstream id → the texts of the articles that name it (its notes and topic reports,
    never the daily report, which names everything): what upstream says a name is. Read in
    the first language only, so that asking for a second one never retypes an entity."""
    found: dict[str, list[str]] = {}
    for contribution in contributions:
        daily = _find_daily_report(contribution.objects)
        for obj in contribution.objects:
            if obj.get("type") not in ("note", "report") or obj is daily:
                continue
            parts = (obj.get(k) for k in ("abstract", "name", "content", "description"))
            text = "\n".join(p for p in parts if isinstance(p, str))[:ARTICLE_CHARS]
            text = keep_languages(text, languages)
            refs = obj.get("object_refs")
            for ref in refs if isinstance(refs, list) else ():
                texts = found.setdefault(str(ref), [])
                if len(texts) < ARTICLES_PER_NAME:
                    texts.append(text)
    return found


def _link_subtechniques(emitted: dict[str, dict[str, Any]], ctx: DayContext) -> None:
    """Each sub-technique linked to its technique (added when the day does not name it)."""
    for child in [o for o in emitted.values() if "." in o.get("x_mitre_id", "")]:
        parent = parent_technique(child, ctx)
        if parent is None:
            continue
        if parent["id"] not in emitted:
            emitted[parent["id"]] = parent
            ctx.changed("added:parent-technique")
        ctx.origins.setdefault(parent["id"], set()).update(ctx.origins[child["id"]])
        link = {
            "type": "relationship", "id": f"relationship--{child['id']}",
            "created": child["created"], "modified": child["modified"],
            "relationship_type": "subtechnique-of",
            "source_ref": child["id"], "target_ref": parent["id"],
        }  # fmt: skip
        ctx.new_ids[child["id"]], ctx.new_ids[parent["id"]] = child["id"], parent["id"]
        clean = clean_link(link, "", ctx)
        if clean is not None and clean["id"] not in emitted:
            emitted[clean["id"]] = clean
            ctx.changed("added:subtechnique-of")
            ctx.origins.setdefault(clean["id"], set()).update(ctx.origins[child["id"]])


def _merge_translations(
    bundles: list[dict[str, Any]], languages: tuple[str, ...], tally: Tally
) -> list[dict[str, Any]]:
    """Era A ships one file per language with the same objects in the same order: pair them
    by position and keep both texts in one object, so ``fr,en`` never makes two reports."""
    # Shallow copies suffice: only top-level text fields are replaced here, and every later
    # step builds new dicts and lists instead of changing upstream's.
    primary = _well_typed(bundles[0], tally)
    for other in bundles[1:]:
        others = _well_typed(other, tally)
        if [o.get("type") for o in others] != [o.get("type") for o in primary]:
            tally.drop("translation-unpaired", len(others))
            continue
        for mine, theirs in zip(primary, others, strict=True):
            translated = _TRANSLATED_FIELDS + (("name",) if mine.get("type") == "report" else ())
            for field in translated:
                texts = {languages[0]: mine.get(field), languages[-1]: theirs.get(field)}
                if all(isinstance(t, str) for t in texts.values()) and len(set(texts.values())) > 1:
                    mine[field] = join_languages(texts)
        tally.drop("merged-translation", len(others))
    return primary


def _well_typed(bundle: dict[str, Any], tally: Tally) -> list[dict[str, Any]]:
    objects = bundle.get("objects")
    listed = objects if isinstance(objects, list) else []
    return [clean for o in listed if isinstance(o, dict) and (clean := well_typed(o, tally))]


def _emit(
    emitted: dict[str, dict[str, Any]],
    upstream: dict[str, Any],
    clean: dict[str, Any],
    ctx: DayContext,
    origin: str,
) -> None:
    ctx.new_ids.setdefault(upstream.get("id", ""), clean["id"])
    ctx.origins.setdefault(clean["id"], set()).add(origin)
    existing = emitted.get(clean["id"])
    if existing is None:
        emitted[clean["id"]] = clean
        return
    ctx.tally.drop("merged-duplicate")
    _merge_into(existing, clean)


def _merge_into(target: dict[str, Any], other: dict[str, Any]) -> None:
    """Two upstream objects are one entity: keep the union of what they say."""
    for key in ("labels", "x_opencti_labels", "object_refs", "aliases"):
        if key in other:
            merged = list(dict.fromkeys([*target.get(key, []), *other[key]]))
            target[key] = merged
    if "external_references" in other:
        target["external_references"] = unique_refs(
            [*target.get("external_references", []), *other["external_references"]]
        )
    for key in ("description", "content"):
        if len(other.get(key) or "") > len(target.get(key) or ""):
            target[key] = other[key]
    if "created" in other and "created" in target:
        target["created"] = min(target["created"], other["created"])
        target["modified"] = max(target["modified"], other["modified"])


def _find_daily_report(objects: list[dict[str, Any]]) -> dict[str, Any] | None:
    reports = [o for o in objects if o.get("type") == "report"]
    if len(reports) <= 1:
        return reports[0] if reports else None
    report_ids = {r.get("id") for r in reports}
    for report in reports:
        if report_ids & set(report.get("object_refs", [])) or _DAILY_REPORT_NAME.match(
            str(report.get("name", ""))
        ):
            return report
    return max(reports, key=lambda r: len(r.get("object_refs", [])))


def _report_shell(frame: ReportFrame) -> dict[str, Any]:
    return {
        "type": "report",
        "name": frame.name,
        "published": timestamp(None, midnight(frame.day)),
    }


def _report_documents(
    report: dict[str, Any],
    contributions: Sequence[Contribution],
    documents: Sequence[str],
    attachment_name: str,
) -> None:
    """The way back to what a person reads: links to the day's files on GitHub, the Markdown
    report rendered as the report's content (sanitised) and attached as it was published."""
    links = [
        {"source_name": "VigilIntel", "url": permalink(path), "description": path}
        for path in documents
    ]
    if links:
        report["external_references"] = unique_refs(
            [*report.get("external_references", []), *links]
        )
    markdown = next((c for c in contributions if c.markdown is not None), None)
    if markdown is None or markdown.markdown is None:
        return
    report["x_opencti_content"] = markdown_to_html(markdown.markdown.decode("utf-8"))
    # Named after the day, not the upstream file: the name stays when upstream renames it.
    report["x_opencti_files"] = [attachment(attachment_name, markdown.markdown)]


def _is_summary(text: object) -> bool:
    return isinstance(text, str) and bool(text.strip()) and not _GENERIC_DESCRIPTION.match(text)


def _daily_report(
    frame: ReportFrame,
    dailies: list[dict[str, Any]],
    summaries: list[str],
    emitted: dict[str, dict[str, Any]],
    ctx: DayContext,
) -> dict[str, Any]:
    """The one report of the day; its identity depends on the file's date only. Its text is
    the first real summary: the converted artefacts' own, else upstream's STIX report's."""
    report = _report_shell(frame)
    stamp = report["published"]
    texts = [*summaries, *(d.get("description") for d in dailies)]
    description = next((t for t in texts if _is_summary(t)), None)
    if description is None:
        description = frame.fallback
    upstream_refs = [r for d in dailies for r in d.get("external_references") or []]
    refs = clean_refs(upstream_refs, ctx)
    report.update(
        {
            "spec_version": "2.1",
            "id": ids.sdo_id(report),
            "created": stamp,
            "modified": stamp,
            "created_by_ref": ids.AUTHOR_ID,
            "confidence": ctx.confidence,
            "description": keep_languages(description, ctx.languages),
            "report_types": ["threat-report"],
            # Notes name the report in their own object_refs: the report listing them too would
            # make cycles that pycti's splitter cuts, leaving notes attached to nothing.
            "object_refs": [ids.AUTHOR_ID, *(i for i in emitted if not i.startswith("note--"))],
            "object_marking_refs": list(ids.MARKING_IDS),
            "labels": list(frame.labels),
        }
    )
    if refs:
        report["external_references"] = refs
    return {"type": "report", **{k: v for k, v in report.items() if k != "type"}}
