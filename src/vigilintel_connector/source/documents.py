"""Bytes to JSON documents, with every way upstream's bytes can be wrong turned into one error."""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(rb"\A\s*```[A-Za-z]*\s*\n(.*?)\n\s*```\s*\Z", re.DOTALL)


class DocumentError(Exception):
    """The file is not the JSON document it should be (HTML, truncated, too deep…)."""


class EmptyDocument(DocumentError):
    """Upstream published an empty file: nothing to import, but nothing broken either."""


def parse_json_document(content: bytes, path: str) -> Any:
    """Parse a JSON file; a Markdown code fence around it (2026-03-11 … 03-16) is removed."""
    if not content.strip():
        raise EmptyDocument(f"{path}: empty file")
    fenced = _FENCE.match(content)
    if fenced:
        content = fenced.group(1)
    try:
        return json.loads(content)
    except RecursionError:
        raise DocumentError(f"{path}: JSON nested too deeply") from None
    except UnicodeDecodeError:
        raise DocumentError(f"{path}: not UTF-8 text") from None
    except ValueError as exc:
        head = content[:200].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")):
            raise DocumentError(f"{path}: an HTML page, not JSON") from None
        raise DocumentError(f"{path}: invalid JSON ({exc})") from None
