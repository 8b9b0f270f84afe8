"""The day's Markdown report as the report's Content tab: rendered, then sanitised.

Upstream's text is LLM-generated and untrusted. It is rendered with GitHub's CommonMark
renderer (cmark-gfm, see ``cmark``: tables as on GitHub, 20 times faster than a pure-Python
renderer; raw HTML let through so that the sanitiser sees it as markup) and then cleaned by nh3
(ammonia), which keeps formatting and tables and removes scripts, styles, frames, event handlers
and ``javascript:`` URLs: nothing upstream writes reaches OpenCTI's UI as live HTML.

The tab must also be self-contained: opening a report must not make the analyst's browser load
anything (no image, whichever host serves it: a tracking pixel tells upstream who reads what),
nor follow a relative link into the platform itself (``/graphql?…``). Images and relative URLs
are removed; external links stay, opening in a new tab. Raw HTML beyond ``limits.HTML_MAX_TAGS``
tags is dropped before sanitising (the sanitiser is quadratic on unclosed tags).
"""

from __future__ import annotations

import base64
import re

import nh3

from vigilintel_connector import cmark, limits

_URL_SCHEMES = {"http", "https", "mailto"}
# ``area`` and ``map`` are image maps: without images they are only a way to hide links.
_TAGS = nh3.ALLOWED_TAGS - {"img", "area", "map"}
_HTML_TAG = re.compile(r"<[A-Za-z/!?]")


def markdown_to_html(text: str) -> str:
    # Under the bound, raw HTML goes to the sanitiser as markup; over it, cmark-gfm replaces it
    # with a comment, which the sanitiser removes.
    raw_html = len(_HTML_TAG.findall(text)) <= limits.HTML_MAX_TAGS
    with cmark.parsed(text, cmark.UNSAFE if raw_html else 0) as document:
        html = document.html()
    return nh3.clean(
        html,
        tags=_TAGS,
        url_schemes=_URL_SCHEMES,
        url_relative="deny",
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )


def attachment(name: str, content: bytes) -> dict[str, object]:
    """An ``x_opencti_files`` entry: the file as upstream published it, byte for byte."""
    return {
        "name": name,
        "data": base64.b64encode(content).decode("ascii"),
        "mime_type": "text/markdown",
        "no_trigger_import": True,
    }
