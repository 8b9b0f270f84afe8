"""Timestamps and languages: the two text properties upstream gets wrong most often."""

from __future__ import annotations

import datetime as dt
import re

from vigilintel_connector.memo import memo

_LANGUAGE_MARKER = re.compile(
    r"^\s*(?:[-*]\s*)?(?:\*\*)?\[?(FR|EN)\]?\s*:?\s*(?:\*\*)?\s*:?\s*", re.IGNORECASE
)
_MARKER_ONLY = re.compile(r"^\s*(?:[-*]\s*)?\*\*\[?(FR|EN)\]?:?\*\*:?|^\s*(?:[-*]\s*)?\[(FR|EN)\]:")


def timestamp(value: object, fallback: dt.datetime) -> str:
    """STIX timestamp with milliseconds, UTC; ``fallback`` when upstream's value is unusable."""
    if isinstance(value, str) or value is None:
        return _timestamp(value, fallback)  # a bundle repeats the same few values
    return _timestamp(None, fallback)


@memo(4096, 64)  # a timestamp is 20-odd characters; a longer value is not kept
def _timestamp(value: str | None, fallback: dt.datetime) -> str:
    parsed = parse_time(value) or fallback
    return parsed.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{parsed.microsecond // 1000:03d}Z"
    )


def parse_time(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.UTC)
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def _marker_language(line: str) -> str | None:
    match = _MARKER_ONLY.match(line)
    if not match:
        return None
    return (match.group(1) or match.group(2)).lower()


def keep_languages(text: str, languages: tuple[str, ...]) -> str:
    """Keep the chosen languages' sections of upstream's bilingual Markdown.

    A section starts at a ``**FR:**``/``**EN:**``/``- **[FR]:**`` marker and runs until a blank
    line, a heading or another marker. Text outside any section is kept. With one language the
    markers themselves are removed, as they then say nothing.
    """
    if not _MARKER_ONLY.search(text) and "**FR" not in text and "[FR]" not in text:
        return text
    kept: list[str] = []
    current: str | None = None
    for line in text.split("\n"):
        language = _marker_language(line)
        if language is not None:
            current = language
        elif not line.strip() or line.lstrip().startswith("#"):
            current = None
        if current is not None and current not in languages:
            continue
        if language is not None and len(languages) == 1:
            prefix = re.match(r"^\s*[-*]\s+", line)
            line = (prefix.group(0) if prefix else "") + _LANGUAGE_MARKER.sub("", line, count=1)
        kept.append(line)
    result = "\n".join(kept)
    return re.sub(r"\n{3,}", "\n\n", result).strip() + ("\n" if text.endswith("\n") else "")


def join_languages(texts: dict[str, str]) -> str:
    """Both languages' texts in one field, in the style upstream's bilingual notes use."""
    distinct = {lang: t for lang, t in texts.items() if t}
    if len(set(distinct.values())) <= 1:
        return next(iter(distinct.values()), "")
    return "\n\n".join(f"**{lang.upper()}:** {text}" for lang, text in distinct.items())
