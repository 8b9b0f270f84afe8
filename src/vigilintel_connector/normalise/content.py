"""The day's Markdown report as the report's Content tab: rendered, then sanitised.

Upstream's text is LLM-generated and untrusted. It is rendered with a CommonMark renderer
(markdown-it-py, raw HTML allowed through so that the sanitiser sees it as markup) and then
cleaned by nh3 (ammonia), which keeps formatting and tables and removes scripts, styles, frames,
event handlers and ``javascript:`` URLs: nothing upstream writes reaches OpenCTI's UI as live HTML.
"""

from __future__ import annotations

import base64

import nh3
from markdown_it import MarkdownIt

_RENDERER = MarkdownIt("commonmark", {"html": True, "maxNesting": 20}).enable("table")
_URL_SCHEMES = {"http", "https", "mailto"}


def markdown_to_html(text: str) -> str:
    html = _RENDERER.render(text)
    return nh3.clean(html, url_schemes=_URL_SCHEMES, link_rel="noopener noreferrer")


def attachment(name: str, content: bytes) -> dict[str, object]:
    """An ``x_opencti_files`` entry: the file as upstream published it, byte for byte."""
    return {
        "name": name,
        "data": base64.b64encode(content).decode("ascii"),
        "mime_type": "text/markdown",
        "no_trigger_import": True,
    }
