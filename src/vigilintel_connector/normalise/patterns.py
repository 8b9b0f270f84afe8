"""Whether a STIX pattern is valid: the grammar, except for the shapes known to pass it.

stix2-patterns parses with an ANTLR grammar in pure Python, about a millisecond a pattern, the
largest single cost of normalising a day. Nearly every indicator, upstream's and the converter's
alike, is one comparison of an observable's value with a string, or of a file hash with hex
digits. Those the grammar always accepts when the string is well escaped (no bare quote, a
backslash only before a quote or a backslash) and the hash has its length; a regular expression
says so at once. Anything else, however close, goes to the grammar.
"""

from __future__ import annotations

import re

from stix2patterns.validator import run_validator

from vigilintel_connector.memo import memo

_STRING = r"'(?:[^'\\]|\\['\\])*'"
_SIMPLE = re.compile(
    rf"\[(?:ipv4-addr|ipv6-addr|domain-name|url|email-addr):value = {_STRING}\]"
    r"|\[file:hashes\.(?:'MD5' = '[0-9a-fA-F]{32}'|'SHA-1' = '[0-9a-fA-F]{40}'"
    r"|'SHA-256' = '[0-9a-fA-F]{64}'|'SHA-512' = '[0-9a-fA-F]{128}')\]"
)


def is_valid_pattern(pattern: str) -> bool:
    return _SIMPLE.fullmatch(pattern) is not None or _by_grammar(pattern)


@memo(8192, 2048)  # a third of the other patterns come back
def _by_grammar(pattern: str) -> bool:
    return not run_validator(pattern, stix_version="2.1")
