"""Bytes to JSON documents, with every way upstream's bytes can be wrong turned into one error."""

from __future__ import annotations

import json
import math
import re
from typing import Any

_FENCE = re.compile(rb"\A\s*```[A-Za-z]*\s*\n(.*?)\n\s*```\s*\Z", re.DOTALL)
# In UTF-8 bytes, a surrogate can only come from an escape; the parser decodes it even alone.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class DocumentError(Exception):
    """The file is not the JSON document it should be (HTML, truncated, too deep…)."""


class EmptyDocument(DocumentError):
    """Upstream published an empty file: nothing to import, but nothing broken either."""


def parse_json_document(content: bytes, path: str, notes: list[str] | None = None) -> Any:
    """Parse a JSON file; a Markdown code fence around it (2026-03-11 … 03-16) is removed.

    ``NaN`` and ``Infinity`` are not JSON, yet Python's parser accepts them and its writer
    writes them back, making output no standard parser reads: each is read as ``null`` (an
    absent value) instead, and said in ``notes``. So is a number no 64-bit value holds
    (``1e400`` is read as infinity; an integer of 400 digits stops the canonical JSON of an
    id, and the platform's fields could not store it)."""
    if not content.strip():
        raise EmptyDocument(f"{path}: empty file")
    fenced = _FENCE.match(content)
    if fenced:
        content = fenced.group(1)
    not_numbers: list[str] = []
    too_large: list[str] = []

    def not_a_number(token: str) -> None:
        not_numbers.append(token)

    def real(token: str) -> float | None:
        value = float(token)
        if math.isfinite(value):
            return value
        too_large.append(token)
        return None

    def integer(token: str) -> int | None:
        if len(token) < 19:
            return int(token)
        # Not converted beyond 20 characters: Python refuses integers of over 4,300 digits.
        value = int(token) if len(token) <= 20 else None
        if value is not None and _INT64_MIN <= value <= _INT64_MAX:
            return value
        too_large.append(token)
        return None

    try:
        document = json.loads(
            content, parse_constant=not_a_number, parse_float=real, parse_int=integer
        )
    except RecursionError:
        raise DocumentError(f"{path}: JSON nested too deeply") from None
    except UnicodeDecodeError:
        raise DocumentError(f"{path}: not UTF-8 text") from None
    except ValueError as exc:
        head = content[:200].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")):
            raise DocumentError(f"{path}: an HTML page, not JSON") from None
        raise DocumentError(f"{path}: invalid JSON ({exc})") from None
    if not_numbers and notes is not None:
        notes.append(f"{path}: {len(not_numbers)} NaN or Infinity values, not JSON, read as null")
    if too_large and notes is not None:
        notes.append(f"{path}: {len(too_large)} numbers beyond 64 bits, read as null")
    if _SURROGATE_ESCAPE.search(content) or json.detect_encoding(content) != "utf-8":
        document, replaced = _without_surrogates(document)
        if replaced and notes is not None:
            notes.append(f"{path}: {replaced} lone UTF-16 surrogates, not text, read as U+FFFD")
    return document


def _without_surrogates(document: Any) -> tuple[Any, int]:
    """``document`` with every lone surrogate (``"\\ud800"`` alone is valid JSON, yet no
    UTF-8 writer takes it: one would stop the day's output) replaced by U+FFFD, and how many.
    Iterative: a document as deep as the parser accepts is walked without recursion."""
    replaced = 0

    def clean(value: Any) -> Any:
        nonlocal replaced
        if isinstance(value, str):
            fixed, count = _SURROGATE.subn("\ufffd", value)
            replaced += count
            return fixed
        return value

    root = [document]
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            items = [(clean(k), clean(v)) for k, v in node.items()]
            node.clear()
            node.update(items)
            stack.extend(v for _, v in items if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            node[:] = [clean(v) for v in node]
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    return root[0], replaced


def strict_json(document: Any, **options: Any) -> str:
    """``document`` as JSON that every standard parser accepts (``ValueError`` otherwise)."""
    return json.dumps(document, ensure_ascii=False, allow_nan=False, **options)
