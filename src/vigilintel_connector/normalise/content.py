"""The day's Markdown report as the report's Content tab: rendered, then sanitised.

Upstream's text is LLM-generated and untrusted. It is rendered with GitHub's CommonMark
renderer (cmark-gfm, through cmarkgfm: tables as on GitHub, 20 times faster than a pure-Python
renderer; raw HTML let through so that the sanitiser sees it as markup) and then cleaned by nh3
(ammonia), which keeps formatting and tables and removes scripts, styles, frames, event handlers
and ``javascript:`` URLs: nothing upstream writes reaches OpenCTI's UI as live HTML.
"""

from __future__ import annotations

import base64
import threading

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

_URL_SCHEMES = {"http", "https", "mailto"}
# cmark-gfm runs without the GIL and its extension registry is process-wide: two days rendered
# at once by the export's threads came out different (a bare URL linked in one, not the other).
_RENDERING = threading.Lock()


def markdown_to_html(text: str) -> str:
    with _RENDERING:
        html = cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)
    return nh3.clean(html, url_schemes=_URL_SCHEMES, link_rel="noopener noreferrer")


def attachment(name: str, content: bytes) -> dict[str, object]:
    """An ``x_opencti_files`` entry: the file as upstream published it, byte for byte."""
    return {
        "name": name,
        "data": base64.b64encode(content).decode("ascii"),
        "mime_type": "text/markdown",
        "no_trigger_import": True,
    }
