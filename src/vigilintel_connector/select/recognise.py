"""What a day's file is, decided by what it holds: upstream renames its files, not its formats.

Every ``YYYY/MM/YYYY-MM-DD-*.json|.md`` file of a day is read and sorted into one of the kinds
below. Only the three report kinds carry intelligence; raw collections, prompts, digests and empty
files are known and left aside; a broken file is an error of the day; anything else is
*unrecognised*: warned about, listed, and never settled silently (README, "When upstream changes").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from vigilintel_connector.select.content import is_bundle
from vigilintel_connector.select.report_shape import has_report_shape
from vigilintel_connector.source.documents import DocumentError, EmptyDocument, parse_json_document


class Kind(StrEnum):
    STIX_BUNDLE = "stix-bundle"  # eras A, B and C, stubs and templates included
    JSON_REPORT = "json-report"  # the daily JSON report, every format (BETA included)
    MARKDOWN_REPORT = "markdown-report"  # the human-readable daily report, every layout
    DIGEST = "digest"  # a weekly or monthly digest (read by the digest job, not the day)
    RAW_COLLECTION = "raw-collection"  # the articles upstream collected before writing
    PROMPT = "prompt"  # instructions to upstream's language model
    EMPTY = "empty"  # nothing in it
    BROKEN = "broken"  # meant to be JSON or UTF-8 text and is not
    UNRECOGNISED = "unrecognised"  # parseable, but like nothing upstream ever published


REPORT_KINDS = frozenset({Kind.STIX_BUNDLE, Kind.JSON_REPORT, Kind.MARKDOWN_REPORT})


@dataclass(frozen=True, slots=True)
class Recognised:
    kind: Kind
    document: Any = None  # the parsed JSON, when there is one
    language: str | None = None  # of a one-language STIX bundle (era A)
    reason: str = ""  # why broken, empty or unrecognised
    oversize: bool = False  # not read: over the size cap (so its kind is not known)
    notes: tuple[str, ...] = ()  # what was repaired while reading it


# Collected articles: a JSON list (or, some days, a Python repr of one) of {title, source, text…}.
_ARTICLE_KEYS = frozenset({"title", "source", "sources", "text", "content", "publication_date"})
_PYTHON_REPR_LIST = re.compile(r"\A\s*\[\s*\{\s*'(?:title|source|publication_date|text)'\s*:")
# Prompts: a line that addresses the model, or template placeholders.
_PROMPT_LINE = re.compile(
    r"^[#*>\s-]*(?:you are|tu es|vous êtes|act as|agis en tant|your task|ta mission|"
    r"votre mission|system prompt)\b",
    re.IGNORECASE | re.MULTILINE,
)
_PLACEHOLDER = re.compile(r"\{\{\s*\w+\s*\}\}")
_LEVEL_ONE = re.compile(r"^ {0,3}# |^ {0,3}#$|^=+[ \t]*$", re.MULTILINE)
_LEVEL_TWO = re.compile(r"^ {0,3}## ", re.MULTILINE)
# A one-language bundle (era A) is told from a bilingual one (era B: notes with FR: and EN:
# parts) and its language from the function words of its texts.
_FRENCH = re.compile(r"\b(?:le|la|les|des|du|une|est|et|dans|pour|sur|qui|avec|aux)\b")
_ENGLISH = re.compile(r"\b(?:the|and|of|to|is|in|for|on|with|that|by|this|are|from)\b")
_BILINGUAL_MARKS = ("FR:", "EN:")
_MIN_WORDS = 20


def recognise(path: str, content: bytes) -> Recognised:
    """The kind of one day file, from its bytes (its extension says JSON or Markdown)."""
    if not content.strip():
        return Recognised(Kind.EMPTY, reason=f"{path}: empty file")
    if path.endswith(".md"):
        return _markdown(path, content)
    notes: list[str] = []
    try:
        document = parse_json_document(content, path, notes)
    except EmptyDocument as exc:
        return Recognised(Kind.EMPTY, reason=str(exc))
    except DocumentError as exc:
        if _PYTHON_REPR_LIST.match(content[:200].decode("utf-8", "replace")):
            return Recognised(Kind.RAW_COLLECTION)
        return Recognised(Kind.BROKEN, reason=str(exc))
    recognised = _json(path, document)
    return replace(recognised, notes=tuple(notes)) if notes else recognised


def _json(path: str, document: Any) -> Recognised:
    if document in ({}, [], None, ""):
        return Recognised(Kind.EMPTY, reason=f"{path}: an empty JSON value")
    if is_bundle(document):
        return Recognised(Kind.STIX_BUNDLE, document, bundle_language(document))
    if isinstance(document, list):
        if all(isinstance(i, dict) and _ARTICLE_KEYS & i.keys() for i in document):
            return Recognised(Kind.RAW_COLLECTION)
    elif isinstance(document, dict):
        keys = set(document)
        if {"threat_level", "executive_summary"} <= keys:
            return Recognised(Kind.DIGEST, document)
        if {"meta", "articles"} <= keys:  # the collected articles, pre-analysed (2026-05…)
            return Recognised(Kind.RAW_COLLECTION)
        if "messages" in keys or keys & {"prompt", "system_prompt"}:
            return Recognised(Kind.PROMPT)
        if has_report_shape(document):
            return Recognised(Kind.JSON_REPORT, document)
    shape = type(document).__name__
    detail = (
        f"keys {', '.join(sorted(map(str, document))[:8])}" if isinstance(document, dict) else ""
    )
    return Recognised(Kind.UNRECOGNISED, reason=f"{path}: a JSON {shape} {detail}".rstrip())


def _markdown(path: str, content: bytes) -> Recognised:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return Recognised(Kind.BROKEN, reason=f"{path}: not UTF-8 text")
    if "\x00" in text:
        return Recognised(Kind.BROKEN, reason=f"{path}: binary content, not Markdown")
    head = text[:2000]
    if _PROMPT_LINE.search(head) or _PLACEHOLDER.search(head):
        return Recognised(Kind.PROMPT)
    # Every layout of the daily report opens with a level-1 heading; a collection is a run of
    # level-2 titled articles with none.
    if _LEVEL_ONE.search(text):
        return Recognised(Kind.MARKDOWN_REPORT)
    if _LEVEL_TWO.search(text):
        return Recognised(Kind.RAW_COLLECTION)
    return Recognised(Kind.UNRECOGNISED, reason=f"{path}: Markdown without a heading")


def _texts(bundle: dict[str, Any]) -> str:
    parts: list[str] = []
    for obj in bundle.get("objects", []):
        if isinstance(obj, dict):
            parts.extend(v for k in ("content", "description") if isinstance(v := obj.get(k), str))
    return " ".join(parts)[:40_000]


def bundle_language(bundle: dict[str, Any]) -> str | None:
    """``fr`` or ``en`` for a one-language bundle, None for a bilingual or undecidable one."""
    text = _texts(bundle)
    if all(mark in text for mark in _BILINGUAL_MARKS):
        return None
    lowered = text.lower()
    french, english = len(_FRENCH.findall(lowered)), len(_ENGLISH.findall(lowered))
    if max(french, english) < _MIN_WORDS:
        return None
    if french >= 3 * english:
        return "fr"
    if english >= 3 * french:
        return "en"
    return None
