"""Issue 22: memory that does not grow with the range, and the same bundles however fast."""

from __future__ import annotations

import datetime as dt
import gc
import random
import re
import time
from dataclasses import asdict
from pathlib import Path

import pycti
import pytest

from vigilintel_connector import limits, terms
from vigilintel_connector.convert import inline, markdown_tree, shared
from vigilintel_connector.convert.markdown_cmark import sections
from vigilintel_connector.convert.markdown_tree import parse_pure
from vigilintel_connector.log import StdLogger
from vigilintel_connector.normalise import ids
from vigilintel_connector.normalise import text as stix_text
from vigilintel_connector.normalise.content import markdown_to_html
from vigilintel_connector.pipeline import DayOptions, process_days
from vigilintel_connector.resolve import mentions
from vigilintel_connector.source.paths import parse_daily_path
from vigilintel_connector.source.upstream import ListedFile


def _rss_mb() -> float:
    status = Path("/proc/self/status")
    if not status.exists():
        pytest.skip("reads the resident set size from Linux's /proc")
    line = next(x for x in status.read_text().splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def test_rendering_reports_does_not_grow_memory(sample_dir):
    """Every parsed tree and rendered page is freed: cmarkgfm's own wrapper kept both, and a
    whole-history export grew by ~290 MB."""
    largest = max(sample_dir.rglob("*.md"), key=lambda p: p.stat().st_size)
    text = largest.read_text(encoding="utf-8") * 3  # ~0.9 MB: a leak would be ~10 MB a call
    html = markdown_to_html(text)
    gc.collect()
    before = _rss_mb()
    for _ in range(30):
        assert markdown_to_html(text) == html
    gc.collect()
    assert _rss_mb() - before < 40


# Constructs where cmark-gfm's full CommonMark and the converter's reduced rule set disagree.
_TRICKY = {
    "quote": "# A\n\n> quoted **text**\n> more\n\nafter\n",
    "quote in an item": "- item\n  > quoted\n- next\n",
    "break after a blank": "# A\n\ntext\n\n---\n\nmore\n",
    "setext dashes": "Title\n---\n\nbody\n",
    "setext equals": "Title\n===\n\nbody\n",
    "setext single dash": "Title\n-\nbody\n",
    "spaced break": "text\n\n* * *\n\nmore\n",
    "HTML blocks": (
        'text\n<div id="x"></div>\n\n<br>\n\n<details><summary>s</summary>\n\nx\n</details>\n'
    ),
    "HTML in an item": "- <div>x</div>\n- y\n",
    "link definitions": "[1]: https://example.org/a\n[^2]: note https://e.org\n\ntext [1]\n",
    "indented code": "text\n\n    code here\n\nmore\n",
    "table under a paragraph": "Intro line\nsecond line\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    "list after a table": "| a | b |\n|---|---|\n| 1 | 2 |\n- item after\n",
    "heading after a table": "| a | b |\n|---|---|\n| 1 | 2 |\n## H\ntext\n",
    "break after a table": "| a | b |\n|---|---|\n| 1 | 2 |\n---\n",
    "escaped pipes, uneven rows": "| a | b |\n|---|---|\n| x \\| y | c |\n| 1 |\n| 1 | 2 | 3 |\n",
    "table in an item": "- item\n\n  | a | b |\n  |---|---|\n  | 1 | 2 |\n",
    "one-column table": "| a |\n---\n| b |\n",
    "nested lists, lazy lines": (
        "- a\n  - b\n    - c\n      lazy\ncontinuation\n  - d\n1. one\n2) two\n"
    ),
    "item paddings": "-     five spaces\n-\n  empty first\n10.  ten\n",
    "fence in an item": "- x\n  ```\n  code\n    more\n  ```\n- y\n",
    "unclosed fence": "text\n```\nnever closed\n> q\n",
    "CRLF": "# T\r\n\r\npara\r\nline\r\n- a\r\n",
    "closing hashes": "## Title ##  \n# #\n#\n### a#b ###\n",
    "tabs": "-\ta\n\tb\n",
    "vertical tab": "text\n\x0b---\n",
    "fence after a list marker": "- ```\n   - three\n- ```",
    "indented fences": "+ item\n```\n-     five\n    ```\n&amp; x\n",
    "no-break space in a cell": "--- | ---\n|---|---|\n\u00a0# nbsp\n",
    "table header without a pipe": "&amp; entity\n|-|\n#notheading\n<!-- c -->\n",
    "deep nesting": "".join("  " * i + "- x\n" for i in range(30)),
    "ten nested lists": "".join("  " * i + f"- x{i}\n" for i in range(10)),
    "nine nested lists": "".join("  " * i + f"- x{i}\n" for i in range(9)),
    "emphasis and breaks": "***bold***\n___\n***\n",
    "angle brackets": "<https://example.org>\n< not html\n",
    "empty": "",
    "setext text starting with a hash": "#notheading\n-\nbody\n",
    "fence open to the end, no last newline": "text\n```python\ncode\n* ",
    "pipeless line after a table": "| x \\| y | z |\n  |---|---|\n===\n| a | b |\n",
    "a table only markdown-it sees": "| single |\n#x\n  |---|---|\n--- | ---\n  | a | b |\n",
    "paragraphs around a table": "  > q\n| single |\n\n[x]: http://e.org\n| 1 | 2 |\n|:--|--:|\n",
}

# Lines that, shuffled, make the documents where the two parsers could disagree.
_PIECES = [
    "# Title", "## Sub *x*", "### H ###", "", "", "text line", "more **bold** text", "- item",
    "* item", "+ item", "1. one", "2) two", "  - nested", "    - deeper", "  continuation",
    "   lazy", "| a | b |", "|---|---|", "| 1 | 2 |", "|:--|--:|", "| x \\| y | z |", "a | b",
    "--- | ---", "```", "```python", "~~~", "> quote", "  > q", "---", "***", "___", "* * *",
    "===", "-", "--", "<div>", "</div>", "<br>", "<!-- c -->", "[x]: http://e.org",
    "    indented", "\tTab", "- <b>x</b>", "Text with https://e.org/a link", "`code`",
    "#notheading", "#", "10. ten", "-  two spaces", "-     five", "| single |", "- | a | b |",
    "  | a | b |", "  |---|---|", "  | 1 | 2 |", "1.", "* ", "- [ ] task", "&amp; entity",
    "<https://x.org>", "< x", "trailing spaces  ", "\\- escaped", "## ", "######## seven",
    "- # heading in item", "\u00a0# nbsp", "x\u2028y", "\x0c ff", "1) x", "   - three",
    "  1. two", "> > deep", "  ```", "    ```", "- ```", "<!--", "-->", "| a |", "|-|", "- a\\",
    "*emph* | x", "&nbsp;", "#\t", "  #  t  #", "- - x", "1. - x", "  * y",
    "[link](http://x.org)", "![img](x.png)", "<br/>", "</p>", "---|---",
]  # fmt: skip


@pytest.mark.parametrize("text", _TRICKY.values(), ids=_TRICKY.keys())
def test_the_c_parser_draws_the_reference_tree_or_defers_to_it(text):
    """Speed never changes a bundle: where cmark-gfm would read a construct otherwise, the
    document goes to the pure-Python parser."""
    fast = sections(text)
    assert fast is None or asdict(fast) == asdict(parse_pure(text, "tricky.md"))


def test_the_c_parser_never_draws_another_tree_on_shuffled_constructs():
    """A fixed draw of 2,000 small documents made of the lines above, in any order."""
    draw = random.Random(22)
    for _ in range(2_000):
        lines = [draw.choice(_PIECES) for _ in range(draw.randint(1, 14))]
        text = "\n".join(lines) + draw.choice(["", "\n"])
        fast = sections(text)
        assert fast is None or asdict(fast) == asdict(parse_pure(text, "drawn.md")), text


def test_the_c_parser_reads_nearly_every_sample_report_itself(sample_dir):
    """Same tree on every report; deferred only for the rare fence inside a list (the whole
    history: 24 of 539 documents)."""
    reports = sorted(sample_dir.rglob("*.md"))
    assert len(reports) > 40
    deferred = 0
    for path in reports:
        text = path.read_text(encoding="utf-8")
        fast = sections(text)
        deferred += fast is None
        assert fast is None or asdict(fast) == asdict(parse_pure(text, str(path))), path
    assert deferred <= len(reports) // 10


def test_every_type_word_starts_with_a_prefix_so_texts_without_one_are_skipped():
    """Family mentions are looked for only where a type word's prefix starts: every spelling
    the patterns accept, singular or plural, must start with one (or, before a name, be one)."""
    for spelling in mentions._SPELLINGS:
        for written in (re.sub(r"s\?", "", spelling), spelling.replace("s?", "s")):
            assert written.startswith(mentions.TYPE_PREFIXES), written
    before = re.search(r"\((backdoor\|[^)]*)\)", mentions._BEFORE.pattern).group(1).split("|")
    assert set(before) <= set(mentions.TYPE_PREFIXES)


def test_mentions_after_a_type_word_are_found_as_the_patterns_find_them_anywhere(sample_dir):
    """The two patterns that open with a type word are tried only where one starts: the same
    matches as ``finditer`` on every sample report and on drawn strings that glue type words to
    letters, plurals, lists and names."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(sample_dir.rglob("*.md"))]
    draw = random.Random(22)
    pieces = ["malware", "xmalwares", "RATs", "logiciels espions", "chevaux de Troie", "_loader"]
    pieces += ["infostealer", "stealer", " Lumma", " (Vidar, XWorm)", " comme ", "é", " ", "("]
    texts += ["".join(draw.choice(pieces) for _ in range(10)) for _ in range(3_000)]
    for pattern in (mentions._AFTER, mentions._LISTED):
        for text in texts:
            starts = mentions._starts_of(text, mentions.TYPE_PREFIXES)
            found = [(m.span(), m.groups()) for m in mentions._matches_from(pattern, text, starts)]
            assert found == [(m.span(), m.groups()) for m in pattern.finditer(text)], text


def test_spelled_family_names_are_found_as_with_a_leading_word_boundary(sample_dir):
    """Capitalised names are searched capital first, the boundary checked behind it: the
    same matches as the ``\\b`` form, on every sample report and on drawn strings that put
    capitals inside words, after underscores, digits, accented letters and "$"."""
    reference = re.compile(r"\b[A-Z][a-z0-9]+[A-Z][\w$]*|\b[A-Z]{2,}[a-z][\w$]*")
    texts = [path.read_text(encoding="utf-8") for path in sorted(sample_dir.rglob("*.md"))]
    draw = random.Random(22)
    pieces = ["AsyncRAT", "xShadowPad", "_PlugX", "9LockBit", "éAPT", "PDFs", "$", "A", " ", "-"]
    texts += ["".join(draw.choice(pieces) for _ in range(12)) for _ in range(3_000)]
    for text in texts:
        expected = [m.span() for m in reference.finditer(text)]
        assert [m.span() for m in mentions._SPELLED.finditer(text)] == expected, text


def test_names_before_a_type_word_are_found_as_with_a_leading_word_boundary(sample_dir):
    """A name right before a type word ("Amnesia RAT") is searched capital first, its boundary
    checked behind the capital: the same matches as the ``\\b`` form on every sample report and
    on drawn strings that glue capitals to letters, digits, underscores, accents and "$"."""
    type_words = mentions._BEFORE.pattern.split(r"\s+", 1)[1]
    reference = re.compile(rf"\b({mentions._WORD})\s+{type_words}")
    texts = [path.read_text(encoding="utf-8") for path in sorted(sample_dir.rglob("*.md"))]
    draw = random.Random(22)
    pieces = ["Amnesia", "xScout", "_Lumma", "9Akira", "éVidar", "$Ab", "Ab.c", " ", "\n", "-"]
    pieces += [" RAT", " ransomware", " botnet", "s", "RATs", "A"]
    texts += ["".join(draw.choice(pieces) for _ in range(10)) for _ in range(3_000)]
    for text in texts:
        expected = [m.groups() + m.span() for m in reference.finditer(text)]
        assert [m.groups() + m.span() for m in mentions._BEFORE.finditer(text)] == expected, text


def test_ids_and_words_are_found_as_with_leading_word_boundaries(sample_dir):
    """CVE and ATT&CK ids and "exploited" are searched letter first, the boundary checked behind
    the letter: the same as ``\\b`` + pattern + ``\\b``, on the sample and drawn strings."""
    references = {
        terms.CVE: re.compile(rf"\b{terms.CVE_PATTERN}\b", re.IGNORECASE),
        terms.TECHNIQUE: re.compile(rf"\b({terms.TECHNIQUE_PATTERN})\b"),
        shared._EXPLOITS: re.compile(rf"\bexploit{shared.EXPLOITS_ENDINGS}\b", re.I),
    }
    texts = [path.read_text(encoding="utf-8") for path in sorted(sample_dir.rglob("*.md"))]
    draw = random.Random(22)
    pieces = ["CVE-2024-1234", "cve-2025-12345", "T1059", "T1059.001", "xT1190", "exploited"]
    pieces += ["Exploitation", "xexploit", "_", "é", " ", "."]
    texts += ["".join(draw.choice(pieces) for _ in range(8)) for _ in range(3_000)]
    for fast, reference in references.items():
        for text in texts:
            assert fast.findall(text) == reference.findall(text), text
            assert bool(fast.fullmatch(text)) == bool(reference.fullmatch(text)), text


def test_cve_ids_found_from_their_hyphen_are_the_ids_the_pattern_finds(sample_dir):
    """CVE ids are found from their first hyphen, "CVE" checked behind it: the same ids, in
    the same order, as ``terms.CVE`` upper-cased, on every sample report and on drawn strings
    that glue ids to letters, digits, accents and underscores, in every letter case."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(sample_dir.rglob("*.md"))]
    draw = random.Random(22)
    pieces = ["CVE-2024-1234", "cve-2025-12345", "cVe-2023-99999", "CVE-202-1234", "CVE-2024-123"]
    pieces += ["x", "É", "_", "-", "9", " ", "CVE", "-2024-5678", "\u0131", "\u212a"]
    texts += ["".join(draw.choice(pieces) for _ in range(8)) for _ in range(3_000)]
    for text in texts:
        expected = list(dict.fromkeys(m.upper() for m in terms.CVE.findall(text)))
        assert terms.cve_ids(text) == expected, text


def test_texts_skipped_for_campaigns_are_texts_the_pattern_finds_nothing_in(sample_dir):
    """An article is tested for a campaign word before the pattern reads it: every text the
    pattern finds something in passes the test, whatever the case of its letters."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(sample_dir.rglob("*.md"))]
    draw = random.Random(22)
    pieces = ["CAMPAGNE", "Campaign", "OPÉRATION", "opÉration", "Operation", "campagne", "Op"]
    pieces += ["ération", " ", "Endgame", "baptisée", "x", "\u0131", "\u0130", "\u212a"]
    texts += ["".join(draw.choice(pieces) for _ in range(6)) for _ in range(3_000)]
    found = 0
    for text in texts:
        if mentions._CAMPAIGN.search(text):
            found += 1
            assert mentions.may_name_a_campaign(text), text
    assert found > 50


def test_campaign_words_are_matched_where_they_start_as_the_pattern_finds_them(sample_dir):
    """The campaign pattern is tried only where "campa", "opera" or "opéra" starts in the
    lower-cased text: the same matches as ``finditer`` on every sample report and on drawn
    strings in every letter case, with letters that lower-case to two characters ("İ")."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(sample_dir.rglob("*.md"))]
    draw = random.Random(22)
    pieces = ["CAMPAGNE", "Campaign", "OPÉRATION", "opÉration", "Operation", "campagne", "Op"]
    pieces += ["ération", " ", "Endgame", "Railway/X", "baptisée ", "x", "\u0131", "\u0130"]
    pieces += ["\u212a", "\u03a3", "«", "*", "campagne Railway", "OPÉRATION Magnus", "xcampaign Ab"]
    texts += ["".join(draw.choice(pieces) for _ in range(7)) for _ in range(3_000)]
    matched = 0
    for text in texts:
        expected = [(m.span(), m.groups()) for m in mentions._CAMPAIGN.finditer(text)]
        matched += bool(expected)
        assert [(m.span(), m.groups()) for m in mentions.campaign_matches(text)] == expected, text
    assert matched > 500


def _inline_text_by_markdown_it(source: str) -> str:
    """What ``plain`` answered before its shortcut for bold labels: markdown-it-py's text."""
    if inline.MARKUP.isdisjoint(source):
        return " ".join(source.split())
    tokens = inline._INLINE.parseInline(source)[0].children or []
    parts = [t.content if t.type in ("text", "code_inline") else " " for t in tokens
             if t.type in ("text", "code_inline", "softbreak", "hardbreak")]  # fmt: skip
    return " ".join("".join(parts).split())


def test_bold_labels_read_without_markdown_it_give_its_text(sample_dir):
    """Every inline source of the sample's reports, and drawn sources around bold stars where
    CommonMark's flanking rules decide (punctuation, Unicode spaces, controls, line breaks)."""
    sources = []
    for path in sorted(sample_dir.rglob("*.md")):
        for section in parse_pure(path.read_text(encoding="utf-8"), str(path)).walk():
            sources += [*section.paragraphs, *section.items]
            sources += [cell for table in section.tables for row in table.rows for cell in row]
    draw = random.Random(22)
    pieces = ["**", "*", "Label", "é", ".", ":", ")", "(", "!", '"', " ", "\n", "\t", "\u00a0"]
    pieces += ["\x1c", "\u2028", "\u3000", "€", "  \n", "\r", "1", "_", "`", "«", "\u200b", "\x00"]
    for _ in range(20_000):
        body = [draw.choice(pieces) for _ in range(draw.randint(1, 10))]
        sources.append("".join(["**", *body[: len(body) // 2], "**", *body[len(body) // 2 :]]))
    taken = 0
    for source in sources:
        taken += bool(inline._BOLD_LABEL.fullmatch(source))
        assert inline.plain.__wrapped__(source) == _inline_text_by_markdown_it(source), source
    assert taken > 1_000


def test_quote_depth_is_read_after_line_breaks_as_at_line_starts():
    """The nested-quote bound counts markers after a "\\n" rather than at each "^": the same
    depth on drawn texts of markers, spaces, tabs and every kind of line break."""
    at_starts = re.compile(r"^(?:[ \t]*>){2,}", re.MULTILINE)
    draw = random.Random(22)
    pieces = [">", " ", "\t", "\n", "\r", "a", "> >", "\u2028", "\x85"]
    for _ in range(20_000):
        text = "".join(draw.choice(pieces) for _ in range(draw.randint(1, 15)))
        expected = max((m.group(0).count(">") for m in at_starts.finditer(text)), default=0)
        found = (m.group(1).count(">") for m in markdown_tree._QUOTES.finditer(f"\n{text}"))
        assert max(found, default=0) == expected, repr(text)


def test_memos_of_texts_keep_short_texts_only():
    """A hostile document's long texts are read, never remembered: the memos of texts hold
    at most their number of calls on short texts, however many long ones go through them."""
    from vigilintel_connector.resolve import nearby

    for memo in (inline.plain, nearby.words_of):
        memo.cache_clear()
        for number in range(20):
            long_text = f"**Label {number} :** " + "a défanged hxxp://x[.]example " * 2_000
            assert memo(long_text) == memo.__wrapped__(long_text)
        assert memo.cache_info().currsize == 0
        memo("**Label :** value")
        assert memo.cache_info().currsize == 1
    recurring = ids._recurring_id
    recurring.cache_clear()
    for number in range(20):  # indicators of a hostile STIX file, with huge patterns
        pattern = f"[url:value = 'http://{number}.example/{'a' * 100_000}']"
        assert recurring(pycti.Indicator, pattern) == pycti.Indicator.generate_id(pattern)
    assert recurring.cache_info().currsize == 0
    stix_text._timestamp.cache_clear()
    fallback = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for number in range(20):  # "created" values of a hostile STIX file
        assert stix_text.timestamp(f"2026-01-0{number % 9 + 1}" + " " * 100_000, fallback)
    assert stix_text._timestamp.cache_info().currsize == 0


def test_downloads_stop_reading_ahead_while_unread_files_pile_up(monkeypatch):
    """Read-ahead is bounded by memory, not only by a count of days: a backfill of days whose
    files are large holds a few days of them, not the pool's whole window."""
    monkeypatch.setattr(limits, "PREFETCH_BYTES", 1_000_000)
    days = [dt.date(2025, 5, 1) + dt.timedelta(days=i) for i in range(60)]
    files = {d: [ListedFile(parse_daily_path(f"{d:%Y/%m}/{d}-report.md"), None)] for d in days}

    class Listing:
        def for_day(self, day):
            return files[day]

    fetched: list[str] = []

    def fetch(path: str) -> bytes:
        fetched.append(path)
        return b"# " + b"x" * 600_000  # no intelligence: each day ends quickly

    options = DayOptions(("fr",), ("stix", "json", "markdown"))
    ahead_at = {}
    for consumed, _ in enumerate(
        process_days(days, Listing(), fetch, options, StdLogger(level="error"), concurrency=6),
        start=1,
    ):
        if consumed in (40, 50):
            time.sleep(0.3)  # as long as a slow delivery: downloads run ahead as far as allowed
            ahead_at[consumed] = len(fetched) - consumed
    assert len(fetched) == 60  # every day read once
    assert max(ahead_at.values()) <= 6  # the window alone would allow 24 days
