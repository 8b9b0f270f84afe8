"""The bounds that keep one hostile upstream file from stalling or exhausting a run.

Upstream is LLM-generated in someone else's repository: a broken pipeline run, or an attacker,
can publish a file shaped to make a parser or a regex work for hours. Each bound below is several
times what upstream's whole history needs (measured on every file up to 2026-08-08; the figure
is given beside each) and small enough that the work behind it stays in seconds and megabytes.
A file over a bound is refused with a message naming the file and the bound; the day goes on
with its other files.
"""

from __future__ import annotations

# The Markdown report (largest in the history: 290 KB, 3,000 lines, 2,552 "|", 204 HTML tags,
# its longest line 11.9 KB). Parsing multiplies memory by up to ~470 on list-only input.
MARKDOWN_MAX_BYTES = 2 * 1024 * 1024
MARKDOWN_MAX_LINES = 20_000
MARKDOWN_MAX_CELLS = 20_000  # "|" characters: table cells
MARKDOWN_MAX_LINE = 64 * 1024
# "[" (largest: 557 in a document, 168 on a line): link parsing is quadratic in them, and
# cmark-gfm took 400 MB for 1.8 MB of them. Nested block quotes (largest: 1 level) make the
# sanitiser quadratic.
MARKDOWN_MAX_BRACKETS = 5_000
# Inline markup (* _ ` [ < \ & !; largest: 2,966 in a document, 219 on a line): both parsers
# allocate per delimiter, and emphasis or entity runs made them take 18 s and 950 MB.
MARKDOWN_MAX_MARKUP = 30_000
MARKDOWN_MAX_NESTING = 32
# Raw HTML in the Markdown (largest: 204 tags). The sanitiser is quadratic on unclosed or nested
# tags: over this, the report's raw HTML is dropped before sanitising.
HTML_MAX_TAGS = 2_000

# IoC extraction reads whitespace-separated tokens (longest in the history: 2,002 characters);
# a longer token is no indicator. ioc-fanger is quadratic on runs of brackets and on many "dot"
# markers in one token: such a token is read as it is, not refanged.
IOC_MAX_TOKEN = 4_096
FANG_MAX_TOKEN = 2_048
FANG_MAX_MARKERS = 64

# Observable values: RFC 1035 for names, a common ceiling for URLs (the history's longest: ~700).
URL_MAX_LENGTH = 2_048

# A day's conversion and normalisation, checked between steps: over it, the day is an error and
# is tried again on the next run (the slowest real day takes well under a second).
DAY_SECONDS = 120.0

# What upstream says about a name, read to type it: the first articles naming it, each cut at a
# length no real article reaches (the longest note in the history: ~9,000 characters), so one
# name's context stays small whatever the file.
ARTICLE_CHARS = 20_000
ARTICLES_PER_NAME = 8
# The day's articles together, where an unknown name's type is looked for last (the largest day
# in the history holds ~400,000 characters of articles).
DAY_TEXT_CHARS = 1_000_000
# Family names read from one article's prose: far more than any real article names (the most in
# the history: about 12), few enough that a list-shaped article stays cheap.
MENTIONS_PER_TEXT = 40

# Files downloaded ahead of the day being converted (the largest day's files: 2 MB). Memory, not
# the download pool's size, bounds how far ahead a backfill reads: at least the next day, then
# only while less than this is held.
PREFETCH_BYTES = 8 * 1024 * 1024
